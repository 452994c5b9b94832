"""Writes for sales channels: the channel, its writeback warehouses and location mapping,
its delivery (webhook) settings and its per-SKU writeback rules.

Quantity imports and writeback runs are in `sync.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import IntegrityError, transaction

from stockledger.catalog.models import Product
from stockledger.core.audit import audit_record
from stockledger.core.errors import InvalidInput, NotFound
from stockledger.core.limits import QUANTITY_MAX
from stockledger.core.models import Company, User
from stockledger.core.secret_box import secret_hint, secret_seal
from stockledger.ledger.facts import ledger_record_facts
from stockledger.ledger.models import DocumentType, EventType
from stockledger.ledger.services import write_transaction
from stockledger.warehouses.models import Warehouse
from stockledger.warehouses.services import warehouse_by_id

from .adapters import registered
from .adapters.base import MAX_TIMEOUT_SECONDS
from .adapters.webhook import check_webhook_url
from .dirty import channel_mark_dirty
from .jobs import channel_sync_configure
from .models import (
    AdapterName,
    CartType,
    ChannelLocation,
    ChannelWarehouse,
    SalesChannel,
    ShopifySettings,
    VendureSettings,
    WritebackRule,
    new_webhook_secret,
)

LOCATION_MAX = 255
LOG_TEXT_MAX = 1000  # warehouse_name / warehouse_locations columns
ALL_WAREHOUSES = "All warehouses"


def channel_create(*, company: Company, cart_type: str, name: str) -> SalesChannel:
    """Create a channel (manual delivery until a webhook URL is set; a new webhook secret)."""
    if cart_type not in CartType.values:
        raise InvalidInput(
            f"cart_type must be one of {', '.join(CartType.values)}", field="cart_type"
        )
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name must not be empty", field="name")
    if len(name) > 200:
        raise InvalidInput("name is longer than 200 characters", field="name")
    if SalesChannel.objects.filter(company=company, name=name).exists():
        raise InvalidInput(f"a sales channel named {name!r} already exists", field="name")
    with transaction.atomic():
        channel = SalesChannel.objects.create(company=company, cart_type=cart_type, name=name)
        audit_record(
            company=company,
            action="channel.create",
            target=channel,
            changes={"cart_type": (None, cart_type), "name": (None, name)},
        )
    return channel


MANUAL_CHANNEL_NAME = "Manual"


def channel_manual_ensure(*, company: Company) -> SalesChannel:
    """The company's channel for orders entered by hand (phone, market stall): its oldest
    channel of cart type `manual`, created on first use (named "Manual", or "Manual orders"
    when a channel of another type holds that name). Logs nothing."""

    def existing() -> SalesChannel | None:
        return (
            SalesChannel.objects.filter(company=company, cart_type=CartType.MANUAL)
            .order_by("id")
            .first()
        )

    channel = existing()
    if channel is not None:
        return channel
    taken = set(SalesChannel.objects.filter(company=company).values_list("name", flat=True))
    name = next(
        n
        for n in [
            MANUAL_CHANNEL_NAME,
            "Manual orders",
            *(f"Manual orders {i}" for i in range(2, 99)),
        ]
        if n not in taken
    )
    try:
        with transaction.atomic():
            return SalesChannel.objects.create(
                company=company, cart_type=CartType.MANUAL, name=name, adapter=AdapterName.MANUAL
            )
    except IntegrityError:  # made concurrently by another request: use that one
        channel = existing()
        if channel is None:
            raise
        return channel


def channel_by_id(
    *, company: Company, channel_id: object, field: str = "channel_id"
) -> SalesChannel:
    """A channel named in a request body: unknown or another company's is invalid input."""
    try:
        return SalesChannel.objects.get(company=company, pk=int(cast(Any, channel_id)))
    except (SalesChannel.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(f"unknown sales channel {channel_id!r}", field=field) from None


def _locked(channel: SalesChannel) -> SalesChannel:
    # Settings changes of one channel queue here, so each compares with the one before it.
    # FOR NO KEY UPDATE, not FOR UPDATE: PostgreSQL checks foreign keys at COMMIT (Django's
    # are DEFERRABLE INITIALLY DEFERRED) with a KEY SHARE lock on the channel row, when an
    # order import already holds its products; a FOR UPDATE here, then waiting for those
    # products, deadlocked with it.
    return SalesChannel.objects.select_for_update(no_key=True).get(pk=channel.pk)


def _fit(text: str, limit: int = LOG_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- writeback warehouses and location mapping: cart_warehouse rows -------------------------


def _setting_columns(channel: SalesChannel) -> tuple[str, str]:
    """(warehouse_name, warehouse_locations) of a cart_warehouse row: the channel's
    writeback warehouses and its whole location mapping, warehouses in creation order."""
    chosen = list(
        ChannelWarehouse.objects.filter(channel=channel)
        .order_by("warehouse_id")
        .values_list("warehouse__name", flat=True)
    )
    mapping = ChannelLocation.objects.filter(channel=channel).order_by("warehouse_id")
    return (
        _fit(", ".join(chosen) if chosen else ALL_WAREHOUSES),
        _fit("; ".join(f"{m.warehouse.name}={m.location}" for m in mapping.select_related())),
    )


def _log_setting_change(
    *, company: Company, channel: SalesChannel, user: User | None, note: str
) -> int:
    warehouse_name, warehouse_locations = _setting_columns(channel)
    return ledger_record_facts(
        company=company,
        event_type=EventType.CART_WAREHOUSE,
        channel=channel,
        user=user,
        common={
            "warehouse_name": warehouse_name,
            "warehouse_locations": warehouse_locations,
            "note": note,
            "document_type": DocumentType.SALES_CHANNEL,
            "document_id": channel.id,
        },
    )


def _names(warehouses: Sequence[Warehouse]) -> str:
    return ", ".join(w.name for w in sorted(warehouses, key=lambda w: w.id)) or ALL_WAREHOUSES


def _warehouses_in(company: Company, ids: Sequence[Any], field: str) -> list[Warehouse]:
    if not isinstance(ids, (list, tuple)):
        raise InvalidInput("must be a list of warehouse ids", field=field)
    found: list[Warehouse] = []
    for i, warehouse_id in enumerate(ids):
        if isinstance(warehouse_id, bool):
            raise InvalidInput(f"unknown warehouse {warehouse_id!r}", field=f"{field}[{i}]")
        # An archived warehouse holds no stock; a setting naming it stays valid.
        warehouse = warehouse_by_id(
            company=company, warehouse_id=warehouse_id, field=f"{field}[{i}]", archived_ok=True
        )
        if warehouse in found:
            raise InvalidInput(f"{warehouse.name} is listed twice", field=f"{field}[{i}]")
        found.append(warehouse)
    return found


def channel_set_writeback_warehouses(
    *,
    company: Company,
    channel: SalesChannel,
    warehouse_ids: Sequence[int],
    user: User | None = None,
) -> int:
    """Choose the warehouses whose stock the channel receives; an empty list turns the
    setting off (the channel receives all warehouses).

    A change logs one `cart_warehouse` row in the log of every product of the company (kits
    included; no stock change), with warehouse_name = the warehouses it became ("Main, East"
    or "All warehouses"), warehouse_locations = the channel's location mapping, the cart
    columns, user_name and a note saying what it was. The same choice again logs nothing.
    Returns the number of rows logged. Unknown, other companies' or repeated warehouses are
    InvalidInput (field `warehouse_ids[i]`), and change nothing.
    """
    warehouses = _warehouses_in(company, warehouse_ids, "warehouse_ids")
    return _set_writeback_warehouses_in_transaction(company, channel, warehouses, user)


@write_transaction
def _set_writeback_warehouses_in_transaction(
    company: Company, channel: SalesChannel, warehouses: list[Warehouse], user: User | None
) -> int:
    channel = _locked(channel)
    before = list(
        Warehouse.objects.filter(
            id__in=ChannelWarehouse.objects.filter(channel=channel).values("warehouse_id")
        )
    )
    if {w.id for w in before} == {w.id for w in warehouses}:
        return 0
    ChannelWarehouse.objects.filter(channel=channel).delete()
    ChannelWarehouse.objects.bulk_create(
        ChannelWarehouse(company=company, channel=channel, warehouse=w) for w in warehouses
    )
    note = f"Writeback warehouses set to {_names(warehouses)} (was: {_names(before)})"
    audit_record(
        company=company,
        actor=user,
        action="channel.writeback_warehouses",
        target=channel,
        changes={"writeback_warehouses": (_names(before), _names(warehouses))},
    )
    channel_mark_dirty(channel_id=channel.id)
    return _log_setting_change(company=company, channel=channel, user=user, note=_fit(note, 2000))


def channel_set_locations(
    *,
    company: Company,
    channel: SalesChannel,
    locations: Sequence[dict],
    user: User | None = None,
) -> int:
    """Replace the channel's location mapping: each warehouse's id in the channel (a Shopify
    location id). Warehouses left out become unmapped; an empty list clears the mapping.

    A change logs `cart_warehouse` rows exactly as `channel_set_writeback_warehouses` does
    (warehouse_locations = "Main=<location>; East=<location>"); the same mapping again logs
    nothing. Returns the number of rows logged. Refuses (InvalidInput, field
    `locations[i].…`) unknown warehouses, a warehouse listed twice, an empty, over-long or
    repeated location, and then changes nothing.
    """
    if not isinstance(locations, (list, tuple)):
        raise InvalidInput("must be a list", field="locations")
    mapping: dict[int, str] = {}
    warehouses: dict[int, Warehouse] = {}
    seen_locations: set[str] = set()
    for i, item in enumerate(locations):
        where = f"locations[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput("must be {warehouse_id, location}", field=where)
        raw_id = item.get("warehouse_id")
        if isinstance(raw_id, bool):
            raise InvalidInput(f"unknown warehouse {raw_id!r}", field=f"{where}.warehouse_id")
        warehouse = warehouse_by_id(
            company=company, warehouse_id=raw_id, field=f"{where}.warehouse_id", archived_ok=True
        )
        if warehouse.id in mapping:
            raise InvalidInput(f"{warehouse.name} is listed twice", field=f"{where}.warehouse_id")
        location = item.get("location")
        if not isinstance(location, str) or not location.strip():
            raise InvalidInput("location must be a non-empty string", field=f"{where}.location")
        location = location.strip()
        if len(location) > LOCATION_MAX:
            raise InvalidInput(
                f"location is longer than {LOCATION_MAX} characters", field=f"{where}.location"
            )
        if any(ord(ch) < 32 for ch in location):
            raise InvalidInput(
                "location must not contain control characters", field=f"{where}.location"
            )
        if location in seen_locations:
            raise InvalidInput(
                f"location {location!r} is mapped to two warehouses", field=f"{where}.location"
            )
        seen_locations.add(location)
        mapping[warehouse.id] = location
        warehouses[warehouse.id] = warehouse
    return _set_locations_in_transaction(company, channel, mapping, warehouses, user)


@write_transaction
def _set_locations_in_transaction(
    company: Company,
    channel: SalesChannel,
    mapping: dict[int, str],
    warehouses: dict[int, Warehouse],
    user: User | None,
) -> int:
    channel = _locked(channel)
    before = dict(
        ChannelLocation.objects.filter(channel=channel).values_list("warehouse_id", "location")
    )
    if before == mapping:
        return 0
    ChannelLocation.objects.filter(channel=channel).delete()
    ChannelLocation.objects.bulk_create(
        ChannelLocation(company=company, channel=channel, warehouse=warehouses[w], location=loc)
        for w, loc in sorted(mapping.items())
    )
    changed = sorted(w for w in set(before) | set(mapping) if before.get(w) != mapping.get(w))
    names = dict(Warehouse.objects.filter(id__in=changed).values_list("id", "name"))
    note = "Location mapping changed for " + ", ".join(names[w] for w in changed)
    audit_record(
        company=company,
        actor=user,
        action="channel.locations",
        target=channel,
        changes={f"location of {names[w]}": (before.get(w), mapping.get(w)) for w in changed},
    )
    channel_mark_dirty(channel_id=channel.id)
    return _log_setting_change(company=company, channel=channel, user=user, note=_fit(note, 2000))


# --- delivery settings ----------------------------------------------------------------------

# Settings whose values the audit list must not show.
SECRET_SETTINGS = frozenset({"webhook_secret"})


def channel_set_webhook(
    *,
    company: Company,
    channel: SalesChannel,
    url: str | None,
    timeout_seconds: float | None = None,
) -> SalesChannel:
    """Deliver writebacks to `url` (http/https) as signed JSON; None or "" goes back to the
    manual adapter (quantities recorded for a connector to read). `timeout_seconds` (0.1 to
    10, default 5) bounds each attempt. Logs nothing (it changes how quantities are sent,
    not which). Refuses another scheme, credentials in the URL, a bad timeout."""
    if timeout_seconds is not None:
        if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, (int, float)):
            raise InvalidInput("timeout_seconds must be a number", field="timeout_seconds")
        if not 0.1 <= timeout_seconds <= MAX_TIMEOUT_SECONDS:
            raise InvalidInput(
                f"timeout_seconds must be between 0.1 and {MAX_TIMEOUT_SECONDS:g}",
                field="timeout_seconds",
            )
    if url is None or (isinstance(url, str) and not url.strip()):
        clean_url, adapter = "", AdapterName.MANUAL
    else:
        clean_url, adapter = check_webhook_url(url, field="url"), AdapterName.WEBHOOK
    return _configured(
        _save_channel_in_transaction(
            channel,
            webhook_url=clean_url,
            adapter=adapter,
            webhook_timeout_seconds=(
                float(timeout_seconds)
                if timeout_seconds is not None
                else channel.webhook_timeout_seconds
            ),
        )
    )


def channel_set_adapter(*, company: Company, channel: SalesChannel, adapter: str) -> SalesChannel:
    """Switch the channel to an installed adapter (connectors register theirs)."""
    if adapter not in registered():
        raise InvalidInput(f"adapter must be one of {', '.join(registered())}", field="adapter")
    if adapter == AdapterName.WEBHOOK and not channel.webhook_url:
        raise InvalidInput("set a webhook URL first", field="adapter")
    if (
        adapter == AdapterName.SHOPIFY
        and not ShopifySettings.objects.filter(channel=channel).exists()
    ):
        raise InvalidInput("connect Shopify first (shop domain and access token)", field="adapter")
    if adapter == AdapterName.VENDURE and not VendureSettings.objects.filter(channel=channel):
        raise InvalidInput("connect the Vendure store first (PUT .../vendure)", field="adapter")
    return _configured(_save_channel_in_transaction(channel, adapter=adapter))


def _configured(channel: SalesChannel) -> SalesChannel:
    """Schedule (or stop) the channel's automatic runs for its adapter."""
    channel_sync_configure(channel=channel)
    return channel


def channel_connect_vendure(
    *,
    company: Company,
    channel: SalesChannel,
    admin_url: str,
    username: str = "",
    password: str = "",
    token: str = "",
) -> SalesChannel:
    """Connect the channel to a Vendure store's Admin API (its URL, e.g.
    https://shop.example.com/admin-api, and an administrator's username and password, or a
    bearer token) and switch it to the Vendure adapter: orders are polled, quantities read
    back and written per mapped stock location by the worker from now on. The password and
    token are stored encrypted (core/secret_box.py) and never shown again; an empty one keeps
    what is stored (re-saving the URL needs no retyping). Logs nothing; the audit list gets
    the URL and user name, and only "(new secret)" for a password or token."""
    url = check_webhook_url(admin_url, field="admin_url")
    username, password, token = (username or "").strip(), password or "", (token or "").strip()
    for name, value in (("username", username), ("password", password), ("token", token)):
        if len(value) > 500:
            raise InvalidInput(f"{name} is longer than 500 characters", field=name)
    if password and not username:
        raise InvalidInput("give the user name the password belongs to", field="username")
    if not password and not token:
        stored = VendureSettings.objects.filter(channel=channel).first()
        keeps = stored is not None and (
            bool(stored.token_sealed)
            or bool(stored.password_sealed and username and stored.username == username)
        )
        if not keeps:
            raise InvalidInput("give a username and password, or a token", field="username")
    _save_vendure_in_transaction(company, channel, url, username, password, token)
    return _configured(_save_channel_in_transaction(channel, adapter=AdapterName.VENDURE))


@write_transaction
def _save_vendure_in_transaction(
    company: Company, channel: SalesChannel, url: str, username: str, password: str, token: str
) -> None:
    config = VendureSettings.objects.select_for_update().filter(channel=channel).first()
    if config is None:
        config = VendureSettings(company=company, channel=channel)
    before = (config.admin_url, config.username)
    config.admin_url, config.username = url, username
    if password:
        # A login replaces a token (and the other way round): the worker uses what was given.
        config.password_sealed = secret_seal(password)
        config.token_sealed, config.token_hint = "", ""
    if token:
        config.token_sealed, config.token_hint = secret_seal(token), secret_hint(token)
        if not password:
            config.password_sealed = ""
    config.save()
    audit_record(
        company=company,
        action="channel.vendure",
        target=channel,
        changes={
            "admin_url": (before[0], url),
            "username": (before[1], username),
            "password": ("(old secret)", "(new secret)") if password else (None, None),
            "token": ("(old secret)", "(new secret)") if token else (None, None),
        },
    )


def channel_secret_rotate(*, company: Company, channel: SalesChannel) -> str:
    """Replace the webhook secret; the old one stops signing at once. Returns the new one."""
    secret = new_webhook_secret()
    _save_channel_in_transaction(channel, webhook_secret=secret)
    return secret


@write_transaction
def _save_channel_in_transaction(channel: SalesChannel, **values: Any) -> SalesChannel:
    audit_record(
        company=channel.company,
        action="channel.settings",
        target=channel,
        changes={
            key: (
                ("(old secret)", "(new secret)")
                if key in SECRET_SETTINGS
                else (getattr(channel, key), value)
            )
            for key, value in values.items()
        },
    )
    SalesChannel.objects.filter(pk=channel.pk).update(**values)
    for key, value in values.items():
        setattr(channel, key, value)
    return channel


# --- writeback rules ------------------------------------------------------------------------


def _limit(value: Any, field: str, *, low: int, high: int = QUANTITY_MAX) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("must be a whole number", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"must be between {low} and {high}", field=field)
    return value


def channel_rule_set(
    *,
    company: Company,
    channel: SalesChannel,
    product: Product,
    maximum: int | None = None,
    minimum: int | None = None,
    percent: int | None = None,
    reserve: int | None = None,
) -> WritebackRule:
    """Create or replace the channel's writeback rule for one SKU (see writeback.py for how
    the limits apply). Every limit is optional but at least one is given; maximum >= 0,
    reserve >= 0, percent 0..100, minimum may be negative and is <= maximum. Logs nothing:
    the next writeback run's `export` rows show the rule in their explanation."""
    if product.company_id != company.id:
        raise InvalidInput(f"unknown SKU {product.sku!r}", field="sku")
    rule_values = {
        "maximum": _limit(maximum, "maximum", low=0),
        "minimum": _limit(minimum, "minimum", low=-QUANTITY_MAX),
        "percent": _limit(percent, "percent", low=0, high=100),
        "reserve": _limit(reserve, "reserve", low=0),
    }
    if all(v is None for v in rule_values.values()):
        raise InvalidInput(
            "give at least one of maximum, minimum, percent, reserve (or delete the rule)",
            field="maximum",
        )
    if minimum is not None and maximum is not None and minimum > maximum:
        raise InvalidInput(f"minimum {minimum} is above maximum {maximum}", field="minimum")
    return _save_rule_in_transaction(company, channel, product, rule_values)


@write_transaction
def _save_rule_in_transaction(
    company: Company, channel: SalesChannel, product: Product, values: dict[str, int | None]
) -> WritebackRule:
    old = WritebackRule.objects.filter(channel=channel, product=product).first()
    rule, _created = WritebackRule.objects.update_or_create(
        channel=channel, product=product, defaults={"company": company, **values}
    )
    audit_record(
        company=company,
        action="channel.rule",
        target=channel,
        changes={
            f"{product.sku} {key}": (getattr(old, key, None), value)
            for key, value in values.items()
        },
    )
    channel_mark_dirty(channel_id=channel.id)
    return rule


@write_transaction
def channel_rule_delete(*, company: Company, channel: SalesChannel, product: Product) -> None:
    """Remove the channel's rule for one SKU; NotFound if it has none."""
    deleted, _ = WritebackRule.objects.filter(
        company=company, channel=channel, product=product
    ).delete()
    if not deleted:
        raise NotFound(f"{channel.name} has no writeback rule for {product.sku}")
    audit_record(
        company=company,
        action="channel.rule_delete",
        target=channel,
        changes={f"{product.sku} rule": ("set", None)},
    )
    channel_mark_dirty(channel_id=channel.id)
