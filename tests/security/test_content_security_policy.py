"""Every page is served with a strict Content-Security-Policy: local scripts only, no inline."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_pages_forbid_inline_and_foreign_scripts(path):
    policy = policy_of(Client().get(path))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_signed_in_pages_carry_the_policy_too(user):
    client = Client()
    client.force_login(user)
    response = client.get("/products/")
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()
