"""Products in the pages: create, edit (SKU, name, kind), a kit's components and a
manufactured product's bill of materials, archive, unarchive and delete.

The forms check the shape of the input; the catalog services check the rest (SKU rules,
look-alikes, archived components) and their refusals are shown next to the field or line.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from stockledger.catalog.models import BomLine, KitComponent, Product, ProductKind
from stockledger.catalog.services import (
    product_archive,
    product_create,
    product_delete,
    product_has_log,
    product_set_bom,
    product_set_components,
    product_unarchive,
    product_update,
)
from stockledger.core.errors import DomainError, InvalidInput

from ..access import CompanyRequest, company_object_or_404, company_required
from ..forms import add_domain_error
from ..lines import MAX_ROWS, LineItems

KIND_CHOICES = [
    (ProductKind.SIMPLE.value, "Simple product (holds its own stock)"),
    (ProductKind.KIT.value, "Kit (sold as a set of components; no stock of its own)"),
    (ProductKind.MANUFACTURED.value, "Manufactured (made from a bill of materials)"),
]


class ProductForm(forms.Form):
    # Lengths are checked by the service, so its message (naming the limit) is the one shown.
    sku = forms.CharField(label="SKU", max_length=1000, strip=False)
    name = forms.CharField(label="Name", max_length=1000)
    kind = forms.ChoiceField(label="Kind", choices=KIND_CHOICES, initial=ProductKind.SIMPLE)

    def __init__(self, *args, locked_sku: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        if locked_sku:
            self.fields["sku"].disabled = True
            self.fields[
                "sku"
            ].help_text = (
                "The SKU cannot change once the product has log rows (they name it by SKU)."
            )


def _lines_of(product: Product) -> list[dict]:
    qs: QuerySet[KitComponent] | QuerySet[BomLine]
    if product.kind == ProductKind.KIT:
        qs = KitComponent.objects.filter(kit=product)
    elif product.kind == ProductKind.MANUFACTURED:
        qs = BomLine.objects.filter(product=product)
    else:
        return []
    return [
        {"sku": sku, "quantity": quantity}
        for sku, quantity in qs.order_by("id").values_list("component__sku", "quantity")
    ]


def component_lines(data=None, *, initial: list[dict] | None = None) -> LineItems:
    rows = max(3, len(initial or []) + 1)
    return LineItems(data, text_fields=("sku",), rows=rows, initial=initial)


def _without_removed(data: QueryDict) -> QueryDict:
    """The posted lines with every row ticked "Remove" blanked (so it is left out)."""
    data = data.copy()
    for key in list(data):
        match = re.match(r"^line-(\d+)-remove$", key)
        if match:
            i = match.group(1)
            data[f"line-{i}-sku"] = ""
            data[f"line-{i}-quantity"] = ""
    return data


def _lines_error(lines: LineItems, exc: DomainError) -> None:
    """A service error naming components[k].sku / bom[k].quantity, shown on row k."""
    field = re.sub(r"^(components|bom)(?=\[|$)", "lines", exc.field or "")
    if not lines.add_service_error(InvalidInput(exc.message, field=field)):
        lines.errors.append(exc.message)


def _edit_page(
    request: CompanyRequest,
    product: Product,
    *,
    form: ProductForm | None = None,
    lines: LineItems | None = None,
    status: int = 200,
) -> HttpResponse:
    has_log = product_has_log(product)
    if form is None:
        form = ProductForm(
            initial={"sku": product.sku, "name": product.name, "kind": product.kind},
            locked_sku=has_log,
        )
    if lines is None:
        lines = component_lines(initial=_lines_of(product))
    context = {
        "product": product,
        "form": form,
        "lines": lines,
        "has_log": has_log,
        "has_lines": product.kind in (ProductKind.KIT, ProductKind.MANUFACTURED),
    }
    return render(request, "web/products/edit.html", context, status=status)


@company_required
def product_new(request: CompanyRequest) -> HttpResponse:
    """The new product form; a kit or manufactured product goes on to its lines."""
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                product = product_create(
                    company=request.company,
                    sku=form.cleaned_data["sku"],
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if product.kind == ProductKind.SIMPLE:
                    messages.success(request, f"Product {product.sku} created.")
                    return redirect("web:product_detail", product.id)
                what = "components" if product.kind == ProductKind.KIT else "bill of materials"
                messages.success(request, f"Product {product.sku} created: now add its {what}.")
                return redirect(reverse("web:product_edit", args=[product.id]) + "#lines")
        status = 422
    else:
        kind = request.GET.get("kind", "")
        form = ProductForm(initial={"kind": kind if kind in ProductKind.values else "simple"})
        status = 200
    return render(request, "web/products/new.html", {"form": form}, status=status)


@company_required
def product_edit(request: CompanyRequest, product_id: int) -> HttpResponse:
    """Edit the SKU (while no log rows name it), the name and the kind."""
    product = company_object_or_404(Product, request, product_id)
    if request.method != "POST":
        return _edit_page(request, product)
    form = ProductForm(
        request.POST, initial={"sku": product.sku}, locked_sku=product_has_log(product)
    )
    if form.is_valid():
        try:
            product_update(
                company=request.company,
                product=product,
                sku=form.cleaned_data["sku"],
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Product {product.sku} saved.")
            return redirect("web:product_edit", product.id)
    product.refresh_from_db()
    return _edit_page(request, product, form=form, status=422)


@company_required
@require_POST
def product_lines(request: CompanyRequest, product_id: int) -> HttpResponse:
    """Save a kit's components or a manufactured product's bill of materials (all lines)."""
    product = company_object_or_404(Product, request, product_id)
    lines = component_lines(_without_removed(request.POST))
    cleaned = lines.clean()
    if cleaned is not None:
        try:
            if product.kind == ProductKind.KIT:
                product_set_components(company=request.company, product=product, components=cleaned)
            else:
                product_set_bom(company=request.company, product=product, bom=cleaned)
        except DomainError as exc:
            _lines_error(lines, exc)
        else:
            what = "Components" if product.kind == ProductKind.KIT else "Bill of materials"
            messages.success(request, f"{what} of {product.sku} saved.")
            return redirect("web:product_detail", product.id)
    return _edit_page(request, product, lines=lines, status=422)


@company_required
def product_line_row(request: CompanyRequest) -> HttpResponse:
    """One more blank line for the components / BOM form (the "Add a line" button)."""
    given = request.GET.get("index", "0")
    index = int(given) if given.isdigit() and int(given) < MAX_ROWS else 0
    lines = LineItems(text_fields=("sku",), rows=index + 1)
    return render(
        request,
        "web/products/_component_line.html",
        {"row": lines.rows[index], "next": index + 1 if index + 1 < MAX_ROWS else None},
    )


@company_required
@require_POST
def product_archive_view(request: CompanyRequest, product_id: int) -> HttpResponse:
    product = company_object_or_404(Product, request, product_id)
    product_archive(company=request.company, product=product)
    messages.success(
        request,
        f"{product.sku} archived: hidden from lists and refused in new documents. "
        "Its log stays below.",
    )
    return redirect("web:product_detail", product.id)


@company_required
@require_POST
def product_unarchive_view(request: CompanyRequest, product_id: int) -> HttpResponse:
    product = company_object_or_404(Product, request, product_id)
    product_unarchive(company=request.company, product=product)
    messages.success(request, f"{product.sku} is active again.")
    return redirect("web:product_detail", product.id)


@company_required
@require_POST
def product_delete_view(request: CompanyRequest, product_id: int) -> HttpResponse:
    product = company_object_or_404(Product, request, product_id)
    sku = product.sku
    try:
        product_delete(company=request.company, product=product)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:product_edit", product.id)
    messages.success(request, f"{sku} deleted.")
    return redirect("web:product_list")
