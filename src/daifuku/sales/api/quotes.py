"""API of the sales module: quotes."""

from ninja import Router

router = Router(tags=["sales"])
