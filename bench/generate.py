"""Realistic Inventory Log histories, written in bulk (not through the services).

A history is simulated event by event (orders imported, shipped and cancelled, purchase orders
received, cycle counts with notes, transfers between warehouses, returns, channel imports and
exports, channel warehouse changes, manufacturing) over several warehouses and sales channels.
Each row carries the quantities that result, chained exactly as `ledger_record` would chain
them, so `stockledger verify` passes on the result. Rows go to the database in large batches
(executemany on SQLite, COPY on PostgreSQL) and the stock rows are written at the end with the
final quantities.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection

from stockledger.ledger.models import LogEntry

# Every stored column but the id, in the table's order.
TABLE_COLUMNS: tuple[str, ...] = tuple(
    f.column for f in LogEntry._meta.concrete_fields if f.column != "id"
)
_AT = {name: i for i, name in enumerate(TABLE_COLUMNS)}
# The model's defaults for a row (Django defaults are not database defaults).
_TEMPLATE: list = []
for _f in LogEntry._meta.concrete_fields:
    if _f.column == "id":
        continue
    _TEMPLATE.append(_f.default if _f.has_default() else None)

NOTES = (
    "cycle count",
    "found 2 behind the shelf, recounted",
    'damaged in transit: box marked "fragile" was crushed',
    "=counted by Anna",  # a formula leader: guarded in the CSV
    "-2 water damage",
    "+1 found during audit",
    "@warehouse team please recheck",
    "Zählung nach Inventur; Lager Süd",
    "customer return, resealed\nsecond line of the note",
    "stock-take, aisle 4, bin 12",
)
TRANSFER_NOTES = (
    "weekly rebalancing",
    "moving slow sellers to the overflow site",
    'urgent: "Prime" orders backlog',
    "",
)
LOCATIONS = ("A-01-3", "Aisle 3, Bin 12", "B-07", "Overflow, pallet 4", "")
DELIVERY = ("delivered", "delivered", "delivered", "queued", "failed: HTTP 429, retried")


@dataclass(frozen=True)
class Place:
    """A warehouse or a sales channel as the generator needs it."""

    id: int
    name: str
    kind: str = ""  # cart_type for channels


@dataclass
class Item:
    """A product in a simulated group: its stock per warehouse and its row count."""

    id: int
    sku: str
    per_kit: int = 1
    stock: dict[int, list[int]] = field(default_factory=dict)  # warehouse id -> [phys, comm]
    rows: int = 0


class Sink:
    """Writes log rows in batches through the raw driver of Django's own connection."""

    def __init__(self, batch: int = 20_000) -> None:
        self.batch = batch
        self.pending: list[list] = []
        self.written = 0
        self.indexes: list[tuple[str, str]] = []
        self.vendor = connection.vendor
        connection.ensure_connection()
        self.raw = connection.connection
        # A bulk load of rows valid by construction: skip the per-row foreign key checks
        # (SQLite's pragma; PostgreSQL's replica role, which needs a superuser, else normal).
        if self.vendor == "sqlite":
            self.raw.execute("PRAGMA foreign_keys=OFF")
        else:
            try:
                with self.raw.cursor() as cur:
                    cur.execute("SET session_replication_role = replica")
                self.raw.commit()
            except Exception:  # noqa: BLE001 - not a superuser: load with the checks
                self.raw.rollback()

    def drop_indexes(self) -> None:
        """Drop the log's secondary indexes for the load (rebuilt by `close`): building an
        index once from sorted rows is much cheaper than growing it row by row."""
        if self.vendor == "sqlite":
            self.indexes = self.raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'ledger_logentry' AND sql IS NOT NULL"
            ).fetchall()
            for name, _ in self.indexes:
                self.raw.execute(f'DROP INDEX "{name}"')
            return
        with self.raw.cursor() as cur:
            cur.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = 'ledger_logentry'::regclass AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
            )
            self.indexes = cur.fetchall()
            for name, _ in self.indexes:
                cur.execute(f'DROP INDEX "{name}"')
        self.raw.commit()

    def add(self, row: list) -> None:
        self.pending.append(row)
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        columns = ", ".join(TABLE_COLUMNS)
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(TABLE_COLUMNS))
            # Django keeps the driver in autocommit: one explicit transaction per batch.
            self.raw.execute("BEGIN")
            self.raw.executemany(
                f"INSERT INTO ledger_logentry ({columns}) VALUES ({marks})", self.pending
            )
            self.raw.execute("COMMIT")
        else:
            with self.raw.cursor() as cur:
                with cur.copy(f"COPY ledger_logentry ({columns}) FROM STDIN") as copy:
                    for row in self.pending:
                        copy.write_row(row)
            self.raw.commit()
        self.written += len(self.pending)
        self.pending.clear()

    def close(self) -> None:
        self.flush()
        if self.vendor == "sqlite":
            for _, sql in self.indexes:
                self.raw.execute(sql)
            self.raw.execute("PRAGMA foreign_keys=ON")
        else:
            with self.raw.cursor() as cur:
                cur.execute("SET maintenance_work_mem = '256MB'")
                for _, sql in self.indexes:
                    # The log is partitioned: its index definitions read "ON ONLY", which
                    # builds the parent's index alone (invalid, and no partition indexed).
                    cur.execute(sql.replace(" ON ONLY ", " ON ", 1))
                cur.execute("RESET maintenance_work_mem")
                cur.execute("RESET session_replication_role")
                cur.execute(
                    "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
                    "WHERE NOT x.indisvalid AND x.indrelid IN (SELECT 'ledger_logentry'::regclass "
                    "UNION ALL SELECT inhrelid FROM pg_inherits "
                    "WHERE inhparent = 'ledger_logentry'::regclass)"
                )
                invalid = [name for (name,) in cur.fetchall()]
            self.raw.commit()
            if invalid:
                raise RuntimeError(f"the log's indexes were not rebuilt: {', '.join(invalid)}")
        self.indexes = []


class History:
    """One group of products simulated on a common timeline (a product, or a kit's parts)."""

    def __init__(
        self,
        *,
        company_id: int,
        user: tuple[int, str],
        warehouses: list[Place],
        channels: list[Place],
        items: list[Item],
        sink: Sink,
        seed: int,
        start: datetime,
        mean_gap_seconds: float,
        kit: Item | None = None,
    ) -> None:
        self.company_id = company_id
        self.user_id, self.user_name = user
        self.warehouses = warehouses
        self.channels = channels
        self.items = items
        self.kit = kit
        self.sink = sink
        self.rng = random.Random(seed)
        self.now = start
        self.mean_gap = mean_gap_seconds
        self.open_orders: list[tuple] = []
        self.numbers = 1000
        self.written_to_channel: dict[int, int] = {}
        self.utc = connection.vendor != "sqlite"
        for item in items:
            for wh in warehouses:
                item.stock[wh.id] = [0, 0]

    # --- rows ------------------------------------------------------------------------------

    def _stamp(self, at: datetime | None) -> str | None:
        if at is None:
            return None
        # SQLite: Django's text format for naive UTC; PostgreSQL: the same with an offset.
        return f"{at}+00:00" if self.utc else str(at)

    def _totals(self, item: Item) -> tuple[int, int]:
        phys = comm = 0
        for p, c in item.stock.values():
            phys += p
            comm += c
        return phys, comm

    def _kit_totals(self, warehouse_id: int | None) -> tuple[int, int]:
        physical = available = None
        for item in self.items:
            if warehouse_id is None:
                p_, c_ = self._totals(item)
            else:
                p_, c_ = item.stock[warehouse_id]
            p = max(0, p_ // item.per_kit)
            a = max(0, (p_ - c_) // item.per_kit)
            physical = p if physical is None else min(physical, p)
            available = a if available is None else min(available, a)
        return physical, physical - available

    def row(
        self,
        item: Item,
        event_type: str,
        *,
        warehouse: Place | None = None,
        physical_change: int = 0,
        committed_change: int = 0,
        quantity: int | None = None,
        available_override: int | None = None,
        went_negative: bool = False,
        imported_at: datetime | None = None,
        channel: Place | None = None,
        user: bool = False,
        **extra,
    ) -> None:
        r = list(_TEMPLATE)
        at = _AT
        if warehouse is not None and (physical_change or committed_change):
            state = item.stock[warehouse.id]
            state[0] += physical_change
            state[1] += committed_change
        if item is self.kit:
            physical, committed = self._kit_totals(None)
        else:
            physical, committed = self._totals(item)
        r[at["company_id"]] = self.company_id
        r[at["product_id"]] = item.id
        r[at["sku"]] = item.sku
        r[at["event_type"]] = event_type
        r[at["created_at"]] = self._stamp(self.now)
        r[at["imported_at"]] = self._stamp(imported_at)
        r[at["recorded_at"]] = self._stamp(imported_at or self.now)
        r[at["quantity"]] = quantity
        r[at["physical_on_hand"]] = physical
        r[at["committed"]] = committed
        r[at["available_on_hand"]] = (
            physical - committed if available_override is None else available_override
        )
        r[at["physical_change"]] = physical_change
        r[at["committed_change"]] = committed_change
        r[at["went_negative"]] = went_negative
        if warehouse is not None:
            if item is self.kit:
                wp, wc = self._kit_totals(warehouse.id)
            else:
                wp, wc = item.stock[warehouse.id]
            r[at["warehouse_id"]] = warehouse.id
            r[at["warehouse_name"]] = warehouse.name
            r[at["warehouse_physical_on_hand"]] = wp
            r[at["warehouse_committed"]] = wc
            r[at["warehouse_available_on_hand"]] = wp - wc
        if channel is not None:
            r[at["cart_type"]] = channel.kind
            r[at["cart_id"]] = channel.id
            r[at["cart_name"]] = channel.name
        if user:
            r[at["user_id"]] = self.user_id
            r[at["user_name"]] = self.user_name
        for name, value in extra.items():
            r[at[name]] = value
        if not self.utc:
            r[at["went_negative"]] = int(went_negative)
            if r[at["channel_differs"]] is not None:
                r[at["channel_differs"]] = int(r[at["channel_differs"]])
        item.rows += 1
        self.sink.add(r)

    # --- events ----------------------------------------------------------------------------

    def _number(self, prefix: str) -> tuple[str, int]:
        self.numbers += 1
        return f"{prefix}-{self.numbers}", self.numbers

    def _warehouse(self) -> Place:
        # Most traffic goes through the first warehouse, like a real main site.
        r = self.rng.random()
        index = 0 if r < 0.6 else 1 if r < 0.85 else 2
        return self.warehouses[min(index, len(self.warehouses) - 1)]

    def _advance(self) -> None:
        gap = self.rng.expovariate(1 / self.mean_gap)
        self.now += timedelta(seconds=int(gap), microseconds=self.rng.randrange(1_000_000))

    def order_import(self, items: list[Item], kit_count: int | None = None) -> None:
        """An order imported from a channel: commits each line (a kit line, its components)."""
        channel = self.rng.choice(self.channels)
        wh = self._warehouse()
        number, doc = self._number(channel.kind[:3].upper())
        imported = self.now + timedelta(minutes=self.rng.randrange(1, 30))
        common = dict(
            event_id=number,
            order_step="imported",
            document_type="order",
            document_id=doc,
            imported_at=imported,
            channel=channel,
            warehouse_locations=self.rng.choice(LOCATIONS),
        )
        is_kit = kit_count is not None
        n = kit_count if is_kit else self.rng.randint(1, 4)
        for item in items:
            q = n * item.per_kit if is_kit else n
            kit_sku = self.kit.sku if is_kit else ""
            self.row(
                item,
                "order",
                warehouse=wh,
                committed_change=q,
                quantity=q,
                kit_sku=kit_sku,
                **common,
            )
        if is_kit:
            self.row(self.kit, "order", warehouse=wh, quantity=n, **common)
        self.open_orders.append((number, doc, channel, wh, n, items, is_kit))

    def order_close(self, ship: bool) -> None:
        """The oldest open order (mostly) ships or is cancelled."""
        if not self.open_orders:
            return self.order_import([self.rng.choice(self.items)])
        index = 0 if self.rng.random() < 0.8 else self.rng.randrange(len(self.open_orders))
        number, doc, channel, wh, n, items, is_kit = self.open_orders.pop(index)
        step = "shipped" if ship else "cancelled"
        common = dict(
            event_id=number,
            order_step=step,
            document_type="order",
            document_id=doc,
            channel=channel,
        )
        for item in items:
            q = n * item.per_kit if is_kit else n
            negative = ship and item.stock[wh.id][0] - q < 0
            self.row(
                item,
                "order",
                warehouse=wh,
                physical_change=-q if ship else 0,
                committed_change=-q,
                quantity=q,
                went_negative=negative,
                kit_sku=self.kit.sku if is_kit else "",
                **common,
            )
        if is_kit:
            self.row(self.kit, "order", warehouse=wh, quantity=n, **common)

    def po_received(self, item: Item) -> None:
        wh = self._warehouse()
        q = self.rng.randrange(20, 200)
        number, doc = self._number("PO")
        self.row(
            item,
            "po_received",
            warehouse=wh,
            physical_change=q,
            quantity=q,
            expected_quantity=q + self.rng.choice((0, 0, 0, 5, 10)),
            received_quantity=q,
            event_id=f"{number}/GR-1",
            document_type="purchase_order",
            document_id=doc,
        )

    def on_hand(self, item: Item) -> None:
        wh = self._warehouse()
        have = item.stock[wh.id][0]
        change = self.rng.choice((-3, -2, -1, 1, 2, 5))
        if have + change < 0:
            change = -have or 4
        note = self.rng.choice(NOTES) if self.rng.random() < 0.4 else ""
        self.row(
            item,
            "on_hand",
            warehouse=wh,
            physical_change=change,
            quantity=change,
            note=note,
            user=True,
        )

    def transfer(self, item: Item) -> None:
        src, dst = self.rng.sample(self.warehouses, 2)
        have = item.stock[src.id][0]
        if have <= 0:
            return self.po_received(item)
        q = self.rng.randint(1, max(1, min(have, 30)))
        number, doc = self._number("TR")
        common = dict(
            quantity=q,
            event_id=number,
            sending_warehouse_name=src.name,
            receiving_warehouse_name=dst.name,
            transfer_notes=self.rng.choice(TRANSFER_NOTES),
            line_notes=self.rng.choice(("", "", "fragile", "check seals, count twice")),
            document_type="transfer",
            document_id=doc,
            user=True,
        )
        self.row(item, "inventory_transfer", warehouse=src, physical_change=-q, **common)
        self.row(item, "inventory_transfer", warehouse=dst, physical_change=q, **common)

    def return_order(self, item: Item) -> None:
        wh = self._warehouse()
        expected = self.rng.randint(1, 3)
        received = expected if self.rng.random() < 0.9 else expected - 1
        restocked = received if self.rng.random() < 0.7 else max(0, received - 1)
        number, doc = self._number("RMA")
        self.row(
            item,
            "return_order",
            warehouse=wh,
            physical_change=restocked,
            quantity=restocked,
            expected_quantity=expected,
            received_quantity=received,
            restocked_quantity=restocked,
            event_id=number,
            document_type="return",
            document_id=doc,
            channel=self.rng.choice(self.channels),
        )

    def channel_import(self, item: Item) -> None:
        channel = self.rng.choice(self.channels)
        last = self.written_to_channel.get(channel.id)
        shown = max(0, (last or 0) + self.rng.choice((0, 0, 0, 0, -1, 1, -2)))
        self.row(
            item,
            "import",
            quantity=shown,
            channel=channel,
            imported_at=self.now,
            channel_last_written=last,
            channel_differs=None if last is None else shown != last,
            document_type="sales_channel",
            document_id=channel.id,
        )

    def channel_export(self, item: Item) -> None:
        channel = self.rng.choice(self.channels)
        parts = []
        total = 0
        for wh in self.warehouses:
            p, c = item.stock[wh.id]
            total += p - c
            parts.append(f"{wh.name} {p - c}")
        written = max(0, total)
        self.written_to_channel[channel.id] = written
        self.row(
            item,
            "export",
            quantity=written,
            available_override=written,
            channel=channel,
            explanation=f"AOH {total} = " + " + ".join(parts),
            delivery_status=self.rng.choice(DELIVERY),
            document_type="sales_channel",
            document_id=channel.id,
        )

    def cart_warehouse(self, item: Item) -> None:
        channel = self.rng.choice(self.channels)
        chosen = self.rng.sample(self.warehouses, self.rng.randint(1, len(self.warehouses)))
        self.row(
            item,
            "cart_warehouse",
            channel=channel,
            note="writeback warehouses: " + ", ".join(w.name for w in chosen),
            document_type="sales_channel",
            document_id=channel.id,
            user=True,
        )

    def mo_finished(self, item: Item) -> None:
        wh = self.warehouses[0]
        q = self.rng.randint(5, 40)
        number, doc = self._number("MO")
        self.row(
            item,
            "mo_finished",
            warehouse=wh,
            physical_change=q,
            quantity=q,
            event_id=number,
            document_type="manufacturing_order",
            document_id=doc,
        )

    # --- the simulation --------------------------------------------------------------------

    def step(self) -> None:
        self._advance()
        rng = self.rng
        if self.kit is not None and rng.random() < 0.35:
            # A kit order line: commits (or ships, cancels) every component with the kit.
            r = rng.random()
            if r < 0.5 or not self.open_orders:
                self.order_import(self.items, kit_count=rng.randint(1, 3))
            else:
                self.order_close(ship=r < 0.93)
            return
        item = rng.choice(self.items)
        r = rng.random()
        if r < 0.28:
            self.order_import([item])
        elif r < 0.48:
            self.order_close(ship=True)
        elif r < 0.51:
            self.order_close(ship=False)
        elif r < 0.61:
            self.po_received(item)
        elif r < 0.69:
            self.on_hand(item)
        elif r < 0.74:
            self.transfer(item)
        elif r < 0.77:
            self.return_order(item)
        elif r < 0.86:
            self.channel_import(item)
        elif r < 0.95:
            self.channel_export(item)
        elif r < 0.96:
            self.cart_warehouse(item)
        else:
            self.mo_finished(item)
        # Keep the shelves stocked often enough for a realistic mix of shipments.
        if item.stock[self.warehouses[0].id][0] < 0:
            self.po_received(item)

    def run(self, rows_per_item: int) -> None:
        while min(i.rows for i in self.items) < rows_per_item:
            self.step()

    def stock_rows(self) -> list[tuple[int, int, int, int]]:
        """(product_id, warehouse_id, physical, committed) of every touched stock row."""
        return [
            (item.id, wh_id, p, c)
            for item in self.items
            for wh_id, (p, c) in item.stock.items()
            if item.rows
        ]


def write_stock(company_id: int, rows: list[tuple[int, int, int, int]]) -> None:
    """The stock rows the histories ended with (the generator's only other write)."""
    with connection.cursor() as cur:
        for product_id, warehouse_id, physical, committed in rows:
            cur.execute(
                "INSERT INTO warehouses_stock (company_id, product_id, warehouse_id, "
                "physical_on_hand, committed) VALUES (%s, %s, %s, %s, %s)",
                [company_id, product_id, warehouse_id, physical, committed],
            )


START = datetime(2023, 1, 2, 8, 0, tzinfo=UTC).replace(tzinfo=None)
