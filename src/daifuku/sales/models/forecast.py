"""売上予測・目標: monthly targets per rep or team, and weekly pipeline snapshots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from daifuku.core.models import Team, TimeStampedModel
from daifuku.sales.models.pipeline import Pipeline, Stage


class SalesTarget(TimeStampedModel):
    """A month's target (base currency) for one rep or one team."""

    month = models.DateField(_("月"))  # first day of the month
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("チーム"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    amount = models.DecimalField(_("売上目標"), max_digits=16, decimal_places=0, default=0)
    gross_profit = models.DecimalField(_("粗利目標"), max_digits=16, decimal_places=0, null=True, blank=True)

    class Meta:
        ordering = ["month"]
        verbose_name = _("売上目標")
        verbose_name_plural = _("売上目標")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False) & models.Q(team__isnull=True))
                | (models.Q(user__isnull=True) & models.Q(team__isnull=False)),
                name="salestarget_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["month", "user"],
                condition=models.Q(user__isnull=False),
                name="salestarget_unique_user",
            ),
            models.UniqueConstraint(
                fields=["month", "team"],
                condition=models.Q(team__isnull=False),
                name="salestarget_unique_team",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.user_id or ''}{self.team_id or ''}: {self.amount}"


class PipelineSnapshot(models.Model):
    """The open pipeline as it stood on ``taken_on``, aggregated per owner, stage and close month.

    Taken weekly by a periodic job (and on demand), so managers can see how the forecast moved.
    Amounts are in the base currency at the rates of the snapshot day.
    """

    taken_on = models.DateField(_("取得日"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    close_month = models.DateField(null=True, blank=True)
    deal_count = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=0, default=0)
    weighted_amount = models.DecimalField(max_digits=18, decimal_places=0, default=0)

    class Meta:
        indexes = [
            models.Index(fields=["taken_on", "close_month"], name="pipesnap_taken_idx"),
            models.Index(fields=["owner", "taken_on"], name="pipesnap_owner_idx"),
            models.Index(fields=["team", "taken_on"], name="pipesnap_team_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.taken_on} {self.stage_id}: {self.amount}"
