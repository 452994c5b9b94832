"""Manufacturing orders: the list, and one MO with its components, the finish form, its log."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from stockledger.catalog.models import BomLine, Product, ProductKind
from stockledger.core.db_routing import reads_from_replica
from stockledger.core.documents import next_document_number
from stockledger.core.errors import DomainError
from stockledger.core.limits import ORDER_QUANTITY_MAX, QUANTITY_MAX
from stockledger.manufacturing.models import ManufacturingOrder, MoStatus
from stockledger.manufacturing.selectors import (
    bom_component_needs,
    mo_component_needs,
    mo_detail,
    mo_log_entries,
    mos_list,
)
from stockledger.manufacturing.services import mo_create, mo_finish
from stockledger.warehouses.models import Warehouse

from ..access import CompanyRequest, company_required
from ..forms import DocumentForm, add_domain_error
from .documents import found_or_404, list_page, status_param


class FinishForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=QUANTITY_MAX, label="Units to finish")


class MoForm(DocumentForm):
    number = forms.CharField(max_length=100, label="MO number")
    sku = forms.CharField(
        max_length=100,
        label="Product to make (SKU)",
        widget=forms.TextInput(
            {"list": "sku-options", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    quantity = forms.IntegerField(min_value=1, max_value=ORDER_QUANTITY_MAX, label="Units to make")
    warehouse = forms.ChoiceField(label="Made in")

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.filter(company=self.company, sku=sku).first()
        if product is None:
            raise forms.ValidationError(f"unknown SKU {sku!r}")
        self.product = product
        return sku


def components_check(company, data) -> dict:
    """The "do the components suffice?" table for the values typed so far (may be partial)."""
    sku = str(data.get("sku", "")).strip()[:100]
    quantity = str(data.get("quantity", "")).strip()
    warehouse_id = str(data.get("warehouse", "")).strip()
    product = Product.objects.filter(company=company, sku=sku).first() if sku else None
    warehouse = (
        Warehouse.objects.filter(company=company, pk=int(warehouse_id)).first()
        if warehouse_id.isdigit()
        else None
    )
    units = (
        int(quantity) if quantity.isdigit() and 0 < int(quantity) <= ORDER_QUANTITY_MAX else None
    )
    check: dict[str, Any] = {
        "product": product,
        "warehouse": warehouse,
        "units": units,
        "needs": None,
    }
    if not sku:
        check["message"] = "Type the SKU of a product with a bill of materials."
    elif product is None:
        check["message"] = f"No product has the SKU {sku!r}."
    elif (
        product.kind != ProductKind.MANUFACTURED
        or not BomLine.objects.filter(product=product).exists()
    ):
        check["message"] = f"{product.sku} has no bill of materials: it cannot be manufactured."
    elif warehouse is None:
        check["message"] = "Choose the warehouse it is made in."
    elif units is None:
        check["message"] = "Give the number of units to make."
    else:
        needs = bom_component_needs(product=product, units=units, warehouse=warehouse)
        check["needs"] = needs
        check["suffices"] = not any(n.short_by for n in needs)
    return check


def _mo_form_page(request, form, check, status=200) -> HttpResponse:
    return render(
        request, "web/manufacturing/form.html", {"form": form, "check": check}, status=status
    )


@company_required
def mo_new(request: CompanyRequest) -> HttpResponse:
    """Start a manufacturing order, with a live table of whether the components suffice."""
    if request.method == "POST":
        form = MoForm(request.POST, company=request.company)
        if form.is_valid():
            try:
                mo = mo_create(
                    company=request.company,
                    number=form.cleaned_data["number"],
                    product=form.product,
                    quantity=form.cleaned_data["quantity"],
                    warehouse=form.warehouse_obj(),
                    user=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc, MoForm.ALIASES)
            else:
                messages.success(
                    request, f"MO {mo.number} started: finish it when the units are made."
                )
                return redirect("web:mo_detail", mo.id)
        return _mo_form_page(request, form, components_check(request.company, request.POST), 422)
    mos = ManufacturingOrder.objects.filter(company=request.company)
    initial = {"number": next_document_number(mos, prefix="MO-")}
    for name in ("sku", "quantity", "warehouse"):
        if request.GET.get(name):
            initial[name] = request.GET[name][:100]
    form = MoForm(initial=initial, company=request.company)
    return _mo_form_page(request, form, components_check(request.company, initial))


@company_required
def mo_new_check(request: CompanyRequest) -> HttpResponse:
    """The components table for the MO form's current values (fetched as they are typed)."""
    return render(
        request,
        "web/manufacturing/_check.html",
        {"check": components_check(request.company, request.GET)},
    )


@company_required
@reads_from_replica
def mo_list(request: CompanyRequest) -> HttpResponse:
    status = status_param(request, MoStatus)
    qs = mos_list(company=request.company, status=status or None)
    return list_page(
        request,
        "web/manufacturing/list.html",
        qs,
        filters=("status",),
        statuses=MoStatus.choices,
        status=status,
    )


@company_required
def mo_view(request: CompanyRequest, mo_id: int) -> HttpResponse:
    """The MO; a POST finishes units of it (making the product, consuming its components)."""
    mo = found_or_404(mo_detail, company=request.company, mo_id=mo_id)
    status = 200
    if request.method == "POST":
        form = FinishForm(request.POST)
        if form.is_valid():
            try:
                mo_finish(
                    company=request.company,
                    mo=mo,
                    quantity=form.cleaned_data["quantity"],
                    user=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"MO {mo.number}: finished. Its log rows are below.")
                return redirect("web:mo_detail", mo_id)
        status = 422
    else:
        form = FinishForm(initial={"quantity": mo.remaining or None})
    needs = mo_component_needs(mo=mo)
    entries = list(mo_log_entries(company=request.company, mo=mo))
    check = {
        "needs": needs,
        "units": mo.remaining,
        "warehouse": mo.warehouse,
        "product": mo.product,
    }
    check["suffices"] = not any(n.short_by for n in needs)
    context = {"mo": mo, "form": form, "check": check, "entries": entries}
    return render(request, "web/manufacturing/detail.html", context, status=status)
