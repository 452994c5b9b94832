"""Small helpers the templates share: signed numbers, document links, a log row's details."""

import functools

from django import template
from django.urls import NoReverseMatch, get_script_prefix, reverse

from stockledger.ledger.models import LogEntry

register = template.Library()

# Which page a log row's document opens (pages that are not built yet simply do not link).
DOCUMENT_PAGES = {
    "order": "web:order_detail",
    "purchase_order": "web:po_detail",
    "transfer": "web:transfer_detail",
    "return": "web:return_detail",
    "manufacturing_order": "web:mo_detail",
    "sales_channel": "web:channel_detail",
}


@register.filter
def signed(value):
    """+5, -3 (with a real minus sign), 0; blank for None."""
    if value is None or value == "":
        return ""
    value = int(value)
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"\u2212{-value}"
    return "0"


@register.filter
def minus(value):
    """Integers with a real minus sign, so negatives read at a glance."""
    if value is None or value == "":
        return ""
    value = int(value)
    return f"\u2212{-value}" if value < 0 else str(value)


@register.filter
def took(started, finished) -> str:
    """How long from `started` to `finished`: 0.4 s, 12 s, 3 min 5 s."""
    if not started or not finished:
        return ""
    seconds = (finished - started).total_seconds()
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


@register.filter
def as_list(value):
    return [value]


# The top bar's tab for each page (by URL name prefix).
TABS = {
    "product": "products",
    "order": "orders",
    "po": "purchasing",
    "transfer": "transfers",
    "return": "returns",
    "mo": "manufacturing",
    "channel": "channels",
    "warehouse": "warehouses",
    "export": "activity",
    "import": "activity",
}


@register.simple_tag
def tab_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match else ""
    return TABS.get(name.split("_", 1)[0], "")


@register.simple_tag
def document_url(entry: LogEntry, script_prefix: str | None = None) -> str:
    """The page of the row's document ("" if it has none). `script_prefix`: the request's,
    when the caller has it at hand."""
    name = DOCUMENT_PAGES.get(entry.document_type)
    if not name or entry.document_id is None:
        return ""
    pattern = _document_pattern(name, script_prefix or get_script_prefix())
    return pattern.replace(_ID_MARK, str(int(entry.document_id))) if pattern else ""


_ID_MARK = "9876543210123"


@functools.cache
def _document_pattern(name: str, prefix: str) -> str:
    """The page's URL with a marker for the id: reversed once per page, not once per log row
    (a log page links up to 50 documents). `prefix` is part of the key: the URLs depend on it."""
    try:
        return reverse(name, args=[int(_ID_MARK)])
    except NoReverseMatch:
        return ""


@register.simple_tag
def log_rows(entries, show_sku=False):
    """The log table's rows for `entries` (web/log_rows.py: written in Python, not a template
    include per row)."""
    from ..log_rows import log_rows_html

    return log_rows_html(entries, show_sku=bool(show_sku))


@register.simple_tag
def running_exports(company) -> int:
    """How many of the company's exports are queued or running (the Activity badge)."""
    from ..views.exports import active_exports

    return active_exports(company)


@register.simple_tag
def suspended_channels(company) -> list:
    """The company's sales channels whose sync is suspended (the top bar's banner)."""
    from stockledger.channels.selectors import suspended_channels as suspended

    return list(suspended(company=company).only("id", "name")[:5])
