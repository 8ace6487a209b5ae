"""Event subscribers for contracts: a won renewal deal marks its contract 更新済み."""

from __future__ import annotations

from typing import Any

from daifuku.core.events import subscribe
from daifuku.sales.models import Deal
from daifuku.sales.services import contracts


@subscribe("deal.won")
def renewal_deal_won(*, deal: Deal, by: Any = None, **_: Any) -> None:
    contracts.contract_mark_renewed(deal=deal, by=by)
