"""Rules of the model-based test: orders (import, re-import, ship, cancel) and returns."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from stockledger.core.errors import Conflict, InvalidInput

from .machine import KITS, PLACED, lines_of
from .model import Refused


class OrderRules:
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
