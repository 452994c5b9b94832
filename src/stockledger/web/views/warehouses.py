"""Warehouses in the pages: the list with the form to add one, rename, archive, unarchive.

A rename changes only what new log rows say: each row keeps the name it was written with.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stockledger.core.errors import DomainError
from stockledger.warehouses.models import Warehouse
from stockledger.warehouses.services import (
    warehouse_archive,
    warehouse_create,
    warehouse_rename,
    warehouse_unarchive,
)

from ..access import CompanyRequest, company_object_or_404, company_required
from ..forms import add_domain_error


class WarehouseForm(forms.Form):
    name = forms.CharField(label="Warehouse name", max_length=1000)


def _warehouses(company, *, archived: bool):
    qs = Warehouse.objects.filter(company=company)
    if not archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.annotate(
        holding=Count("stock", filter=~Q(stock__physical_on_hand=0) | ~Q(stock__committed=0))
    ).order_by("archived_at", "name")


def _list_page(request: CompanyRequest, form: WarehouseForm, status: int = 200) -> HttpResponse:
    show_archived = request.GET.get("archived") == "1"
    context = {
        "warehouses": list(_warehouses(request.company, archived=show_archived)),
        "form": form,
        "show_archived": show_archived,
        "archived_count": Warehouse.objects.filter(
            company=request.company, archived_at__isnull=False
        ).count(),
    }
    return render(request, "web/warehouses/list.html", context, status=status)


@company_required
def warehouse_list(request: CompanyRequest) -> HttpResponse:
    """The company's warehouses, and the form to add one."""
    if request.method == "POST":
        form = WarehouseForm(request.POST)
        if form.is_valid():
            try:
                warehouse = warehouse_create(
                    company=request.company, name=form.cleaned_data["name"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"Warehouse {warehouse.name} added.")
                return redirect("web:warehouse_list")
        return _list_page(request, form, status=422)
    return _list_page(request, WarehouseForm())


@company_required
def warehouse_edit(request: CompanyRequest, warehouse_id: int) -> HttpResponse:
    """Rename a warehouse; archive or unarchive it."""
    warehouse = company_object_or_404(Warehouse, request, warehouse_id)
    status = 200
    if request.method == "POST":
        form = WarehouseForm(request.POST)
        if form.is_valid():
            old = warehouse.name
            try:
                warehouse_rename(
                    company=request.company, warehouse=warehouse, name=form.cleaned_data["name"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{old} renamed to {warehouse.name}. Log rows written before keep the "
                    "name they were written with.",
                )
                return redirect("web:warehouse_list")
        status = 422
    else:
        form = WarehouseForm(initial={"name": warehouse.name})
    return render(
        request, "web/warehouses/edit.html", {"warehouse": warehouse, "form": form}, status=status
    )


@company_required
@require_POST
def warehouse_archive_view(request: CompanyRequest, warehouse_id: int) -> HttpResponse:
    warehouse = company_object_or_404(Warehouse, request, warehouse_id)
    try:
        warehouse_archive(company=request.company, warehouse=warehouse)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:warehouse_edit", warehouse.id)
    messages.success(request, f"{warehouse.name} archived: no longer offered for new documents.")
    return redirect("web:warehouse_list")


@company_required
@require_POST
def warehouse_unarchive_view(request: CompanyRequest, warehouse_id: int) -> HttpResponse:
    warehouse = company_object_or_404(Warehouse, request, warehouse_id)
    warehouse_unarchive(company=request.company, warehouse=warehouse)
    messages.success(request, f"{warehouse.name} is active again.")
    return redirect("web:warehouse_list")
