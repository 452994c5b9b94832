"""Returns (RMAs): the list, and one RMA with its receipts, the receive/restock form, its log."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from stockledger.core.db_routing import reads_from_replica
from stockledger.core.documents import next_document_number
from stockledger.orders.models import Order
from stockledger.orders.selectors import order_detail
from stockledger.returns.models import ReturnOrder, ReturnStatus
from stockledger.returns.selectors import return_detail, return_log_entries, returns_for
from stockledger.returns.services import return_create, return_receive

from ..access import CompanyRequest, company_required
from ..forms import DocumentForm
from ..lines import LineItems, line_editor
from .documents import found_or_404, list_page, number_param, save_document, status_param


class ReturnForm(DocumentForm):
    number = forms.CharField(max_length=100, label="RMA number")
    warehouse = forms.ChoiceField(label="Comes back to")
    order = forms.CharField(required=False, widget=forms.HiddenInput)

    ALIASES = {"warehouse_id": "warehouse", "order_id": "order"}


def _order_of(request, value) -> Order | None:
    """The order an RMA is opened from (`?order=` or the form's hidden field): another
    company's id is a 404, like any id in the URL."""
    if not value:
        return None
    return found_or_404(order_detail, company=request.company, order_id=value)


def _lines_of_order(order: Order) -> list[dict]:
    """What is expected back: the units shipped, or those ordered if nothing shipped yet."""
    lines = list(order.lines.all())
    shipped = any(line.shipped for line in lines)
    return [
        {"sku": line.product.sku, "expected_quantity": line.shipped if shipped else line.quantity}
        for line in lines
        if not shipped or line.shipped
    ]


@company_required
def return_new(request: CompanyRequest) -> HttpResponse:
    """Open an RMA by hand, or from an order (`?order=<id>`: its lines, quantities and
    warehouse prefilled). Opening logs `return_order` rows with the expected quantities."""
    if request.method == "POST":
        order = _order_of(request, request.POST.get("order", "").strip())
        form = ReturnForm(request.POST, company=request.company)
        lines = line_editor("return", request.POST)
        saved = save_document(
            form,
            lines,
            lambda cleaned: return_create(
                company=request.company,
                number=form.cleaned_data["number"],
                warehouse=form.warehouse_obj(),
                lines=cleaned,
                order=order,
                user=request.user,
            ),
        )
        if saved is not None:
            rma, _entries = saved
            messages.success(request, f"RMA {rma.number} opened: the log rows it wrote are below.")
            return redirect("web:return_detail", rma.id)
        status = 422
    else:
        order = _order_of(request, request.GET.get("order", "").strip())
        if order is not None:
            initial = {
                "number": f"RMA-{order.order_number}",
                "warehouse": str(order.warehouse_id),
                "order": str(order.id),
            }
            prefilled = _lines_of_order(order)
            lines = line_editor("return", initial=prefilled, rows=len(prefilled) + 1)
        else:
            rmas = ReturnOrder.objects.filter(company=request.company)
            initial = {"number": next_document_number(rmas, prefix="RMA-")}
            lines = line_editor("return")
        form = ReturnForm(initial=initial, company=request.company)
        status = 200
    context = {"form": form, "lines": lines, "order": order}
    return render(request, "web/returns/form.html", context, status=status)


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
def return_list(request: CompanyRequest) -> HttpResponse:
    status = status_param(request, ReturnStatus)
    qs = returns_for(
        company=request.company,
        status=status or None,
        number=number_param(request),
    )
    return list_page(
        request,
        "web/returns/list.html",
        qs,
        filters=("status", "number"),
        statuses=ReturnStatus.choices,
        status=status,
        number=request.GET.get("number", ""),
    )


@company_required
def return_view(request: CompanyRequest, return_id: int) -> HttpResponse:
    """The RMA; a POST records what came back and what was restocked."""
    detail = found_or_404(return_detail, company=request.company, return_id=return_id)
    status = 200
    if request.method == "POST":
        lines = receive_lines(detail, request.POST)
        saved = save_document(
            None,
            lines,
            lambda cleaned: return_receive(
                company=request.company,
                return_order=detail.return_order,
                lines=cleaned,
                user=request.user,
            ),
        )
        if saved is not None:
            messages.success(request, "Receipt recorded: its log rows are below.")
            return redirect("web:return_detail", return_id)
        status = 422
    else:
        lines = receive_lines(detail)
    entries = list(return_log_entries(company=request.company, return_order=detail.return_order))
    context = {"detail": detail, "rma": detail.return_order, "lines": lines, "entries": entries}
    return render(request, "web/returns/detail.html", context, status=status)
