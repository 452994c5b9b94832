"""A new sales channel from the pages (type and name); its settings are on its own page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from stockledger.channels.models import CartType
from stockledger.channels.services import channel_create
from stockledger.core.errors import DomainError

from ..access import CompanyRequest, company_required
from ..forms import add_domain_error


class ChannelForm(forms.Form):
    cart_type = forms.ChoiceField(label="Type", choices=[("", "Choose…")] + list(CartType.choices))
    name = forms.CharField(label="Name", max_length=1000)


@company_required
def channel_new(request: CompanyRequest) -> HttpResponse:
    if request.method == "POST":
        form = ChannelForm(request.POST)
        if form.is_valid():
            try:
                channel = channel_create(
                    company=request.company,
                    cart_type=form.cleaned_data["cart_type"],
                    name=form.cleaned_data["name"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    f"Sales channel {channel.name} added. Choose its writeback warehouses and "
                    "locations below.",
                )
                return redirect("web:channel_detail", channel.id)
        status = 422
    else:
        form = ChannelForm()
        status = 200
    return render(request, "web/channels/new.html", {"form": form}, status=status)
