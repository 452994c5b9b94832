"""What the document pages share: list pages (keyset by id, with their filters), saving a
form with its lines, a 404 for another company's id, and a blank line row."""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.db.models import QuerySet, TextChoices
from django.http import Http404, HttpResponse
from django.shortcuts import render

from stockledger.core.errors import DomainError, InvalidInput, NotFound
from stockledger.core.pagination import id_page

from ..access import CompanyRequest, company_required
from ..forms import add_domain_error
from ..lines import EDITORS, MAX_ROWS, LineItems, line_editor

T = TypeVar("T")

PAGE_SIZE = 50


def newest_first_page(request: CompanyRequest, qs: QuerySet) -> tuple[list, str | None]:
    """One page of a newest-first list (by id); a cursor this app did not make is a 404."""
    cursor = request.GET.get("before") or None
    if cursor is not None and not (cursor.isascii() and len(cursor) <= 500):
        raise Http404("no such page")
    try:
        page = id_page(qs, limit=PAGE_SIZE, cursor=cursor)
    except InvalidInput:
        raise Http404("no such page") from None
    return page.items, page.next_cursor


def list_page(
    request: CompanyRequest, template: str, qs: QuerySet, *, filters: tuple[str, ...], **context
) -> HttpResponse:
    """A document list page: one newest-first page of `qs` (`rows`, `before` for the next
    page) and the `filters` query parameters carried to the next page's link (`query`)."""
    rows, before = newest_first_page(request, qs)
    context |= {"rows": rows, "before": before, "query": list_query(request, *filters)}
    return render(request, template, context)


def status_param(request: CompanyRequest, choices: type[TextChoices]) -> str:
    """The list's `?status=` when it is one of `choices`; "" (every status) otherwise."""
    status = request.GET.get("status", "")
    return status if status in choices.values else ""


def number_param(request: CompanyRequest) -> str | None:
    """The list's `?number=` search, trimmed to what a document number can hold; None if blank."""
    return request.GET.get("number", "").strip()[:100] or None


def save_document(
    form: forms.Form | None, lines: LineItems, save: Callable[[list[dict]], T]
) -> T | None:
    """`save(cleaned lines)` once `form` (when there is one) and `lines` are valid: what it
    returns, or None when the page must show again with its errors. A DomainError the service
    raises shows at the line it names, else at the form field (through the form's `ALIASES`),
    else above the lines."""
    cleaned = lines.clean()
    form_valid = form.is_valid() if form is not None else True
    if not form_valid or cleaned is None:
        return None
    try:
        return save(cleaned)
    except DomainError as exc:
        if not lines.add_service_error(exc):
            if form is not None:
                add_domain_error(form, exc, getattr(form, "ALIASES", None))
            else:
                lines.errors.append(exc.message)
        return None


def found_or_404(fn, **kwargs):
    """Call a selector that raises NotFound for another company's id; make that a 404."""
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None


def list_query(request: CompanyRequest, *names: str) -> str:
    """The list's filters as a query string, for the next page's link."""
    from urllib.parse import urlencode

    return urlencode([(n, request.GET[n]) for n in names if request.GET.get(n)])


@company_required
def line_row(request: CompanyRequest, kind: str) -> HttpResponse:
    """One more blank line for a document form's line list (its "Add a line" button)."""
    if kind not in EDITORS:
        raise Http404("no such line list")
    given = request.GET.get("index", "0")
    index = int(given) if given.isdigit() and int(given) < MAX_ROWS else 0
    lines = line_editor(kind, rows=index + 1)
    context = {"row": lines.rows[index], "lines": lines, "next": index + 1}
    return render(request, "web/partials/line_row.html", context)
