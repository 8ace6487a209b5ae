"""Deal totals kept by the database: the sums the board and the forecast read, per group of deals.

A board's column totals and the forecast summed every live deal of the pipeline or period each time
(an index-only scan, but 85–105 ms over 300,000 deals at 1m for an administrator). ``DealTotal`` holds
those sums per group instead, and triggers on ``sales_deal`` (migration ``sales 0012``) keep it up to
date on every insert, update and delete — whichever code writes the deal (services, imports, merges,
the benchmark generator, raw SQL) — in the same transaction.

One row per group of live deals (not in the trash) with the same pipeline, stage, owner, team,
currency, close key, closed key and "probability ≥ 50": the number of deals and their sums of
amount, cost, amount × probability and cost × probability. The close key is the 受注予定日 (the
closed key the 受注・失注日): its month's first day for yen deals (they need no rate, and a month
is all the forecast groups by), the day itself for other currencies (converted at that day's
rate). Keys are never NULL, so that one unique index identifies a group on both databases: no team
is ``team_id = 0`` and no date is :data:`NO_DATE`. A group whose last deal left is deleted.

Which stages are won or lost is read from ``Stage`` at query time, so changing a stage's kind needs
no rebuild. :func:`daifuku.sales.services.totals.deal_totals_rebuild` recomputes every row from the
deals (a repair tool; tests compare the triggers' rows with it).
"""

from __future__ import annotations

import datetime as dt

from django.db import models

NO_DATE = dt.date(1, 1, 1)  # "no date" in a key (keys are never NULL)
NO_TEAM = 0  # "no team" in a key
# The forecast's best case counts open deals at least this likely: the groups' "high" flag. The
# triggers of migration sales 0012 hold the number too; changing it needs a migration that replaces them.
HIGH_PROBABILITY = 50

KEY_FIELDS = (
    "pipeline_id", "stage_id", "owner_id", "team_id", "currency_id", "close_key", "closed_key", "high",
)  # fmt: skip
SUM_FIELDS = ("n", "amount", "cost", "weighted", "weighted_cost")


class DealTotal(models.Model):
    """Sums of the live deals of one group (see the module docstring); written only by triggers."""

    # Plain columns, not foreign keys: 0 stands for "no team", and rows come and go with their deals.
    # Named like the deal's columns so that the deal role's scope filter (owner_id / team_id) applies.
    pipeline_id = models.BigIntegerField()
    stage_id = models.BigIntegerField()
    owner_id = models.BigIntegerField()
    team_id = models.BigIntegerField()
    currency_id = models.CharField(max_length=3)
    close_key = models.DateField()
    closed_key = models.DateField()
    high = models.BooleanField()
    n = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=22, decimal_places=2, default=0)
    cost = models.DecimalField(max_digits=22, decimal_places=2, default=0)
    weighted = models.DecimalField(max_digits=26, decimal_places=2, default=0)  # Σ amount × probability
    weighted_cost = models.DecimalField(max_digits=26, decimal_places=2, default=0)  # Σ cost × probability

    class Meta:
        constraints = [models.UniqueConstraint(fields=list(KEY_FIELDS), name="dealtotal_group")]
        indexes = [
            # The board's totals of all deals (an administrator): yen per stage, then the few foreign
            # currency groups by day, each an index-only range (11 + 18 ms → see bench/notes.md).
            models.Index(
                fields=["pipeline_id", "currency_id", "stage_id", "close_key", "n", "amount", "weighted"],
                name="dealtotal_board_idx",
            ),
            # The team half and the owner half of a team-scoped board or forecast.
            models.Index(fields=["team_id", "pipeline_id"], name="dealtotal_team_idx"),
            models.Index(fields=["owner_id", "pipeline_id"], name="dealtotal_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline_id}/{self.stage_id}/{self.owner_id}: {self.n}"
