"""Manufacturing orders: the list, and one MO with its components, the finish form, its log."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from stockledger.catalog.selectors import quantities_for
from stockledger.core.db_routing import reads_from_replica
from stockledger.core.errors import DomainError
from stockledger.manufacturing.models import MoStatus
from stockledger.manufacturing.selectors import mo_detail, mo_log_entries, mos_list
from stockledger.manufacturing.services import mo_finish

from ..access import company_required
from ..forms import add_domain_error
from .documents import found_or_404, list_query, newest_first_page


class FinishForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000_000, label="Units to finish")


@company_required
@reads_from_replica
def mo_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in MoStatus.values:
        status = ""
    qs = mos_list(company=request.company, status=status or None)
    rows, before = newest_first_page(request, qs)
    context = {
        "rows": rows,
        "before": before,
        "query": list_query(request, "status"),
        "statuses": MoStatus.choices,
        "status": status,
    }
    return render(request, "web/manufacturing/list.html", context)


@company_required
def mo_view(request: HttpRequest, mo_id: int) -> HttpResponse:
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
    components = list(mo.components.all())
    on_hand = quantities_for([c.component for c in components])
    rows = []
    for c in components:
        wh = next(
            (w for w in on_hand[c.component_id].warehouses if w.warehouse_id == mo.warehouse_id),
            None,
        )
        physical = wh.physical_on_hand if wh else 0
        rows.append(
            {
                "component": c.component,
                "per_unit": c.quantity_per_unit,
                "needed": c.quantity_per_unit * mo.remaining,
                "physical": physical,
                "short": physical < c.quantity_per_unit * mo.remaining,
            }
        )
    entries = list(mo_log_entries(company=request.company, mo=mo))
    context = {"mo": mo, "form": form, "components": rows, "entries": entries}
    return render(request, "web/manufacturing/detail.html", context, status=status)
