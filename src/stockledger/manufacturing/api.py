"""JSON API for manufacturing."""

from ninja import Router

router = Router(tags=["manufacturing"])
