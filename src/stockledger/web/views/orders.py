"""Orders: the list, and one order with its lines, ship / cancel, and the log rows it caused."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stockledger.core.db_routing import reads_from_replica
from stockledger.core.errors import DomainError
from stockledger.orders.models import OrderStatus
from stockledger.orders.selectors import order_detail, order_log_entries, orders_list
from stockledger.orders.services import order_cancel, order_ship

from ..access import company_required, query_id
from ..forms import channel_choices
from .documents import found_or_404, list_query, newest_first_page


@company_required
@reads_from_replica
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
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
    rows, before = newest_first_page(request, qs)
    context = {
        "rows": rows,
        "before": before,
        "query": list_query(request, "status", "channel", "number"),
        "statuses": OrderStatus.choices,
        "status": status,
        "channels": channel_choices(request.company, blank="All channels"),
        "channel": channel,
        "number": number,
    }
    return render(request, "web/orders/list.html", context)


@company_required
def order_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = found_or_404(order_detail, company=request.company, order_id=order_id)
    entries = list(order_log_entries(company=request.company, order=order))
    return render(request, "web/orders/detail.html", {"order": order, "entries": entries})


@require_POST
@company_required
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    """Ship what remains, or cancel it; a refusal comes back as a message on the page."""
    order = found_or_404(order_detail, company=request.company, order_id=order_id)
    service = {"ship": order_ship, "cancel": order_cancel}.get(action)
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
