"""Model-based test: random sequences of every operation against the real services.

A Hypothesis state machine drives the services of all nine event types (on hand adjust and
count, transfers with kit lines, purchase orders and goods receipts, order import / re-import
/ ship / cancel with kit lines, RMAs opened and received, manufacturing orders finished, a
sales channel's writeback warehouses and location mapping, the quantities it reports and
writeback runs with per-SKU rules) and keeps a small model of the quantities
(`model.StockModel`, `machine_channels.writeback_quantity`). After every step it checks that:

- the service did what the model says: succeeded, or refused with the expected error and
  wrote nothing at all (a digest of every row of every table compared before and after);
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

import pytest
from hypothesis.stateful import run_state_machine_as_test

from stockledger.ledger.models import EventType

from .machine import Harness
from .machine_channels import ChannelRules
from .machine_orders import OrderRules
from .machine_stock import StockRules


class LedgerMachine(ChannelRules, OrderRules, StockRules, Harness):
    """Every operation (the mixins' rules) against the harness's checks."""


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
        "event_types": {},
    }
    machine = type("Machine", (LedgerMachine,), {"tmp": tmp_path, "stats": stats})
    run_state_machine_as_test(machine, settings=hypothesis_profile)
    rules = [
        v
        for cls in LedgerMachine.__mro__
        for v in vars(cls).values()
        if hasattr(v, "hypothesis_stateful_rule")
    ]
    assert len(stats["operations"]) == len(rules), f"some operation never ran: {stats}"
    assert set(stats["event_types"]) == set(EventType.values), stats["event_types"]
    figures.update(
        max_examples=hypothesis_profile.max_examples,
        examples=stats["examples"],
        steps=stats["steps"],
        refused_as_predicted=stats["refusals"],
        log_rows_checked=stats["rows"],
        csv_exports_checked=stats["csv_exports"],
        operations=dict(sorted(stats["operations"].items())),
        log_rows_by_event_type=dict(sorted(stats["event_types"].items())),
        disagreements=0,
    )
