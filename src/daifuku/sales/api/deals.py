"""API of the sales module: deals."""

from ninja import Router

router = Router(tags=["sales"])
