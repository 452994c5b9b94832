"""The Shopify connection through the API: secrets write-only, field errors, tenancy."""

import pytest

TOKEN = "shpat_api_token_0123456789abcd"


def test_connecting_shows_the_token_only_as_set_with_its_last_four(api, channel):
    response = api.put(
        f"/sales-channels/{channel.id}/shopify",
        {"shop_domain": "Acme.myshopify.com", "access_token": TOKEN, "webhook_secret": "s" * 32},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body == {
        "channel_id": channel.id,
        "shop_domain": "acme.myshopify.com",
        "api_version": "2026-01",
        "access_token": "set (…abcd)",
        "webhook_secret_set": True,
        "webhook_path": f"/hooks/{channel.id}/shopify",
    }
    assert TOKEN not in str(api.get(f"/sales-channels/{channel.id}/shopify").json())
    assert TOKEN not in str(api.get(f"/sales-channels/{channel.id}").json())
    assert api.get(f"/sales-channels/{channel.id}").json()["adapter"] == "shopify"
    # Leaving the token out keeps it.
    again = api.put(f"/sales-channels/{channel.id}/shopify", {"shop_domain": "acme.myshopify.com"})
    assert again.json()["access_token"] == "set (…abcd)"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"shop_domain": "acme.myshopify.com"}, "access_token"),
        ({"shop_domain": "", "access_token": TOKEN}, "shop_domain"),
        ({"shop_domain": "evil.example.com", "access_token": TOKEN}, "shop_domain"),
        ({"shop_domain": "127.0.0.1:8000", "access_token": TOKEN}, "shop_domain"),
        ({"shop_domain": "a b.myshopify.com", "access_token": TOKEN}, "shop_domain"),
        ({"shop_domain": "acme.myshopify.com", "access_token": "with space"}, "access_token"),
    ],
)
def test_bad_connection_settings_name_the_field_and_change_nothing(
    api, channel, db_dump, body, field
):
    before = db_dump()
    response = api.put(f"/sales-channels/{channel.id}/shopify", body)
    assert response.status_code == 422, response.json()
    assert field in str(response.json())
    assert db_dump() == before


def test_another_companys_channel_is_not_found(other_api, channel):
    body = {"shop_domain": "acme.myshopify.com", "access_token": TOKEN}
    assert other_api.put(f"/sales-channels/{channel.id}/shopify", body).status_code == 404
    assert other_api.get(f"/sales-channels/{channel.id}/shopify").status_code == 404
