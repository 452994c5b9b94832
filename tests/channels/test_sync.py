"""Channel sync: `import` rows (never applied) and writeback runs (`export` rows)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from stockledger.channels.models import ChannelSkuState, ChannelSync
from stockledger.channels.services import channel_rule_set, channel_set_writeback_warehouses
from stockledger.channels.sync import channel_quantities_import, channel_writeback_run
from stockledger.core.errors import Conflict, InvalidInput
from tests.channel_jobs import run_channel_jobs

RECORDED = "recorded: no push connector; read from the API"


@pytest.fixture
def shop(company, channel, warehouses, product_factory, stock, commit):
    """W-1: 14 physical, 2 committed (12 available); G-1: 5; OVER: oversold by 3; IDLE: none;
    KIT = 2 x W-1 + 1 x G-1."""
    main, east = warehouses
    widget = product_factory("W-1")
    gadget = product_factory("G-1")
    over = product_factory("OVER")
    idle = product_factory("IDLE")
    kit = product_factory(
        "KIT", components=[{"sku": "W-1", "quantity": 2}, {"sku": "G-1", "quantity": 1}]
    )
    stock(widget, main, 10)
    stock(widget, east, 4)
    commit(widget, main, 2)
    stock(gadget, main, 5)
    stock(over, main, 1)
    commit(over, main, 4)
    return {"W-1": widget, "G-1": gadget, "OVER": over, "IDLE": idle, "KIT": kit}


def export_rows(log_of, product):
    return log_of(product, event_type="export")


def test_a_writeback_run_logs_an_export_row_per_product_explaining_warehouses_kits_and_rules(
    company, channel, warehouses, shop, log_of, stock_of, verify_clean
):
    main, east = warehouses
    channel_set_writeback_warehouses(
        company=company, channel=channel, warehouse_ids=[main.id, east.id]
    )
    channel_rule_set(company=company, channel=channel, product=shop["W-1"], reserve=2, maximum=8)
    channel_rule_set(company=company, channel=channel, product=shop["OVER"], minimum=-5)

    run = channel_writeback_run(company=company, channel=channel)

    assert (run.kind, run.status, run.products, run.delivered, run.failed) == (
        "export",
        "recorded",
        5,
        0,
        0,
    )
    expected = {
        # sku: (quantity written, physical_on_hand of the product, explanation)
        "W-1": (8, 14, "2 warehouses (Main, East) = 12; reserve 2 -> 10; max 8 -> 8"),
        "G-1": (5, 5, "2 warehouses (Main, East) = 5"),
        "OVER": (-3, 1, "2 warehouses (Main, East) = -3; min -5 -> -3"),
        "IDLE": (0, 0, "2 warehouses (Main, East) = 0"),
        "KIT": (
            4,
            5,
            "2 warehouses (Main, East): kit = Main min(G-1 5/1, W-1 8/2) = 4 + East min(G-1 0/1, W-1 4/2) = 0 = 4",
        ),
    }
    for sku, (written, physical, explanation) in expected.items():
        [row] = export_rows(log_of, shop[sku])
        assert row.quantity == written, sku
        assert row.available_on_hand == written, sku
        assert row.physical_on_hand == physical, sku
        assert row.explanation == explanation
        assert row.delivery_status == RECORDED
        assert row.event_id == f"export-{run.id}"
        assert (row.cart_type, row.cart_id, row.cart_name) == ("shopify", channel.id, "Shopify US")
        assert (row.document_type, row.document_id) == ("sales_channel", channel.id)
        assert row.warehouse_id is None and row.physical_change == row.committed_change == 0
    last = dict(ChannelSkuState.objects.values_list("product__sku", "last_written"))
    assert last == {"W-1": 8, "G-1": 5, "OVER": -3, "IDLE": 0, "KIT": 4}
    channel.refresh_from_db()
    assert (channel.last_writeback_status, channel.last_writeback_error) == ("recorded", "")
    assert channel.last_writeback_at == run.finished_at
    assert stock_of(shop["W-1"], main) == (10, 2)
    verify_clean()


def test_the_writeback_quantity_sums_only_the_chosen_warehouses_and_all_when_off(
    company, channel, warehouses, shop, log_of, verify_clean
):
    main, east = warehouses
    channel_rule_set(company=company, channel=channel, product=shop["W-1"], reserve=2, maximum=8)
    channel_writeback_run(company=company, channel=channel, skus=["W-1", "KIT"])
    channel_set_writeback_warehouses(company=company, channel=channel, warehouse_ids=[east.id])
    channel_writeback_run(company=company, channel=channel, skus=["W-1", "KIT"])
    assert [r.explanation for r in export_rows(log_of, shop["W-1"])] == [
        "all warehouses (Main, East) = 12; reserve 2 -> 10; max 8 -> 8",
        "1 warehouse (East) = 4; reserve 2 -> 2; max 8 -> 2",
    ]
    # A kit ships from one warehouse: Main makes 4 (W-1 8 available / 2), East has no G-1.
    assert [(r.quantity, r.explanation) for r in export_rows(log_of, shop["KIT"])] == [
        (
            4,
            "all warehouses (Main, East): kit = Main min(G-1 5/1, W-1 8/2) = 4 + East min(G-1 0/1, W-1 4/2) = 0 = 4",
        ),
        (0, "1 warehouse (East): kit = East min(G-1 0/1, W-1 4/2) = 0 = 0"),
    ]
    assert export_rows(log_of, shop["G-1"]) == []
    verify_clean()


def test_an_oversold_product_is_written_as_zero_without_a_negative_minimum(
    company, channel, shop, log_of
):
    channel_writeback_run(company=company, channel=channel, skus=["OVER"])
    [row] = export_rows(log_of, shop["OVER"])
    assert (row.quantity, row.explanation) == (
        0,
        "all warehouses (Main, East) = -3; not below 0 -> 0",
    )


def test_an_import_row_says_whether_the_channel_differs_from_what_we_last_wrote(
    company, channel, shop, log_of, stock_of, warehouses, verify_clean
):
    read_at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    first = channel_quantities_import(
        company=company,
        channel=channel,
        quantities=[{"sku": "W-1", "quantity": 9}],
        read_at=read_at,
    )
    [row] = log_of(shop["W-1"], event_type="import")
    # Never written back: nothing to compare with.
    assert (row.quantity, row.channel_last_written, row.channel_differs) == (9, None, None)
    assert row.created_at == read_at
    assert timezone.now() - row.imported_at < timedelta(minutes=1)
    assert row.event_id == f"import-{first.id}"
    assert (row.physical_on_hand, row.committed, row.available_on_hand) == (14, 2, 12)

    channel_writeback_run(company=company, channel=channel)  # writes 12, 5, 0, 0, 5
    channel_quantities_import(
        company=company,
        channel=channel,
        quantities=[
            {"sku": "W-1", "quantity": 12},
            {"sku": "KIT", "quantity": 7},
            {"sku": "OVER", "quantity": -3},
        ],
    )
    rows = {
        r.sku: (r.quantity, r.channel_last_written, r.channel_differs)
        for r in log_of(shop["W-1"], event_type="import")[1:]
        + log_of(shop["KIT"], event_type="import")
        + log_of(shop["OVER"], event_type="import")
    }
    assert rows == {"W-1": (12, 12, False), "KIT": (7, 4, True), "OVER": (-3, 0, True)}
    for row in log_of(shop["KIT"], event_type="import"):
        assert (row.cart_id, row.cart_name) == (channel.id, "Shopify US")
    # Imports never change stock.
    assert stock_of(shop["W-1"], warehouses[0]) == (10, 2)
    verify_clean()


def test_a_failed_import_or_run_writes_nothing(company, channel, shop, db_dump):
    before = db_dump()
    cases = [
        ([], "quantities"),
        ([{"sku": "W-1", "quantity": 1}, {"sku": "NOPE", "quantity": 1}], "quantities[1].sku"),
        ([{"sku": "W-1", "quantity": 1}, {"sku": "W-1", "quantity": 2}], "quantities[1].sku"),
        ([{"sku": "W-1", "quantity": "1"}], "quantities[0].quantity"),
        ([{"sku": "W-1", "quantity": 10**10}], "quantities[0].quantity"),
        ([{"quantity": 1}], "quantities[0].sku"),
    ]
    for quantities, field in cases:
        with pytest.raises(InvalidInput) as err:
            channel_quantities_import(company=company, channel=channel, quantities=quantities)
        assert err.value.field == field
    for skus, field in [([], "skus"), (["W-1", "NOPE"], "skus[1]"), (["W-1", "W-1"], "skus[1]")]:
        with pytest.raises(InvalidInput) as err:
            channel_writeback_run(company=company, channel=channel, skus=skus)
        assert err.value.field == field
    assert db_dump() == before


def test_only_changed_writes_back_just_the_skus_whose_quantity_moved(
    company, channel, shop, warehouses, log_of, stock
):
    channel_writeback_run(company=company, channel=channel)
    stock(shop["G-1"], warehouses[0], 2)  # G-1 5 -> 2 in Main; the kit follows (min(4, 2))
    run = channel_writeback_run(company=company, channel=channel, only_changed=True)
    assert run.products == 2
    assert [r.quantity for r in export_rows(log_of, shop["G-1"])] == [5, 2]
    assert [r.quantity for r in export_rows(log_of, shop["KIT"])] == [4, 2]
    assert len(export_rows(log_of, shop["W-1"])) == 1
    again = channel_writeback_run(company=company, channel=channel, only_changed=True)
    assert (again.products, again.status) == (0, "recorded")


def test_a_second_run_while_one_is_running_is_refused_and_a_stale_one_is_closed(
    company, channel, shop, db_dump, log_of
):
    started = timezone.now() - timedelta(minutes=1)
    running = ChannelSync.objects.create(
        company=company, channel=channel, kind="export", status="running", started_at=started
    )
    before = db_dump()
    with pytest.raises(Conflict, match=f"already running \\(export-{running.id}"):
        channel_writeback_run(company=company, channel=channel)
    assert db_dump() == before

    ChannelSync.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(hours=1))
    run = channel_writeback_run(company=company, channel=channel, skus=["W-1"])
    assert run.status == "recorded"
    running.refresh_from_db()
    assert running.status == "failed"
    assert "abandoned" in running.error
    assert len(export_rows(log_of, shop["W-1"])) == 1


# --- through the API ------------------------------------------------------------------------


def test_api_import_and_writeback_run(api, channel, shop, log_of):
    # An empty body is allowed: every product.
    response = api.post(f"/sales-channels/{channel.id}/writeback-run", raw="")
    assert response.status_code == 202, response.json()
    queued = response.json()
    assert (queued["kind"], queued["status"], queued["products"]) == ("export", "queued", 0)
    assert export_rows(log_of, shop["W-1"]) == []  # the request itself wrote nothing
    run_channel_jobs()
    run = api.get(f"/sales-channels/{channel.id}/syncs/{queued['id']}").json()
    assert (run["kind"], run["status"], run["products"]) == ("export", "recorded", 5)
    assert run["event_id"] == f"export-{run['id']}" == queued["event_id"]

    response = api.post(
        f"/sales-channels/{channel.id}/quantities",
        {
            "quantities": [{"sku": "W-1", "quantity": 11}, {"sku": "G-1", "quantity": 5}],
            "read_at": "2026-03-01T12:00:00+01:00",
        },
    )
    assert response.status_code == 201, response.json()
    sync = response.json()
    assert (sync["kind"], sync["status"], sync["products"]) == ("import", "recorded", 2)
    items = api.get(
        f"/products/{shop['W-1'].id}/log", {"event_type": ["import", "export"], "order": "asc"}
    ).json()["items"]
    assert [
        (
            i["event_type"],
            i["quantity"],
            i["available_on_hand"],
            i["channel_last_written"],
            i["channel_differs"],
        )
        for i in items
        # Sorted by created_at: the channel read its quantities on 1 March.
    ] == [("import", 11, 12, 12, True), ("export", 12, 12, None, None)]
    assert items[0]["created_at"].startswith("2026-03-01T11:00:00")

    written = api.get(f"/sales-channels/{channel.id}/written", {"limit": 2}).json()
    assert [(i["sku"], i["last_written"]) for i in written["items"]] == [("W-1", 12), ("G-1", 5)]
    rest = api.get(
        f"/sales-channels/{channel.id}/written", {"cursor": written["next_cursor"]}
    ).json()
    assert [(i["sku"], i["last_written"]) for i in rest["items"]] == [
        ("OVER", 0),
        ("IDLE", 0),
        ("KIT", 4),
    ]
    assert rest["next_cursor"] is None
    syncs = api.get(f"/sales-channels/{channel.id}/syncs").json()["items"]
    assert [s["kind"] for s in syncs] == [
        "import",
        "export",
    ]


def test_api_preview_shows_the_computation_and_writes_nothing(api, channel, shop, db_dump):
    api.put(f"/sales-channels/{channel.id}/rules", {"sku": "W-1", "maximum": 3})
    before = db_dump()
    response = api.get(f"/sales-channels/{channel.id}/writeback-preview", {"sku": ["W-1", "KIT"]})
    assert response.status_code == 200, response.json()
    assert [(i["sku"], i["quantity"], i["explanation"]) for i in response.json()["items"]] == [
        ("W-1", 3, "all warehouses (Main, East) = 12; max 3 -> 3"),
        (
            "KIT",
            4,
            "all warehouses (Main, East): kit = Main min(G-1 5/1, W-1 8/2) = 4 + East min(G-1 0/1, W-1 4/2) = 0 = 4",
        ),
    ]
    assert db_dump() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantities": []}, "quantities"),
        ({"quantities": [{"sku": "NOPE", "quantity": 1}]}, "quantities[0].sku"),
        ({"quantities": [{"sku": "W-1", "quantity": "1"}]}, "quantities[0].quantity"),
        ({"quantities": [{"sku": "W-1", "quantity": 1.5}]}, "quantities[0].quantity"),
        ({"quantities": [{"sku": "W-1"}]}, "quantities[0].quantity"),
        (
            {"quantities": [{"sku": "W-1", "quantity": 1}], "read_at": "2026-03-01T12:00:00"},
            "read_at",
        ),
        ({}, "quantities"),
    ],
)
def test_api_refuses_bad_quantity_reports_and_writes_nothing(
    api, channel, shop, db_dump, body, field
):
    before = db_dump()
    response = api.post(f"/sales-channels/{channel.id}/quantities", body)
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert db_dump() == before


def test_api_sync_of_another_companys_channel_is_not_found(other_api, channel, shop, db_dump):
    before = db_dump()
    base = f"/sales-channels/{channel.id}"
    assert other_api.post(f"{base}/writeback-run", {}).status_code == 404
    assert (
        other_api.post(
            f"{base}/quantities", {"quantities": [{"sku": "W-1", "quantity": 1}]}
        ).status_code
        == 404
    )
    assert other_api.get(f"{base}/written").status_code == 404
    assert other_api.get(f"{base}/writeback-preview").status_code == 404
    assert other_api.get(f"{base}/syncs").status_code == 404
    assert other_api.post("/sales-channels/999999/writeback-run", {}).status_code == 404
    assert db_dump() == before


def test_a_queued_run_waits_while_another_run_of_the_channel_is_running(
    api, company, channel, shop, log_of
):
    busy = ChannelSync.objects.create(
        company=company,
        channel=channel,
        kind="export",
        status="running",
        started_at=timezone.now(),
    )
    response = api.post(f"/sales-channels/{channel.id}/writeback-run", {"skus": ["W-1"]})
    assert response.status_code == 202
    queued = response.json()
    results = run_channel_jobs(limit=3)
    assert all(r.startswith("deferred:") and "is running" in r for r in results), results
    assert api.get(f"/sales-channels/{channel.id}/syncs/{queued['id']}").json()["status"] == (
        "queued"
    )
    assert export_rows(log_of, shop["W-1"]) == []
    ChannelSync.objects.filter(pk=busy.pk).update(status="delivered", finished_at=timezone.now())
    run_channel_jobs()
    run = api.get(f"/sales-channels/{channel.id}/syncs/{queued['id']}").json()
    assert (run["status"], run["products"]) == ("recorded", 1)
    assert len(export_rows(log_of, shop["W-1"])) == 1


def test_the_settings_page_selector_gathers_warehouses_mapping_rules_and_runs(
    company, channel, warehouses, shop
):
    from stockledger.channels.selectors import channel_detail, channel_written
    from stockledger.channels.services import channel_set_locations

    main, east = warehouses
    channel_set_writeback_warehouses(company=company, channel=channel, warehouse_ids=[east.id])
    channel_set_locations(
        company=company, channel=channel, locations=[{"warehouse_id": east.id, "location": "L2"}]
    )
    channel_rule_set(company=company, channel=channel, product=shop["W-1"], maximum=3)
    run = channel_writeback_run(company=company, channel=channel, skus=["W-1", "G-1"])

    detail = channel_detail(company=company, channel=channel)
    assert detail.writeback_on is True
    assert detail.writeback_warehouses == [east]
    assert detail.warehouses == [main, east]
    assert [(r.warehouse_name, r.location) for r in detail.locations] == [
        ("Main", ""),
        ("East", "L2"),
    ]
    assert [(r.product.sku, r.maximum) for r in detail.rules] == [("W-1", 3)]
    assert [s.label for s in detail.recent_syncs] == [run.label]
    assert detail.skus_written == 2
    rows = channel_written(channel=channel, skus=["W-1"])
    assert [(r.product.sku, r.last_written, r.sync_id) for r in rows] == [("W-1", 3, run.id)]


def test_the_openapi_schema_documents_the_channel_endpoints(api):
    paths = api.get("/openapi.json").json()["paths"]
    for path in [
        "/api/v1/sales-channels/{channel_id}/writeback",
        "/api/v1/sales-channels/{channel_id}/locations",
        "/api/v1/sales-channels/{channel_id}/rules",
        "/api/v1/sales-channels/{channel_id}/quantities",
        "/api/v1/sales-channels/{channel_id}/writeback-run",
        "/api/v1/sales-channels/{channel_id}/webhook",
        "/api/v1/sales-channels/{channel_id}/syncs/{sync_id}",
        "/api/v1/sales-channels/{channel_id}/health",
        "/api/v1/sales-channels/{channel_id}/resume",
    ]:
        assert path in paths
