"""API of the sales module: leads."""

from ninja import Router

router = Router(tags=["sales"])
