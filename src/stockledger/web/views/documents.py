"""What the document pages share: keyset pages by id, and a document's log rows."""

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render

from stockledger.core.errors import InvalidInput, NotFound
from stockledger.core.pagination import id_page

from ..access import CompanyRequest, company_required
from ..lines import EDITORS, MAX_ROWS, line_editor

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
