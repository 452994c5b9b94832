"""Pages: the role check of every page action, and dates shown in the company's time zone.

`PagePermissionMiddleware` looks up the resolved page (URL name, method and `action` URL
argument) in `core/permissions.PAGE_ACTIONS`, the table the API's check also reads, and
refuses before the view runs: 403 for a role without the permission (so a forged POST
changes nothing), 405 for a method the page does not take. The API (`/api/`), the admin and
`/healthz` are not pages.
"""

from __future__ import annotations

import zoneinfo

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.utils import timezone

from .permissions import (
    PAGE_ACTIONS,
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
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(NOT_PAGES) or request.resolver_match is None:
            return None
        name = request.resolver_match.view_name
        known, perm = page_permission(name, request.method, view_kwargs.get("action"))
        if not known:
            allowed = sorted({key.split(" ")[0] for key in PAGE_ACTIONS.get(name, {})})
            return HttpResponseNotAllowed(allowed + (["HEAD"] if "GET" in allowed else []))
        user = request.user
        if perm is None or not user.is_authenticated or user.company_id is None:
            return None  # the view signs in or refuses users without a company itself
        try:
            permission_require(user, perm)
        except PermissionDenied as exc:
            return forbidden(request, exc)
        return None

    def process_exception(self, request, exception):
        # A service's own check (permission_require) refusing inside a page view.
        if isinstance(exception, PermissionDenied) and not request.path.startswith("/api/"):
            return forbidden(request, exception)
        return None


def company_zone(company) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(company.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class CompanyTimeZoneMiddleware:
    """Pages render dates in the signed-in user's company time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        company = getattr(user, "company", None) if user and user.is_authenticated else None
        if company is not None and not request.path.startswith("/api/"):
            timezone.activate(company_zone(company))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def access(request: HttpRequest) -> dict:
    """Template context: `can.<perm with _>` and `role` for hiding what a role cannot do."""
    user = getattr(request, "user", None)
    return {
        "can": Can(user),
        "role": role_of(user),
        "time_zone_name": timezone.get_current_timezone_name(),
    }
