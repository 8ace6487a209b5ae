"""Background jobs of the forecast (Huey): the weekly pipeline snapshot behind 予測の推移, and the
nightly check of the deal totals the board and the forecast read.

Huey evaluates crontabs in UTC (its default ``utc=True``): Sunday 20:00 UTC is Monday 05:00 in
Tokyo, before anyone opens the week's forecast. The service replaces the day's rows, so a retried
or repeated run leaves the same snapshot.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from daifuku.sales.services.forecast import pipeline_snapshot_take
from daifuku.sales.services.totals import deal_totals_verify


@db_periodic_task(crontab(day_of_week="0", hour="20", minute="0"))
def take_weekly_pipeline_snapshot() -> int:
    """Every Monday 05:00 JST: snapshot the open pipeline (rows per owner, team, stage, close month)."""
    return pipeline_snapshot_take()


@db_periodic_task(crontab(hour="18", minute="47"))
def verify_deal_totals() -> int:
    """Every night 03:47 JST: compare the deal totals with the deals; rebuild them if any group differs."""
    return deal_totals_verify()
