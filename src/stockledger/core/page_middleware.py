"""The middleware only the pages use, run for the pages only.

Sessions, CSRF, the signed-in user, the page role check, the company's time zone and messages
serve the HTML pages. The JSON API authenticates every request with its bearer token and
uses none of them, yet ran them all: about a tenth of an API request's time (issue 15).

`PageMiddleware` stands in MIDDLEWARE where they stood and builds their chain once, as
Django's handler builds its own (`BaseHandler.load_middleware`): each one wrapped in
`convert_exception_to_response`, their `process_view` hooks run in list order and their
`process_exception` hooks innermost first. A page goes through exactly the chain it went
through before; a request under /api/ goes straight on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from .middleware import is_api_request

Handler = Callable[[HttpRequest], HttpResponse]

# What Django's CSRF and admin checks and django-axes look for in MIDDLEWARE (security.W003,
# admin.E408-E410 and axes.W002 are silenced in settings): here they must be in the page
# chain, in this order.
REQUIRED_IN_ORDER = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "stockledger.core.sessions.SessionAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
)


class PageMiddleware:
    """Runs `settings.STOCKLEDGER_PAGE_MIDDLEWARE` for every request outside /api/."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self._view_hooks: list[Callable[..., HttpResponse | None]] = []
        self._exception_hooks: list[Callable[..., HttpResponse | None]] = []
        handler: Handler = get_response
        for path in reversed(settings.STOCKLEDGER_PAGE_MIDDLEWARE):
            try:
                middleware = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if middleware is None:
                raise ImproperlyConfigured(f"Middleware factory {path} returned None.")
            if hasattr(middleware, "process_view"):
                self._view_hooks.insert(0, middleware.process_view)
            if hasattr(middleware, "process_exception"):
                self._exception_hooks.append(middleware.process_exception)
            handler = cast(Handler, convert_exception_to_response(middleware))  # sync only
        self.pages = handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_request(request):
            return self.get_response(request)
        return self.pages(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if is_api_request(request):
            return None
        for hook in self._view_hooks:
            response = hook(request, view, args, kwargs)
            if response is not None:
                return response
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_api_request(request):
            return None
        for hook in self._exception_hooks:
            response = hook(request, exception)
            if response is not None:
                return response
        return None


def check_page_middleware(**_: Any) -> list[checks.CheckMessage]:
    """The CSRF, admin and axes middleware checks, asked of the page chain instead."""
    errors: list[checks.CheckMessage] = []
    if "stockledger.core.page_middleware.PageMiddleware" not in settings.MIDDLEWARE:
        errors.append(checks.Error("PageMiddleware must be in MIDDLEWARE", id="stockledger.E001"))
    chain = list(settings.STOCKLEDGER_PAGE_MIDDLEWARE)
    present = [path for path in REQUIRED_IN_ORDER if path in chain]
    for path in REQUIRED_IN_ORDER:
        if path not in chain:
            errors.append(
                checks.Error(
                    f"{path} must be in STOCKLEDGER_PAGE_MIDDLEWARE", id="stockledger.E002"
                )
            )
    if [chain.index(path) for path in present] != sorted(chain.index(path) for path in present):
        errors.append(
            checks.Error(
                "STOCKLEDGER_PAGE_MIDDLEWARE must keep "
                + ", ".join(REQUIRED_IN_ORDER)
                + " in that order",
                id="stockledger.E003",
            )
        )
    return errors
