"""Exports: the Export Inventory Log form on a product, Activity -> Exports, downloads."""

import functools
import zoneinfo
from typing import cast

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from stockledger.catalog.models import Product, ProductKind
from stockledger.core.errors import Conflict, DomainError, NotFound
from stockledger.exports.downloads import export_download
from stockledger.exports.models import Export, ExportFormat, ExportStatus
from stockledger.exports.selectors import exports_for_company, exports_page
from stockledger.exports.services import export_create
from stockledger.ledger.models import EventType
from stockledger.warehouses.models import Warehouse

from ..access import CompanyRequest, company_object_or_404, company_required, is_htmx
from ..forms import QuickSelect, add_domain_error, day_end, day_start

PAGE_SIZE = 50
TIMESTAMP_FORMAT_CHOICES = [
    ("iso", "ISO 8601 with offset (2026-12-01T06:26:03.131053-05:00)"),
    ("spreadsheet", "Spreadsheet dates, local time (2026-12-01 06:26:03.131)"),
]


@functools.cache
def zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def company_zone(company) -> str:
    """The company's time zone (its setting where there is one), else UTC."""
    return getattr(company, "time_zone", "") or "UTC"


ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ExportForm(forms.Form):
    """What to export of one product's log. Dates are whole days in UTC, `until` inclusive."""

    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    event_types = forms.MultipleChoiceField(
        required=False,
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Events (none ticked: all)",
    )
    warehouses = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Warehouses (none ticked: all)"
    )
    include_components = forms.BooleanField(
        required=False, label="Include its components' rows (tagged by SKU)"
    )
    format = forms.ChoiceField(
        choices=ExportFormat.choices, initial=ExportFormat.CSV, widget=forms.RadioSelect
    )
    timezone = forms.ChoiceField(
        required=False, label="Time zone of the times in the file", widget=QuickSelect
    )
    timestamp_format = forms.ChoiceField(
        required=False,
        choices=TIMESTAMP_FORMAT_CHOICES,
        initial="iso",
        widget=forms.RadioSelect,
        label="Times in a CSV",
    )

    ALIASES = {"warehouse_ids": "warehouses", "include_components": "include_components"}

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        warehouses = Warehouse.objects.filter(company=product.company).order_by("name")
        cast(forms.ChoiceField, self.fields["warehouses"]).choices = [
            (str(w.id), w.name) for w in warehouses
        ]
        cast(forms.ChoiceField, self.fields["timezone"]).choices = zone_choices()
        self.fields["timezone"].initial = company_zone(product.company)
        if product.kind != ProductKind.KIT:
            del self.fields["include_components"]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", "The end date is before the start date.")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        return {
            "product_id": self.product.id,
            "include_components": bool(data.get("include_components")),
            "since": day_start(data.get("since"), tz),
            "until": day_end(data.get("until"), tz),
            "event_types": data.get("event_types") or None,
            "warehouse_ids": [int(w) for w in data.get("warehouses") or []] or None,
            "format": data["format"],
            "timezone": data.get("timezone") or company_zone(self.product.company),
            "timestamp_format": data.get("timestamp_format") or "iso",
        }


def _service_field(exc: DomainError) -> DomainError:
    """The service names list items (`warehouse_ids[0]`, `event_types[1]`): point at the list."""
    if exc.field and "[" in exc.field:
        exc.field = exc.field.split("[", 1)[0]
    return exc


@require_POST
@company_required
def product_export(request: CompanyRequest, product_id: int) -> HttpResponse:
    """Ask for an export of the product's log; answer where to find it when it is done."""
    product = company_object_or_404(Product, request, product_id)
    product.company = request.company
    form = ExportForm(request.POST, product=product)
    export = None
    if form.is_valid():
        try:
            export = export_create(
                company=request.company, user=request.user, **form.service_arguments()
            )
        except DomainError as exc:
            add_domain_error(form, _service_field(exc), ExportForm.ALIASES)
    context = {"product": product, "export_form": form, "export": export}
    status = 200 if export is not None else 422
    template = "web/exports/_form.html" if is_htmx(request) else "web/exports/requested.html"
    response = render(request, template, context, status=status)
    if export is not None:
        response["HX-Trigger"] = "export-started"
    return response


@company_required
def product_export_form(request: CompanyRequest, product_id: int) -> HttpResponse:
    """A fresh export form (after one was asked for)."""
    product = company_object_or_404(Product, request, product_id)
    product.company = request.company
    context = {"product": product, "export_form": ExportForm(product=product)}
    return render(request, "web/exports/_form.html", context)


def active_exports(company) -> int:
    """How many of the company's exports are queued or running (the Activity badge)."""
    return Export.objects.filter(company=company, status__in=ACTIVE).count()


@company_required
def export_list(request: CompanyRequest) -> HttpResponse:
    """The company's exports, newest first; the table polls itself while any is running."""
    before = request.GET.get("before", "")
    before_id = int(before) if before.isdigit() and len(before) < 19 else None
    rows, next_before = exports_page(
        exports_for_company(company=request.company), limit=PAGE_SIZE, before_id=before_id
    )
    warehouses = dict(Warehouse.objects.filter(company=request.company).values_list("id", "name"))
    context = {
        "rows": [(export, _summary(export, warehouses)) for export in rows],
        "next_before": next_before,
        "before": before_id,
        "polling": any(e.status in ACTIVE for e in rows) or active_exports(request.company) > 0,
        "now": timezone.now(),
    }
    if is_htmx(request) and request.GET.get("partial"):
        return render(request, "web/exports/_table.html", context)
    return render(request, "web/exports/list.html", context)


def _summary(export: Export, warehouses: dict[int, str]) -> list[str]:
    """What the export asked for, in words."""
    p = export.parameters or {}
    parts = []
    if p.get("since") or p.get("until"):
        since = (p.get("since") or "")[:10] or "the start"
        until = (p.get("until") or "")[:16].replace("T", " ") or "now"
        parts.append(f"from {since} until {until}")
    if p.get("interval"):
        parts.append(f"the last {p['interval']}")
    if p.get("event_types"):
        parts.append("events: " + ", ".join(p["event_types"]))
    if p.get("warehouse_ids"):
        names = [warehouses.get(w, f"#{w}") for w in p["warehouse_ids"]]
        parts.append("warehouses: " + ", ".join(names))
    if p.get("skus"):
        parts.append(f"{len(p['skus'])} SKUs")
    if p.get("search"):
        parts.append(f"matching {p['search']!r}")
    return parts


@company_required
def export_file(request: CompanyRequest, export_id: int) -> HttpResponse:
    """The export's file, for the company's users only (any other id is a 404)."""
    try:
        return export_download(company=request.company, export_id=export_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except Conflict as exc:
        return render(request, "web/exports/not_ready.html", {"message": exc.message}, status=409)
