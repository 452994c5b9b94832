"""Transfers: the list, one transfer with the log rows it caused, and the form to make one."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from stockledger.core.db_routing import reads_from_replica
from stockledger.transfers.selectors import transfer_detail, transfer_log_entries, transfers_for
from stockledger.transfers.services import transfer_create

from ..access import CompanyRequest, company_required, query_id
from ..forms import DocumentForm, warehouse_choices
from ..lines import LineItems, line_editor
from .documents import found_or_404, list_page, number_param, save_document


class TransferForm(DocumentForm):
    sending_warehouse = forms.ChoiceField(label="From warehouse")
    receiving_warehouse = forms.ChoiceField(label="To warehouse")
    notes = forms.CharField(
        required=False, max_length=2000, label="Transfer notes", widget=forms.Textarea({"rows": 2})
    )

    ALIASES = {
        "sending_warehouse_id": "sending_warehouse",
        "receiving_warehouse_id": "receiving_warehouse",
    }

    WAREHOUSE_FIELDS = ("sending_warehouse", "receiving_warehouse")

    def clean(self):
        data = super().clean()
        if data.get("sending_warehouse") and data.get("sending_warehouse") == data.get(
            "receiving_warehouse"
        ):
            self.add_error("receiving_warehouse", "Choose a different warehouse than the sender.")
        return data


def transfer_lines(data=None, initial=None) -> LineItems:
    return line_editor("transfer", data, initial=initial)


@company_required
@reads_from_replica
def transfer_list(request: CompanyRequest) -> HttpResponse:
    warehouse_id = query_id(request, "warehouse")
    qs = transfers_for(
        company=request.company,
        warehouse_id=warehouse_id,
        number=number_param(request),
    )
    return list_page(
        request,
        "web/transfers/list.html",
        qs,
        filters=("warehouse", "number"),
        warehouses=warehouse_choices(request.company, blank="All warehouses", archived=True),
        warehouse_id=str(warehouse_id or ""),
        number=request.GET.get("number", ""),
    )


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
        saved = save_document(
            form,
            lines,
            lambda cleaned: transfer_create(
                company=request.company,
                sending_warehouse=form.warehouse_obj("sending_warehouse"),
                receiving_warehouse=form.warehouse_obj("receiving_warehouse"),
                lines=cleaned,
                notes=form.cleaned_data["notes"],
                user=request.user,
            ),
        )
        if saved is not None:
            transfer, _entries = saved
            messages.success(
                request, f"Transfer {transfer.number} saved: the log rows it wrote are below."
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
