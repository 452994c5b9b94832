"""Writeback rules per channel and SKU: the math, and setting them through the API."""

import pytest

from stockledger.channels.models import WritebackRule
from stockledger.channels.writeback import Rule, apply_rule


@pytest.mark.parametrize(
    "base, rule, quantity, steps",
    [
        (12, None, 12, []),
        (-3, None, 0, ["not below 0 -> 0"]),
        (12, Rule(reserve=2, maximum=8), 8, ["reserve 2 -> 10", "max 8 -> 8"]),
        (12, Rule(reserve=2, percent=50), 5, ["reserve 2 -> 10", "50% -> 5"]),
        # Percent rounds down (never offer a unit that is not there).
        (7, Rule(percent=50), 3, ["50% -> 3"]),
        (1, Rule(percent=99), 0, ["99% -> 0"]),
        (7, Rule(percent=0), 0, ["0% -> 0"]),
        (7, Rule(percent=100), 7, ["100% -> 7"]),
        # Reserve beyond what is available: 0, not negative, without a minimum.
        (3, Rule(reserve=5), 0, ["reserve 5 -> -2", "not below 0 -> 0"]),
        # A percentage of an oversold quantity leaves it as it is.
        (-4, Rule(percent=50, minimum=-10), -4, ["50% -> -4", "min -10 -> -4"]),
        # A negative minimum lets the channel show oversold down to it...
        (-3, Rule(minimum=-5), -3, ["min -5 -> -3"]),
        (-8, Rule(minimum=-5), -5, ["min -5 -> -5"]),
        # ...a positive one keeps the listing alive.
        (0, Rule(minimum=2), 2, ["min 2 -> 2"]),
        (9, Rule(minimum=2, maximum=5), 5, ["min 2 -> 9", "max 5 -> 5"]),
        (
            20,
            Rule(reserve=4, percent=50, minimum=1, maximum=6),
            6,
            ["reserve 4 -> 16", "50% -> 8", "min 1 -> 8", "max 6 -> 6"],
        ),
    ],
)
def test_rule_steps_apply_in_order_reserve_percent_minimum_maximum(base, rule, quantity, steps):
    assert apply_rule(base, rule) == (quantity, steps)


def test_rules_are_set_replaced_listed_and_deleted(api, channel, product_factory):
    widget = product_factory("W-1")
    product_factory("A-1")
    url = f"/sales-channels/{channel.id}/rules"
    response = api.put(url, {"sku": "W-1", "maximum": 8, "reserve": 2})
    assert response.status_code == 200, response.json()
    assert response.json() | {"updated_at": None} == {
        "product_id": widget.id,
        "sku": "W-1",
        "maximum": 8,
        "minimum": None,
        "percent": None,
        "reserve": 2,
        "updated_at": None,
    }
    # PUT replaces the whole rule: limits left out are cleared.
    assert api.put(url, {"sku": "W-1", "minimum": -5}).status_code == 200
    assert api.put(url, {"sku": "A-1", "percent": 50}).status_code == 200
    listed = api.get(url).json()["items"]
    assert [(r["sku"], r["maximum"], r["minimum"], r["percent"], r["reserve"]) for r in listed] == [
        ("A-1", None, None, 50, None),
        ("W-1", None, -5, None, None),
    ]
    assert api.delete(f"{url}/{widget.id}").status_code == 204
    assert [r["sku"] for r in api.get(url).json()["items"]] == ["A-1"]
    response = api.delete(f"{url}/{widget.id}")
    assert response.status_code == 404
    assert "no writeback rule for W-1" in response.json()["detail"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"sku": "W-1"}, "maximum"),
        ({"sku": "W-1", "maximum": -1}, "maximum"),
        ({"sku": "W-1", "percent": 101}, "percent"),
        ({"sku": "W-1", "percent": -1}, "percent"),
        ({"sku": "W-1", "reserve": -2}, "reserve"),
        ({"sku": "W-1", "minimum": 5, "maximum": 4}, "minimum"),
        ({"sku": "W-1", "minimum": -(10**10)}, "minimum"),
        ({"sku": "W-1", "maximum": "8"}, "maximum"),
        ({"sku": "W-1", "maximum": True}, "maximum"),
        ({"sku": "W-1", "percent": 12.5}, "percent"),
        ({"sku": "NOPE", "maximum": 1}, "sku"),
        ({"sku": "", "maximum": 1}, "sku"),
        ({"maximum": 1}, "sku"),
    ],
)
def test_bad_rules_are_refused_with_422_and_write_nothing(
    api, channel, product_factory, db_dump, body, field
):
    product_factory("W-1")
    api.put(f"/sales-channels/{channel.id}/rules", {"sku": "W-1", "maximum": 3})
    before = db_dump()
    response = api.put(f"/sales-channels/{channel.id}/rules", body)
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert db_dump() == before


def test_another_companys_rules_are_out_of_reach(api, other_api, channel, product_factory, db_dump):
    from stockledger.channels.services import channel_create

    widget = product_factory("W-1")
    api.put(f"/sales-channels/{channel.id}/rules", {"sku": "W-1", "maximum": 3})
    theirs = channel_create(company=other_api.company, cart_type="etsy", name="Their Etsy")
    before = db_dump()
    url = f"/sales-channels/{channel.id}/rules"
    assert other_api.get(url).status_code == 404
    assert other_api.put(url, {"sku": "W-1", "maximum": 1}).status_code == 404
    assert other_api.delete(f"{url}/{widget.id}").status_code == 404
    # Their own channel cannot name our product either.
    response = other_api.put(f"/sales-channels/{theirs.id}/rules", {"sku": "W-1", "maximum": 1})
    assert response.status_code == 422
    assert other_api.delete(f"/sales-channels/{theirs.id}/rules/{widget.id}").status_code == 404
    assert db_dump() == before
    assert WritebackRule.objects.count() == 1
