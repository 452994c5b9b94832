"""Model-based test: random sequences of every operation against the real services.

A Hypothesis state machine drives the services (on hand adjust and count, transfers with kit
lines, purchase orders and goods receipts, order import / re-import / ship / cancel with kit
lines, RMAs opened and received, manufacturing orders finished) and keeps a small model of
the quantities (`model.StockModel`). After every step it checks that:

- the service did what the model says: succeeded, or refused with the expected error and
  wrote nothing at all (the company's rows compared before and after);
- the log rows written are exactly the rows the model predicts, in order: event type, SKU,
  warehouse, quantity, signed changes, the product's and the warehouse's quantities after
  the row, the document columns;
- every stock row equals the model;
- the exported CSV (`stockledger export-log`) of each product the step touched has one row
  per model row, with the same quantities, sorted by created_at then sequence.
At the end of each example the whole ledger replays and `stockledger verify` is clean.

Deterministic in CI (the `ci` Hypothesis profile: derandomized). For many more examples:
`pytest --slow` or HYPOTHESIS_PROFILE=nightly.
"""

from __future__ import annotations

import csv
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from stockledger.core.errors import Conflict, DomainError, InsufficientStock, InvalidInput
from stockledger.ledger.columns import SEED_COLUMNS
from stockledger.ledger.models import LogEntry

from .invariants import assert_ledger_consistent, company_dump
from .model import Refused, StockModel

KITS = {"KIT": {"A": 2, "B": 3}}
BOM = {"A": 2, "B": 1}
HOLDERS = ("A", "B", "TABLE")  # SKUs with stock of their own
ORDERABLE = ("A", "B", "KIT")
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


class LedgerMachine(RuleBasedStateMachine):
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
        self.stats["examples"] += 1
        for w in self.warehouses:  # some stock to start from, logged and checked like the rest
            for sku in ("A", "B"):
                self.count(sku, self.warehouses.index(w), 30)

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
        except Refused as refusal:
            self.model.restore(snapshot)
            expected_error = refusal.kind
        before = company_dump(self.company) if expected_error else None
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
            assert company_dump(self.company) == before, f"{name} refused but wrote something"
            self.stats["refusals"] += 1
            return None
        assert error is None, f"{name} refused unexpectedly: {error!r}"
        return result

    def _check_rows(self, document_id=None):
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
            for key, value in want.items():
                assert row[key] == value, f"row #{row['id']} {key}: {row[key]!r} != {value!r}"
            want["sequence"] = row["id"]
            self.last_id = row["id"]
        self.stats["rows"] += len(got)
        if got:
            self._check_csv({r["sku"] for r in got})

    def _check_csv(self, skus):
        for sku in sorted(skus):
            path = self.tmp / f"{self.company.id}-{sku}.csv"
            call_command(
                "export_log", "--company", str(self.company.id), "--sku", sku, "-o", str(path)
            )
            with path.open(newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
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
                assert row["warehouse_name"] == self.wh[want["warehouse_id"]].name
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

    # --- on hand --------------------------------------------------------------------------

    @rule(sku=st.sampled_from(HOLDERS), w=st.integers(0, 1), change=st.integers(-8, 8))
    def adjust(self, sku, w, change):
        from stockledger.ledger.services import stock_adjust

        warehouse = self.warehouses[w]

        def predict():
            if change == 0:
                raise Refused(InvalidInput)
            self.model.row(
                "on_hand",
                sku,
                warehouse.id,
                physical=change,
                quantity=change,
                **self._common(note="cycle"),
            )

        self._run(
            "adjust on hand",
            predict,
            lambda: stock_adjust(
                company=self.company,
                product=self.products[sku],
                warehouse=warehouse,
                change=change,
                user=self.user,
                note=" cycle ",
            ),
        )
        self._check_rows()

    @rule(sku=st.sampled_from(HOLDERS), w=st.integers(0, 1), value=st.integers(-1, 25))
    def count(self, sku, w, value):
        from stockledger.ledger.services import stock_set

        warehouse = self.warehouses[w]

        def predict():
            if value < 0:
                raise Refused(InvalidInput)
            change = value - self.model.held(sku, warehouse.id)[0]
            self.model.row(
                "on_hand",
                sku,
                warehouse.id,
                physical=change,
                quantity=change,
                **self._common(note=""),
            )

        self._run(
            "count on hand",
            predict,
            lambda: stock_set(
                company=self.company,
                product=self.products[sku],
                warehouse=warehouse,
                physical_on_hand=value,
                user=self.user,
            ),
        )
        self._check_rows()

    # --- transfers ------------------------------------------------------------------------

    @rule(
        skus=lines_of,
        quantities=st.lists(st.integers(1, 6), min_size=2, max_size=2),
        d=st.booleans(),
    )
    def transfer(self, skus, quantities, d):
        from stockledger.transfers.services import transfer_create

        sending, receiving = self.warehouses if d else self.warehouses[::-1]
        lines = dict(zip(skus, quantities, strict=False))
        number = f"T-{next(self.numbers)}"

        def predict():
            held = {}
            for sku, q in lines.items():
                for component, units in self._moves(sku, q):
                    have = held.get(component, self.model.held(component, sending.id)[0])
                    if units > have:
                        raise Refused(InvalidInput)
                    held[component] = have - units
            common = self._common(
                event_id=number,
                sending_warehouse_name=sending.name,
                receiving_warehouse_name=receiving.name,
                document_type="transfer",
                document_id="new",
            )
            for sku, q in lines.items():
                kit_sku = sku if sku in KITS else ""
                for component, units in self._moves(sku, q):
                    for w, sign in ((sending, -1), (receiving, 1)):
                        self.model.row(
                            "inventory_transfer",
                            component,
                            w.id,
                            physical=sign * units,
                            quantity=units,
                            kit_sku=kit_sku,
                            **common,
                        )
                if kit_sku:
                    for w in (sending, receiving):
                        self.model.row("inventory_transfer", sku, w.id, quantity=q, **common)

        result = self._run(
            "transfer",
            predict,
            lambda: transfer_create(
                company=self.company,
                sending_warehouse=sending,
                receiving_warehouse=receiving,
                lines=[{"sku": s, "quantity": q} for s, q in lines.items()],
                number=number,
                user=self.user,
            ),
        )
        self._check_rows(result[0].id if result else None)

    def _moves(self, sku: str, units: int) -> list[tuple[str, int]]:
        if sku in KITS:
            return [(c, units * k) for c, k in KITS[sku].items()]
        return [(sku, units)]

    # --- purchasing -----------------------------------------------------------------------

    @precondition(lambda self: len(self.pos) < 3)
    @rule(
        w=st.integers(0, 1),
        skus=st.lists(st.sampled_from(HOLDERS), min_size=1, max_size=3, unique=True),
        ordered=st.integers(1, 10),
    )
    def create_purchase_order(self, w, skus, ordered):
        from stockledger.purchasing.services import purchase_order_create

        number = f"PO-{next(self.numbers)}"
        lines = {s: ordered for s in skus}
        po = self._run(
            "create purchase order",
            lambda: None,
            lambda: purchase_order_create(
                company=self.company,
                number=number,
                warehouse=self.warehouses[w],
                lines=[{"sku": s, "quantity": q} for s, q in lines.items()],
                user=self.user,
            ),
        )
        self.pos[po.id] = {"po": po, "ordered": lines, "received": dict.fromkeys(lines, 0)}
        self._check_rows()

    @precondition(lambda self: self.pos)
    @rule(data=st.data())
    def receive_goods(self, data):
        from stockledger.purchasing.services import purchase_order_receive

        state = self.pos[data.draw(st.sampled_from(sorted(self.pos)))]
        po = state["po"]
        skus = data.draw(
            st.lists(st.sampled_from(sorted(state["ordered"])), min_size=1, unique=True)
        )
        lines = {s: data.draw(st.integers(1, 8)) for s in skus}
        number = f"GR-{next(self.numbers)}"

        def predict():
            for sku, q in lines.items():
                ordered, before = state["ordered"][sku], state["received"][sku]
                after = before + q
                explanation = f"received {after} of {ordered} ordered"
                if after > ordered:
                    explanation += f"; over-received by {min(q, after - ordered)}"
                self.model.row(
                    "po_received",
                    sku,
                    po.warehouse_id,
                    physical=q,
                    quantity=q,
                    **self._common(
                        event_id=po.number,
                        note=f"goods receipt {number}",
                        explanation=explanation,
                        document_type="purchase_order",
                        document_id=po.id,
                    ),
                )

        self._run(
            "receive goods",
            predict,
            lambda: purchase_order_receive(
                company=self.company,
                purchase_order=po,
                number=number,
                lines=[{"sku": s, "quantity": q} for s, q in lines.items()],
                user=self.user,
            ),
        )
        for sku, q in lines.items():
            state["received"][sku] += q
        self._check_rows()

    # --- orders ---------------------------------------------------------------------------

    def _order_rows(self, order: dict, step: str, picks: dict[str, int], document_id):
        physical, committed = {"imported": (0, 1), "shipped": (-1, -1), "cancelled": (0, -1)}[step]
        common = self._common(
            event_id=order["number"],
            order_step=step,
            document_type="order",
            document_id=document_id,
            cart_type="shopify",
        )
        for sku, units in picks.items():
            if sku in KITS:
                for component, q in self._moves(sku, units):
                    self.model.row(
                        "order",
                        component,
                        order["warehouse"].id,
                        physical=physical * q,
                        committed=committed * q,
                        quantity=q,
                        allow_negative=True,
                        kit_sku=sku,
                        **common,
                    )
                self.model.row("order", sku, order["warehouse"].id, quantity=units, **common)
            else:
                self.model.row(
                    "order",
                    sku,
                    order["warehouse"].id,
                    physical=physical * units,
                    committed=committed * units,
                    quantity=units,
                    allow_negative=True,
                    kit_sku="",
                    **common,
                )

    @rule(
        w=st.integers(0, 1),
        skus=lines_of,
        quantities=st.lists(st.integers(1, 4), min_size=2, max_size=2),
    )
    def import_order(self, w, skus, quantities):
        from stockledger.orders.services import order_import

        lines = dict(zip(skus, quantities, strict=False))
        order = {
            "number": f"SO-{next(self.numbers)}",
            "warehouse": self.warehouses[w],
            "lines": lines,
            "shipped": dict.fromkeys(lines, 0),
            "cancelled": dict.fromkeys(lines, 0),
            "status": "open",
        }
        result = self._run(
            "import order",
            lambda: self._order_rows(order, "imported", lines, "new"),
            lambda: order_import(
                company=self.company,
                channel=self.channel,
                order_number=order["number"],
                placed_at=PLACED,
                warehouse=order["warehouse"],
                lines=[{"sku": s, "quantity": q} for s, q in lines.items()],
                user=self.user,
            ),
        )
        created_order, created = result
        assert created
        order["id"] = created_order.id
        self.orders[created_order.id] = order
        self._check_rows(created_order.id)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def import_the_same_order_again(self, data):
        from stockledger.orders.services import order_import

        order = self.orders[data.draw(st.sampled_from(sorted(self.orders)))]
        result = self._run(
            "re-import order",
            lambda: None,
            lambda: order_import(
                company=self.company,
                channel=self.channel,
                order_number=order["number"],
                placed_at=PLACED,
                warehouse=self.warehouses[data.draw(st.integers(0, 1))],
                lines=[{"sku": "A", "quantity": data.draw(st.integers(1, 9))}],
                user=self.user,
            ),
        )
        assert result[0].id == order["id"] and result[1] is False
        self._check_rows()

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), everything=st.booleans())
    def ship_order(self, data, everything):
        self._ship_or_cancel(data, True, everything)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), everything=st.booleans())
    def cancel_order(self, data, everything):
        self._ship_or_cancel(data, False, everything)

    def _ship_or_cancel(self, data, ship, everything):
        from stockledger.orders.services import order_cancel, order_ship

        order = self.orders[data.draw(st.sampled_from(sorted(self.orders)))]
        remaining = {
            s: q - order["shipped"][s] - order["cancelled"][s] for s, q in order["lines"].items()
        }
        if everything:
            picks = {s: r for s, r in remaining.items() if r > 0}
            lines = None
        else:
            sku = data.draw(st.sampled_from(sorted(order["lines"])))
            picks = {sku: data.draw(st.integers(1, order["lines"][sku]))}
            lines = [{"sku": s, "quantity": q} for s, q in picks.items()]
        step = "shipped" if ship else "cancelled"

        def predict():
            if order["status"] in ("cancelled", "shipped"):
                raise Refused(Conflict)
            if not picks or any(q > remaining[s] for s, q in picks.items()):
                raise Refused(Conflict)
            self._order_rows(order, step, picks, order["id"])

        service = order_ship if ship else order_cancel
        result = self._run(
            "ship order" if ship else "cancel order",
            predict,
            lambda: service(
                company=self.company, order=self._order(order), lines=lines, user=self.user
            ),
        )
        if result is not None:
            for sku, q in picks.items():
                order[step][sku] += q
            left = sum(
                q - order["shipped"][s] - order["cancelled"][s] for s, q in order["lines"].items()
            )
            shipped = sum(order["shipped"].values())
            if left == 0:
                order["status"] = "shipped" if shipped else "cancelled"
            else:
                order["status"] = "partially_shipped" if shipped else "open"
            assert result.status == order["status"]
        self._check_rows()

    def _order(self, order):
        from stockledger.orders.models import Order

        return Order.objects.get(pk=order["id"])

    # --- returns --------------------------------------------------------------------------

    @precondition(lambda self: len(self.rmas) < 3)
    @rule(
        w=st.integers(0, 1),
        skus=lines_of,
        expected=st.lists(st.integers(1, 4), min_size=2, max_size=2),
    )
    def open_return(self, w, skus, expected):
        from stockledger.returns.services import return_create

        lines = dict(zip(skus, expected, strict=False))
        number = f"RMA-{next(self.numbers)}"
        warehouse = self.warehouses[w]

        def predict():
            for sku, q in lines.items():
                self._return_rows(number, warehouse, sku, "new", expected=q, note="RMA opened")

        result = self._run(
            "open RMA",
            predict,
            lambda: return_create(
                company=self.company,
                number=number,
                warehouse=warehouse,
                lines=[{"sku": s, "expected_quantity": q} for s, q in lines.items()],
                user=self.user,
            ),
        )
        rma = result[0]
        self.rmas[rma.id] = {
            "rma": rma,
            "expected": lines,
            "received": dict.fromkeys(lines, 0),
            "restocked": dict.fromkeys(lines, 0),
        }
        self._check_rows(rma.id)

    def _return_rows(
        self, number, warehouse, sku, document_id, *, expected, note, received=None, restocked=None
    ):
        common = self._common(
            event_id=number, note=note, document_type="return", document_id=document_id
        )

        def times(v, k):
            return None if v is None else v * k

        for component, k in self._moves(sku, 1):
            self.model.row(
                "return_order",
                component,
                warehouse.id,
                physical=times(restocked, k) or 0,
                quantity=times(restocked, k),
                expected_quantity=expected * k,
                received_quantity=times(received, k),
                restocked_quantity=times(restocked, k),
                kit_sku=sku if sku in KITS else "",
                **common,
            )
        if sku in KITS:
            self.model.row(
                "return_order",
                sku,
                warehouse.id,
                quantity=restocked,
                expected_quantity=expected,
                received_quantity=received,
                restocked_quantity=restocked,
                **common,
            )

    @precondition(lambda self: self.rmas)
    @rule(data=st.data(), received=st.integers(0, 3), restocked=st.integers(0, 3))
    def receive_return(self, data, received, restocked):
        from stockledger.returns.services import return_receive

        state = self.rmas[data.draw(st.sampled_from(sorted(self.rmas)))]
        rma = state["rma"]
        sku = data.draw(st.sampled_from(sorted(state["expected"])))
        total_received = state["received"][sku] + received
        total_restocked = state["restocked"][sku] + restocked

        def predict():
            if received == 0 and restocked == 0:
                raise Refused(InvalidInput)
            if total_received > state["expected"][sku] or total_restocked > total_received:
                raise Refused(InvalidInput)
            note = (
                f"received {total_received} of {state['expected'][sku]} expected, "
                f"restocked {total_restocked}"
            )
            self._return_rows(
                rma.number,
                self.wh[rma.warehouse_id],
                sku,
                rma.id,
                expected=state["expected"][sku],
                note=note,
                received=received,
                restocked=restocked,
            )

        result = self._run(
            "receive RMA",
            predict,
            lambda: return_receive(
                company=self.company,
                return_order=rma,
                lines=[
                    {"sku": sku, "received_quantity": received, "restocked_quantity": restocked}
                ],
                user=self.user,
            ),
        )
        if result is not None:
            state["received"][sku] = total_received
            state["restocked"][sku] = total_restocked
        self._check_rows()

    # --- manufacturing --------------------------------------------------------------------

    @precondition(lambda self: len(self.mos) < 3)
    @rule(w=st.integers(0, 1), quantity=st.integers(1, 4))
    def create_manufacturing_order(self, w, quantity):
        from stockledger.manufacturing.services import mo_create

        mo = self._run(
            "create MO",
            lambda: None,
            lambda: mo_create(
                company=self.company,
                number=f"MO-{next(self.numbers)}",
                product=self.products["TABLE"],
                quantity=quantity,
                warehouse=self.warehouses[w],
                user=self.user,
            ),
        )
        self.mos[mo.id] = {"mo": mo, "finished": 0}
        self._check_rows()

    @precondition(lambda self: self.mos)
    @rule(data=st.data(), units=st.one_of(st.none(), st.integers(1, 4)))
    def finish_manufacturing_order(self, data, units):
        from stockledger.manufacturing.services import mo_finish

        state = self.mos[data.draw(st.sampled_from(sorted(self.mos)))]
        mo = state["mo"]
        remaining = mo.quantity - state["finished"]
        made = remaining if units is None else units

        def predict():
            if remaining == 0 or made > remaining:
                raise Refused(Conflict)
            for component, k in BOM.items():
                if self.model.held(component, mo.warehouse_id)[0] < made * k:
                    raise Refused(InsufficientStock)
            common = self._common(
                event_id=mo.number, document_type="manufacturing_order", document_id=mo.id
            )
            self.model.row(
                "mo_finished", "TABLE", mo.warehouse_id, physical=made, quantity=made, **common
            )
            for component, k in BOM.items():
                self.model.row(
                    "mo_finished",
                    component,
                    mo.warehouse_id,
                    physical=-made * k,
                    quantity=-made * k,
                    **common,
                )

        result = self._run(
            "finish MO",
            predict,
            lambda: mo_finish(company=self.company, mo=mo, quantity=units, user=self.user),
        )
        if result is not None:
            state["finished"] += made
        self._check_rows()


@pytest.mark.django_db
def test_random_sequences_of_every_operation_agree_with_the_model(
    hypothesis_profile, tmp_path, figures
):
    stats = {
        "examples": 0,
        "steps": 0,
        "rows": 0,
        "refusals": 0,
        "csv_exports": 0,
        "operations": {},
    }
    machine = type("Machine", (LedgerMachine,), {"tmp": tmp_path, "stats": stats})
    run_state_machine_as_test(machine, settings=hypothesis_profile)
    rules = [v for v in vars(LedgerMachine).values() if hasattr(v, "hypothesis_stateful_rule")]
    assert len(stats["operations"]) == len(rules), f"some operation never ran: {stats}"
    figures.update(
        max_examples=hypothesis_profile.max_examples,
        examples=stats["examples"],
        steps=stats["steps"],
        refused_as_predicted=stats["refusals"],
        log_rows_checked=stats["rows"],
        csv_exports_checked=stats["csv_exports"],
        operations=dict(sorted(stats["operations"].items())),
        disagreements=0,
    )
