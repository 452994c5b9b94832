"""The page-only middleware (sessions, CSRF, the signed-in user, messages, ...) runs for every
page and for no API request (core/page_middleware.py)."""

import re

import pytest
from django.conf import settings
from django.test import Client, override_settings

from stockledger.core.page_middleware import check_page_middleware
from stockledger.warehouses.models import Warehouse

pytestmark = pytest.mark.django_db

SEEN: list[str] = []


class Spy:
    """Records the path of every request that passes through it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        SEEN.append(request.path)
        return self.get_response(request)


@pytest.fixture
def spied():
    SEEN.clear()
    chain = [*settings.STOCKLEDGER_PAGE_MIDDLEWARE, f"{__name__}.Spy"]
    with override_settings(STOCKLEDGER_PAGE_MIDDLEWARE=chain):
        yield SEEN


def test_pages_go_through_the_page_middleware_and_api_requests_do_not(spied, user, tenant):
    page = Client()
    page.force_login(user)
    assert page.get("/warehouses/").status_code == 200
    api = Client()
    response = api.get("/api/v1/warehouses", HTTP_AUTHORIZATION=f"Bearer {tenant[2]}")
    assert response.status_code == 200
    assert spied == ["/warehouses/"]


def test_a_page_post_without_its_csrf_token_is_refused_and_with_it_is_served(user, company):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    refused = client.post("/warehouses/", {"name": "Annex"})
    assert refused.status_code == 403
    assert not Warehouse.objects.filter(company=company, name="Annex").exists()

    form = client.get("/warehouses/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    served = client.post("/warehouses/", {"name": "Annex", "csrfmiddlewaretoken": token})
    assert served.status_code in (200, 302)
    assert Warehouse.objects.filter(company=company, name="Annex").exists()


def test_the_api_takes_its_token_and_never_a_signed_in_session(user, tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    body = {"name": "Annex"}
    no_token = client.post("/api/v1/warehouses", body, content_type="application/json")
    assert no_token.status_code == 401
    with_token = client.post(
        "/api/v1/warehouses",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tenant[2]}",
    )
    assert with_token.status_code == 201
    assert "Set-Cookie" not in with_token.headers
    assert "Cookie" not in with_token.headers.get("Vary", "")


def test_the_check_refuses_a_page_chain_missing_or_reordering_what_pages_need():
    assert check_page_middleware() == []
    chain = list(settings.STOCKLEDGER_PAGE_MIDDLEWARE)
    without_csrf = [m for m in chain if not m.endswith("CsrfViewMiddleware")]
    with override_settings(STOCKLEDGER_PAGE_MIDDLEWARE=without_csrf):
        assert [e.id for e in check_page_middleware()] == ["stockledger.E002"]
    with override_settings(STOCKLEDGER_PAGE_MIDDLEWARE=list(reversed(chain))):
        assert [e.id for e in check_page_middleware()] == ["stockledger.E003"]
    elsewhere = [m for m in settings.MIDDLEWARE if not m.endswith("PageMiddleware")]
    with override_settings(MIDDLEWARE=elsewhere):
        assert [e.id for e in check_page_middleware()] == ["stockledger.E001"]
