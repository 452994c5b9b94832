"""A real `stockledger worker` process applies an inbound Shopify webhook the request only
stored and enqueued."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from stockledger.channels.models import InboundWebhook
from stockledger.channels.shopify_services import channel_connect_shopify
from stockledger.orders.models import Order

from .test_inbound_hooks import APP_SECRET, body_of, post_shopify

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_the_worker_imports_the_order_of_a_webhook(
    company, channel, warehouses, product_factory, tmp_path
):
    product_factory("W-1")
    channel_connect_shopify(
        company=company,
        channel=channel,
        shop_domain="acme.myshopify.com",
        access_token="shpat_token_0123456789",
        webhook_secret=APP_SECRET,
    )
    response = post_shopify(
        Client(), channel, "orders/create", body_of("webhook_orders_create.json")
    )
    assert response.status_code == 202
    assert not Order.objects.exists()

    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.exports.worker_settings",
        "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "stockledger.cli", "worker", "--interval", "0.1"],
            env=environment,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if InboundWebhook.objects.filter(status="done").exists():
                    break
                time.sleep(0.2)
        finally:
            worker.kill()
            worker.wait(timeout=30)
    row = InboundWebhook.objects.get()
    assert row.status == "done", (tmp_path / "worker.log").read_text()[-2000:]
    order = Order.objects.get()
    assert (order.order_number, order.status) == ("#9999", "open")
    assert json.loads(bytes(row.body))["name"] == "#9999"
