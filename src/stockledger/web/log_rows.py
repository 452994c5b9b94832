"""The Inventory Log table's rows as HTML, written in Python.

A page of the log is 50 rows of a dozen cells each. Rendered through a template include per
row, Django's template engine resolved some 1,500 variables for it and the page took about
20 ms, where its query takes 0.3 (issue 15). Here each row is one f-string; every text value
that comes from the log (names, notes, references, user names, channel data) passes through
`escape`, as the template's autoescaping did. A row is a LogEntry or a row of
`ledger.api.plain_log_entries` (a named tuple with LogEntry's field names): only fields are
read, never model methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from functools import cache
from html import escape
from typing import Any

from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from stockledger.ledger.models import LogEntry

from .templatetags.web_tags import document_url, minus, signed


def log_rows_html(entries: Iterable[Any], *, show_sku: bool) -> SafeString:
    """The `<tr>` of each entry (the table's columns: web/log/_table.html's header)."""
    page = _Page(timezone.get_current_timezone(), show_sku)
    return mark_safe("".join([page.row(e) for e in entries]))  # noqa: S308 - escaped


class _Page:
    """What the rows of one page share: the time zone, and the escaped form of the texts that
    repeat from row to row (event types, warehouses, users, channels)."""

    def __init__(self, zone: tzinfo, show_sku: bool) -> None:
        self.zone = zone
        self.zone_name = zone.tzname(None) or str(zone)  # as get_current_timezone_name()
        self.show_sku = show_sku
        self.script_prefix = get_script_prefix()
        self.escaped: dict[str, str] = {}

    def esc(self, text: str | None) -> str:
        if not text:
            return ""
        known = self.escaped.get(text)
        if known is None:
            known = self.escaped[text] = escape(text)
        return known

    def when(self, value: Any) -> str:
        """A timestamp in the page's time zone, named."""
        if not value:
            return ""
        local = value.astimezone(self.zone) if timezone.is_aware(value) else value
        iso = local.isoformat()  # (formatted by hand: strftime is slow)
        return f"{iso[:10]} {iso[11:19]} {self.zone_name}"

    def row(self, e: Any) -> str:
        esc = self.esc
        at = e.created_at
        if timezone.is_aware(at):
            at = at.astimezone(self.zone)
        iso = at.isoformat()
        event = esc(e.event_type)
        step = f' <span class="muted">{esc(e.order_step)}</span>' if e.order_step else ""
        change = ""
        if e.physical_change:
            change = f'<span title="physical">{signed(e.physical_change)}</span>'
        if e.committed_change:
            change += f' <span class="muted" title="committed">c{signed(e.committed_change)}</span>'
        available = e.available_on_hand
        negative = " negative" if available is not None and available < 0 else ""
        warehouse = esc(e.warehouse_name)
        if e.warehouse_physical_on_hand is not None:
            warehouse += (
                f' <span class="muted nowrap">{minus(e.warehouse_physical_on_hand)} / '
                f"{minus(e.warehouse_available_on_hand)}</span>"
            )
        channel = ""
        if e.cart_name:
            channel = f'{esc(e.cart_name)} <span class="muted">{esc(e.cart_type)}</span>'
        url = document_url(e, self.script_prefix)
        if url:
            ref = f'<a href="{escape(url)}">{escape(e.event_id or "open")}</a>'
        else:
            ref = escape(e.event_id or "")
        details = "".join(
            f'<span class="kv"><b>{label}</b> {escape(value)}</span>'
            for label, value in self.details(e)
        )
        sku = f'<td class="sku" data-label="SKU">{esc(e.sku)}</td>' if self.show_sku else ""
        went_negative = ' class="went-negative"' if e.went_negative else ""
        return (
            f'<tr id="log-{e.pk}" data-event="{event}"{went_negative}>\n'
            f'  <td class="nowrap when" data-label="When" title="{iso}">'
            f"{iso[:10]} {iso[11:16]}</td>\n"
            f"  {sku}\n"
            f'  <td class="nowrap event" data-label="Event"><span class="ev ev-{event}">{event}'
            f"</span>{step}</td>\n"
            f'  <td class="num qty" data-label="Qty">{minus(e.quantity)}</td>\n'
            f'  <td class="num nowrap change" data-label="Change">{change}</td>\n'
            f'  <td class="num after" data-label="Physical after">{minus(e.physical_on_hand)}'
            "</td>\n"
            f'  <td class="num after{negative}" data-label="Available after">{minus(available)}'
            "</td>\n"
            f'  <td class="warehouse" data-label="Warehouse">{warehouse}</td>\n'
            f'  <td class="channel" data-label="Channel">{channel}</td>\n'
            f'  <td class="nowrap ref" data-label="Ref">{ref}</td>\n'
            f'  <td class="by" data-label="User">{esc(e.user_name)}</td>\n'
            f'  <td class="details" data-label="Details">{details}</td>\n'
            "</tr>\n"
        )

    def details(self, e: Any) -> list[tuple[str, str]]:
        """The row's event-specific columns that have a value, labelled (the labels are ours,
        HTML-safe), in the CSV's order."""
        moved = e.sending_warehouse_name or e.receiving_warehouse_name
        differs = e.channel_differs
        candidates = (
            ("imported", self.when(e.imported_at)),
            ("from", e.sending_warehouse_name if moved else None),
            ("to", e.receiving_warehouse_name if moved else None),
            ("transfer notes", e.transfer_notes),
            ("line notes", e.line_notes),
            ("expected", e.expected_quantity),
            ("received", e.received_quantity),
            ("restocked", e.restocked_quantity),
            ("locations", e.warehouse_locations),
            ("kit", e.kit_sku),
            ("last written", e.channel_last_written),
            ("channel differs", None if differs is None else "yes" if differs else "no"),
            ("explanation", e.explanation),
            ("delivery", e.delivery_status),
            ("reason", reason_label(e.reason) if e.reason else None),
            ("note", e.note),
            ("warning", "physical on hand went below zero" if e.went_negative else None),
        )
        return [(label, str(value)) for label, value in candidates if value not in (None, "")]


def reason_label(reason: str) -> str:
    """What `LogEntry.get_reason_display()` shows for `reason`."""
    return str(_reason_labels().get(reason, reason))


@cache
def _reason_labels() -> dict[str, Any]:
    return dict(LogEntry._meta.get_field("reason").flatchoices)
