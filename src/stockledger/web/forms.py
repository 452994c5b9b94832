"""Forms of the pages: they check the shape of the input; the services check the rest.

A service refuses with a DomainError naming a field (`field="change"`); `add_domain_error` puts
its message next to the form field it belongs to, so every refusal shows inline.
"""

import functools
from datetime import date, datetime, time, timedelta
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from stockledger.channels.models import SalesChannel
from stockledger.core.errors import DomainError
from stockledger.core.limits import QUANTITY_MAX
from stockledger.core.models import Company
from stockledger.ledger.models import AdjustmentReason, EventType
from stockledger.warehouses.models import Warehouse


class QuickSelect(forms.Select):
    """Django's `<select>` markup, byte for byte, built in Python instead of one template
    render per option: the time-zone picker's ~600 options cost ~40 ms through templates
    (on every product page and every refused export form), well under 1 ms here.
    Flat choices only (no option groups)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = next(iter(self.format_value(value)), None)
        selected = mark_safe(" selected")
        options = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>\n',
            (
                (option, selected if str(option) == chosen else "", label)
                for option, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            name,
            _attributes(self.build_attrs(self.attrs, attrs)),
            options,
        )


def _attributes(attrs: dict) -> SafeString:
    """HTML attributes in their given order, as Django's attrs.html writes them."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def warehouse_choices(
    company: Company, *, blank: str | None = None, archived: bool = False
) -> list[tuple[str, str]]:
    """Warehouses for a picker: archived ones only when `archived` (filters of old logs);
    a new document's form never offers them, so a forged id fails the form's check."""
    qs = Warehouse.objects.filter(company=company)
    if not archived:
        qs = qs.filter(archived_at__isnull=True)
    choices = [
        (str(w.id), f"{w.name} (archived)" if w.archived_at else w.name)
        for w in qs.order_by("name")
    ]
    return ([("", blank)] if blank is not None else []) + choices


def channel_choices(company: Company, *, blank: str | None = None) -> list[tuple[str, str]]:
    channels = SalesChannel.objects.filter(company=company).order_by("name")
    choices = [(str(c.id), f"{c.name} ({c.cart_type})") for c in channels]
    return ([("", blank)] if blank is not None else []) + choices


class DocumentForm(forms.Form):
    """A document's form (PO, RMA, MO, transfer, manual order): its warehouse pickers offer
    the company's active warehouses, and a service error on `warehouse_id` shows at the picker.

    Subclasses declare their warehouse fields themselves (the field order is the page's) and
    name them in `WAREHOUSE_FIELDS`.
    """

    WAREHOUSE_FIELDS: tuple[str, ...] = ("warehouse",)
    ALIASES = {"warehouse_id": "warehouse"}

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        for name in self.WAREHOUSE_FIELDS:
            field = cast(forms.ChoiceField, self.fields[name])
            field.choices = warehouse_choices(company, blank="Choose…")

    def warehouse_obj(self, name: str = "warehouse") -> Warehouse:
        """The warehouse chosen in field `name` (its choices kept it to the company's)."""
        return Warehouse.objects.get(company=self.company, pk=int(self.cleaned_data[name]))


def add_domain_error(form: forms.Form, exc: DomainError, aliases: dict[str, str] | None = None):
    """Show a service's refusal next to the field it names (or above the form)."""
    name = exc.field or ""
    name = (aliases or {}).get(name, name)
    if name not in form.fields:
        # lines[0].quantity and the like: the last part often names the form field.
        tail = name.rsplit(".", 1)[-1]
        name = (aliases or {}).get(tail, tail)
    form.add_error(name if name in form.fields else None, exc.message)


def day_start(day: date | None, tz) -> datetime | None:
    """The first instant of `day` in `tz`."""
    return datetime.combine(day, time.min, tzinfo=tz) if day else None


def day_end(day: date | None, tz) -> datetime | None:
    """The first instant after `day` in `tz` (an inclusive `until` day as an exclusive bound);
    None for the last representable day, which nothing can lie after."""
    if not day or day >= date.max:
        return None
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


class LogFilterForm(forms.Form):
    """Filters of the Inventory Log table. Dates are whole days in UTC, `until` inclusive."""

    event_type = forms.ChoiceField(required=False, label="Event")
    warehouse = forms.ChoiceField(required=False, label="Warehouse")
    channel = forms.ChoiceField(required=False, label="Channel")
    reason = forms.ChoiceField(
        required=False,
        label="Reason",
        choices=[("", "Any reason")] + list(AdjustmentReason.choices),
    )
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    components = forms.BooleanField(required=False, label="with components")

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["event_type"]).choices = [("", "All events")] + list(
            EventType.choices
        )
        # Read once, when the form is validated or drawn: not for every page of the log's rows.
        cast(forms.ChoiceField, self.fields["warehouse"]).choices = functools.cache(
            functools.partial(warehouse_choices, company, blank="All warehouses", archived=True)
        )
        cast(forms.ChoiceField, self.fields["channel"]).choices = functools.cache(
            functools.partial(channel_choices, company, blank="All channels")
        )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    def selector_filters(self) -> dict:
        """Keyword arguments for ledger.selectors.log_entries."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        filters: dict = {}
        if data.get("event_type"):
            filters["event_types"] = [data["event_type"]]
        if data.get("warehouse"):
            filters["warehouse_ids"] = [int(data["warehouse"])]
        if data.get("channel"):
            filters["cart_ids"] = [int(data["channel"])]
        if data.get("reason"):
            filters["reasons"] = [data["reason"]]
        if data.get("since"):
            filters["since"] = day_start(data["since"], tz)
        if day_end(data.get("until"), tz):
            filters["until"] = day_end(data["until"], tz)
        return filters


class OnHandForm(forms.Form):
    """Set physical on hand to a counted value, or adjust it by a signed change."""

    MODE_SET, MODE_ADJUST = "set", "adjust"

    warehouse = forms.ChoiceField(label="Warehouse")
    mode = forms.ChoiceField(
        choices=[(MODE_SET, "Set to (count)"), (MODE_ADJUST, "Adjust by (+/-)")],
        initial=MODE_SET,
        widget=forms.RadioSelect,
        label="",
    )
    quantity = forms.IntegerField(min_value=-QUANTITY_MAX, max_value=QUANTITY_MAX, label="Quantity")
    reason = forms.ChoiceField(
        required=False,
        label="Reason",
        choices=[("", "(none)")] + list(AdjustmentReason.choices),
    )
    note = forms.CharField(required=False, max_length=2000, label="Note")

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["warehouse"]).choices = warehouse_choices(company)
        self.company = company

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.MODE_SET and (data.get("quantity") or 0) < 0:
            self.add_error("quantity", "A count cannot be negative.")
        if data.get("mode") == self.MODE_ADJUST and data.get("quantity") == 0:
            self.add_error("quantity", "An adjustment must not be zero.")
        return data

    def warehouse_obj(self) -> Warehouse:
        return Warehouse.objects.get(company=self.company, pk=int(self.cleaned_data["warehouse"]))

    # The services' field names, as this form calls them.
    ALIASES = {"physical_on_hand": "quantity", "change": "quantity", "warehouse_id": "warehouse"}
