"""Background jobs of the forecast (Huey): the weekly pipeline snapshot behind 予測の推移.

Huey evaluates crontabs in UTC (its default ``utc=True``): Sunday 20:00 UTC is Monday 05:00 in
Tokyo, before anyone opens the week's forecast. The service replaces the day's rows, so a retried
or repeated run leaves the same snapshot.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from daifuku.sales.services.forecast import pipeline_snapshot_take


@db_periodic_task(crontab(day_of_week="0", hour="20", minute="0"))
def take_weekly_pipeline_snapshot() -> int:
    """Every Monday 05:00 JST: snapshot the open pipeline (rows per owner, team, stage, close month)."""
    return pipeline_snapshot_take()
