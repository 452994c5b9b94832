"""JSON API for orders."""

from ninja import Router

router = Router(tags=["orders"])
