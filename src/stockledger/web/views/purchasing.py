"""Purchase orders: the list, the form to write or edit one, and one PO with its receipts,
the receive form, closing, and its log rows."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stockledger.core.db_routing import reads_from_replica
from stockledger.core.documents import next_document_number
from stockledger.core.errors import DomainError
from stockledger.purchasing.models import PurchaseOrder, PurchaseOrderStatus
from stockledger.purchasing.selectors import (
    purchase_order_detail,
    purchase_order_log_entries,
    purchase_orders_for,
    suppliers_of,
)
from stockledger.purchasing.services import (
    purchase_order_close,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_update,
)

from ..access import CompanyRequest, company_required
from ..forms import DocumentForm
from ..lines import LineItems, line_editor
from .documents import found_or_404, list_page, number_param, save_document, status_param


class ReceiptForm(forms.Form):
    number = forms.CharField(max_length=100, label="Goods receipt number")


class PurchaseOrderForm(DocumentForm):
    number = forms.CharField(max_length=100, label="PO number")
    supplier = forms.CharField(
        required=False,
        max_length=200,
        label="Supplier",
        widget=forms.TextInput({"list": "supplier-options", "autocomplete": "off"}),
    )
    warehouse = forms.ChoiceField(label="Receive at")


def _po_form_page(request, *, form, lines, po=None, status=200) -> HttpResponse:
    context = {
        "form": form,
        "lines": lines,
        "po": po,
        "suppliers": suppliers_of(company=request.company),
    }
    return render(request, "web/purchasing/form.html", context, status=status)


@company_required
def po_new(request: CompanyRequest) -> HttpResponse:
    """Write a purchase order; on success its page, ready to receive against."""
    if request.method == "POST":
        form = PurchaseOrderForm(request.POST, company=request.company)
        lines = line_editor("purchase-order", request.POST)
        po = save_document(
            form,
            lines,
            lambda cleaned: purchase_order_create(
                company=request.company,
                number=form.cleaned_data["number"],
                supplier=form.cleaned_data["supplier"],
                warehouse=form.warehouse_obj(),
                lines=cleaned,
                user=request.user,
            ),
        )
        if po is not None:
            messages.success(request, f"Purchase order {po.number} saved.")
            return redirect("web:po_detail", po.id)
        return _po_form_page(request, form=form, lines=lines, status=422)
    number = next_document_number(
        PurchaseOrder.objects.filter(company=request.company), prefix="PO-"
    )
    sku = request.GET.get("sku", "")[:100]
    form = PurchaseOrderForm(initial={"number": number}, company=request.company)
    lines = line_editor("purchase-order", initial=[{"sku": sku}] if sku else None)
    return _po_form_page(request, form=form, lines=lines)


@company_required
def po_edit(request: CompanyRequest, po_id: int) -> HttpResponse:
    """Change a PO's lines and fields while nothing has been received against it."""
    detail = found_or_404(purchase_order_detail, company=request.company, purchase_order_id=po_id)
    po = detail.purchase_order
    if not detail.editable:
        messages.error(
            request,
            f"Purchase order {po.number} is {po.get_status_display().lower()}: "
            "only a PO nothing has been received against can be edited.",
        )
        return redirect("web:po_detail", po.id)
    if request.method == "POST":
        form = PurchaseOrderForm(request.POST, company=request.company)
        lines = line_editor("purchase-order", request.POST)
        saved = save_document(
            form,
            lines,
            lambda cleaned: purchase_order_update(
                company=request.company,
                purchase_order=po,
                number=form.cleaned_data["number"],
                supplier=form.cleaned_data["supplier"],
                warehouse=form.warehouse_obj(),
                lines=cleaned,
                user=request.user,
            ),
        )
        if saved is not None:
            messages.success(request, f"Purchase order {form.cleaned_data['number']} saved.")
            return redirect("web:po_detail", po.id)
        return _po_form_page(request, form=form, lines=lines, po=po, status=422)
    form = PurchaseOrderForm(
        initial={"number": po.number, "supplier": po.supplier, "warehouse": str(po.warehouse_id)},
        company=request.company,
    )
    initial = [{"sku": li.product.sku, "quantity": li.quantity_ordered} for li in detail.lines]
    lines = line_editor("purchase-order", initial=initial, rows=len(initial) + 1)
    return _po_form_page(request, form=form, lines=lines, po=po)


@require_POST
@company_required
def po_close(request: CompanyRequest, po_id: int) -> HttpResponse:
    """Close the PO: no more receipts. Says how much was still outstanding."""
    detail = found_or_404(purchase_order_detail, company=request.company, purchase_order_id=po_id)
    po = detail.purchase_order
    try:
        purchase_order_close(company=request.company, purchase_order=po, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        outstanding = detail.outstanding
        if outstanding:
            messages.warning(
                request,
                f"Purchase order {po.number} closed with {outstanding} "
                f"unit{'s' if outstanding != 1 else ''} still outstanding: "
                "they will not be received against it.",
            )
        else:
            messages.success(request, f"Purchase order {po.number} closed.")
    return redirect("web:po_detail", po.id)


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
def po_list(request: CompanyRequest) -> HttpResponse:
    status = status_param(request, PurchaseOrderStatus)
    qs = purchase_orders_for(
        company=request.company,
        status=status or None,
        number=number_param(request),
    )
    return list_page(
        request,
        "web/purchasing/list.html",
        qs,
        filters=("status", "number"),
        statuses=PurchaseOrderStatus.choices,
        status=status,
        number=request.GET.get("number", ""),
    )


@company_required
def po_detail(request: CompanyRequest, po_id: int) -> HttpResponse:
    """The PO; a POST records a goods receipt and comes back with the rows it logged."""
    detail = found_or_404(purchase_order_detail, company=request.company, purchase_order_id=po_id)
    status = 200
    if request.method == "POST" and detail.purchase_order.is_closed:
        messages.error(request, f"Purchase order {detail.purchase_order.number} is closed.")
        return redirect("web:po_detail", po_id)
    if request.method == "POST":
        form = ReceiptForm(request.POST)
        lines = receipt_lines(detail, request.POST)
        saved = save_document(
            form,
            lines,
            lambda cleaned: purchase_order_receive(
                company=request.company,
                purchase_order=detail.purchase_order,
                number=form.cleaned_data["number"],
                lines=cleaned,
                user=request.user,
            ),
        )
        if saved is not None:
            receipt, _entries = saved
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
