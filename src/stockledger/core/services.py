"""Writes for tenancy: companies, their settings, users and their roles, tokens."""

import zoneinfo
from typing import cast

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .errors import Conflict, InvalidInput
from .models import ApiToken, Company, User
from .permissions import Role, permission_require

MAX_USERNAME = cast(int, User._meta.get_field("username").max_length)


def _company_of(user: User) -> Company:
    """The user's company: these services are for users of a company (an operator's
    superuser has none)."""
    if user.company is None:
        raise Conflict(f"user {user.username} belongs to no company")
    return user.company


def clean_username(value: object, *, field: str = "username") -> str:
    """A new user's name, trimmed; refused when empty or taken (compared ignoring case)."""
    username = str(value or "").strip()
    if not username:
        raise InvalidInput("user name must not be empty", field=field)
    if len(username) > MAX_USERNAME:
        raise InvalidInput(f"user name is longer than {MAX_USERNAME} characters", field=field)
    try:
        User.username_validator(username)
    except ValidationError:
        raise InvalidInput(
            "user name may hold only letters, digits and @ . + - _", field=field
        ) from None
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(
            f"user {username!r} already exists (user names are compared ignoring case)",
            field=field,
        )
    return username


def clean_password(password: object, *, user: User | None = None, field: str = "password") -> str:
    """The password if Django's AUTH_PASSWORD_VALIDATORS accept it; else InvalidInput."""
    password = "" if password is None else str(password)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field=field) from None
    return password


def clean_role(value: object, *, field: str = "role") -> str:
    role = str(value or "").strip().lower()
    if role not in Role.values:
        raise InvalidInput(f"role must be one of {', '.join(Role.values)}", field=field)
    return role


def clean_time_zone(value: object, *, field: str = "time_zone") -> str:
    name = str(value or "").strip()
    try:
        if not name or name.startswith("/") or ".." in name:
            raise ValueError(name)
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"{name!r} is not an IANA time zone (for example Europe/Berlin or UTC)", field=field
        ) from None
    return name


def _unsaved_user(username: str, company: Company | None) -> User:
    # For UserAttributeSimilarityValidator: the password must not resemble the name.
    return User(username=username, company=company)


def company_create(*, name: str, username: str, password: str) -> tuple[Company, User, str]:
    """Create a company and its first user (an owner); return them and a first raw API token."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("company name must not be empty", field="name")
    username = clean_username(username, field="user")
    clean_password(password, user=_unsaved_user(username, None))
    with transaction.atomic():
        company = Company.objects.create(name=name)
        user = User.objects.create_user(
            username=username, password=password, company=company, role=Role.OWNER
        )
        _, raw = token_create(user=user, name="default")
    return company, user, raw


def company_update(*, actor: User, name: str, time_zone: str) -> Company:
    """Rename the actor's company and set its time zone (IANA). Needs `settings.company`."""
    permission_require(actor, "settings.company")
    name = str(name or "").strip()
    if not name:
        raise InvalidInput("company name must not be empty", field="name")
    if len(name) > cast(int, Company._meta.get_field("name").max_length):
        raise InvalidInput("company name is longer than 200 characters", field="name")
    time_zone = clean_time_zone(time_zone)
    company = _company_of(actor)
    with transaction.atomic():
        Company.objects.filter(pk=company.pk).update(name=name, time_zone=time_zone)
        audit_record(
            company=company,
            actor=actor,
            action="company.settings",
            target=company,
            changes={"name": (company.name, name), "time_zone": (company.time_zone, time_zone)},
        )
    company.name, company.time_zone = name, time_zone
    return company


def user_create(
    *,
    company: Company,
    username: str,
    password: str,
    role: str = Role.VIEWER,
    actor: User | None = None,
) -> User:
    """Add a user to `company` with a (temporary) password and a role.

    With an `actor` (pages, API) the actor needs `users.manage` and the company is theirs.
    """
    if actor is not None:
        permission_require(actor, "users.manage")
        company = _company_of(actor)
    username = clean_username(username)
    role = clean_role(role)
    clean_password(password, user=_unsaved_user(username, company))
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, password=password, company=company, role=role
        )
        if actor is not None:
            audit_record(
                company=company,
                actor=actor,
                action="user.create",
                target=user,
                changes={"role": (None, role)},
            )
        return user


def _other_active_owners(user: User) -> bool:
    return (
        User.objects.filter(company_id=cast(int, user.company_id), role=Role.OWNER, is_active=True)
        .exclude(pk=user.pk)
        .exists()
    )


def user_set_role(*, actor: User, user: User, role: str) -> User:
    """Change a user's role; a company keeps at least one active owner."""
    permission_require(actor, "users.manage")
    role = clean_role(role)
    with transaction.atomic():
        if user.role == Role.OWNER and role != Role.OWNER and not _other_active_owners(user):
            raise Conflict("a company needs at least one active owner", field="role")
        User.objects.filter(pk=user.pk).update(role=role)
        audit_record(
            company=_company_of(user),
            actor=actor,
            action="user.role",
            target=user,
            changes={"role": (user.role, role)},
        )
    user.role = role
    return user


def user_deactivate(*, actor: User, user: User) -> User:
    """Sign a user out for good: no sign-in, no API token. Their log rows keep their name."""
    permission_require(actor, "users.manage")
    if user.pk == actor.pk:
        raise Conflict("you cannot deactivate yourself", field="user")
    with transaction.atomic():
        if user.role == Role.OWNER and not _other_active_owners(user):
            raise Conflict("a company needs at least one active owner", field="user")
        User.objects.filter(pk=user.pk).update(is_active=False)
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(
            company=_company_of(user),
            actor=actor,
            action="user.deactivate",
            target=user,
            changes={"active": (user.is_active, False)},
        )
    user.is_active = False
    return user


def user_reactivate(*, actor: User, user: User) -> User:
    permission_require(actor, "users.manage")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        audit_record(
            company=_company_of(user),
            actor=actor,
            action="user.reactivate",
            target=user,
            changes={"active": (user.is_active, True)},
        )
    user.is_active = True
    return user


def password_change(*, user: User, current_password: str, new_password: str) -> User:
    """The user changes their own password: the current one must match, the new one pass the
    validators."""
    permission_require(user, "account.password")
    if not user.check_password(current_password or ""):
        raise InvalidInput("the current password is not correct", field="current_password")
    clean_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(company=_company_of(user), actor=user, action="user.password", target=user)
    return user


def token_create(*, user: User, name: str = "default") -> tuple[ApiToken, str]:
    """Create an API token; the raw value is returned once and never stored."""
    from .models import hash_token

    raw = ApiToken.generate_raw()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100] or "default", token_hash=hash_token(raw), prefix=raw[:12]
        )
        if user.company_id:
            audit_record(company=_company_of(user), actor=user, action="token.create", target=token)
    return token, raw


def token_delete(*, token: ApiToken) -> ApiToken:
    """Delete a token: it answers 401 and is gone from the user's list; the audit keeps it.

    Returns the token as it was when deleted (with `revoked_at` set, the moment it stopped
    working), for the answer; the row itself no longer exists.
    """
    with transaction.atomic():
        if token.user.company_id:
            audit_record(
                company=_company_of(token.user),
                actor=token.user,
                action="token.delete",
                target=token,
            )
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
        token_id = token.pk
        token.delete()
        token.pk = token.id = token_id
    return token


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            if token.user.company_id:
                audit_record(
                    company=_company_of(token.user),
                    actor=token.user,
                    action="token.revoke",
                    target=token,
                )
    return token
