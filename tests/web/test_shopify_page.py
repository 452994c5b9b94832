"""The Shopify connection on a channel's page: secrets write-only, errors by field."""

import pytest
from django.urls import reverse

from stockledger.channels.models import ShopifySettings
from stockledger.channels.services import channel_create

pytestmark = pytest.mark.django_db

TOKEN = "shpat_page_token_0123456789wxyz"
SECRET = "shpss_page_secret_0123456789"


@pytest.fixture
def shop(company):
    return channel_create(company=company, cart_type="shopify", name="Shop")


def save(client, channel, data):
    return client.post(reverse("web:channel_action", args=[channel.id, "shopify"]), data)


def test_the_token_is_never_shown_again_only_that_it_is_set(signed_in, shop):
    page = signed_in.get(reverse("web:channel_detail", args=[shop.id])).content.decode()
    assert "Shopify connection" in page and "not set" in page
    response = save(
        signed_in,
        shop,
        {"shop_domain": "acme.myshopify.com", "access_token": TOKEN, "webhook_secret": SECRET},
    )
    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    assert "Shopify connection saved." in page
    assert TOKEN not in page and SECRET not in page
    assert "set (…wxyz)" in page
    assert f"/hooks/{shop.id}/shopify" in page
    assert ShopifySettings.objects.get(channel=shop).shop_domain == "acme.myshopify.com"
    # Saving again with the secret inputs blank keeps them.
    save(signed_in, shop, {"shop_domain": "acme.myshopify.com"})
    assert "set (…wxyz)" in signed_in.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"shop_domain": "acme.myshopify.com"}, "access token is required"),
        ({"shop_domain": "169.254.169.254", "access_token": TOKEN}, "public address"),
        ({"shop_domain": "shop.example.com", "access_token": TOKEN}, "myshopify.com"),
    ],
)
def test_bad_settings_come_back_inline_next_to_the_field(signed_in, shop, data, message):
    response = save(signed_in, shop, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page and 'class="field-error"' in page
    assert TOKEN not in page
    assert not ShopifySettings.objects.exists()


def test_another_companys_channel_page_is_not_found(signed_in, company_factory):
    other, _user, _token = company_factory("Other")
    theirs = channel_create(company=other, cart_type="shopify", name="Theirs")
    assert save(signed_in, theirs, {"shop_domain": "x.myshopify.com"}).status_code == 404


def test_received_webhooks_and_their_outcomes_show_on_the_page(signed_in, shop, company):
    from django.utils import timezone

    from stockledger.channels.models import InboundWebhook

    InboundWebhook.objects.create(
        company=company,
        channel=shop,
        kind="shopify",
        topic="orders/create",
        delivery_id="wh-1",
        body=b"{}",
        received_at=timezone.now(),
        status="failed",
        outcome="<b>#1001</b>: unknown SKU",
    )
    page = signed_in.get(reverse("web:channel_detail", args=[shop.id])).content.decode()
    assert "Webhooks received" in page and "orders/create" in page
    assert "&lt;b&gt;#1001&lt;/b&gt;: unknown SKU" in page  # escaped
