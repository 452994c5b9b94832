"""A Vendure channel's connection without the store: its requests follow the outbound address
rules (core/outbound.py), and its login is kept encrypted, never shown, masked in the audit
list (issue 12)."""

import ipaddress
import socket

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from stockledger.channels.models import ChannelSync, VendureSettings
from stockledger.channels.services import channel_connect_vendure
from stockledger.core import outbound
from stockledger.core.outbound import FAILED, NOT_ALLOWED
from stockledger.core.secret_box import secret_open
from tests.channel_jobs import run_channel_jobs

PASSWORD = "pw-vendure-9f3a1c"
TOKEN = "tok-vendure-5be27d0c41aa"


@pytest.fixture
def signed_in_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def vendure_channel(company, channel, warehouses, product_factory, api, settings):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = ""
    product_factory("W-1")
    response = api.put(
        f"/sales-channels/{channel.id}/vendure",
        {
            "admin_url": "http://vendure.example/admin-api",
            "username": "admin",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 200, response.json()
    response = api.put(
        f"/sales-channels/{channel.id}/locations",
        {"locations": [{"warehouse_id": warehouses[0].id, "location": "1"}]},
    )
    assert response.status_code == 200, response.json()
    channel.refresh_from_db()
    assert channel.adapter == "vendure"
    return channel


def run(api, channel, kind):
    queued = api.post(f"/sales-channels/{channel.id}/sync-run", {"kind": kind}).json()
    run_channel_jobs()
    return ChannelSync.objects.get(pk=queued["id"])


@pytest.mark.parametrize("kind", ["orders", "import"])
def test_a_vendure_store_resolving_to_an_internal_address_is_not_reached(
    api, vendure_channel, monkeypatch, kind
):
    connects = []
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [ipaddress.ip_address("10.0.0.7")])
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a) or 1 / 0)
    sync = run(api, vendure_channel, kind)
    assert sync.status == "failed"
    assert sync.error.endswith(NOT_ALLOWED)
    assert "10.0.0.7" not in sync.error
    assert connects == []  # nothing was sent


def test_a_writeback_to_a_refused_address_fails_each_quantity_not_retried(
    api, company, vendure_channel, monkeypatch, log_of
):
    from stockledger.catalog.models import Product
    from stockledger.channels.sync import channel_writeback_run

    monkeypatch.setattr(outbound, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    sync = channel_writeback_run(company=company, channel=vendure_channel, skus=["W-1"])
    assert sync.status == "failed"
    [row] = log_of(Product.objects.get(sku="W-1"), event_type="export")
    assert row.delivery_status == f"failed: {NOT_ALLOWED}"


def test_a_vendure_store_that_does_not_answer_reads_only_delivery_failed(
    api, vendure_channel, monkeypatch, settings
):
    # Allowed (as an operator may allow an internal store), but nothing listens there: the
    # tenant must not learn "connection refused" (that would map the internal network).
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    VendureSettings.objects.filter(channel=vendure_channel).update(
        admin_url=f"http://vendure.example:{port}/admin-api"
    )
    sync = run(api, vendure_channel, "orders")
    assert sync.status == "failed"
    assert sync.error.endswith(f": {FAILED}"), sync.error
    assert "refused" not in sync.error.lower() and "errno" not in sync.error.lower()


def test_the_login_is_stored_encrypted_and_never_shown(api, vendure_channel, signed_in_client):
    config = VendureSettings.objects.get(channel=vendure_channel)
    assert PASSWORD not in config.password_sealed and config.token_sealed == ""
    assert secret_open(config.password_sealed) == PASSWORD
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM channels_venduresettings WHERE channel_id = %s", [vendure_channel.id]
        )
        assert PASSWORD not in str(cursor.fetchall())
    assert PASSWORD not in str(api.get(f"/sales-channels/{vendure_channel.id}").json())
    page = signed_in_client.get(f"/channels/{vendure_channel.id}/").content.decode()
    assert PASSWORD not in page and "admin&#x27;s password (set)" in page

    # A token replaces the login; only its last 4 characters are shown.
    response = api.put(
        f"/sales-channels/{vendure_channel.id}/vendure",
        {"admin_url": "http://vendure.example/admin-api", "token": TOKEN},
    )
    assert response.status_code == 200
    config.refresh_from_db()
    assert config.password_sealed == "" and secret_open(config.token_sealed) == TOKEN
    page = signed_in_client.get(f"/channels/{vendure_channel.id}/").content.decode()
    assert TOKEN not in page and "a bearer token (…41aa)" in page

    audit = api.get("/audit").json()["items"]
    vendure = [e for e in audit if e["action"] == "channel.vendure"]
    assert len(vendure) == 2
    assert PASSWORD not in str(audit) and TOKEN not in str(audit)
    assert vendure[0]["changes"]["token"] == ["(old secret)", "(new secret)"]
    assert vendure[1]["changes"]["password"] == ["(old secret)", "(new secret)"]
    audit_page = signed_in_client.get("/settings/audit/").content.decode()
    assert PASSWORD not in audit_page and TOKEN not in audit_page


def test_re_saving_the_url_keeps_the_stored_login_and_a_new_user_needs_its_password(
    api, vendure_channel
):
    url = f"/sales-channels/{vendure_channel.id}/vendure"
    before = VendureSettings.objects.get(channel=vendure_channel).password_sealed
    response = api.put(url, {"admin_url": "http://vendure2.example/admin-api", "username": "admin"})
    assert response.status_code == 200
    config = VendureSettings.objects.get(channel=vendure_channel)
    assert config.admin_url == "http://vendure2.example/admin-api"
    assert config.password_sealed == before
    response = api.put(url, {"admin_url": "http://vendure2.example/admin-api", "username": "bob"})
    assert response.status_code == 422
    assert "username" in str(response.json())
    assert VendureSettings.objects.get(channel=vendure_channel).username == "admin"


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_logins_stored_in_plain_text(company_factory):
    executor = MigrationExecutor(connection)
    executor.migrate([("channels", "0007_unique_keys_lead_with_company")])
    old_apps = executor.loader.project_state(
        [("channels", "0007_unique_keys_lead_with_company")]
    ).apps
    company, _user, _token = company_factory()
    channel = old_apps.get_model("channels", "SalesChannel").objects.create(
        company_id=company.id, cart_type="other", name="Old Vendure", adapter="vendure"
    )
    old_apps.get_model("channels", "VendureSettings").objects.create(
        company_id=company.id,
        channel_id=channel.id,
        admin_url="https://shop.example/admin-api",
        username="admin",
        password=PASSWORD,
        token=TOKEN,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    config = VendureSettings.objects.get(channel_id=channel.id)
    assert secret_open(config.password_sealed) == PASSWORD
    assert secret_open(config.token_sealed) == TOKEN and config.token_hint == TOKEN[-4:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM channels_venduresettings")
        dump = str(cursor.fetchall())
    assert PASSWORD not in dump and TOKEN not in dump


def test_a_login_that_cannot_be_decrypted_fails_the_run_with_a_clear_reason(
    api, vendure_channel, settings
):
    settings.STOCKLEDGER_SECRETS_KEY = "another key"
    sync = run(api, vendure_channel, "orders")
    assert sync.status == "failed"
    assert "cannot be decrypted" in sync.error and "set it again" in sync.error


def test_connect_refuses_a_password_without_its_user(company, channel):
    from stockledger.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        channel_connect_vendure(
            company=company,
            channel=channel,
            admin_url="https://shop.example/admin-api",
            password=PASSWORD,
        )
    assert refused.value.field == "username"
    assert not VendureSettings.objects.filter(channel=channel).exists()
