"""API of the product catalog and currencies."""

from ninja import Router

router = Router(tags=["catalog"])
