"""Orders: the list, and one order with its lines, ship / cancel, and the log rows it caused."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stockledger.channels.models import CartType, SalesChannel
from stockledger.core.db_routing import reads_from_replica
from stockledger.core.documents import next_document_number
from stockledger.core.errors import DomainError
from stockledger.orders.manual import MANUAL_PREFIX, order_enter
from stockledger.orders.models import Order, OrderStatus
from stockledger.orders.selectors import order_detail, order_log_entries, orders_list
from stockledger.orders.services import order_cancel, order_ship

from ..access import CompanyRequest, company_required, query_id
from ..forms import DocumentForm, channel_choices
from ..lines import line_editor
from .documents import found_or_404, list_page, save_document, status_param


class ManualOrderForm(DocumentForm):
    order_number = forms.CharField(
        required=False,
        max_length=100,
        label="Order number (blank: the next number)",
    )
    warehouse = forms.ChoiceField(label="Ships from")


def _next_manual_number(company) -> str:
    channel = SalesChannel.objects.filter(company=company, cart_type=CartType.MANUAL).first()
    orders = Order.objects.filter(channel=channel) if channel else Order.objects.none()
    return next_document_number(orders, prefix=MANUAL_PREFIX, field="order_number")


@company_required
def order_new(request: CompanyRequest) -> HttpResponse:
    """Enter an order by hand (phone, market stall) on the Manual channel: it commits stock
    and logs `order` rows like an imported order; ship or cancel it from its page."""
    if request.method == "POST":
        form = ManualOrderForm(request.POST, company=request.company)
        lines = line_editor("order", request.POST)
        order = save_document(
            form,
            lines,
            lambda cleaned: order_enter(
                company=request.company,
                warehouse=form.warehouse_obj(),
                lines=cleaned,
                order_number=form.cleaned_data["order_number"] or None,
                user=request.user,
            ),
        )
        if order is not None:
            messages.success(
                request,
                f"Order {order.order_number} entered: its stock is committed "
                "(the log rows are below). Ship or cancel it here.",
            )
            return redirect("web:order_detail", order.id)
        status = 422
    else:
        initial = {}
        if request.GET.get("warehouse", "").isdigit():
            initial["warehouse"] = request.GET["warehouse"]
        form = ManualOrderForm(initial=initial, company=request.company)
        sku = request.GET.get("sku", "")[:100]
        lines = line_editor("order", initial=[{"sku": sku}] if sku else None)
        status = 200
    form.fields["order_number"].widget.attrs["placeholder"] = _next_manual_number(request.company)
    context = {"form": form, "lines": lines}
    return render(request, "web/orders/form.html", context, status=status)


@company_required
@reads_from_replica
def order_list(request: CompanyRequest) -> HttpResponse:
    status = status_param(request, OrderStatus)
    channel = request.GET.get("channel", "")
    number = request.GET.get("number", "").strip()[:100]
    if any(ord(ch) < 32 for ch in number):
        number = ""
    qs = orders_list(
        company=request.company,
        status=status or None,
        channel_id=query_id(request, "channel"),
        order_number=number or None,
    ).prefetch_related("lines__product")
    return list_page(
        request,
        "web/orders/list.html",
        qs,
        filters=("status", "channel", "number"),
        statuses=OrderStatus.choices,
        status=status,
        channels=channel_choices(request.company, blank="All channels"),
        channel=channel,
        number=number,
    )


@company_required
def order_view(request: CompanyRequest, order_id: int) -> HttpResponse:
    order = found_or_404(order_detail, company=request.company, order_id=order_id)
    entries = list(order_log_entries(company=request.company, order=order))
    return render(request, "web/orders/detail.html", {"order": order, "entries": entries})


@require_POST
@company_required
def order_action(request: CompanyRequest, order_id: int, action: str) -> HttpResponse:
    """Ship what remains, or cancel it; a refusal comes back as a message on the page."""
    order = found_or_404(order_detail, company=request.company, order_id=order_id)
    services: dict[str, Callable[..., object]] = {"ship": order_ship, "cancel": order_cancel}
    service = services.get(action)
    if service is None:
        raise Http404("no such action")
    try:
        service(company=request.company, order=order, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = "shipped" if action == "ship" else "cancelled"
        messages.success(request, f"Order {order.order_number} {done}: its log rows are below.")
    return redirect("web:order_detail", order_id)
