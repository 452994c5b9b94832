"""Reports: stock on a date (every product x warehouse as of a past moment)."""

from datetime import datetime

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from stockledger.core.db_routing import reads_from_replica
from stockledger.core.errors import DomainError
from stockledger.exports.parameters import zone
from stockledger.ledger.reports_api import stock_on_date_response
from stockledger.ledger.stock_on_date import stock_on_date

from ..access import CompanyRequest, company_required
from ..forms import add_domain_error, warehouse_choices
from .exports import company_zone, zone_choices

MAX_SHOWN = 2000  # rows on the page; the files hold them all


class StockOnDateForm(forms.Form):
    at = forms.DateTimeField(
        label="As of (local time in the zone below)",
        widget=forms.DateTimeInput({"type": "datetime-local", "step": "1"}),
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
    )
    timezone = forms.ChoiceField(required=False, label="Time zone")
    warehouse_id = forms.ChoiceField(required=False, label="Warehouse")
    sku = forms.CharField(required=False, max_length=100, label="SKU (blank: all products)")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["timezone"].choices = zone_choices()
        self.fields["timezone"].initial = company_zone(company)
        self.fields["warehouse_id"].choices = warehouse_choices(company, blank="All warehouses")

    def zone(self):
        return zone(self.cleaned_data.get("timezone") or company_zone(self.company))

    def moment(self) -> datetime:
        at = self.cleaned_data["at"]
        naive = at.replace(tzinfo=None) if timezone.is_aware(at) else at
        return naive.replace(tzinfo=self.zone())


@company_required
@reads_from_replica
def stock_on_date_report(request: CompanyRequest) -> HttpResponse:
    """The report page; `format=csv|xlsx` downloads it instead."""
    company = request.company
    form = StockOnDateForm(request.GET or None, company=company)
    report = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            report = stock_on_date(
                company=company,
                at=form.moment(),
                warehouse_id=int(data["warehouse_id"]) if data.get("warehouse_id") else None,
                sku=(data.get("sku") or "").strip() or None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    if report is not None and request.GET.get("format") in ("csv", "xlsx"):
        return stock_on_date_response(report, request.GET["format"], form.zone())
    context = {
        "form": form,
        "report": report,
        "rows": report.rows[:MAX_SHOWN] if report else [],
        "truncated": report is not None and len(report.rows) > MAX_SHOWN,
        "max_shown": MAX_SHOWN,
        "query": request.GET.urlencode() if report else "",
        "local_at": (
            f"{report.at.astimezone(form.zone()):%Y-%m-%d %H:%M:%S} ({form.zone().key})"
            if report
            else ""
        ),
    }
    return render(
        request,
        "web/reports/stock_on_date.html",
        context,
        status=422 if form.is_bound and report is None else 200,
    )
