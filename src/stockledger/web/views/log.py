"""A product's Inventory Log table (filters, keyset pages) and its chart over time."""

from functools import partial
from urllib.parse import urlencode

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject

from stockledger.catalog.models import Product, ProductKind
from stockledger.core.db_routing import reads_from_replica
from stockledger.core.errors import InvalidInput
from stockledger.ledger.api import decode_cursor, encode_cursor, plain_log_entries
from stockledger.ledger.selectors import log_entries, log_page
from stockledger.warehouses.models import Warehouse

from .. import chart as charts
from ..access import CompanyRequest, company_object_or_404, company_required, is_htmx, query_id
from ..forms import LogFilterForm

LOG_PAGE_SIZE = 50
FILTER_PARAMS = ("event_type", "warehouse", "channel", "reason", "since", "until", "components")


def _filter_query(params: QueryDict) -> str:
    """The filters of a request as a query string (for links to the next page)."""
    kept = [(k, params[k]) for k in FILTER_PARAMS if params.get(k)]
    return urlencode(kept)


def log_context(request: CompanyRequest, product: Product) -> dict:
    """The log table of `product` as the request's filters and cursor select it."""
    is_kit = product.kind == ProductKind.KIT
    params = {k: v for k, v in request.GET.items() if k in FILTER_PARAMS}
    # A kit's own rows are few (its order lines); by default its components' rows come too.
    new_form = partial(LogFilterForm, company=request.company, initial={"components": is_kit})
    # Without filters the form is only shown, so it is built only if the page shows it (the
    # next rows of the log do not; issue 15).
    form = new_form(request.GET) if params else SimpleLazyObject(new_form)
    bound = bool(params)
    product_ids = [product.id]
    filters: dict = {}
    rows: list = []
    next_cursor = None
    error = None
    if bound and not form.is_valid():
        error = "Fix the filters to see the log."
    else:
        with_components = is_kit
        if bound:
            filters = form.selector_filters()
            with_components = is_kit and bool(form.cleaned_data.get("components"))
        if with_components:
            product_ids += list(product.kit_components.values_list("component_id", flat=True))
        try:
            cursor = decode_cursor(request.GET.get("cursor"))
            if filters or len(product_ids) > 1:
                qs = log_entries(company=request.company, product_ids=product_ids, **filters)
                rows, next_key = log_page(qs, limit=LOG_PAGE_SIZE, cursor=cursor, newest_first=True)
            else:  # the page as a product opens and pages on: one fixed query
                rows, next_key = plain_log_entries(
                    company_id=request.company.id,
                    product_id=product.id,
                    limit=LOG_PAGE_SIZE,
                    cursor=cursor,
                )
            next_cursor = encode_cursor(next_key)
        except InvalidInput as exc:
            error = exc.message
    return {
        "product": product,
        "log_form": form,
        "log_rows": rows,
        "log_next_cursor": next_cursor,
        "log_filter_query": _filter_query(request.GET),
        "log_error": error,
        "log_filtered": bound,
        "log_show_sku": len(product_ids) > 1,
        "log_is_continuation": bool(request.GET.get("cursor")),
    }


@company_required
@reads_from_replica
def product_log(request: CompanyRequest, product_id: int) -> HttpResponse:
    """The log table (filters changed) or its next rows (a cursor), for HTMX swaps."""
    product = company_object_or_404(Product, request, product_id)
    context = log_context(request, product)
    if request.GET.get("cursor") and is_htmx(request):
        # Rows only: nothing in them needs the request's context processors.
        return HttpResponse(render_to_string("web/log/_rows.html", context))
    return render(request, "web/log/_table.html", context)


@company_required
@reads_from_replica
def product_chart(request: CompanyRequest, product_id: int) -> HttpResponse:
    """The chart of physical and available on hand (total or one warehouse) as inline SVG."""
    product = company_object_or_404(Product, request, product_id)
    product.company = request.company
    range_key = request.GET.get("range", charts.DEFAULT_RANGE)
    if range_key not in charts.RANGES:
        range_key = charts.DEFAULT_RANGE
    warehouse = None
    warehouse_id = query_id(request, "warehouse")
    if warehouse_id:
        warehouse = Warehouse.objects.filter(company=request.company, pk=warehouse_id).first()
    chart = charts.build_chart(product, warehouse=warehouse, days=charts.RANGES[range_key])
    context = {
        "product": product,
        "chart": chart,
        "range_key": range_key,
        "ranges": [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("all", "All")],
        "warehouse": warehouse,
        "warehouses": Warehouse.objects.filter(company=request.company).order_by("name"),
    }
    return render(request, "web/log/_chart.html", context)
