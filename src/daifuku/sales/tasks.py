"""Background jobs of the sales module (Huey discovers ``<app>.tasks``; each area keeps its own module).

Huey evaluates crontabs in UTC: each job's docstring gives its time in Tokyo.
"""

from daifuku.sales.tasks_contracts import contracts_daily
from daifuku.sales.tasks_forecast import take_weekly_pipeline_snapshot, verify_deal_totals
from daifuku.sales.tasks_quotes import expire_quotes

__all__ = ["contracts_daily", "expire_quotes", "take_weekly_pipeline_snapshot", "verify_deal_totals"]
