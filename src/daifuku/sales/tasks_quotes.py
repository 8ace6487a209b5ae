"""Background jobs of the quotes (見積): expiry of quotes past their validity date."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from daifuku.sales.services.quotes import quotes_expire_due


@db_periodic_task(crontab(minute="10", hour="15"))
def expire_quotes() -> int:
    """Daily at 00:10 Tokyo time (15:10 UTC, Huey's clock).

    Issued and sent quotes whose 有効期限 has passed become 期限切れ (idempotent).
    """
    return quotes_expire_due()
