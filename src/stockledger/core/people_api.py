"""JSON API for people and company settings: users and roles (owners), own password, company.

Permissions come from core/permissions.py (checked by the token authentication before the
operation runs) and again in the services.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from .models import User
from .pagination import PageQuery, keyset_page
from .permissions import Role
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


class UserListOut(Schema):
    items: list[UserOut]
    next_cursor: str | None


class UserIn(Schema):
    username: str = Field(
        ..., description="unique ignoring case and surrounding spaces", max_length=150
    )
    password: str = Field(
        ..., description="a temporary password; must pass the server's password rules"
    )
    role: RoleName = Role.VIEWER.value


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


@router.get("/users", response=UserListOut, summary="The company's users (owners only)")
def list_users(request, page: Query[PageQuery]):
    return keyset_page(
        User.objects.filter(company=request.company),
        order=("id",),
        limit=page.limit,
        cursor=page.cursor,
    )


@router.post("/users", response={201: UserOut}, summary="Add a user with a role (owners only)")
def create_user(request, payload: UserIn):
    user = user_create(
        company=request.company,
        actor=request.user,
        username=payload.username,
        password=payload.password,
        role=payload.role,
    )
    return Status(201, user)


@router.get("/users/{user_id}", response=UserOut, summary="One user (owners only)")
def get_user(request, user_id: int):
    return get_for_company(User, request.company, user_id, label="user")


@router.patch("/users/{user_id}", response=UserOut, summary="Change a user's role or active state")
def patch_user(request, user_id: int, payload: UserPatchIn):
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
def deactivate_user(request, user_id: int):
    user = get_for_company(User, request.company, user_id, label="user")
    return user_deactivate(actor=request.user, user=user)


@router.post("/me/password", response={204: None}, summary="Change the caller's own password")
def change_password(request, payload: PasswordIn):
    password_change(
        user=request.user,
        current_password=payload.current_password,
        new_password=payload.new_password,
    )
    return Status(204, None)


@router.get("/company", response=CompanyOut, summary="The caller's company and its settings")
def get_company(request):
    return request.company


@router.patch("/company", response=CompanyOut, summary="Rename the company or set its time zone")
def patch_company(request, payload: CompanyPatchIn):
    company = request.company
    return company_update(
        actor=request.user,
        name=company.name if payload.name is None else payload.name,
        time_zone=company.time_zone if payload.time_zone is None else payload.time_zone,
    )
