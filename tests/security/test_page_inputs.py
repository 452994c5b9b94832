"""Page filters validate like the API: ids past 64 bits and the calendar's last day are no 500."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HUGE = "9" * 20


@pytest.fixture
def client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url", [f"/orders/?channel={HUGE}", f"/transfers/?warehouse={HUGE}", "/orders/?channel=-1"]
)
def test_a_list_filtered_by_an_id_no_row_can_have_is_shown_unfiltered(client, url):
    assert client.get(url).status_code == 200


def test_the_log_filtered_to_the_last_day_of_the_calendar_shows_every_row(
    client, product_factory, warehouses
):
    from stockledger.ledger.services import stock_set

    mug = product_factory("MUG", "Mug")
    stock_set(company=mug.company, product=mug, warehouse=warehouses[0], physical_on_hand=3)
    for path in (f"/products/{mug.id}/", f"/products/{mug.id}/log/"):
        response = client.get(path, {"since": "2000-01-01", "until": "9999-12-31"})
        assert response.status_code == 200
        assert 'id="log-' in response.content.decode()
    assert client.get(f"/products/{mug.id}/chart/", {"warehouse": HUGE}).status_code == 200


def test_an_export_to_the_last_day_of_the_calendar_is_queued(client, product_factory):
    from stockledger.exports.models import Export

    mug = product_factory("MUG", "Mug")
    response = client.post(f"/products/{mug.id}/export/", {"until": "9999-12-31", "format": "csv"})
    assert response.status_code in (200, 202, 302)
    assert Export.objects.get(company=mug.company).parameters.get("until") is None


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/products/", {"q": "mug\x00"}),
        ("get", "/purchase-orders/", {"number": "\x00"}),
        ("post", "/settings/tokens/", {"name": "a\x00b"}),
    ],
)
def test_a_nul_character_in_a_page_filter_or_form_is_refused_not_a_500(client, method, url, data):
    response = getattr(client, method)(url, data)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
