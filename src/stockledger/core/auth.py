"""Bearer-token authentication for the JSON API, and the role check of every operation.

Speed (issue 15): the token, its user and the user's company come from ONE query per request,
built once from the models' metadata (no ORM query compilation per request). Nothing is cached
across requests, so revoking a token, deactivating a user or moving them takes effect on the
very next request; within one request the idempotency middleware hands its result on
(`request.api_token_user`) so the token is looked up once.
"""

import re
from functools import cache
from typing import cast

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken, Company, User, hash_token
from .permissions import api_permission, permission_require
from .requests import CompanyRequest
from .rows import field_count, model_from_row, model_from_row_fields, select_list

_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@cache
def _token_sql() -> str:
    qn = connection.ops.quote_name
    select = (
        [f"t.{qn('id')}", f"t.{qn('last_used_at')}"]
        + select_list(User, "u")
        + select_list(Company, "c")
    )
    return (
        f"SELECT {', '.join(select)} FROM {qn(ApiToken._meta.db_table)} t "
        f"JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = t.{qn('user_id')} "
        f"JOIN {qn(Company._meta.db_table)} c ON c.{qn('id')} = u.{qn('company_id')} "
        f"WHERE t.{qn('token_hash')} = %s AND t.{qn('revoked_at')} IS NULL "
        f"AND u.{qn('is_active')}"
    )


def user_for_token(raw: str) -> User | None:
    """The active user (with `.company` and `.api_token`) of an unrevoked token, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(), [hash_token(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    n_user = field_count(User)
    user = model_from_row(User, row[2 : 2 + n_user])
    user.company = model_from_row(Company, row[2 + n_user :])
    token = model_from_row_fields(ApiToken, ("id", "last_used_at"), row[:2])
    last_used_at = token.last_used_at
    now = timezone.now()
    # Touch last_used_at at most once a minute so every request is not a write.
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.id).update(last_used_at=now)
        token.last_used_at = now
    token.user = user
    user.api_token = token
    return user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        # The idempotency middleware may have resolved this request's token already.
        user = getattr(request, "api_token_user", None) or user_for_token(token)
        if user is not None:
            scoped = cast(CompanyRequest, request)
            scoped.company = cast(Company, user.company)  # the token's SQL joins the company
            scoped.user = user
            # Before the body is read: a role without the permission gets 403 naming it.
            permission_require(user, operation_permission(request))
        return user


def operation_path(request: HttpRequest) -> str:
    """The operation's path as the OpenAPI schema writes it ("/products/{product_id}")."""
    match = request.resolver_match
    assert match is not None  # an API operation: its URL was resolved
    return _schema_path(match.route)


@cache
def _schema_path(route: str) -> str:
    _, _, path = route.partition("api/v1")
    return "/" + _ROUTE_PARAM.sub(r"{\1}", path).lstrip("/")


def operation_permission(request: HttpRequest) -> str:
    return api_permission(request.method or "", operation_path(request))
