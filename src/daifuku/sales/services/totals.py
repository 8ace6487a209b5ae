"""Repair of ``DealTotal`` (normally kept by triggers; see ``sales.models.totals``)."""

from __future__ import annotations

from django.db import transaction

from daifuku.sales.models import DealTotal
from daifuku.sales.selectors.totals import computed_groups


@transaction.atomic
def deal_totals_rebuild() -> int:
    """Recompute every group from the live deals (e.g. after restoring a table without its triggers).

    Derived data, not a record anyone edits: not audited, like the search index's rebuild. Returns the
    number of groups written.
    """
    DealTotal.objects.all().delete()
    rows = DealTotal.objects.bulk_create([DealTotal(**group) for group in computed_groups()], batch_size=2000)
    return len(rows)
