"""Pipelines and their stages (configurable: name, order, default probability, won/lost flags)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from daifuku.core.models import TimeStampedModel


class Pipeline(TimeStampedModel):
    name = models.CharField(_("パイプライン名"), max_length=100, unique=True)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    is_default = models.BooleanField(_("既定"), default=False)
    is_active = models.BooleanField(_("有効"), default=True)
    stale_days = models.PositiveIntegerField(_("放置とみなす日数"), default=14)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("パイプライン")
        verbose_name_plural = _("パイプライン")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="pipeline_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(TimeStampedModel):
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("パイプライン"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("ステージ名"), max_length=100)
    sort_order = models.PositiveIntegerField(_("順序"), default=0)
    probability = models.PositiveSmallIntegerField(_("確度（％）"), default=0)
    is_won = models.BooleanField(_("受注"), default=False)
    is_lost = models.BooleanField(_("失注"), default=False)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["pipeline", "sort_order", "id"]
        verbose_name = _("ステージ")
        verbose_name_plural = _("ステージ")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name_in_pipeline"),
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_probability_0_100"),
            models.CheckConstraint(
                condition=~(models.Q(is_won=True) & models.Q(is_lost=True)), name="stage_not_won_and_lost"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost
