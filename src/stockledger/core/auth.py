"""Bearer-token authentication for the JSON API, and the role check of every operation.

Speed (issue 15): a process remembers what each token resolved to (its user and company)
and reuses it while the database's auth stamp (`AuthStamp`) is unchanged, so a request reads
one integer instead of three joined rows. Triggers (migration 0006) bump the stamp in the
same transaction as any change to a token's hash, owner or revocation and any update or
deletion of a user or a company, whoever makes it: revoking a token, deactivating a user,
changing their role or moving them takes effect on the very next request, in every process.
A token that does not resolve is never remembered. When the stamp changes, the token, its
user and its company come from ONE query (with the stamp, in the same snapshot), built once
from the models' metadata. Within one request the idempotency middleware hands its result
on (`request.api_token_user`) so the token is looked up once.
"""

import re
import secrets
import time
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, cast

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken, AuthStamp, Company, User, hash_token
from .permissions import api_permission, permission_require
from .requests import CompanyRequest
from .rows import (
    converted_row,
    field_count,
    model_from_converted,
    model_from_row_fields,
    select_list,
)

# What a process remembers: at most this many tokens (then it starts afresh), each for at
# most this long even while the stamp holds (a database restored under a running server).
REMEMBERED_TOKENS = 10_000
REMEMBER_SECONDS = 60.0

_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True, slots=True)
class _Resolved:
    """A token's row as loaded, converted, ready to build fresh instances from."""

    stamp: int
    loaded_at: float  # time.monotonic()
    token_id: int
    last_used_at: Any
    user: list[Any]
    company: list[Any]


_resolved: dict[str, _Resolved] = {}  # token hash -> what it resolved to


@cache
def _stamp_sql() -> str:
    qn = connection.ops.quote_name
    return f"SELECT {qn('version')} FROM {qn(AuthStamp._meta.db_table)} WHERE {qn('id')} = 1"


@cache
def _token_sql() -> str:
    qn = connection.ops.quote_name
    select = (
        [f"({_stamp_sql()})", f"t.{qn('id')}", f"t.{qn('last_used_at')}"]
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


def _current_stamp() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql())
        row = cursor.fetchone()
    return None if row is None else row[0]


def stamp_row_ensure(*, using: str = "default", **_: object) -> None:
    """Put the stamp row back if it is missing (a flush emptied the tables, or someone deleted
    it), at a version no process has remembered. Also run after `migrate` and `flush`."""
    if not AuthStamp.objects.using(using).filter(id=1).exists():
        _resolved.clear()
        fresh = AuthStamp(id=1, version=secrets.randbits(63))
        AuthStamp.objects.using(using).bulk_create([fresh], ignore_conflicts=True)


def _load(key: str) -> _Resolved | None:
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    n_user = field_count(User)
    token = model_from_row_fields(ApiToken, ("id", "last_used_at"), row[1:3])
    return _Resolved(
        stamp=row[0],
        loaded_at=time.monotonic(),
        token_id=token.id,
        last_used_at=token.last_used_at,
        user=converted_row(User, row[3 : 3 + n_user]),
        company=converted_row(Company, row[3 + n_user :]),
    )


def _resolve(key: str) -> _Resolved | None:
    stamp = _current_stamp()
    if stamp is None:
        stamp_row_ensure()
    known = _resolved.get(key)
    if (
        known is not None
        and known.stamp == stamp
        and time.monotonic() - known.loaded_at < REMEMBER_SECONDS
    ):
        return known
    _resolved.pop(key, None)
    found = _load(key)
    if found is not None and found.stamp is not None:
        if len(_resolved) >= REMEMBERED_TOKENS:
            _resolved.clear()
        _resolved[key] = found
    return found


def user_for_token(raw: str) -> User | None:
    """The active user (with `.company` and `.api_token`) of an unrevoked token, or None."""
    key = hash_token(raw)
    found = _resolve(key)
    if found is None:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute so every request is not a write.
    if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=found.token_id).update(last_used_at=now)
        if _resolved.get(key) is found:
            _resolved[key] = replace(found, last_used_at=now)
        found = replace(found, last_used_at=now)
    user = model_from_converted(User, found.user)
    user.company = model_from_converted(Company, found.company)
    token = ApiToken.from_db(
        connection.alias, ["id", "last_used_at"], [found.token_id, found.last_used_at]
    )
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
