"""JSON API for people and company settings: users and roles (owners), own password, company.

Permissions come from core/permissions.py (checked by the token authentication before the
operation runs) and again in the services.
"""

from datetime import datetime
from typing import Any, Literal, cast

from ninja import Field, Query, Router, Schema, Status

from .errors import InvalidInput
from .models import Company, User
from .pagination import Page, PageQuery, keyset_page, page_of
from .permissions import Role
from .requests import CompanyRequest
from .services import (
    company_update,
    password_change,
    user_create,
    user_deactivate,
    user_reactivate,
    user_set_role,
)
from .tenancy import get_for_company

router = Router(tags=["people"])

RoleName = Literal["owner", "manager", "clerk", "viewer"]


class UserOut(Schema):
    id: int
    username: str
    role: RoleName
    is_active: bool = Field(..., description="false once deactivated: no sign-in, no API token")
    date_joined: datetime
    last_login: datetime | None


UserListOut = page_of(UserOut, name="UserListOut")


class UserIn(Schema):
    username: str = Field(
        ..., description="unique ignoring case and surrounding spaces", max_length=150
    )
    password: str = Field(
        ..., description="a temporary password; must pass the server's password rules"
    )
    role: RoleName = cast(RoleName, Role.VIEWER.value)


class UserPatchIn(Schema):
    role: RoleName | None = None
    is_active: bool | None = Field(None, description="false deactivates, true reactivates")


class PasswordIn(Schema):
    current_password: str
    new_password: str


class CompanyOut(Schema):
    id: int
    name: str
    time_zone: str = Field(..., description="IANA time zone of the pages and export defaults")


class CompanyPatchIn(Schema):
    name: str | None = Field(None, max_length=200)
    time_zone: str | None = Field(None, description="IANA name, e.g. Europe/Berlin")


def _require_object_body(request: CompanyRequest) -> None:
    # Every field of a PATCH is optional, but the body itself is not: `null` is refused.
    if request.body.strip() in (b"", b"null"):
        raise InvalidInput("request body must be a JSON object", field="body")


@router.get("/users", response=UserListOut, summary="The company's users (owners only)")
def list_users(request: CompanyRequest, page: Query[PageQuery]) -> Page:
    return keyset_page(
        User.objects.filter(company=request.company),
        order=("id",),
        limit=page.limit,
        cursor=page.cursor,
    )


@router.post("/users", response={201: UserOut}, summary="Add a user with a role (owners only)")
def create_user(request: CompanyRequest, payload: UserIn) -> Status[Any]:
    user = user_create(
        company=request.company,
        actor=request.user,
        username=payload.username,
        password=payload.password,
        role=payload.role,
    )
    return Status(201, user)


@router.get("/users/{user_id}", response=UserOut, summary="One user (owners only)")
def get_user(request: CompanyRequest, user_id: int) -> User:
    return get_for_company(User, request.company, user_id, label="user")


@router.patch("/users/{user_id}", response=UserOut, summary="Change a user's role or active state")
def patch_user(request: CompanyRequest, user_id: int, payload: UserPatchIn) -> User:
    _require_object_body(request)
    user = get_for_company(User, request.company, user_id, label="user")
    if payload.role is not None:
        user = user_set_role(actor=request.user, user=user, role=payload.role)
    if payload.is_active is False and user.is_active:
        user = user_deactivate(actor=request.user, user=user)
    elif payload.is_active is True and not user.is_active:
        user = user_reactivate(actor=request.user, user=user)
    return user


@router.post(
    "/users/{user_id}/deactivate",
    response=UserOut,
    summary="Deactivate a user (their log rows keep their name; their tokens are revoked)",
)
def deactivate_user(request: CompanyRequest, user_id: int) -> User:
    user = get_for_company(User, request.company, user_id, label="user")
    return user_deactivate(actor=request.user, user=user)


@router.post("/me/password", response={204: None}, summary="Change the caller's own password")
def change_password(request: CompanyRequest, payload: PasswordIn) -> Status[Any]:
    password_change(
        user=request.user,
        current_password=payload.current_password,
        new_password=payload.new_password,
    )
    return Status(204, None)


@router.get("/company", response=CompanyOut, summary="The caller's company and its settings")
def get_company(request: CompanyRequest) -> Company:
    return request.company


@router.patch("/company", response=CompanyOut, summary="Rename the company or set its time zone")
def patch_company(request: CompanyRequest, payload: CompanyPatchIn) -> Company:
    _require_object_body(request)
    company = request.company
    return company_update(
        actor=request.user,
        name=company.name if payload.name is None else payload.name,
        time_zone=company.time_zone if payload.time_zone is None else payload.time_zone,
    )
