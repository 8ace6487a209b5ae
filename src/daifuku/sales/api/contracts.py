"""API of the sales module: contracts."""

from ninja import Router

router = Router(tags=["sales"])
