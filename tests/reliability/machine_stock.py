"""Rules of the model-based test: on hand, transfers, purchasing, manufacturing."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from stockledger.core.errors import Conflict, InsufficientStock, InvalidInput

from .machine import BOM, HOLDERS, KITS, lines_of
from .model import Refused


class StockRules:
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
