"""Pages: the role check of every page action, and dates shown in the company's time zone.

`PagePermissionMiddleware` looks up the resolved page (URL name, method and `action` URL
argument) in `core/permissions.PAGE_ACTIONS`, the table the API's check also reads, and
refuses before the view runs: 403 for a role without the permission (so a forged POST
changes nothing). A method the table does not list for a page is for owners only (the view
then answers, usually 405). The API (`/api/`), the admin and
`/healthz` are not pages.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from .models import Company
from .permissions import (
    UNMAPPED,
    Can,
    PermissionDenied,
    page_permission,
    permission_require,
    role_of,
)

NOT_PAGES = ("/api/", "/admin/", "/static/", "/healthz")


def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    response = TemplateResponse(
        request,
        "core/forbidden.html",
        {"permission": exc.permission, "message": exc.message},
        status=403,
    )
    return response.render()


class PagePermissionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.path.startswith(NOT_PAGES) or request.resolver_match is None:
            return None
        name = request.resolver_match.view_name
        known, perm = page_permission(name, request.method or "", view_kwargs.get("action"))
        if not known:
            # A method the table does not list for this page: owners only; the view answers.
            perm = UNMAPPED
        user = request.user
        if perm is None or not user.is_authenticated or user.company_id is None:
            return None  # the view signs in or refuses users without a company itself
        try:
            permission_require(user, perm)
        except PermissionDenied as exc:
            return forbidden(request, exc)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A service's own check (permission_require) refusing inside a page view.
        if isinstance(exception, PermissionDenied) and not request.path.startswith("/api/"):
            return forbidden(request, exception)
        return None


def company_zone(company: Company) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(company.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class CompanyTimeZoneMiddleware:
    """Pages render dates in the signed-in user's company time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API answers in UTC: its requests never load the session's user here (that
        # look-up was a tenth of a log page's time; issue 15).
        user = None if request.path.startswith("/api/") else getattr(request, "user", None)
        company = getattr(user, "company", None) if user and user.is_authenticated else None
        if company is not None:
            timezone.activate(company_zone(company))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def access(request: HttpRequest) -> dict[str, Any]:
    """Template context: `can.<perm with _>` and `role` for hiding what a role cannot do."""
    user = getattr(request, "user", None)
    return {
        "can": Can(user),
        "role": role_of(user),
        "time_zone_name": timezone.get_current_timezone_name(),
    }
