"""JSON API for the caller's identity and their API tokens."""

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from .models import ApiToken
from .pagination import Page, PageQuery, keyset_page, page_of
from .permissions import permissions_of
from .requests import CompanyRequest
from .services import token_create, token_delete, token_revoke
from .tenancy import get_for_user

router = Router(tags=["account"])


class MeOut(Schema):
    user: str
    company_id: int
    company_name: str
    role: str = Field(..., description="owner, manager, clerk or viewer")
    permissions: list[str] = Field(..., description="what this role may do (core/permissions)")


@router.get("/me", response=MeOut, summary="Who this token belongs to")
def me(request: CompanyRequest) -> dict[str, Any]:
    return {
        "user": request.user.username,
        "company_id": request.company.id,
        "company_name": request.company.name,
        "role": request.user.role,
        "permissions": sorted(permissions_of(request.user)),
    }


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100, description="what it is for")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="the first characters of the token, to recognise it")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str | None = Field(
        ...,
        description=(
            "the raw token: shown only in this response and never stored (only its hash is). "
            "null when the response is an Idempotency-Key replay."
        ),
    )


TokenListOut = page_of(TokenOut, name="TokenListOut")


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create an API token (shown once)")
def create_token(request: CompanyRequest, payload: TokenIn) -> Status[Any]:
    token, raw = token_create(user=request.user, name=payload.name)
    # An Idempotency-Key replay must not hand out (or store) the raw token.
    request.idempotency_redact = {"token": None}
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.get("/tokens", response=TokenListOut, summary="The caller's API tokens, newest first")
def list_tokens(request: CompanyRequest, page: Query[PageQuery]) -> Page:
    return keyset_page(
        ApiToken.objects.filter(user=request.user),
        order=("-id",),
        limit=page.limit,
        cursor=page.cursor,
    )


@router.get("/tokens/{token_id}", response=TokenOut, summary="One of the caller's API tokens")
def get_token(request: CompanyRequest, token_id: int) -> ApiToken:
    return get_for_user(ApiToken, request.user, token_id, label="API token")


@router.delete(
    "/tokens/{token_id}",
    response=TokenOut,
    summary="Delete an API token (401 from now on; gone from the list, kept in the audit)",
    description=(
        "The token stops working at once and is removed: `GET /tokens/{token_id}` answers "
        "404 afterwards. The audit keeps a `token.delete` entry. To stop a token but keep it "
        "listed, revoke it (`POST /tokens/{token_id}/revoke`)."
    ),
)
def delete_token(request: CompanyRequest, token_id: int) -> ApiToken:
    return token_delete(token=get_for_user(ApiToken, request.user, token_id, label="API token"))


@router.post(
    "/tokens/{token_id}/revoke",
    response=TokenOut,
    summary="Revoke an API token (401 from now on; stays listed as revoked)",
)
def revoke_token(request: CompanyRequest, token_id: int) -> ApiToken:
    return token_revoke(token=get_for_user(ApiToken, request.user, token_id, label="API token"))
