"""API of the sales module: forecast."""

from ninja import Router

router = Router(tags=["sales"])
