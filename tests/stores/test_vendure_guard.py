"""The companion plugin's guarded stock write: applied only when the level is still what the
caller read; with 8 concurrent writers expecting the same value, exactly one applies."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = [pytest.mark.postgres_only]

MUTATION = (
    "mutation($i: [StockledgerGuardedStockInput!]!) { stockledgerSetStockLevels(input: $i)"
    " { applied stockOnHand stockAllocated } }"
)


def write(store, sku, expected, value):
    data, _ = store.admin(
        MUTATION,
        {
            "i": [
                {
                    "productVariantId": store.variants[sku],
                    "stockLocationId": store.location_id,
                    "expectedOnHand": expected,
                    "expectedAllocated": 0,
                    "stockOnHand": value,
                }
            ]
        },
    )
    return data["stockledgerSetStockLevels"][0]


def test_a_guarded_write_applies_only_over_what_was_read(vendure_store):
    sku = f"G-{secrets.token_hex(3)}"
    vendure_store.add_product(sku, stock=5)
    assert write(vendure_store, sku, 4, 9) == {
        "applied": False,
        "stockOnHand": 5,
        "stockAllocated": 0,
    }
    assert vendure_store.level(sku) == (5, 0)
    assert write(vendure_store, sku, 5, 9)["applied"] is True
    assert vendure_store.level(sku) == (9, 0)


def test_of_eight_concurrent_writers_expecting_the_same_value_exactly_one_applies(vendure_store):
    sku = f"G-{secrets.token_hex(3)}"
    vendure_store.add_product(sku, stock=5)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: write(vendure_store, sku, 5, 10 + n), range(8)))
    applied = [n for n, r in enumerate(results) if r["applied"]]
    assert len(applied) == 1
    assert vendure_store.level(sku) == (10 + applied[0], 0)
