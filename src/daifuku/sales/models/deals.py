"""商談: deals in a pipeline, their product lines, stage history and competitors (競合)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from daifuku.catalog.models import BillingType, Product
from daifuku.core.models import Currency, TaxCategory, Team, TimeStampedModel, VersionedModel
from daifuku.core.money import format_amount
from daifuku.customers.models import Company, Contact
from daifuku.sales.models.pipeline import Pipeline, Stage


class LostReason(models.TextChoices):
    PRICE = "price", _("価格")
    COMPETITOR = "competitor", _("競合に負けた")
    FEATURES = "features", _("機能・仕様が合わない")
    TIMING = "timing", _("時期が合わない")
    BUDGET = "budget", _("予算がつかない")
    NO_DECISION = "no_decision", _("検討中止")
    OTHER = "other", _("その他")


class Deal(VersionedModel):
    """A sales opportunity (商談) for a company, moving through the stages of one pipeline."""

    name = models.CharField(_("商談名"), max_length=200)
    company = models.ForeignKey(
        Company, verbose_name=_("取引先"), on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("先方の担当者"), blank=True, related_name="deals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("チーム"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    pipeline = models.ForeignKey(
        Pipeline,
        verbose_name=_("パイプライン"),
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("ステージ"), on_delete=models.PROTECT, related_name="deals"
    )
    probability = models.PositiveSmallIntegerField(_("確度（％）"), default=0)
    amount = models.DecimalField(_("金額"), max_digits=16, decimal_places=2, default=0)
    currency = models.ForeignKey(
        Currency, verbose_name=_("通貨"), on_delete=models.PROTECT, default="JPY", related_name="+"
    )
    quantity = models.PositiveIntegerField(_("数量・契約数"), default=1)
    cost = models.DecimalField(_("仕入原価"), max_digits=16, decimal_places=2, default=0)
    billing_type = models.CharField(
        _("請求区分"), max_length=10, choices=BillingType.choices, default=BillingType.LUMP_SUM
    )
    expected_close_date = models.DateField(_("受注予定日"), null=True, blank=True)
    closed_on = models.DateField(_("受注・失注日"), null=True, blank=True)
    next_action = models.CharField(_("次のアクション"), max_length=200, blank=True)
    next_action_date = models.DateField(_("次のアクション日"), null=True, blank=True)
    lost_reason = models.CharField(_("失注理由"), max_length=20, choices=LostReason.choices, blank=True)
    lost_note = models.CharField(_("失注理由の詳細"), max_length=300, blank=True)
    notes = models.TextField(_("メモ"), blank=True)
    stage_changed_at = models.DateTimeField(_("ステージ変更日時"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("最終活動日時"), null=True, blank=True)
    board_order = models.FloatField(default=0)  # position inside a board column (drag and drop)

    class Meta:
        verbose_name = _("商談")
        verbose_name_plural = _("商談")
        indexes = [
            models.Index(fields=["pipeline", "deleted_at", "stage", "board_order"], name="deal_board_idx"),
            models.Index(fields=["owner", "deleted_at", "expected_close_date"], name="deal_owner_close_idx"),
            models.Index(fields=["team", "deleted_at", "expected_close_date"], name="deal_team_close_idx"),
            models.Index(fields=["deleted_at", "expected_close_date"], name="deal_close_idx"),
            models.Index(fields=["deleted_at", "closed_on"], name="deal_closed_on_idx"),
            models.Index(fields=["company", "deleted_at", "-created_at"], name="deal_company_idx"),
            # The deal list's default order (受注予定日順) over live deals, for all and for one team:
            # partial, because PostgreSQL cannot order through deleted_at in the middle of an index.
            models.Index(
                fields=["expected_close_date", "id"],
                condition=models.Q(deleted_at__isnull=True),
                name="deal_live_close_idx",
            ),
            models.Index(
                fields=["team", "expected_close_date", "id"],
                condition=models.Q(deleted_at__isnull=True),
                name="deal_live_team_close_idx",
            ),
            # The owner half of a team-scoped page (visibility.page_ids), team to test in the index, and
            # deleted_at as a column: SQLite takes an index as covering only if it holds every column the
            # query names; without it, it walked deal_owner_close_idx with a table read per deal of the
            # rep (36 ms at 1m for a rep with 1,500 deals, all in their own team).
            models.Index(
                fields=["owner", "expected_close_date", "id", "team", "deleted_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="deal_owner_live_close_idx",
            ),
            # The board's cards of one column in board order: an index range that stops at the column's
            # limit (PostgreSQL cannot order by board_order through deleted_at in deal_board_idx).
            models.Index(
                fields=["pipeline", "stage", "board_order", "id"],
                condition=models.Q(deleted_at__isnull=True),
                name="deal_live_board_order_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="deal_probability_0_100"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_gte_0"),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="deal_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def amount_display(self) -> str:
        """¥1,200,000 / $12,000.50: the amount with its currency's symbol and decimals (no locale lookup)."""
        return format_amount(self.amount, self.currency)

    @property
    def gross_profit(self):  # type: ignore[no-untyped-def]
        return self.amount - self.cost

    @property
    def weighted_amount(self):  # type: ignore[no-untyped-def]
        return self.amount * self.probability / 100


class DealLine(models.Model):
    """A product or free-text line of a deal (what the amount is made of)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines")
    sort_order = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        Product, verbose_name=_("商品"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("品名"), max_length=200)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3, default=1)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("単価"), max_digits=14, decimal_places=2, default=0)
    unit_cost = models.DecimalField(_("原価単価"), max_digits=14, decimal_places=2, default=0)
    tax_category = models.CharField(
        _("税区分"), max_length=20, choices=TaxCategory.choices, default=TaxCategory.STANDARD
    )

    class Meta:
        ordering = ["deal", "sort_order", "id"]
        verbose_name = _("商談明細")
        verbose_name_plural = _("商談明細")

    def __str__(self) -> str:
        return self.description


class DealStageChange(models.Model):
    """One move of a deal between stages (for stage durations and the forecast history)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["deal", "at", "id"]
        indexes = [models.Index(fields=["deal", "at"], name="dealstagechange_deal_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


class Competitor(TimeStampedModel):
    """A competing company (競合) with what it is good and bad at, and what it sells."""

    name = models.CharField(_("競合名"), max_length=200, unique=True)
    website = models.URLField(_("Webサイト"), blank=True)
    strengths = models.TextField(_("強み"), blank=True)
    weaknesses = models.TextField(_("弱み"), blank=True)
    products = models.TextField(_("主な製品・サービス"), blank=True)
    notes = models.TextField(_("メモ"), blank=True)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("競合")
        verbose_name_plural = _("競合")

    def __str__(self) -> str:
        return self.name


class DealCompetitor(models.Model):
    """A competitor in one deal, with its offer (price and notes)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_competitors")
    competitor = models.ForeignKey(
        Competitor, verbose_name=_("競合"), on_delete=models.PROTECT, related_name="deal_links"
    )
    offer_price = models.DecimalField(
        _("競合の提示価格"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("提案内容・メモ"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("商談の競合")
        verbose_name_plural = _("商談の競合")
        constraints = [
            models.UniqueConstraint(fields=["deal", "competitor"], name="dealcompetitor_unique"),
        ]
        indexes = [models.Index(fields=["competitor", "deal"], name="dealcompetitor_comp_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.competitor_id}"
