"""JSON API for channels."""

from ninja import Router

router = Router(tags=["channels"])
