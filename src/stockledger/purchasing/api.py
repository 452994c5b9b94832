"""JSON API for purchasing."""

from ninja import Router

router = Router(tags=["purchasing"])
