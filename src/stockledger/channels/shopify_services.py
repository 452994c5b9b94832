"""Writes for a channel's Shopify connection (the connector is adapters/shopify.py)."""

from __future__ import annotations

from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company
from stockledger.core.outbound import (
    OutboundRefused,
    allow_list,
    check_outbound_host,
    literal_address,
)
from stockledger.core.secret_box import secret_hint, secret_seal
from stockledger.ledger.services import write_transaction

from .jobs import channel_sync_configure
from .models import AdapterName, SalesChannel, ShopifySettings
from .services import _locked

SHOP_DOMAIN_MAX = 255
SECRET_MAX = 500


def _clean_shop_domain(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("shop domain must be a non-empty string", field="shop_domain")
    domain = value.strip().lower().removeprefix("https://").rstrip("/")
    host, _, port = domain.partition(":")
    if (
        len(domain) > SHOP_DOMAIN_MAX
        or not host
        or not all(ch.isalnum() or ch in ".-" for ch in host)
        or (port and not port.isdigit())
    ):
        raise InvalidInput("shop domain must look like example.myshopify.com", field="shop_domain")
    try:
        check_outbound_host(host)
    except OutboundRefused:
        raise InvalidInput(
            "shop domain must be a public address (loopback and private addresses are refused "
            "unless the operator allows them with STOCKLEDGER_OUTBOUND_ALLOW)",
            field="shop_domain",
        ) from None
    allowed = allow_list()
    literal = literal_address(host)
    operator_allowed = allowed.allows_host(host) or (
        literal is not None and allowed.allows_address(literal)
    )
    if not host.endswith(".myshopify.com") and not operator_allowed:
        raise InvalidInput(
            "shop domain must be the store's example.myshopify.com address", field="shop_domain"
        )
    return domain


def _clean_secret(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string", field=field)
    value = value.strip()
    if len(value) > SECRET_MAX or any(ord(ch) < 33 for ch in value):
        raise InvalidInput(
            f"{field} must be at most {SECRET_MAX} characters without spaces", field=field
        )
    return value


def channel_connect_shopify(
    *,
    company: Company,
    channel: SalesChannel,
    shop_domain: str,
    access_token: str | None = None,
    webhook_secret: str | None = None,
) -> ShopifySettings:
    """Connect the channel to a Shopify store: its myshopify.com domain, an Admin API access
    token, and the secret Shopify signs its webhooks with (the app's client secret). The
    token and the secret are stored encrypted and never shown again; None or "" keeps the
    one stored (a token is required the first time). Switches the channel's adapter to
    shopify. Logs nothing (it changes how quantities travel, not which). Refuses a domain
    that is not a public myshopify.com host (field shop_domain) and bad secrets."""
    domain = _clean_shop_domain(shop_domain)
    token = _clean_secret(access_token, "access_token") if access_token else ""
    secret = _clean_secret(webhook_secret, "webhook_secret") if webhook_secret else ""
    existing = ShopifySettings.objects.filter(channel=channel).first()
    if not token and (existing is None or not existing.access_token_sealed):
        raise InvalidInput("access token is required to connect", field="access_token")
    config = _save_shopify_in_transaction(company, channel, domain, token, secret)
    channel.adapter = AdapterName.SHOPIFY
    # The worker now imports its orders, reads back and writes back on its own schedule.
    channel_sync_configure(channel=channel)
    return config


@write_transaction
def _save_shopify_in_transaction(
    company: Company, channel: SalesChannel, domain: str, token: str, secret: str
) -> ShopifySettings:
    channel = _locked(channel)
    config = ShopifySettings.objects.filter(channel=channel).first() or ShopifySettings(
        company=company, channel=channel
    )
    config.shop_domain = domain
    if token:
        config.access_token_sealed = secret_seal(token)
        config.access_token_hint = secret_hint(token)
    if secret:
        config.webhook_secret_sealed = secret_seal(secret)
    config.save()
    SalesChannel.objects.filter(pk=channel.pk).update(adapter=AdapterName.SHOPIFY)
    return config
