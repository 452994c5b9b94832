"""Who may use the pages, and company scoping for objects addressed by the URL.

Every page belongs to the signed-in user's company. A user without a company (an operator's
superuser) cannot use them; another company's ids are 404, exactly like ids that never existed.
"""

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from stockledger.core.errors import NotFound
from stockledger.core.ids import MAX_ID
from stockledger.core.requests import CompanyRequest
from stockledger.core.tenancy import get_for_company

M = TypeVar("M", bound=models.Model)


def company_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Sign-in required; sets `request.company` to the user's company or refuses (403)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        company = getattr(user, "company", None)
        if company is None:
            return render(request, "web/no_company.html", status=403)
        scoped = cast(CompanyRequest, request)
        scoped.company = company
        return view(scoped, *args, **kwargs)

    return wrapper


def company_object_or_404(model: type[M], request: CompanyRequest, pk: object) -> M:
    """The object with `pk` in the caller's company; anything else is a 404."""
    try:
        return get_for_company(model, request.company, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def query_id(request: HttpRequest, name: str) -> int | None:
    """The id in query parameter `name`, or None when it is absent or cannot be a row's id
    (not digits, or past 64 bits: such an id matches nothing, like a filter left empty)."""
    value = request.GET.get(name, "")
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
