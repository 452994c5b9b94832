"""Returns (RMAs): the list, and one RMA with its receipts, the receive/restock form, its log."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from stockledger.core.db_routing import reads_from_replica
from stockledger.core.errors import DomainError
from stockledger.returns.models import ReturnStatus
from stockledger.returns.selectors import return_detail, return_log_entries, returns_for
from stockledger.returns.services import return_receive

from ..access import company_required
from ..lines import LineItems
from .documents import found_or_404, list_query, newest_first_page

QUANTITIES = ("received_quantity", "restocked_quantity")


def receive_lines(detail, data=None) -> LineItems:
    """One row per RMA line, prefilled with what is still expected (received and restocked)."""
    fixed = [{"sku": line.product.sku, "line": line} for line in detail.lines]
    items = LineItems(data, quantity_fields=QUANTITIES, fixed=fixed, allow_zero=True)
    if data is None:
        for row, line in zip(items.rows, detail.lines, strict=True):
            due = line.expected_quantity - line.received_quantity
            row.values["received_quantity"] = str(due) if due else ""
            row.values["restocked_quantity"] = str(due) if due else ""
    return items


@company_required
@reads_from_replica
def return_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ReturnStatus.values:
        status = ""
    qs = returns_for(
        company=request.company,
        status=status or None,
        number=request.GET.get("number", "").strip()[:100] or None,
    )
    rows, before = newest_first_page(request, qs)
    context = {
        "rows": rows,
        "before": before,
        "query": list_query(request, "status", "number"),
        "statuses": ReturnStatus.choices,
        "status": status,
        "number": request.GET.get("number", ""),
    }
    return render(request, "web/returns/list.html", context)


@company_required
def return_view(request: HttpRequest, return_id: int) -> HttpResponse:
    """The RMA; a POST records what came back and what was restocked."""
    detail = found_or_404(return_detail, company=request.company, return_id=return_id)
    status = 200
    if request.method == "POST":
        lines = receive_lines(detail, request.POST)
        cleaned = lines.clean()
        if cleaned is not None:
            try:
                return_receive(
                    company=request.company,
                    return_order=detail.return_order,
                    lines=cleaned,
                    user=request.user,
                )
            except DomainError as exc:
                if not lines.add_service_error(exc):
                    lines.errors.append(exc.message)
            else:
                messages.success(request, "Receipt recorded: its log rows are below.")
                return redirect("web:return_detail", return_id)
        status = 422
    else:
        lines = receive_lines(detail)
    entries = list(return_log_entries(company=request.company, return_order=detail.return_order))
    context = {"detail": detail, "rma": detail.return_order, "lines": lines, "entries": entries}
    return render(request, "web/returns/detail.html", context, status=status)
