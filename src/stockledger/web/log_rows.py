"""The Inventory Log table's rows as HTML, written in Python.

A page of the log is 50 rows of a dozen cells each. Rendered through a template include per
row, Django's template engine resolved some 1,500 variables for it and the page took about
20 ms, where its query takes 0.3 (issue 15). Here each row is one f-string; every value that
comes from the log (names, notes, references, user names, channel data) passes through
`escape`, as the template's autoescaping did.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from stockledger.ledger.models import LogEntry

from .templatetags.web_tags import document_url, log_details, minus, signed


def log_rows_html(entries: Iterable[LogEntry], *, show_sku: bool) -> SafeString:
    """The `<tr>` of each entry (the table's columns: web/log/_table.html's header)."""
    tz = timezone.get_current_timezone()
    return mark_safe("".join([_row(e, show_sku, tz) for e in entries]))  # noqa: S308 - escaped


def _row(e: LogEntry, show_sku: bool, tz) -> str:
    at = timezone.localtime(e.created_at, tz) if timezone.is_aware(e.created_at) else e.created_at
    event = escape(e.event_type)
    step = f' <span class="muted">{escape(e.order_step)}</span>' if e.order_step else ""
    change = ""
    if e.physical_change:
        change = f'<span title="physical">{signed(e.physical_change)}</span>'
    if e.committed_change:
        change += f' <span class="muted" title="committed">c{signed(e.committed_change)}</span>'
    available = e.available_on_hand
    negative = " negative" if available is not None and available < 0 else ""
    warehouse = escape(e.warehouse_name)
    if e.warehouse_physical_on_hand is not None:
        warehouse += (
            f' <span class="muted nowrap">{minus(e.warehouse_physical_on_hand)} / '
            f"{minus(e.warehouse_available_on_hand)}</span>"
        )
    channel = ""
    if e.cart_name:
        channel = f'{escape(e.cart_name)} <span class="muted">{escape(e.cart_type)}</span>'
    url = document_url(e)
    if url:
        ref = f'<a href="{escape(url)}">{escape(e.event_id or "open")}</a>'
    else:
        ref = escape(e.event_id)
    details = "".join(
        f'<span class="kv"><b>{escape(label)}</b> {escape(value)}</span>'
        for label, value in log_details(e)
    )
    sku = f'<td class="sku" data-label="SKU">{escape(e.sku)}</td>' if show_sku else ""
    went_negative = ' class="went-negative"' if e.went_negative else ""
    return (
        f'<tr id="log-{e.pk}" data-event="{event}"{went_negative}>\n'
        f'  <td class="nowrap when" data-label="When" title="{at.isoformat()}">'
        f"{at:%Y-%m-%d %H:%M}</td>\n"
        f"  {sku}\n"
        f'  <td class="nowrap event" data-label="Event"><span class="ev ev-{event}">{event}</span>'
        f"{step}</td>\n"
        f'  <td class="num qty" data-label="Qty">{minus(e.quantity)}</td>\n'
        f'  <td class="num nowrap change" data-label="Change">{change}</td>\n'
        f'  <td class="num after" data-label="Physical after">{minus(e.physical_on_hand)}</td>\n'
        f'  <td class="num after{negative}" data-label="Available after">{minus(available)}</td>\n'
        f'  <td class="warehouse" data-label="Warehouse">{warehouse}</td>\n'
        f'  <td class="channel" data-label="Channel">{channel}</td>\n'
        f'  <td class="nowrap ref" data-label="Ref">{ref}</td>\n'
        f'  <td class="by" data-label="User">{escape(e.user_name)}</td>\n'
        f'  <td class="details" data-label="Details">{details}</td>\n'
        "</tr>\n"
    )
