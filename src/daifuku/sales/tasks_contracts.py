"""Background jobs of contracts (Huey).

``contracts_daily`` runs every morning: contracts whose end date has passed expire (auto-renewing
ones roll to their next term), then owners get their expiry alerts. Both steps are safe to run twice
or concurrently: each contract is re-checked under its row lock, and each alert is claimed by
inserting its unique ``ContractAlert`` row before the notification is sent.
"""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from daifuku.sales.services import contracts


@db_periodic_task(crontab(hour="21", minute="5"))
def contracts_daily() -> dict[str, Any]:
    """Daily at 06:05 Tokyo time (21:05 UTC, Huey's clock).

    Expire or auto-renew ended contracts, then send expiry alerts.
    """
    rolled = contracts.contracts_roll_over()
    return {**rolled, "alerts": contracts.contract_alerts_send()}
