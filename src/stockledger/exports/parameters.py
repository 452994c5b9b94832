"""What an export asked for, normalized and stored on the job as JSON."""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stockledger.core.errors import InvalidInput

from .sources import LogFilters

# Relative intervals end when the export is requested. A month is a calendar month back in
# the export's timezone (March 31 -> February 28/29), not 30 days.
INTERVALS = ("hour", "day", "week", "month")
_FIXED = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA timezone `name` (e.g. "Europe/Berlin"); anything else is invalid input."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise InvalidInput("timezone must be an IANA name like Europe/Berlin", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown timezone {name!r}", field=field) from None


def interval_bounds(interval: str, *, now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """(since, until) of "the last hour/day/week/month" ending at `now`."""
    if interval in _FIXED:
        return now - _FIXED[interval], now
    if interval == "month":
        local = now.astimezone(tz)
        year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
        day = min(local.day, calendar.monthrange(year, month)[1])
        return local.replace(year=year, month=month, day=day), now
    raise InvalidInput(f"interval must be one of {', '.join(INTERVALS)}", field="interval")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class ExportParameters:
    timezone: str = "UTC"
    product_id: int | None = None
    sku: str = ""  # the product's SKU when the export was asked for (file name, pages)
    skus: tuple[str, ...] = ()
    search: str = ""
    since: datetime | None = None
    until: datetime | None = None
    interval: str = ""  # kept to show what was asked; since/until hold its resolved bounds
    event_types: tuple[str, ...] = ()
    warehouse_ids: tuple[int, ...] = field(default=())
    timestamp_format: str = "iso"  # ledger.columns.TIMESTAMP_FORMATS

    @cached_property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def filters(self) -> LogFilters:
        return LogFilters(
            since=self.since,
            until=self.until,
            event_types=self.event_types,
            warehouse_ids=self.warehouse_ids,
        )

    def to_json(self) -> dict:
        data = asdict(self)
        data["since"], data["until"] = _iso(self.since), _iso(self.until)
        data["skus"], data["event_types"] = list(self.skus), list(self.event_types)
        data["warehouse_ids"] = list(self.warehouse_ids)
        return data

    @classmethod
    def from_json(cls, data: dict) -> ExportParameters:
        return cls(
            timezone=data.get("timezone") or "UTC",
            product_id=data.get("product_id"),
            sku=data.get("sku") or "",
            skus=tuple(data.get("skus") or ()),
            search=data.get("search") or "",
            since=_parse(data.get("since")),
            until=_parse(data.get("until")),
            interval=data.get("interval") or "",
            event_types=tuple(data.get("event_types") or ()),
            warehouse_ids=tuple(data.get("warehouse_ids") or ()),
            timestamp_format=data.get("timestamp_format") or "iso",
        )
