"""A merchant's week through the Python client generated from docs/openapi.json (`make client`).

The app is served by waitress on a free port (as `stockledger serve` does) with a real
`stockledger worker` process for the export; the client authenticates with an API token and
uses only its typed calls: every answer is parsed into the generated models (a missing field,
an unknown enum value or a malformed date-time raises), and each JSON answer is also checked
against the published schema on the wire (tests/contract.py), which the models do not do for
plain types.
"""

import csv
import io
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from tests.contract import check_response

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "build" / "client"
SNAPSHOT = ROOT / "docs" / "openapi.json"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _generated_client():
    """The generated package, or a loud skip (a failure under CI) when it was never built."""
    package = CLIENT / "stockledger_client" / "__init__.py"
    if not package.exists():
        message = "generated client missing (build/client): run `make client`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    if package.stat().st_mtime < SNAPSHOT.stat().st_mtime:
        pytest.fail("build/client is older than docs/openapi.json: run `make client`")
    if str(CLIENT) not in sys.path:
        sys.path.insert(0, str(CLIENT))
    import stockledger_client

    return stockledger_client


class _Answer:
    """An httpx response as tests/contract.py reads one (a Django response's interface)."""

    def __init__(self, response):
        response.read()
        self.status_code = response.status_code
        self.content = response.content
        self._headers = response.headers

    def get(self, name, default=None):
        return self._headers.get(name, default)


def _check_on_the_wire(response):
    check_response(response.request.method, response.request.url.path, _Answer(response))


@pytest.fixture
def worker(settings, tmp_path):
    """A `stockledger worker` process on the test database, sharing the exports folder."""
    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.exports.worker_settings",
        "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "STOCKLEDGER_EXPORTS_DIR": str(settings.STOCKLEDGER_EXPORTS_DIR),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with open(tmp_path / "worker.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "stockledger.cli", "worker", "--interval", "0.1"],
            env=environment,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield process
        process.kill()
        process.wait(timeout=30)


def ok(answer, model):
    """The parsed answer, when it is the operation's success model (an ErrorOut says why not)."""
    assert isinstance(answer, model), f"expected {model.__name__}, got {answer!r}"
    return answer


def test_a_merchants_week_through_the_generated_client(waitress_url, company_factory, worker):
    sl = _generated_client()
    from stockledger_client.api.exports import download_csv, get_export, post_export
    from stockledger_client.api.inventory_log import post_on_hand, product_log
    from stockledger_client.api.orders import import_order, ship_order
    from stockledger_client.api.products import create_product, get_product, list_products
    from stockledger_client.api.purchasing import create_purchase_order, receive_purchase_order
    from stockledger_client.api.sales_channels import create_channel
    from stockledger_client.api.transfers import create_transfer
    from stockledger_client.api.warehouses import create_warehouse
    from stockledger_client.models import (
        AdjustmentReason,
        ChannelCreatedOut,
        ChannelIn,
        ChannelInCartType,
        ComponentIn,
        ExportIn,
        ExportInFormat,
        ExportOut,
        ExportOutStatus,
        LineIn,
        LogPageOut,
        OnHandAdjustIn,
        OnHandCountIn,
        OnHandOut,
        OrderImportOut,
        OrderIn,
        OrderLineIn,
        OrderOut,
        ProductIn,
        ProductKind,
        ProductListOut,
        ProductOut,
        PurchaseOrderIn,
        PurchaseOrderOut,
        ReceiptIn,
        ReceiptResultOut,
        StepIn,
        TransferIn,
        TransferLineIn,
        TransferResultOut,
        WarehouseIn,
        WarehouseOut,
    )

    _company, _user, token = company_factory("Week Goods")
    client = sl.AuthenticatedClient(
        base_url=waitress_url,
        token=token,
        raise_on_unexpected_status=True,
        httpx_args={"event_hooks": {"response": [_check_on_the_wire]}},
    )
    with client:
        # Monday: two warehouses, a mug, a lid and a gift set of two mugs and a lid.
        main = ok(create_warehouse.sync(client=client, body=WarehouseIn(name="Main")), WarehouseOut)
        east = ok(create_warehouse.sync(client=client, body=WarehouseIn(name="East")), WarehouseOut)
        mug = ok(
            create_product.sync(client=client, body=ProductIn(sku="MUG", name="Mug")), ProductOut
        )
        ok(create_product.sync(client=client, body=ProductIn(sku="LID", name="Lid")), ProductOut)
        kit = ok(
            create_product.sync(
                client=client,
                body=ProductIn(
                    sku="MUG-SET",
                    name="Gift set",
                    kind=ProductKind.KIT,
                    components=[
                        ComponentIn(sku="MUG", quantity=2),
                        ComponentIn(sku="LID", quantity=1),
                    ],
                ),
            ),
            ProductOut,
        )
        listed = ok(list_products.sync(client=client, limit=10), ProductListOut)
        assert sorted(p.sku for p in listed.items) == ["LID", "MUG", "MUG-SET"]

        # Tuesday: counts, and a damaged mug.
        for sku, counted in (("MUG", 20), ("LID", 10)):
            body = OnHandCountIn(
                sku=sku,
                warehouse_id=main.id,
                physical_on_hand=counted,
                reason=AdjustmentReason.CYCLE_COUNT,
            )
            ok(post_on_hand.sync(client=client, body=body), OnHandOut)
        damaged = ok(
            post_on_hand.sync(
                client=client,
                body=OnHandAdjustIn(
                    sku="MUG", warehouse_id=main.id, change=-1, reason=AdjustmentReason.DAMAGED
                ),
            ),
            OnHandOut,
        )
        assert (damaged.entry.quantity, damaged.entry.physical_on_hand) == (-1, 19)

        # Wednesday: a purchase order, partly received.
        po = ok(
            create_purchase_order.sync(
                client=client,
                body=PurchaseOrderIn(
                    number="PO-7",
                    warehouse_id=main.id,
                    supplier="Clayworks",
                    lines=[LineIn(sku="MUG", quantity=12), LineIn(sku="LID", quantity=6)],
                ),
            ),
            PurchaseOrderOut,
        )
        receipt = ok(
            receive_purchase_order.sync(
                po.id,
                client=client,
                body=ReceiptIn(
                    number="GR-7",
                    lines=[LineIn(sku="MUG", quantity=12), LineIn(sku="LID", quantity=4)],
                ),
            ),
            ReceiptResultOut,
        )
        assert receipt.receipt.number == "GR-7"
        assert [(e.sku, e.quantity, e.physical_on_hand) for e in receipt.entries] == [
            ("MUG", 12, 31),
            ("LID", 4, 14),
        ]

        # Thursday: an order from the web store (two gift sets and a mug), then shipped.
        channel = ok(
            create_channel.sync(
                client=client, body=ChannelIn(cart_type=ChannelInCartType.OTHER, name="Web store")
            ),
            ChannelCreatedOut,
        )
        order = ok(
            import_order.sync(
                client=client,
                body=OrderIn(
                    channel_id=channel.id,
                    order_number="W-1001",
                    placed_at=datetime.now(UTC),
                    warehouse_id=main.id,
                    lines=[
                        OrderLineIn(sku="MUG-SET", quantity=2),
                        OrderLineIn(sku="MUG", quantity=1),
                    ],
                ),
            ),
            OrderImportOut,
        )
        assert (order.status, order.duplicate) == ("open", False)
        committed = ok(get_product.sync(mug.id, client=client), ProductOut)
        assert (committed.physical_on_hand, committed.committed, committed.available_on_hand) == (
            31,
            5,
            26,
        )
        # An empty step ships everything remaining (the body itself may not be left out: this
        # generator sends its UNSET marker for an optional body that may also be null).
        shipped = ok(ship_order.sync(order.id, client=client, body=StepIn()), OrderOut)
        assert shipped.status == "shipped"

        # Friday: six mugs move to East.
        transfer = ok(
            create_transfer.sync(
                client=client,
                body=TransferIn(
                    sending_warehouse_id=main.id,
                    receiving_warehouse_id=east.id,
                    number="T-1",
                    lines=[TransferLineIn(sku="MUG", quantity=6, notes="for the market stall")],
                ),
            ),
            TransferResultOut,
        )
        assert transfer.number == "T-1"

        now = {p.sku: p for p in ok(list_products.sync(client=client), ProductListOut).items}
        assert (
            now["MUG"].physical_on_hand,
            now["MUG"].committed,
            now["MUG"].available_on_hand,
        ) == (26, 0, 26)
        assert {w.warehouse_name: w.physical_on_hand for w in now["MUG"].warehouses} == {
            "Main": 20,
            "East": 6,
        }
        assert (now["LID"].physical_on_hand, now["LID"].available_on_hand) == (12, 12)
        # The set ships from one warehouse: Main makes min(20 // 2, 12) = 10, East none.
        assert now["MUG-SET"].available_on_hand == 10 and kit.id == now["MUG-SET"].id

        # Saturday: the mug's log, read and exported.
        log = ok(product_log.sync(mug.id, client=client, limit=100), LogPageOut)
        export = ok(
            post_export.sync(
                client=client, body=ExportIn(product_id=mug.id, format_=ExportInFormat.CSV)
            ),
            ExportOut,
        )
        deadline = time.monotonic() + 60
        while export.status in (ExportOutStatus.QUEUED, ExportOutStatus.RUNNING):
            assert time.monotonic() < deadline, "the worker did not finish the export in 60 s"
            time.sleep(0.2)
            export = ok(get_export.sync(export.id, client=client), ExportOut)
        assert export.status == ExportOutStatus.COMPLETE, export.error
        download = download_csv.sync_detailed(export.id, client=client)
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")

    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"), newline="")))
    done = [
        # event_type, event_id, warehouse, quantity, and the product's physical and available on
        # hand after the whole event (one order: its import commits 2 x 2 + 1 mugs, its shipment
        # takes them)
        ("on_hand", "", "Main", "20", "20", "20"),
        ("on_hand", "", "Main", "-1", "19", "19"),
        ("po_received", "PO-7", "Main", "12", "31", "31"),
        ("order", "W-1001", "Main", "4", "31", "26"),
        ("order", "W-1001", "Main", "1", "31", "26"),
        ("order", "W-1001", "Main", "4", "26", "26"),
        ("order", "W-1001", "Main", "1", "26", "26"),
        ("inventory_transfer", "T-1", "Main", "6", "26", "26"),
        ("inventory_transfer", "T-1", "East", "6", "26", "26"),
    ]
    columns = (
        "event_type",
        "event_id",
        "warehouse_name",
        "quantity",
        "physical_on_hand",
        "available_on_hand",
    )
    assert [tuple(row[c] for c in columns) for row in rows] == done
    assert export.rows == len(rows)
    # The log page tells the same story, newest first.
    assert [
        (
            e.event_type,
            e.event_id,
            e.warehouse_name,
            e.quantity,
            e.physical_on_hand,
            e.available_on_hand,
        )
        for e in reversed(log.items)
    ] == [(t, i, w, int(q), int(p), int(a)) for t, i, w, q, p, a in done]
    assert (
        rows[-1]["sending_warehouse_name"] == "Main"
        and rows[-1]["receiving_warehouse_name"] == "East"
    )
    assert {row["line_notes"] for row in rows if row["event_type"] == "inventory_transfer"} == {
        "for the market stall"
    }
