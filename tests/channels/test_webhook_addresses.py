"""Webhook URLs and deliveries to internal addresses (issue 14, item 1): refused when saved,
and refused at delivery when a name resolves inside; the tenant reads only that delivery
failed."""

import ipaddress

import pytest

from stockledger.core import outbound
from stockledger.core.outbound import NOT_ALLOWED
from tests.channel_jobs import run_channel_jobs


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:8000/",
    ],
)
def test_webhook_urls_to_internal_addresses_are_refused_when_saved(
    api, channel, db_dump, settings, url
):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = ""
    before = db_dump()
    response = api.put(f"/sales-channels/{channel.id}/webhook", {"url": url})
    assert response.status_code == 422, response.json()
    assert "public address" in str(response.json())
    assert db_dump() == before


def test_a_webhook_to_a_name_resolving_inside_fails_delivery_without_detail(
    api, channel, product_factory, log_of, settings, monkeypatch
):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = ""
    widget = product_factory("W-1")
    response = api.put(f"/sales-channels/{channel.id}/webhook", {"url": "http://hooks.example/"})
    assert response.status_code == 200
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [ipaddress.ip_address("10.0.0.7")])
    queued = api.post(f"/sales-channels/{channel.id}/writeback-run", {}).json()
    run_channel_jobs()
    result = api.get(f"/sales-channels/{channel.id}/syncs/{queued['id']}").json()
    assert result["status"] == "failed"
    [row] = log_of(widget, event_type="export")
    assert row.delivery_status == f"failed: {NOT_ALLOWED}, not retried"
    detail = api.get(f"/sales-channels/{channel.id}").json()
    assert detail["last_writeback_error"] == f"1 of 1 quantities not delivered: {NOT_ALLOWED}"
