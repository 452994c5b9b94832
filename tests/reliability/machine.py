"""The harness of the model-based test: a company per example, and the checks after every
step (outcome, log rows, stock, CSV). The operations are rules in machine_*.py mixins;
test_model_based.py puts them together."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from datetime import UTC, datetime
from pathlib import Path

from django.core.management import call_command
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant

from stockledger.core.errors import DomainError
from stockledger.ledger.columns import SEED_COLUMNS
from stockledger.ledger.models import LogEntry

from .invariants import assert_ledger_consistent, fingerprint
from .model import Refused, StockModel

KITS = {"KIT": {"A": 2, "B": 3}}
BOM = {"A": 2, "B": 1}
HOLDERS = ("A", "B", "TABLE")  # SKUs with stock of their own
ORDERABLE = ("A", "B", "KIT")
ALL_SKUS = ("A", "B", "KIT", "TABLE")  # in product id order (the order they are created)
NEW_LABEL = "<the sync's label>"  # a value known only once the service has answered
PLACED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
COMPARED = (
    "event_type",
    "sku",
    "warehouse_id",
    "quantity",
    "physical_change",
    "committed_change",
    "physical_on_hand",
    "committed",
    "available_on_hand",
    "warehouse_physical_on_hand",
    "warehouse_committed",
    "warehouse_available_on_hand",
    "went_negative",
    "event_id",
    "order_step",
    "kit_sku",
    "document_type",
    "document_id",
    "user_name",
    "cart_type",
    "note",
    "explanation",
    "expected_quantity",
    "received_quantity",
    "restocked_quantity",
    "sending_warehouse_name",
    "receiving_warehouse_name",
    "warehouse_name",
    "warehouse_locations",
    "cart_id",
    "cart_name",
    "channel_last_written",
    "channel_differs",
    "delivery_status",
)
CSV_COMPARED = (
    "event_type",
    "quantity",
    "available_on_hand",
    "physical_on_hand",
    "committed",
    "warehouse_physical_on_hand",
    "warehouse_committed",
    "physical_change",
    "committed_change",
    "event_id",
    "kit_sku",
    "order_step",
)
_companies = itertools.count(1)

lines_of = st.lists(st.sampled_from(ORDERABLE), min_size=1, max_size=2, unique=True)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Harness(RuleBasedStateMachine):
    """Sets up a company per example and checks every step; the rules come from mixins."""

    tmp: Path
    stats: dict

    @initialize()
    def setup(self):
        from stockledger.catalog.services import product_create
        from stockledger.channels.services import channel_create
        from stockledger.core.services import company_create
        from stockledger.warehouses.services import warehouse_create

        n = next(_companies)
        self.company, self.user, _ = company_create(
            name=f"Model {n}", username=f"model-{n}", password="pw-123456"
        )
        self.warehouses = [warehouse_create(company=self.company, name=f"W{i}") for i in (1, 2)]
        self.wh = {w.id: w for w in self.warehouses}
        self.channel = channel_create(company=self.company, cart_type="shopify", name="Shop")
        self.products = {s: product_create(company=self.company, sku=s, name=s) for s in "AB"}
        self.products["KIT"] = product_create(
            company=self.company,
            sku="KIT",
            name="Kit",
            components=[{"sku": c, "quantity": k} for c, k in KITS["KIT"].items()],
        )
        self.products["TABLE"] = product_create(
            company=self.company,
            sku="TABLE",
            name="Table",
            bom=[{"sku": c, "quantity": k} for c, k in BOM.items()],
        )
        self.model = StockModel(kits=KITS)
        self.last_id = LogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.numbers = itertools.count(1)
        self.pos: dict[int, dict] = {}
        self.orders: dict[int, dict] = {}
        self.rmas: dict[int, dict] = {}
        self.mos: dict[int, dict] = {}
        self.channel_state = {"writeback": (), "locations": {}, "rules": {}, "last_written": {}}
        self.stats["examples"] += 1
        # Something of each kind to start from, logged and checked like the rest, so the rules
        # that act on documents can run from the first step.
        for w in self.warehouses:
            for sku in ("A", "B"):
                self.count(sku, self.warehouses.index(w), 30)
        self.create_purchase_order(0, ["A", "B"], 5)
        self.import_order(1, ["A", "KIT"], [2, 1])
        self.open_return(0, ["KIT"], [2, 0])
        self.create_manufacturing_order(1, 2)

    # --- the harness ----------------------------------------------------------------------

    def _common(self, **columns) -> dict:
        return {"user_name": self.user.username, **columns}

    def _run(self, name: str, predict, call):
        """predict() appends the rows it expects to the model (or raises Refused); call() runs
        the service. Checks outcome, rows, stock and CSV; returns call()'s result."""
        snapshot = self.model.snapshot()
        expected_error = None
        try:
            predict()
            self.model.finish_event(snapshot[1])
        except Refused as refusal:
            self.model.restore(snapshot)
            expected_error = refusal.kind
        before = fingerprint() if expected_error else None
        try:
            result = call()
            error = None
        except DomainError as exc:
            result, error = None, exc
        self.stats["steps"] += 1
        self.stats["operations"][name] = self.stats["operations"].get(name, 0) + 1
        if expected_error is not None:
            assert type(error) is expected_error, (
                f"{name}: expected {expected_error}, got {error!r}"
            )
            assert fingerprint() == before, f"{name} refused but wrote something"
            self.stats["refusals"] += 1
            return None
        assert error is None, f"{name} refused unexpectedly: {error!r}"
        return result

    def _check_rows(self, document_id=None, label=None):
        """The rows written since the last check are the model's new rows, in order."""
        got = list(
            LogEntry.objects.filter(company=self.company, id__gt=self.last_id)
            .order_by("id")
            .values("id", *COMPARED)
        )
        expected = [r for r in self.model.rows if "sequence" not in r]
        assert len(got) == len(expected), (got, expected)
        for row, want in zip(got, expected, strict=True):
            if want.get("document_id") == "new":
                want["document_id"] = document_id
            if want.get("event_id") == NEW_LABEL:
                want["event_id"] = label
            for key, value in want.items():
                assert row[key] == value, f"row #{row['id']} {key}: {row[key]!r} != {value!r}"
            want["sequence"] = row["id"]
            self.last_id = row["id"]
            kinds = self.stats["event_types"]
            kinds[row["event_type"]] = kinds.get(row["event_type"], 0) + 1
        self.stats["rows"] += len(got)
        if got:
            self._check_csv({r["sku"] for r in got})

    def _check_csv(self, skus):
        for sku in sorted(skus):
            out = io.StringIO(newline="")
            with contextlib.redirect_stdout(out):  # the command writes the CSV to stdout
                call_command("export_log", "--company", str(self.company.id), "--sku", sku)
            reader = csv.reader(io.StringIO(out.getvalue(), newline=""))
            header = next(reader)
            rows = [dict(zip(header, r, strict=True)) for r in reader]
            assert tuple(header[:20]) == SEED_COLUMNS
            mine = [r for r in self.model.rows if r["sku"] == sku]
            assert len(rows) == len(mine)
            by_sequence = {int(r["sequence"]): r for r in rows}
            for want in mine:
                row = by_sequence[want["sequence"]]
                for key in CSV_COMPARED:
                    if key in want:
                        assert row[key] == _cell(want[key]), (sku, key, row[key], want[key])
                warehouse = self.wh.get(want["warehouse_id"])
                name = want.get("warehouse_name", warehouse.name if warehouse else "")
                assert row["warehouse_name"] == name, (sku, row["warehouse_name"], name)
            keys = [(datetime.fromisoformat(r["created_at"]), int(r["sequence"])) for r in rows]
            assert keys == sorted(keys), "CSV rows are not sorted by created_at, sequence"
            self.stats["csv_exports"] += 1

    @invariant()
    def stock_matches_the_model(self):
        if not hasattr(self, "model"):
            return
        from stockledger.warehouses.models import Stock

        actual = {
            (sku, w): (p, c)
            for sku, w, p, c in Stock.objects.filter(company=self.company).values_list(
                "product__sku", "warehouse_id", "physical_on_hand", "committed"
            )
        }
        for key in set(actual) | set(self.model.stock):
            assert actual.get(key, (0, 0)) == tuple(self.model.stock.get(key, (0, 0))), key

    def teardown(self):
        if hasattr(self, "model"):
            assert_ledger_consistent(self.company)
