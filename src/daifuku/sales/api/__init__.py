"""The sales module's API: one router per area, mounted together under /api/v1."""

from ninja import Router

from daifuku.sales.api import contracts, deals, forecast, leads, quotes

router = Router()
for _module in (leads, deals, quotes, contracts, forecast):
    router.add_router("/", _module.router)
