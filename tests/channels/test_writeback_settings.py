"""Writeback warehouses and location mapping: cart_warehouse rows in every product's log."""

import pytest

from stockledger.channels.models import ChannelLocation, ChannelWarehouse
from stockledger.channels.services import channel_set_locations, channel_set_writeback_warehouses
from stockledger.core.errors import InvalidInput
from stockledger.ledger.models import LogEntry


@pytest.fixture
def catalog(product_factory, warehouses, stock):
    main, east = warehouses
    widget = product_factory("W-1")
    gadget = product_factory("G-1")
    idle = product_factory("IDLE")  # no stock anywhere: still affected
    kit = product_factory(
        "KIT", components=[{"sku": "W-1", "quantity": 2}, {"sku": "G-1", "quantity": 1}]
    )
    stock(widget, main, 10)
    stock(widget, east, 3)
    stock(gadget, main, 4)
    return widget, gadget, idle, kit


def test_choosing_writeback_warehouses_logs_a_cart_warehouse_row_in_every_products_log(
    company, user, channel, warehouses, catalog, log_of, stock_of, verify_clean
):
    main, east = warehouses
    widget, gadget, idle, kit = catalog

    logged = channel_set_writeback_warehouses(
        company=company, channel=channel, warehouse_ids=[east.id, main.id], user=user
    )

    assert logged == 4
    expected = {
        # sku: (physical, committed, available) right after the change
        "W-1": (13, 0, 13),
        "G-1": (4, 0, 4),
        "IDLE": (0, 0, 0),
        "KIT": (4, 0, 4),  # min(13 // 2, 4 // 1)
    }
    for product in catalog:
        [row] = log_of(product, event_type="cart_warehouse")
        assert (row.physical_on_hand, row.committed, row.available_on_hand) == expected[product.sku]
        assert row.warehouse_name == "Main, East"
        assert row.warehouse_locations == ""
        assert (row.cart_type, row.cart_id, row.cart_name) == ("shopify", channel.id, "Shopify US")
        assert row.user_name == user.username
        assert row.warehouse_id is None
        assert (row.physical_change, row.committed_change, row.quantity) == (0, 0, None)
        assert row.note == "Writeback warehouses set to Main, East (was: All warehouses)"
        assert (row.document_type, row.document_id) == ("sales_channel", channel.id)
        assert row.sku == product.sku
    assert set(ChannelWarehouse.objects.values_list("warehouse_id", flat=True)) == {
        main.id,
        east.id,
    }
    assert stock_of(widget, main) == (10, 0)
    verify_clean()


def test_turning_writeback_off_and_choosing_the_same_warehouses_again(
    company, channel, warehouses, catalog, log_of
):
    main, _east = warehouses
    widget = catalog[0]
    assert (
        channel_set_writeback_warehouses(company=company, channel=channel, warehouse_ids=[main.id])
        == 4
    )
    # The same choice again, in whatever order: unchanged, nothing logged.
    assert (
        channel_set_writeback_warehouses(company=company, channel=channel, warehouse_ids=[main.id])
        == 0
    )
    assert channel_set_writeback_warehouses(company=company, channel=channel, warehouse_ids=[]) == 4
    assert channel_set_writeback_warehouses(company=company, channel=channel, warehouse_ids=[]) == 0
    rows = log_of(widget, event_type="cart_warehouse")
    assert [(r.warehouse_name, r.note) for r in rows] == [
        ("Main", "Writeback warehouses set to Main (was: All warehouses)"),
        ("All warehouses", "Writeback warehouses set to All warehouses (was: Main)"),
    ]
    assert not ChannelWarehouse.objects.exists()


def test_mapping_locations_logs_the_whole_mapping_with_the_current_writeback_choice(
    company, channel, warehouses, catalog, log_of, verify_clean
):
    main, east = warehouses
    widget, _gadget, _idle, kit = catalog
    channel_set_writeback_warehouses(company=company, channel=channel, warehouse_ids=[east.id])
    logged = channel_set_locations(
        company=company,
        channel=channel,
        locations=[
            {"warehouse_id": east.id, "location": "gid://shopify/Location/2"},
            {"warehouse_id": main.id, "location": " gid://shopify/Location/1 "},
        ],
    )
    assert logged == 4
    for product in (widget, kit):
        row = log_of(product, event_type="cart_warehouse")[-1]
        assert row.warehouse_name == "East"
        assert (
            row.warehouse_locations
            == "Main=gid://shopify/Location/1; East=gid://shopify/Location/2"
        )
        assert row.note == "Location mapping changed for Main, East"
    # Same mapping: nothing; one warehouse unmapped: logged, naming it.
    assert (
        channel_set_locations(
            company=company,
            channel=channel,
            locations=[
                {"warehouse_id": main.id, "location": "gid://shopify/Location/1"},
                {"warehouse_id": east.id, "location": "gid://shopify/Location/2"},
            ],
        )
        == 0
    )
    assert (
        channel_set_locations(
            company=company,
            channel=channel,
            locations=[{"warehouse_id": east.id, "location": "gid://shopify/Location/2"}],
        )
        == 4
    )
    row = log_of(widget, event_type="cart_warehouse")[-1]
    assert row.warehouse_locations == "East=gid://shopify/Location/2"
    assert row.note == "Location mapping changed for Main"
    assert ChannelLocation.objects.count() == 1
    verify_clean()


def test_a_setting_change_leaves_other_companies_products_alone(
    company, channel, warehouses, catalog, company_factory, product_factory
):
    other = company_factory("Elsewhere")[0]
    product_factory("THEIRS", company=other)
    channel_set_writeback_warehouses(
        company=company, channel=channel, warehouse_ids=[warehouses[0].id]
    )
    assert not LogEntry.objects.filter(company=other).exists()
    assert not LogEntry.objects.filter(sku="THEIRS").exists()


@pytest.mark.parametrize(
    "warehouse_ids, field",
    [
        (["nope"], "warehouse_ids[0]"),
        ([10**9], "warehouse_ids[0]"),
        ([True], "warehouse_ids[0]"),
        ("MAIN", "warehouse_ids"),
    ],
)
def test_bad_writeback_warehouses_are_refused_and_change_nothing(
    company, channel, warehouses, catalog, db_dump, warehouse_ids, field
):
    before = db_dump()
    with pytest.raises(InvalidInput) as err:
        channel_set_writeback_warehouses(
            company=company, channel=channel, warehouse_ids=warehouse_ids
        )
    assert err.value.field == field
    assert db_dump() == before


# --- through the API ------------------------------------------------------------------------


def test_api_sets_writeback_warehouses_and_shows_them_on_the_channel(
    api, channel, warehouses, catalog, log_of
):
    main, east = warehouses
    response = api.put(f"/sales-channels/{channel.id}/writeback", {"warehouse_ids": [east.id]})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["rows_logged"] == 4
    assert body["channel"]["writeback_on"] is True
    assert body["channel"]["writeback_warehouse_ids"] == [east.id]
    assert body["channel"]["writeback_warehouses"] == [{"id": east.id, "name": "East"}]

    response = api.put(
        f"/sales-channels/{channel.id}/locations",
        {"locations": [{"warehouse_id": main.id, "location": "gid://shopify/Location/1"}]},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["rows_logged"] == 4
    detail = api.get(f"/sales-channels/{channel.id}").json()
    assert detail["locations"] == [
        {"warehouse_id": main.id, "warehouse_name": "Main", "location": "gid://shopify/Location/1"},
        {"warehouse_id": east.id, "warehouse_name": "East", "location": ""},
    ]
    items = api.get(
        f"/products/{catalog[3].id}/log", {"event_type": "cart_warehouse", "order": "asc"}
    ).json()["items"]
    assert [(i["warehouse_name"], i["warehouse_locations"], i["cart_name"]) for i in items] == [
        ("East", "", "Shopify US"),
        ("East", "Main=gid://shopify/Location/1", "Shopify US"),
    ]


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("writeback", {"warehouse_ids": [999999]}, "warehouse_ids[0]"),
        ("writeback", {"warehouse_ids": ["1"]}, "warehouse_ids[0]"),
        ("writeback", {"warehouse_ids": None}, "warehouse_ids"),
        ("writeback", {}, "warehouse_ids"),
        (
            "locations",
            {"locations": [{"warehouse_id": 999999, "location": "x"}]},
            "locations[0].warehouse_id",
        ),
        (
            "locations",
            {"locations": [{"warehouse_id": "MAIN", "location": "x"}]},
            "locations[0].warehouse_id",
        ),
        (
            "locations",
            {"locations": [{"warehouse_id": "MAIN_ID", "location": "  "}]},
            "locations[0].location",
        ),
        (
            "locations",
            {"locations": [{"warehouse_id": "MAIN_ID", "location": "a\nb"}]},
            "locations[0].location",
        ),
        (
            "locations",
            {"locations": [{"warehouse_id": "MAIN_ID", "location": "x" * 256}]},
            "locations[0].location",
        ),
        (
            "locations",
            {
                "locations": [
                    {"warehouse_id": "MAIN_ID", "location": "L1"},
                    {"warehouse_id": "MAIN_ID", "location": "L2"},
                ]
            },
            "locations[1].warehouse_id",
        ),
        (
            "locations",
            {
                "locations": [
                    {"warehouse_id": "MAIN_ID", "location": "L1"},
                    {"warehouse_id": "EAST_ID", "location": "L1"},
                ]
            },
            "locations[1].location",
        ),
        ("locations", {"locations": [{"warehouse_id": "MAIN_ID"}]}, "locations[0].location"),
    ],
)
def test_api_refuses_bad_settings_with_422_and_writes_nothing(
    api, channel, warehouses, catalog, db_dump, path, body, field
):
    import json

    main, east = warehouses
    raw = json.dumps(body).replace('"MAIN_ID"', str(main.id)).replace('"EAST_ID"', str(east.id))
    before = db_dump()
    response = api.put(f"/sales-channels/{channel.id}/{path}", raw=raw)
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert db_dump() == before


def test_another_companys_channel_and_warehouses_are_not_found(
    api, other_api, channel, warehouses, catalog, db_dump
):
    from stockledger.warehouses.services import warehouse_create

    theirs = warehouse_create(company=other_api.company, name="Their Main")
    before = db_dump()
    for path, body in [
        ("writeback", {"warehouse_ids": [warehouses[0].id]}),
        ("locations", {"locations": []}),
    ]:
        response = other_api.put(f"/sales-channels/{channel.id}/{path}", body)
        assert response.status_code == 404, response.json()
    assert other_api.get(f"/sales-channels/{channel.id}").status_code == 404
    # Our channel with their warehouse: an unknown warehouse.
    response = api.put(f"/sales-channels/{channel.id}/writeback", {"warehouse_ids": [theirs.id]})
    assert response.status_code == 422
    assert db_dump() == before
