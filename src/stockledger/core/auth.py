"""Bearer-token authentication for the JSON API, and the role check of every operation."""

import re

from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken, hash_token
from .permissions import api_permission, permission_require

_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def user_for_token(raw: str):
    token = (
        ApiToken.objects.select_related("user__company")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or token.user.company_id is None:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute so every request is not a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.user.api_token = token
    return token.user


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        # The idempotency middleware may have resolved this request's token already.
        user = getattr(request, "api_token_user", None) or user_for_token(token)
        if user is not None:
            request.company = user.company
            request.user = user
            # Before the body is read: a role without the permission gets 403 naming it.
            permission_require(user, operation_permission(request))
        return user


def operation_path(request) -> str:
    """The operation's path as the OpenAPI schema writes it ("/products/{product_id}")."""
    route = request.resolver_match.route
    _, _, path = route.partition("api/v1")
    return "/" + _ROUTE_PARAM.sub(r"{\1}", path).lstrip("/")


def operation_permission(request) -> str:
    return api_permission(request.method, operation_path(request))
