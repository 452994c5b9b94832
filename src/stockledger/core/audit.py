"""The audit list: settings changes that are not stock changes, per company.

Services that change configuration call `audit_record` inside their own transaction, so an
entry exists exactly when the change does. Owners read the list in the pages
(/settings/audit/) and the API (GET /audit).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import AuditEntry, Company, User

TEXT_MAX = 300

# The request being served, so a change made by a service that is not told who acts (channel
# settings are changed by pages, the API and the worker alike) is still put to the signed-in
# user or the API token's user. Set by `AuditActorMiddleware`; None in workers and commands.
_request: ContextVar[Any] = ContextVar("audit_request", default=None)


class AuditActorMiddleware:
    """Makes the request's user (session or API token) the actor of audit entries."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def _current_actor() -> User | None:
    request = _request.get()
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _plain(value: Any) -> Any:
    """A JSON-friendly, bounded form of a setting's value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, Model):
        return str(value)[:TEXT_MAX]
    return str(value)[:TEXT_MAX]


def audit_record(
    *,
    company: Company,
    actor: User | None = None,
    action: str,
    target: Model | None = None,
    object_type: str = "",
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> AuditEntry | None:
    """Record one change; fields whose value did not change are left out, and a change that
    changed nothing is not recorded (returns None). `changes` maps field -> (from, to).
    Without `actor`, the user of the request being served (None in a worker)."""
    actor = actor or _current_actor()
    diff = {
        field: [_plain(before), _plain(after)]
        for field, (before, after) in (changes or {}).items()
        if _plain(before) != _plain(after)
    }
    if changes is not None and not diff:
        return None
    return AuditEntry.objects.create(
        company=company,
        at=timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        object_type=object_type or ((target._meta.model_name or "") if target is not None else ""),
        object_id=getattr(target, "pk", None),
        object_name=str(target)[:TEXT_MAX] if target is not None else "",
        changes=diff,
    )


def audit_entries(*, company: Company) -> QuerySet[AuditEntry]:
    """The company's audit list, newest first."""
    return AuditEntry.objects.filter(company=company).order_by("-id")
