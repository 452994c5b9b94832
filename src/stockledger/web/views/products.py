"""Products tab: the searchable list and the product page (quantities, kit, BOM, channels)."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render

from stockledger.catalog.models import BomLine, KitComponent, Product, ProductKind
from stockledger.catalog.selectors import products_search, quantities_for
from stockledger.catalog.selectors import sku_suggestions as sku_suggestions_for
from stockledger.channels.models import ChannelSkuState, SalesChannel
from stockledger.channels.selectors import writeback_preview_lines
from stockledger.channels.writeback import WritebackLine
from stockledger.core.db_routing import reads_from_replica
from stockledger.ledger.models import EventType, LogEntry
from stockledger.warehouses.models import Warehouse

from ..access import CompanyRequest, company_object_or_404, company_required, is_htmx
from ..forms import OnHandForm
from .exports import ExportForm
from .log import log_context

PAGE_SIZE = 50


@company_required
@reads_from_replica
def product_list(request: CompanyRequest) -> HttpResponse:
    """Products by SKU, 50 a page; keyset on the SKU (unique per company), never OFFSET."""
    query = request.GET.get("q", "").strip()[:100]
    after = request.GET.get("after", "")[:100]
    show_archived = request.GET.get("archived") == "1"
    qs = products_search(
        company=request.company, search=query or None, archived=None if show_archived else False
    )
    if after:
        qs = qs.filter(sku__gt=after)
    products = list(qs[: PAGE_SIZE + 1])
    next_after = None
    if len(products) > PAGE_SIZE:
        products = products[:PAGE_SIZE]
        next_after = products[-1].sku
    for product in products:
        product.company = request.company  # quantities_for reads it; spare the query
    quantities = quantities_for(products)
    rows = [(p, quantities[p.id]) for p in products]
    context = {
        "rows": rows,
        "query": query,
        "after": after,
        "next_after": next_after,
        "show_archived": show_archived,
        "filters": urlencode([("q", query)] * bool(query) + [("archived", "1")] * show_archived),
        # Empty states invite the first warehouse and the first product.
        "has_warehouses": Warehouse.objects.filter(
            company=request.company, archived_at__isnull=True
        ).exists(),
    }
    template = "web/products/_results.html" if is_htmx(request) else "web/products/list.html"
    return render(request, template, context)


@company_required
def sku_suggestions(request: CompanyRequest) -> HttpResponse:
    """Up to 20 SKUs starting with what was typed, as <option>s for a form's datalist."""
    typed = next((str(v) for k, v in request.GET.items() if k.endswith("sku")), "").strip()[:100]
    skus = sku_suggestions_for(
        company=request.company, typed=typed, purpose=request.GET.get("for", "")
    )
    return render(request, "web/products/_sku_options.html", {"skus": skus})


@dataclass
class ComponentRow:
    component: Product
    quantity: int
    available_on_hand: int
    physical_on_hand: int
    makes: int  # whole kits (or units) this component allows
    limits: bool = False


def _component_rows(lines: list) -> list[ComponentRow]:
    components = [line.component for line in lines]
    quantities = quantities_for(components)
    rows = []
    for line in lines:
        q = quantities[line.component_id]
        rows.append(
            ComponentRow(
                component=line.component,
                quantity=line.quantity,
                available_on_hand=q.available_on_hand,
                physical_on_hand=q.physical_on_hand,
                makes=max(0, q.available_on_hand // line.quantity),
            )
        )
    if rows:
        least = min(r.makes for r in rows)
        for r in rows:
            r.limits = r.makes == least
    return rows


@dataclass
class ChannelRow:
    channel: SalesChannel
    last_written: ChannelSkuState | None  # what we last wrote back
    last_import: LogEntry | None  # what the channel last said it shows
    would_write: WritebackLine | None  # what a writeback run would write now, and why


# How far back the product page looks for each channel's last import row: a bounded read on
# the (product, created_at) index, however long the log.
RECENT_ROWS = 5000


def _channel_rows(product: Product) -> list[ChannelRow]:
    """Each channel: what we last wrote, what it last showed, what we would write now."""
    channels = list(SalesChannel.objects.filter(company=product.company).order_by("name"))
    if not channels:
        return []
    written = {
        state.channel_id: state
        for state in ChannelSkuState.objects.filter(product=product, channel__in=channels)
    }
    recent = (
        LogEntry.objects.filter(product=product)
        .order_by("-created_at", "-id")
        .values_list("id", "event_type", "cart_id", "recorded_at")[:RECENT_ROWS]
    )
    last_import: dict[int, tuple[int, object]] = {}
    for pk, event_type, cart_id, recorded_at in recent:
        if event_type == EventType.IMPORT.value and cart_id is not None:
            last_import.setdefault(cart_id, (pk, recorded_at))
    # By the primary key (id, recorded_at): on PostgreSQL only the months holding them are read.
    imports = {
        entry.pk: entry
        for entry in LogEntry.objects.filter(
            id__in=[pk for pk, _ in last_import.values()],
            recorded_at__in=[at for _, at in last_import.values()],
        )
    }
    rows = []
    for channel in channels:
        would: WritebackLine | None
        [would] = writeback_preview_lines(
            company=product.company, channel=channel, product_ids=[product.id]
        ) or [None]  # type: ignore[list-item]  # None: the channel would be told nothing
        rows.append(
            ChannelRow(
                channel,
                written.get(channel.id),
                imports.get(last_import[channel.id][0]) if channel.id in last_import else None,
                would,
            )
        )
    return rows


def product_context(request: CompanyRequest, product: Product) -> dict:
    quantities = quantities_for([product])[product.id]
    kit_rows = bom_rows = []
    if product.kind == ProductKind.KIT:
        kit_rows = _component_rows(
            list(
                KitComponent.objects.filter(kit=product)
                .select_related("component")
                .order_by("component__sku")
            )
        )
    if product.kind == ProductKind.MANUFACTURED:
        bom_rows = _component_rows(
            list(
                BomLine.objects.filter(product=product)
                .select_related("component")
                .order_by("component__sku")
            )
        )
    part_of = list(
        Product.objects.filter(kit_components__component=product).order_by("sku")[:20]
    ) + list(Product.objects.filter(bom_lines__component=product).order_by("sku")[:20])
    return {
        "product": product,
        "quantities": quantities,
        "kit_rows": kit_rows,
        "bom_rows": bom_rows,
        "part_of": part_of,
        "channel_rows": _channel_rows(product),
    }


@company_required
def product_detail(request: CompanyRequest, product_id: int) -> HttpResponse:
    product = company_object_or_404(Product, request, product_id)
    product.company = request.company
    context = product_context(request, product)
    context.update(log_context(request, product))
    if product.kind != ProductKind.KIT and product.archived_at is None:
        context["on_hand_form"] = OnHandForm(company=request.company)
    context["export_form"] = ExportForm(product=product)
    return render(request, "web/products/detail.html", context)


@company_required
def product_quantities(request: CompanyRequest, product_id: int) -> HttpResponse:
    """The quantities block alone, refreshed after a change made on the page."""
    product = company_object_or_404(Product, request, product_id)
    product.company = request.company
    return render(request, "web/products/_quantities.html", product_context(request, product))
