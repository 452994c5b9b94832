"""JSON API of the audit list: GET /audit (owners)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema

from .audit import audit_entries
from .models import AuditEntry
from .pagination import Page, PageQuery, keyset_page, page_of
from .requests import CompanyRequest

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: int | None
    object_name: str
    changes: dict[str, list[Any]]


AuditListOut = page_of(AuditEntryOut, name="AuditListOut")


@router.get(
    "/audit",
    response=AuditListOut,
    summary="Settings changes (not stock changes), newest first: who, when, from and to",
)
def audit_list(request: CompanyRequest, page: Query[PageQuery]) -> Page:
    return keyset_page(
        audit_entries(company=request.company),
        order=("-id",),
        limit=page.limit,
        cursor=page.cursor,
        transform=_rows,
    )


def _rows(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "at": e.at,
            "actor": e.actor_name,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object_name": e.object_name,
            "changes": e.changes,
        }
        for e in entries
    ]
