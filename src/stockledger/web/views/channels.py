"""Sales channels: the list, and one channel's settings (writeback warehouses, location
mapping, writeback rules), its runs, a preview of what it would be told, and its log rows."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stockledger.catalog.models import Product
from stockledger.catalog.services import clean_sku, product_by_sku
from stockledger.channels.jobs import (
    channel_sync_enqueue,
    channel_sync_resume,
    channel_writeback_enqueue,
)
from stockledger.channels.models import (
    ChannelSkuState,
    InboundWebhook,
    SalesChannel,
    ShopifySettings,
    WritebackRule,
)
from stockledger.channels.selectors import (
    ChannelDetail,
    channel_detail,
    channel_health,
    channels_for,
    writeback_preview_lines,
)
from stockledger.channels.services import (
    channel_connect_vendure,
    channel_rule_delete,
    channel_rule_set,
    channel_set_locations,
    channel_set_writeback_warehouses,
)
from stockledger.channels.shopify_services import channel_connect_shopify
from stockledger.core.errors import DomainError
from stockledger.core.limits import QUANTITY_MAX
from stockledger.ledger.models import DocumentType, LogEntry

from ..access import CompanyRequest, company_object_or_404, company_required
from ..forms import add_domain_error

LOG_ROWS = 30
INBOUND_ROWS = 10
PREVIEW_PRODUCTS = 12


class WarehousesForm(forms.Form):
    warehouses = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Writeback warehouses"
    )

    def __init__(self, *args, detail, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouses"].choices = [(str(w.id), w.name) for w in detail.warehouses]
        if not self.is_bound:
            self.initial["warehouses"] = [str(w.id) for w in detail.writeback_warehouses]


class LocationsForm(forms.Form):
    """One text field per warehouse: its id in the channel (blank: not mapped)."""

    def __init__(self, *args, detail, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouse_fields = []
        for row in detail.locations:
            name = f"location-{row.warehouse_id}"
            self.fields[name] = forms.CharField(
                required=False, max_length=255, label=row.warehouse_name, initial=row.location
            )
            self.warehouse_fields.append((row.warehouse_id, name))

    def mapping(self) -> list[dict]:
        return [
            {"warehouse_id": warehouse_id, "location": self.cleaned_data[name]}
            for warehouse_id, name in self.warehouse_fields
            if self.cleaned_data.get(name)
        ]

    def field_for_error(self, field: str | None) -> str | None:
        """`locations[i].location` names the i-th mapped warehouse."""
        if field and field.startswith("locations["):
            index = int(field[len("locations[") :].split("]", 1)[0])
            filled = [name for _, name in self.warehouse_fields if self.cleaned_data.get(name)]
            if index < len(filled):
                return filled[index]
        return None


class VendureForm(forms.Form):
    """Secrets are write-only: the inputs never show them; blank keeps the stored one."""

    admin_url = forms.CharField(
        max_length=2000, label="Admin API URL", help_text="e.g. https://shop.example.com/admin-api"
    )
    username = forms.CharField(max_length=500, required=False, label="Administrator username")
    password = forms.CharField(
        max_length=500,
        required=False,
        label="Password",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    token = forms.CharField(
        max_length=500,
        required=False,
        label="Or a bearer token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class RuleForm(forms.Form):
    sku = forms.CharField(max_length=100, label="SKU")
    maximum = forms.IntegerField(
        required=False, min_value=0, max_value=QUANTITY_MAX, label="Maximum"
    )
    minimum = forms.IntegerField(
        required=False, min_value=-QUANTITY_MAX, max_value=QUANTITY_MAX, label="Minimum"
    )
    percent = forms.IntegerField(required=False, min_value=0, max_value=100, label="Percent")
    reserve = forms.IntegerField(
        required=False, min_value=0, max_value=QUANTITY_MAX, label="Reserve"
    )


class ShopifyForm(forms.Form):
    """Secrets are write-only: the inputs never show them; blank keeps the stored one."""

    shop_domain = forms.CharField(max_length=255, label="Shop domain")
    access_token = forms.CharField(
        required=False,
        max_length=500,
        label="Admin API access token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    webhook_secret = forms.CharField(
        required=False,
        max_length=500,
        label="Webhook signing secret (the app's client secret)",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


def _shopify_context(request: CompanyRequest, channel: SalesChannel, form) -> dict:
    config = ShopifySettings.objects.filter(channel=channel).first()
    shown = channel.cart_type == "shopify" or channel.adapter == "shopify" or form is not None
    if form is None:
        form = ShopifyForm(initial={"shop_domain": config.shop_domain if config else ""})
    token = "not set"
    if config and config.access_token_sealed:
        token = f"set (…{config.access_token_hint})" if config.access_token_hint else "set"
    return {
        "shopify_shown": shown,
        "shopify_form": form,
        "shopify_token": token,
        "shopify_secret_set": bool(config and config.webhook_secret_sealed),
        "shopify_hook_url": request.build_absolute_uri(f"/hooks/{channel.id}/shopify"),
        "inbound": list(
            InboundWebhook.objects.filter(company=request.company, channel=channel)
            .order_by("-id")
            .only("topic", "received_at", "status", "outcome")[:INBOUND_ROWS]
        ),
    }


@company_required
def channel_list(request: CompanyRequest) -> HttpResponse:
    channels = list(channels_for(company=request.company))
    rows = []
    for channel in channels:
        detail = channel_detail(company=request.company, channel=channel, syncs=0)
        rows.append((detail, sum(1 for r in detail.locations if r.location)))
    return render(request, "web/channels/list.html", {"rows": rows})


def _page(
    request: CompanyRequest, channel: SalesChannel, status: int = 200, **forms_
) -> HttpResponse:
    detail = channel_detail(company=request.company, channel=channel)
    products = list(
        Product.objects.filter(company=request.company).order_by("sku")[:PREVIEW_PRODUCTS]
    )
    preview = writeback_preview_lines(
        company=request.company, channel=channel, product_ids=[p.id for p in products]
    )
    written = dict(
        ChannelSkuState.objects.filter(
            channel=channel, product_id__in=[p.id for p in products]
        ).values_list("product_id", "last_written")
    )
    entries = list(
        LogEntry.objects.filter(
            company=request.company,
            document_type=DocumentType.SALES_CHANNEL,
            document_id=channel.id,
        ).order_by("-id")[:LOG_ROWS]
    )
    context = {
        "channel": channel,
        "detail": detail,
        "warehouses_form": forms_.get("warehouses_form") or WarehousesForm(detail=detail),
        "locations_form": forms_.get("locations_form") or LocationsForm(detail=detail),
        "rule_form": forms_.get("rule_form") or RuleForm(),
        **_vendure_context(channel, forms_.get("vendure_form")),
        "preview": [(line, written.get(line.product_id)) for line in preview],
        "entries": entries,
        "log_rows": LOG_ROWS,
        **_shopify_context(request, channel, forms_.get("shopify_form")),
        "health": channel_health(channel=channel),
    }
    return render(request, "web/channels/detail.html", context, status=status)


def _vendure_context(channel: SalesChannel, form) -> dict:
    from stockledger.channels.models import VendureSettings

    config = VendureSettings.objects.filter(channel=channel).first()
    if form is None:
        initial = {"admin_url": config.admin_url, "username": config.username} if config else {}
        form = VendureForm(initial=initial)
    login = "not set"
    if config and config.token_sealed:
        login = f"a bearer token (…{config.token_hint})" if config.token_hint else "a bearer token"
    elif config and config.password_sealed:
        login = f"{config.username}'s password (set)"
    return {"vendure_form": form, "vendure_login": login}


@company_required
def channel_view(request: CompanyRequest, channel_id: int) -> HttpResponse:
    channel = company_object_or_404(SalesChannel, request, channel_id)
    return _page(request, channel)


def _logged(request: CompanyRequest, what: str, rows: int) -> None:
    if rows:
        messages.success(
            request,
            f"{what} saved: {rows} cart_warehouse row{'s' if rows != 1 else ''} logged, one in "
            "each product's log (the newest are below).",
        )
    else:
        messages.info(request, f"{what} unchanged: nothing logged.")


@require_POST
@company_required
def channel_action(request: CompanyRequest, channel_id: int, action: str) -> HttpResponse:
    """Save one section of the settings (or run a writeback); errors come back inline."""
    channel = company_object_or_404(SalesChannel, request, channel_id)
    detail = channel_detail(company=request.company, channel=channel, syncs=0)
    handler = _ACTIONS.get(action)
    if handler is None:
        raise Http404("no such action")
    return handler(request, channel, detail)


def _back(channel: SalesChannel) -> HttpResponse:
    return redirect("web:channel_detail", channel.id)


def _save_warehouses(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    form = WarehousesForm(request.POST, detail=detail)
    if form.is_valid():
        try:
            rows = channel_set_writeback_warehouses(
                company=request.company,
                channel=channel,
                warehouse_ids=[int(w) for w in form.cleaned_data["warehouses"]],
                user=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc, {"warehouse_ids": "warehouses"})
        else:
            _logged(request, "Writeback warehouses", rows)
            return _back(channel)
    return _page(request, channel, 422, warehouses_form=form)


def _save_locations(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    form = LocationsForm(request.POST, detail=detail)
    if form.is_valid():
        try:
            rows = channel_set_locations(
                company=request.company,
                channel=channel,
                locations=form.mapping(),
                user=request.user,
            )
        except DomainError as exc:
            form.add_error(form.field_for_error(exc.field), exc.message)
        else:
            _logged(request, "Location mapping", rows)
            return _back(channel)
    return _page(request, channel, 422, locations_form=form)


def _save_rule(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    form = RuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            product = product_by_sku(company=request.company, sku=clean_sku(data["sku"]))
            channel_rule_set(
                company=request.company,
                channel=channel,
                product=product,
                maximum=data["maximum"],
                minimum=data["minimum"],
                percent=data["percent"],
                reserve=data["reserve"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Rule for {product.sku} saved. It applies from the next writeback run, "
                "whose export rows explain it.",
            )
            return _back(channel)
    return _page(request, channel, 422, rule_form=form)


def _delete_rule(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    rule_id = request.POST.get("rule", "")
    rule = (
        WritebackRule.objects.filter(company=request.company, channel=channel, pk=int(rule_id))
        .select_related("product")
        .first()
        if rule_id.isdigit() and len(rule_id) < 19
        else None
    )
    if rule is None:
        raise Http404("no such rule")
    channel_rule_delete(company=request.company, channel=channel, product=rule.product)
    messages.success(request, f"Rule for {rule.product.sku} removed.")
    return _back(channel)


def _connect_shopify(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    form = ShopifyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            channel_connect_shopify(
                company=request.company,
                channel=channel,
                shop_domain=data["shop_domain"],
                access_token=data["access_token"] or None,
                webhook_secret=data["webhook_secret"] or None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Shopify connection saved.")
            return _back(channel)
    return _page(request, channel, 422, shopify_form=form)


def _connect_vendure(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    form = VendureForm(request.POST)
    if form.is_valid():
        try:
            channel_connect_vendure(company=request.company, channel=channel, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                "Connected to Vendure: the worker imports its orders, reads its quantities "
                "and writes back per mapped stock location from now on.",
            )
            return _back(channel)
    return _page(request, channel, 422, vendure_form=form)


def _queue_run(request: CompanyRequest, channel: SalesChannel, kind: str) -> HttpResponse:
    """Never talk to the channel in a request: queue the run (`writeback`, or a sync of
    `kind`); the worker does it."""
    try:
        if kind == "writeback":
            run = channel_writeback_enqueue(company=request.company, channel=channel)
        else:
            run = channel_sync_enqueue(company=request.company, channel=channel, kind=kind)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Run {run.label} queued: the worker runs it shortly; its outcome shows under "
            "Recent runs.",
        )
    return _back(channel)


def _queue_writeback(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    return _queue_run(request, channel, "writeback")


def _queue_orders(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    return _queue_run(request, channel, "orders")


def _queue_readback(
    request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail
) -> HttpResponse:
    return _queue_run(request, channel, "import")


def _resume(request: CompanyRequest, channel: SalesChannel, detail: ChannelDetail) -> HttpResponse:
    channel_sync_resume(company=request.company, channel=channel)
    messages.success(request, "Sync resumed: every automatic run is due now.")
    return _back(channel)


# The settings page's forms, by the action in their URL (channel_action dispatches).
_ACTIONS: dict[str, Callable[[CompanyRequest, SalesChannel, ChannelDetail], HttpResponse]] = {
    "warehouses": _save_warehouses,
    "locations": _save_locations,
    "rule": _save_rule,
    "rule-delete": _delete_rule,
    "shopify": _connect_shopify,
    "writeback": _queue_writeback,
    "orders": _queue_orders,
    "readback": _queue_readback,
    "vendure": _connect_vendure,
    "resume": _resume,
}
