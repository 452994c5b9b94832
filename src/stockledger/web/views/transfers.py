"""Transfers: the list, one transfer with the log rows it caused, and the form to make one."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from stockledger.core.db_routing import reads_from_replica
from stockledger.core.errors import DomainError
from stockledger.transfers.selectors import transfer_detail, transfer_log_entries, transfers_for
from stockledger.transfers.services import transfer_create
from stockledger.warehouses.models import Warehouse

from ..access import CompanyRequest, company_required, query_id
from ..forms import add_domain_error, warehouse_choices
from ..lines import LineItems, line_editor
from .documents import found_or_404, list_query, newest_first_page


class TransferForm(forms.Form):
    sending_warehouse = forms.ChoiceField(label="From warehouse")
    receiving_warehouse = forms.ChoiceField(label="To warehouse")
    notes = forms.CharField(
        required=False, max_length=2000, label="Transfer notes", widget=forms.Textarea({"rows": 2})
    )

    ALIASES = {
        "sending_warehouse_id": "sending_warehouse",
        "receiving_warehouse_id": "receiving_warehouse",
    }

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["sending_warehouse"].choices = warehouse_choices(company, blank="Choose…")
        self.fields["receiving_warehouse"].choices = warehouse_choices(company, blank="Choose…")

    def clean(self):
        data = super().clean()
        if data.get("sending_warehouse") and data.get("sending_warehouse") == data.get(
            "receiving_warehouse"
        ):
            self.add_error("receiving_warehouse", "Choose a different warehouse than the sender.")
        return data

    def warehouse(self, name: str) -> Warehouse:
        return Warehouse.objects.get(company=self.company, pk=int(self.cleaned_data[name]))


def transfer_lines(data=None, initial=None) -> LineItems:
    return line_editor("transfer", data, initial=initial)


@company_required
@reads_from_replica
def transfer_list(request: CompanyRequest) -> HttpResponse:
    warehouse_id = query_id(request, "warehouse")
    qs = transfers_for(
        company=request.company,
        warehouse_id=warehouse_id,
        number=request.GET.get("number", "").strip()[:100] or None,
    )
    rows, before = newest_first_page(request, qs)
    context = {
        "rows": rows,
        "before": before,
        "query": list_query(request, "warehouse", "number"),
        "warehouses": warehouse_choices(request.company, blank="All warehouses", archived=True),
        "warehouse_id": str(warehouse_id or ""),
        "number": request.GET.get("number", ""),
    }
    return render(request, "web/transfers/list.html", context)


@company_required
def transfer_view(request: CompanyRequest, transfer_id: int) -> HttpResponse:
    detail = found_or_404(transfer_detail, company=request.company, transfer_id=transfer_id)
    entries = list(transfer_log_entries(company=request.company, transfer=detail.transfer))
    return render(
        request,
        "web/transfers/detail.html",
        {"detail": detail, "transfer": detail.transfer, "entries": entries},
    )


@company_required
def transfer_new(request: CompanyRequest) -> HttpResponse:
    """The transfer form; on success the new transfer's page, with the rows it logged."""
    if request.method == "POST":
        form = TransferForm(request.POST, company=request.company)
        lines = transfer_lines(request.POST)
        cleaned = lines.clean()
        if form.is_valid() and cleaned is not None:
            try:
                transfer, _entries = transfer_create(
                    company=request.company,
                    sending_warehouse=form.warehouse("sending_warehouse"),
                    receiving_warehouse=form.warehouse("receiving_warehouse"),
                    lines=cleaned,
                    notes=form.cleaned_data["notes"],
                    user=request.user,
                )
            except DomainError as exc:
                if not lines.add_service_error(exc):
                    add_domain_error(form, exc, TransferForm.ALIASES)
            else:
                messages.success(
                    request,
                    f"Transfer {transfer.number} saved: the log rows it wrote are below.",
                )
                return redirect("web:transfer_detail", transfer.id)
        status = 422
    else:
        sku = request.GET.get("sku", "")[:100]
        initial = {}
        if request.GET.get("from", "").isdigit():
            initial["sending_warehouse"] = request.GET["from"]
        form = TransferForm(initial=initial, company=request.company)
        lines = transfer_lines(initial=[{"sku": sku}] if sku else None)
        status = 200
    return render(request, "web/transfers/form.html", {"form": form, "lines": lines}, status=status)
