"""Rules of the model-based test: a sales channel's settings (`cart_warehouse` rows), the
quantities it reports (`import` rows) and writeback runs (`export` rows), with its rules.

The model's writeback quantity follows the product spec: available on hand summed over the
channel's writeback warehouses (all when none are chosen; a kit by its components), then the
SKU's rule: reserve, percent of a positive quantity, the minimum (else a floor of 0), the
maximum.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from stockledger.core.errors import InvalidInput, NotFound

from .machine import ALL_SKUS, KITS, NEW_LABEL
from .model import Refused

MANUAL_DELIVERY = "recorded: no push connector; read from the API"


def writeback_quantity(base: int, rule: dict | None) -> int:
    quantity = base
    rule = rule or {}
    if rule.get("reserve") is not None:
        quantity -= rule["reserve"]
    if rule.get("percent") is not None and quantity > 0:
        quantity = quantity * rule["percent"] // 100
    if rule.get("minimum") is not None:
        quantity = max(quantity, rule["minimum"])
    else:
        quantity = max(quantity, 0)
    if rule.get("maximum") is not None:
        quantity = min(quantity, rule["maximum"])
    return quantity


class ChannelRules:
    def _channel_columns(self, **columns) -> dict:
        """The columns every row about the channel carries (syncs name no user)."""
        return self._common(
            cart_type="shopify",
            cart_id=self.channel.id,
            cart_name=self.channel.name,
            document_type="sales_channel",
            document_id=self.channel.id,
            **columns,
        )

    def _names(self, warehouse_ids) -> str:
        return ", ".join(self.wh[w].name for w in sorted(warehouse_ids)) or "All warehouses"

    def _setting_rows(self, note: str) -> None:
        """One `cart_warehouse` row in every product's log, with the settings as they became."""
        state = self.channel_state
        locations = "; ".join(
            f"{self.wh[w].name}={loc}" for w, loc in sorted(state["locations"].items())
        )
        for sku in ALL_SKUS:
            self.model.row(
                "cart_warehouse",
                sku,
                None,
                quantity=None,
                **self._channel_columns(
                    warehouse_name=self._names(state["writeback"]),
                    warehouse_locations=locations,
                    note=note,
                ),
            )

    @rule(choice=st.sampled_from([(), (0,), (1,), (0, 1)]))
    def choose_writeback_warehouses(self, choice):
        from stockledger.channels.services import channel_set_writeback_warehouses

        ids = tuple(sorted(self.warehouses[i].id for i in choice))
        state = self.channel_state
        before = state["writeback"]

        def predict():
            if ids == before:
                return  # the same choice again logs nothing
            state["writeback"] = ids
            try:
                self._setting_rows(
                    f"Writeback warehouses set to {self._names(ids)} (was: {self._names(before)})"
                )
            finally:
                state["writeback"] = before

        self._run(
            "choose writeback warehouses",
            predict,
            lambda: channel_set_writeback_warehouses(
                company=self.company, channel=self.channel, warehouse_ids=list(ids), user=self.user
            ),
        )
        state["writeback"] = ids
        self._check_rows()

    @rule(locations=st.lists(st.sampled_from([None, "L1", "L2"]), min_size=2, max_size=2))
    def map_locations(self, locations):
        from stockledger.channels.services import channel_set_locations

        mapping = {self.warehouses[i].id: loc for i, loc in enumerate(locations) if loc is not None}
        state = self.channel_state
        before = state["locations"]

        def predict():
            if len(set(mapping.values())) < len(mapping):
                raise Refused(InvalidInput)  # one location for two warehouses
            if mapping == before:
                return
            changed = sorted(
                w for w in set(before) | set(mapping) if before.get(w) != mapping.get(w)
            )
            state["locations"] = mapping
            try:
                self._setting_rows("Location mapping changed for " + self._names(changed))
            finally:
                state["locations"] = before

        result = self._run(
            "map locations",
            predict,
            lambda: channel_set_locations(
                company=self.company,
                channel=self.channel,
                locations=[{"warehouse_id": w, "location": loc} for w, loc in mapping.items()],
                user=self.user,
            ),
        )
        if result is not None:
            state["locations"] = mapping
        self._check_rows()

    @rule(
        skus=st.lists(st.sampled_from(ALL_SKUS), min_size=1, max_size=4, unique=True),
        shown=st.integers(-3, 40),
    )
    def import_channel_quantities(self, skus, shown):
        from stockledger.channels.sync import channel_quantities_import

        written = self.channel_state["last_written"]

        def predict():
            for sku in sorted(skus, key=ALL_SKUS.index):  # product id order
                last = written.get(sku)
                self.model.row(
                    "import",
                    sku,
                    None,
                    quantity=shown,
                    channel_last_written=last,
                    channel_differs=None if last is None else shown != last,
                    **self._channel_columns(event_id=NEW_LABEL, user_name=""),
                )

        sync = self._run(
            "import channel quantities",
            predict,
            lambda: channel_quantities_import(
                company=self.company,
                channel=self.channel,
                quantities=[{"sku": s, "quantity": shown} for s in skus],
            ),
        )
        self._check_rows(label=sync.label)

    def _base(self, sku: str) -> int:
        state = self.channel_state
        warehouses = state["writeback"] or tuple(sorted(self.wh))

        def available(s):
            return sum(self.model.held(s, w)[0] - self.model.held(s, w)[1] for w in warehouses)

        if sku in KITS:
            return min(max(0, available(c) // k) for c, k in KITS[sku].items())
        return available(sku)

    @rule(
        skus=st.one_of(
            st.none(), st.lists(st.sampled_from(ALL_SKUS), min_size=1, max_size=4, unique=True)
        ),
        only_changed=st.booleans(),
    )
    def write_back(self, skus, only_changed):
        from stockledger.channels.sync import channel_writeback_run

        state = self.channel_state
        chosen = ALL_SKUS if skus is None else sorted(skus, key=ALL_SKUS.index)
        lines = {
            sku: writeback_quantity(self._base(sku), state["rules"].get(sku)) for sku in chosen
        }
        if only_changed:
            lines = {s: q for s, q in lines.items() if state["last_written"].get(s) != q}

        def predict():
            for sku, quantity in lines.items():
                self.model.row(
                    "export",
                    sku,
                    None,
                    quantity=quantity,
                    available_on_hand=quantity,
                    delivery_status=MANUAL_DELIVERY,
                    **self._channel_columns(event_id=NEW_LABEL, user_name=""),
                )

        sync = self._run(
            "write back",
            predict,
            lambda: channel_writeback_run(
                company=self.company, channel=self.channel, skus=skus, only_changed=only_changed
            ),
        )
        state["last_written"].update(lines)
        self._check_rows(label=sync.label)

    @rule(
        sku=st.sampled_from(ALL_SKUS),
        limits=st.fixed_dictionaries(
            {},
            optional={
                "maximum": st.integers(0, 30),
                "minimum": st.integers(-5, 5),
                "percent": st.integers(0, 100),
                "reserve": st.integers(0, 10),
            },
        ),
    )
    def set_rule(self, sku, limits):
        from stockledger.channels.services import channel_rule_set

        def predict():
            if not limits:
                raise Refused(InvalidInput)
            if limits.get("minimum", -99) > limits.get("maximum", 99):
                raise Refused(InvalidInput)

        result = self._run(
            "set writeback rule",
            predict,
            lambda: channel_rule_set(
                company=self.company, channel=self.channel, product=self.products[sku], **limits
            ),
        )
        if result is not None:
            self.channel_state["rules"][sku] = dict(limits)
        self._check_rows()

    @precondition(lambda self: self.channel_state["rules"])
    @rule(sku=st.sampled_from(ALL_SKUS))
    def delete_rule(self, sku):
        from stockledger.channels.services import channel_rule_delete

        def predict():
            if sku not in self.channel_state["rules"]:
                raise Refused(NotFound)

        self._run(
            "delete writeback rule",
            predict,
            lambda: channel_rule_delete(
                company=self.company, channel=self.channel, product=self.products[sku]
            ),
        )
        self.channel_state["rules"].pop(sku, None)
        self._check_rows()
