"""JSON API for returns."""

from ninja import Router

router = Router(tags=["returns"])
