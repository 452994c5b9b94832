"""Writes for tenancy: companies, users, tokens."""

from django.db import transaction
from django.utils import timezone

from .errors import InvalidInput
from .models import ApiToken, Company, User
from .permissions import Role


def company_create(*, name: str, username: str, password: str) -> tuple[Company, User, str]:
    """Create a company and its first user; return them and that user's first raw API token."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("company name must not be empty", field="name")
    if not username:
        raise InvalidInput("user name must not be empty", field="user")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"user {username!r} already exists", field="user")
    with transaction.atomic():
        company = Company.objects.create(name=name)
        user = User.objects.create_user(
            username=username, password=password, company=company, role=Role.OWNER
        )
        _, raw = token_create(user=user, name="default")
    return company, user, raw


def user_create(*, company: Company, username: str, password: str) -> User:
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"user {username!r} already exists", field="username")
    return User.objects.create_user(username=username, password=password, company=company)


def token_create(*, user: User, name: str = "default") -> tuple[ApiToken, str]:
    """Create an API token; the raw value is returned once and never stored."""
    from .models import hash_token

    raw = ApiToken.generate_raw()
    token = ApiToken.objects.create(
        user=user, name=name[:100] or "default", token_hash=hash_token(raw), prefix=raw[:12]
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
