"""Physical and available on hand over time, read back from the Inventory Log, as SVG geometry.

Every row that touches a warehouse records that warehouse's own quantities right after it
(`warehouse_physical_on_hand`, `warehouse_committed`); those are never overridden (an `export`
row overrides only the product totals), so replaying them in log order gives the quantities at
any moment. A kit's line is derived from its components' rows the way the ledger derives it.

Long histories are bounded twice: at most `MAX_ROWS` rows are read (the newest; the chart then
says where it starts), and they are folded into `BUCKETS` columns keeping each column's low,
high and last value, so a spike inside a busy day still shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from stockledger.catalog.kits import kit_totals
from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.ledger.models import LogEntry
from stockledger.warehouses.models import Warehouse

MAX_ROWS = 20_000
BUCKETS = 240
WIDTH, HEIGHT = 1000, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 30

RANGES = {"30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_RANGE = "90"

_COLUMNS = (
    "created_at",
    "id",
    "product_id",
    "warehouse_id",
    "warehouse_physical_on_hand",
    "warehouse_committed",
)


@dataclass
class Bucket:
    start: datetime
    physical: list[int] = field(default_factory=list)
    available: list[int] = field(default_factory=list)


@dataclass
class Chart:
    """What the SVG template draws: paths, ticks and hover boxes, all in viewBox units."""

    width: int = WIDTH
    height: int = HEIGHT
    physical_path: str = ""
    available_path: str = ""
    y_ticks: list[tuple[float, int]] = field(default_factory=list)
    x_ticks: list[tuple[float, str, str]] = field(default_factory=list)
    zero_y: float | None = None
    hovers: list[tuple[float, float, str]] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    since: datetime | None = None
    until: datetime | None = None
    truncated: bool = False
    rows: int = 0
    empty: bool = True
    last_physical: int | None = None
    last_available: int | None = None

    y_low: int = 0
    y_high: int = 1

    @property
    def plot_height(self) -> int:
        return self.plot_bottom - self.plot_top

    def y_of(self, value: int) -> float:
        """Where `value` sits on the vertical axis."""
        span = self.y_high - self.y_low
        return round(self.plot_bottom - (value - self.y_low) / span * self.plot_height, 1)


class _Quantities:
    """Running stock of the products behind a chart, and the charted value from it."""

    def __init__(self, product: Product, warehouse_id: int | None) -> None:
        self.warehouse_id = warehouse_id
        self.state: dict[tuple[int, int], tuple[int, int]] = {}
        if product.kind == ProductKind.KIT:
            self.kit: list[tuple[int, int]] | None = list(
                KitComponent.objects.filter(kit=product)
                .order_by("component_id")
                .values_list("component_id", "quantity")
            )
            self.product_ids = [c for c, _ in self.kit]
        else:
            self.kit = None
            self.product_ids = [product.id]

    def apply(self, product_id: int, warehouse_id: int, physical: int, committed: int) -> None:
        self.state[(product_id, warehouse_id)] = (physical, committed)

    def _one(self, product_id: int, warehouse_id: int) -> tuple[int, int]:
        return self.state.get((product_id, warehouse_id), (0, 0))

    def _totals(self, product_id: int) -> tuple[int, int]:
        physical = committed = 0
        for (p, w), (ph, co) in self.state.items():
            if p == product_id and (self.warehouse_id is None or w == self.warehouse_id):
                physical += ph
                committed += co
        return physical, committed

    def value(self) -> tuple[int, int]:
        """(physical, available) now, for the product or kit, total or one warehouse."""
        if self.kit is None:
            physical, committed = self._totals(self.product_ids[0])
            return physical, physical - committed
        if self.warehouse_id is not None:
            warehouse_ids = [self.warehouse_id]
        else:
            warehouse_ids = sorted({w for _p, w in self.state})
        physical, committed = kit_totals(self.kit, self._one, warehouse_ids)
        return physical, physical - committed


def _rows(product_ids: list[int], warehouse_id: int | None):
    qs = LogEntry.objects.filter(product_id__in=product_ids, warehouse__isnull=False)
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    return qs


def _start_state(quantities: _Quantities, before: Q, warehouse_ids: list[int]) -> None:
    """Each product and warehouse as the last row `before` the window left it."""
    for product_id in quantities.product_ids:
        for warehouse_id in warehouse_ids:
            last = (
                LogEntry.objects.filter(before, product_id=product_id, warehouse_id=warehouse_id)
                .order_by("-created_at", "-id")
                .values_list("warehouse_physical_on_hand", "warehouse_committed")
                .first()
            )
            if last is not None:
                quantities.apply(product_id, warehouse_id, last[0] or 0, last[1] or 0)


def build_chart(
    product: Product,
    *,
    warehouse: Warehouse | None = None,
    days: int | None = 90,
    now: datetime | None = None,
) -> Chart:
    """The chart of `product` (total, or one warehouse) over the last `days` (None: all)."""
    until = now or timezone.now()
    quantities = _Quantities(product, warehouse.id if warehouse else None)
    rows = _rows(quantities.product_ids, quantities.warehouse_id)
    chart = Chart(until=until)
    if days is None:
        first = rows.order_by("created_at", "id").values_list("created_at", flat=True).first()
        since = first if first is not None else until - timedelta(days=30)
    else:
        since = until - timedelta(days=days)
    window = rows.filter(created_at__gte=since, created_at__lte=until)
    # Bound the work: when the window holds more than MAX_ROWS rows, start at the oldest of
    # the newest MAX_ROWS and say so.
    cutoff = window.order_by("-created_at", "-id").values_list("created_at", "id")[
        MAX_ROWS : MAX_ROWS + 1
    ]
    cutoff_row = list(cutoff)
    before = Q(created_at__lt=since)
    if cutoff_row:
        chart.truncated = True
        at, pk = cutoff_row[0]
        since = at
        window = window.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=pk))
        before = Q(created_at__lt=at) | Q(created_at=at, id__lte=pk)
    if until <= since:
        since = until - timedelta(days=1)
    chart.since = since

    warehouse_ids = (
        [warehouse.id]
        if warehouse
        else list(Warehouse.objects.filter(company=product.company).values_list("id", flat=True))
    )
    _start_state(quantities, before, warehouse_ids)

    span = (until - since).total_seconds()
    buckets = [Bucket(start=since + timedelta(seconds=span * i / BUCKETS)) for i in range(BUCKETS)]
    start_physical, start_available = quantities.value()
    count = 0
    for created_at, _pk, product_id, warehouse_id, physical, committed in (
        window.order_by("created_at", "id").values_list(*_COLUMNS).iterator(chunk_size=5000)
    ):
        count += 1
        quantities.apply(product_id, warehouse_id, physical or 0, committed or 0)
        index = min(BUCKETS - 1, int((created_at - since).total_seconds() / span * BUCKETS))
        value_physical, value_available = quantities.value()
        buckets[index].physical.append(value_physical)
        buckets[index].available.append(value_available)
    chart.rows = count
    end_physical, end_available = quantities.value()
    chart.last_physical, chart.last_available = end_physical, end_available
    chart.empty = count == 0 and not quantities.state
    _draw(chart, buckets, (start_physical, start_available), span)
    return chart


def _nice_step(span: float, target: int = 5) -> int:
    raw = max(span / target, 1)
    magnitude = 10 ** len(str(int(raw))) // 10 or 1
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= raw:
            return magnitude * factor
    return magnitude * 10


def _draw(chart: Chart, buckets: list[Bucket], start: tuple[int, int], span: float) -> None:
    values = [start[0], start[1], 0]
    for bucket in buckets:
        values.extend(bucket.physical)
        values.extend(bucket.available)
    low, high = min(values), max(values)
    if high == low:
        high = low + 1
    step = _nice_step(high - low)
    low = (low // step) * step
    high = -((-high) // step) * step
    chart.y_low, chart.y_high = low, high
    left, right = chart.plot_left, chart.plot_right
    y = chart.y_of

    def x(i: int) -> float:
        return round(left + (right - left) * i / BUCKETS, 1)

    chart.y_ticks = [(y(v), v) for v in range(low, high + 1, step)]
    if low < 0 < high:
        chart.zero_y = y(0)

    def path(first: int, per_bucket: list[list[int]]) -> str:
        parts = [f"M{x(0)},{y(first)}"]
        current = first
        for i, changes in enumerate(per_bucket):
            if not changes:
                continue
            # Low, high, then where the column ends: a vertical stroke covering the spread.
            stops = [v for v in (min(changes), max(changes), changes[-1])]
            if all(v == current for v in stops):
                continue
            parts.append(f"H{x(i)}")
            for value in stops:
                if value != current:
                    parts.append(f"V{y(value)}")
                    current = value
        parts.append(f"H{x(BUCKETS)}")
        return "".join(parts)

    chart.physical_path = path(start[0], [b.physical for b in buckets])
    chart.available_path = path(start[1], [b.available for b in buckets])

    since = chart.since
    assert since is not None  # set above with the time span
    days = span / 86400
    label = "%b %d" if days > 2 else "%H:%M"
    if days > 400:
        label = "%b %Y"
    for i in range(0, 7):
        at = since + timedelta(seconds=span * i / 6)
        anchor = "start" if i == 0 else "end" if i == 6 else "middle"
        chart.x_ticks.append((x(round(BUCKETS * i / 6)), at.strftime(label), anchor))

    # Hover boxes, one per column, titled with what the lines show there.
    physical, available = start
    width = round((right - left) / BUCKETS, 2)
    for i, bucket in enumerate(buckets):
        spread = ""
        if bucket.physical:
            physical, available = bucket.physical[-1], bucket.available[-1]
            changes = len(bucket.physical)
            spread = f"; {changes} change{'s' if changes > 1 else ''}"
            if changes > 1:
                spread += f", physical {min(bucket.physical)}..{max(bucket.physical)}"
        when = bucket.start.strftime("%Y-%m-%d %H:%M")
        chart.hovers.append(
            (x(i), width, f"{when} UTC: physical {physical}, available {available}{spread}")
        )
