"""Bearer-token authentication for the JSON API."""

from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken, hash_token


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
        return user
