"""Writes for sales channels."""

from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company

from .models import CartType, SalesChannel


def channel_create(*, company: Company, cart_type: str, name: str) -> SalesChannel:
    if cart_type not in CartType.values:
        raise InvalidInput(
            f"cart_type must be one of {', '.join(CartType.values)}", field="cart_type"
        )
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name must not be empty", field="name")
    if len(name) > 200:
        raise InvalidInput("name is longer than 200 characters", field="name")
    if SalesChannel.objects.filter(company=company, name=name).exists():
        raise InvalidInput(f"a sales channel named {name!r} already exists", field="name")
    return SalesChannel.objects.create(company=company, cart_type=cart_type, name=name)


def channel_by_id(
    *, company: Company, channel_id: object, field: str = "channel_id"
) -> SalesChannel:
    """A channel named in a request body: unknown or another company's is invalid input."""
    try:
        return SalesChannel.objects.get(company=company, pk=int(channel_id))
    except (SalesChannel.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(f"unknown sales channel {channel_id!r}", field=field) from None
