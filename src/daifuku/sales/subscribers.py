"""Event subscribers of the sales module (kept apart from services: they react, they never decide)."""

from __future__ import annotations

from typing import Any

from daifuku.core.events import subscribe
from daifuku.sales.selectors.deals import DEAL_RELATED_TYPE
from daifuku.sales.services.deals import deal_touch_activity


@subscribe("activity.logged")
@subscribe("activity.created")
def deal_activity_logged(*, activity: Any, **_: Any) -> None:
    """An activity about a deal keeps the deal from being stale (``last_activity_at``)."""
    if getattr(activity, "related_type", "") == DEAL_RELATED_TYPE and activity.related_id:
        deal_touch_activity(deal_id=activity.related_id, at=activity.occurred_at)
