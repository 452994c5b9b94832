"""Purchase orders: the list, and one PO with its receipts, the receive form and its log rows."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from stockledger.core.db_routing import reads_from_replica
from stockledger.core.errors import DomainError
from stockledger.purchasing.models import PurchaseOrderStatus
from stockledger.purchasing.selectors import (
    purchase_order_detail,
    purchase_order_log_entries,
    purchase_orders_for,
)
from stockledger.purchasing.services import purchase_order_receive

from ..access import company_required
from ..forms import add_domain_error
from ..lines import LineItems
from .documents import found_or_404, list_query, newest_first_page


class ReceiptForm(forms.Form):
    number = forms.CharField(max_length=100, label="Goods receipt number")


def receipt_lines(detail, data=None) -> LineItems:
    """One row per PO line, the quantity prefilled with what is still outstanding."""
    fixed = [{"sku": line.product.sku, "line": line} for line in detail.lines]
    initial = [{"quantity": line.outstanding or ""} for line in detail.lines]
    items = LineItems(data, fixed=fixed, allow_zero=True)
    if data is None:
        for row, values in zip(items.rows, initial, strict=True):
            row.values["quantity"] = str(values["quantity"])
    return items


def _next_receipt_number(detail) -> str:
    return f"{detail.purchase_order.number}-R{len(detail.receipts) + 1}"


@company_required
@reads_from_replica
def po_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in PurchaseOrderStatus.values:
        status = ""
    qs = purchase_orders_for(
        company=request.company,
        status=status or None,
        number=request.GET.get("number", "").strip()[:100] or None,
    )
    rows, before = newest_first_page(request, qs)
    context = {
        "rows": rows,
        "before": before,
        "query": list_query(request, "status", "number"),
        "statuses": PurchaseOrderStatus.choices,
        "status": status,
        "number": request.GET.get("number", ""),
    }
    return render(request, "web/purchasing/list.html", context)


@company_required
def po_detail(request: HttpRequest, po_id: int) -> HttpResponse:
    """The PO; a POST records a goods receipt and comes back with the rows it logged."""
    detail = found_or_404(purchase_order_detail, company=request.company, purchase_order_id=po_id)
    status = 200
    if request.method == "POST":
        form = ReceiptForm(request.POST)
        lines = receipt_lines(detail, request.POST)
        cleaned = lines.clean()
        if form.is_valid() and cleaned is not None:
            try:
                receipt, _entries = purchase_order_receive(
                    company=request.company,
                    purchase_order=detail.purchase_order,
                    number=form.cleaned_data["number"],
                    lines=cleaned,
                    user=request.user,
                )
            except DomainError as exc:
                if not lines.add_service_error(exc):
                    add_domain_error(form, exc)
            else:
                messages.success(
                    request, f"Goods receipt {receipt.number} recorded: its log rows are below."
                )
                return redirect("web:po_detail", po_id)
        status = 422
    else:
        form = ReceiptForm(initial={"number": _next_receipt_number(detail)})
        lines = receipt_lines(detail)
    entries = list(
        purchase_order_log_entries(company=request.company, purchase_order=detail.purchase_order)
    )
    context = {
        "detail": detail,
        "po": detail.purchase_order,
        "form": form,
        "lines": lines,
        "entries": entries,
    }
    return render(request, "web/purchasing/detail.html", context, status=status)
