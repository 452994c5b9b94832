"""Set or adjust physical on hand (a cycle count) from the product page."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from stockledger.catalog.models import Product, ProductKind
from stockledger.core.errors import DomainError
from stockledger.ledger.services import stock_adjust, stock_set

from ..access import CompanyRequest, company_object_or_404, company_required, is_htmx
from ..forms import OnHandForm, add_domain_error
from .exports import ExportForm
from .log import log_context
from .products import product_context

STOCK_CHANGED = "stock-changed"


@require_POST
@company_required
def product_on_hand(request: CompanyRequest, product_id: int) -> HttpResponse:
    """Validate, call stock_set / stock_adjust, and show the log row it wrote.

    Errors come back inline with status 422; success tells the page (HX-Trigger) to refresh
    its quantities, chart and log.
    """
    product = company_object_or_404(Product, request, product_id)
    product.company = request.company
    form = OnHandForm(request.POST, company=request.company)
    entry = None
    if product.kind == ProductKind.KIT:
        form.add_error(None, f"{product.sku} is a kit: kits hold no stock; count its components.")
    elif product.archived_at is not None:
        form.add_error(None, f"{product.sku} is archived; unarchive it to count it.")
    elif form.is_valid():
        data = form.cleaned_data
        try:
            if data["mode"] == OnHandForm.MODE_SET:
                entry = stock_set(
                    company=request.company,
                    product=product,
                    warehouse=form.warehouse_obj(),
                    physical_on_hand=data["quantity"],
                    user=request.user,
                    note=data["note"],
                    reason=data["reason"] or None,
                )
            else:
                entry = stock_adjust(
                    company=request.company,
                    product=product,
                    warehouse=form.warehouse_obj(),
                    change=data["quantity"],
                    user=request.user,
                    note=data["note"],
                    reason=data["reason"] or None,
                )
        except DomainError as exc:
            add_domain_error(form, exc, OnHandForm.ALIASES)
    if entry is not None:
        form = OnHandForm(company=request.company, initial={"warehouse": str(entry.warehouse_id)})
    context = {"product": product, "on_hand_form": form, "on_hand_entry": entry}
    status = 200 if entry is not None or not form.errors else 422
    if is_htmx(request):
        response = render(request, "web/products/_on_hand.html", context, status=status)
        if entry is not None:
            response["HX-Trigger"] = STOCK_CHANGED
        return response
    context.update(product_context(request, product))
    context.update(log_context(request, product))
    context["export_form"] = ExportForm(product=product)
    return render(request, "web/products/detail.html", context, status=status)
