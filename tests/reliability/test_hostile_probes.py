"""The probes of the hardening review, swept and counted for docs/reliability.md: every form of
an internal address a tenant can give a channel is refused (when saved, or at delivery when a
name resolves inside) without a connection being made, and guessing passwords on every login
form is throttled before the right password gets in."""

from __future__ import annotations

import ipaddress

import pytest
from django.conf import settings as django_settings
from django.test import Client

from stockledger.channels.services import channel_create
from stockledger.core import outbound
from stockledger.core.outbound import NOT_ALLOWED
from tests.channel_jobs import run_channel_jobs
from tests.core.test_outbound import REFUSED_URLS

pytestmark = pytest.mark.django_db

# Addresses a public-looking name may resolve to at delivery time (DNS rebinding, split
# horizon): each must be refused on the address actually about to be connected to.
INSIDE_ADDRESSES = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.7",
    "172.31.255.254",
    "192.168.0.1",
    "169.254.169.254",
    "100.64.1.1",
    "0.0.0.0",
    "224.0.0.251",
    "255.255.255.255",
    "::1",
    "::ffff:10.0.0.1",
    "fe80::1",
    "fd12:3456::1",
    "ff02::1",
]

LOGIN_FORMS = ["/login/", "/admin/login/"]


@pytest.fixture
def no_connection(monkeypatch):
    """Counts connection attempts: a refused address must never be connected to."""
    attempts: list[tuple] = []

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"connected to {address}")

    monkeypatch.setattr(outbound.socket, "create_connection", refuse)
    return attempts


def test_no_form_of_an_internal_address_is_saved_or_delivered_to(
    api, company, product_factory, log_of, settings, monkeypatch, no_connection, figures
):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = ""
    refused_when_saved = 0
    for n, url in enumerate([*REFUSED_URLS, "http://localhost:8000/", "http://LOCALHOST./"]):
        channel = channel_create(company=company, cart_type="shopify", name=f"Saved {n}")
        response = api.put(f"/sales-channels/{channel.id}/webhook", {"url": url})
        assert response.status_code == 422, (url, response.json())
        assert "public address" in str(response.json()), url
        refused_when_saved += 1

    widget = product_factory("PROBE-1")
    refused_at_delivery = 0
    for n, inside in enumerate(INSIDE_ADDRESSES):
        channel = channel_create(company=company, cart_type="shopify", name=f"Resolved {n}")
        host = f"hooks{n}.example"
        saved = api.put(f"/sales-channels/{channel.id}/webhook", {"url": f"http://{host}/"})
        assert saved.status_code == 200, saved.json()
        monkeypatch.setattr(
            outbound, "resolve", lambda h, port, a=inside: [ipaddress.ip_address(a)]
        )
        queued = api.post(f"/sales-channels/{channel.id}/writeback-run", {}).json()
        run_channel_jobs()
        result = api.get(f"/sales-channels/{channel.id}/syncs/{queued['id']}").json()
        assert result["status"] == "failed", inside
        detail = api.get(f"/sales-channels/{channel.id}").json()
        assert detail["last_writeback_error"] == f"1 of 1 quantities not delivered: {NOT_ALLOWED}"
        refused_at_delivery += 1

    rows = log_of(widget, event_type="export")
    assert len(rows) == len(INSIDE_ADDRESSES)
    assert {row.delivery_status for row in rows} == {f"failed: {NOT_ALLOWED}, not retried"}
    assert no_connection == []
    figures.update(
        outbound_refused_when_saved=refused_when_saved,
        outbound_refused_at_delivery=refused_at_delivery,
        outbound_connections_made=len(no_connection),
    )


def _sign_in(client, path, username, password, address):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_guessing_passwords_on_every_login_form_is_throttled(company_factory, figures):
    limit = django_settings.AXES_FAILURE_LIMIT
    throttled = guesses = 0
    for form in LOGIN_FORMS:
        for n in range(3):
            _, user, _ = company_factory()
            address = f"203.0.113.{n + 10 + 20 * LOGIN_FORMS.index(form)}"
            client = Client()
            answers = [
                _sign_in(client, form, user.username, "guess", address).status_code
                for _ in range(limit + 5)
            ]
            # Below the limit a wrong password is shown the form again; from the limit on, 429.
            assert answers == [200] * (limit - 1) + [429] * 6, (form, answers)
            guesses += len(answers)
            throttled += answers.count(429)
            # The right password from a fresh address is refused too: the user name is locked.
            fresh = Client()
            right = _sign_in(fresh, form, user.username, "pw-123456", f"198.51.100.{n + 1}")
            assert right.status_code == 429, (form, right.status_code)
            assert "_auth_user_id" not in fresh.session
            throttled += 1
    figures.update(sign_in_guesses=guesses, signins_throttled=throttled)
