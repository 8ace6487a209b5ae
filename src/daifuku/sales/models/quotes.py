"""見積: quotes created from deals, numbered without gaps, immutable once issued, revised as versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from daifuku.catalog.models import Product
from daifuku.core.models import Currency, TaxCategory, TaxRounding, Team, VersionedModel
from daifuku.customers.models import Company, Contact
from daifuku.sales.models.deals import Deal


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    ISSUED = "issued", _("発行済み")
    SENT = "sent", _("送付済み")
    ACCEPTED = "accepted", _("受注")
    REJECTED = "rejected", _("不採用")
    EXPIRED = "expired", _("期限切れ")


class Quote(VersionedModel):
    """A quote (見積書). Drafts are edited freely; from ``issued`` on, lines and amounts never change.

    ``number`` is taken from a gapless sequence when the quote is created; a revision keeps the number
    and increments ``revision`` (``Q-2026-00012-2``), pointing at the quote it replaces. At issue the
    issuer (our company profile) and the tax rounding mode are copied in, so the document stays as
    issued even when the profile changes later.
    """

    number = models.CharField(_("見積番号"), max_length=30)
    revision = models.PositiveSmallIntegerField(_("改訂"), default=1)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("改訂元"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_revision",
    )
    deal = models.ForeignKey(
        Deal, verbose_name=_("商談"), on_delete=models.PROTECT, related_name="quotes", db_index=False
    )
    company = models.ForeignKey(
        Company, verbose_name=_("宛先"), on_delete=models.PROTECT, related_name="quotes", db_index=False
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("宛先担当者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quotes",
    )
    recipient_name = models.CharField(_("宛名"), max_length=250, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        on_delete=models.PROTECT,
        related_name="quotes",
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
    title = models.CharField(_("件名"), max_length=200)
    status = models.CharField(
        _("状態"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    issue_date = models.DateField(_("見積日"), null=True, blank=True)
    valid_until = models.DateField(_("有効期限"), null=True, blank=True)
    currency = models.ForeignKey(
        Currency, verbose_name=_("通貨"), on_delete=models.PROTECT, default="JPY", related_name="+"
    )
    tax_rounding = models.CharField(
        _("消費税の端数処理"), max_length=10, choices=TaxRounding.choices, default=TaxRounding.FLOOR
    )
    subtotal = models.DecimalField(_("小計（税抜）"), max_digits=16, decimal_places=2, default=0)
    tax_total = models.DecimalField(_("消費税"), max_digits=16, decimal_places=2, default=0)
    total = models.DecimalField(_("合計（税込）"), max_digits=16, decimal_places=2, default=0)
    tax_summary = models.JSONField(_("税率ごとの合計"), default=list, blank=True)
    delivery_terms = models.CharField(_("納期"), max_length=200, blank=True)
    payment_terms = models.CharField(_("支払条件"), max_length=200, blank=True)
    terms = models.TextField(_("取引条件・備考"), blank=True)
    issuer = models.JSONField(_("発行者"), default=dict, blank=True)  # name, T-number, address at issue
    issued_at = models.DateTimeField(_("発行日時"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("送付日時"), null=True, blank=True)
    decided_at = models.DateTimeField(_("受注・不採用日時"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="quotes/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("見積")
        verbose_name_plural = _("見積")
        indexes = [
            models.Index(fields=["deal", "-revision"], name="quote_deal_idx"),
            models.Index(fields=["owner", "deleted_at", "-created_at"], name="quote_owner_idx"),
            models.Index(fields=["team", "deleted_at", "-created_at"], name="quote_team_idx"),
            # The list, newest first, for those who see every quote (the benchmark's administrator at
            # 1m sorted all 150,000 live quotes for each page without it).
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(deleted_at__isnull=True),
                name="quote_live_created_idx",
            ),
            models.Index(fields=["status", "valid_until"], name="quote_status_valid_idx"),
            # 電子帳簿保存法: searchable by date, amount and counterparty.
            models.Index(fields=["issue_date", "total"], name="quote_issue_date_total_idx"),
            models.Index(fields=["company", "issue_date"], name="quote_company_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quote_unique_number_revision"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return self.number if self.revision == 1 else f"{self.number}-{self.revision}"

    @property
    def is_editable(self) -> bool:
        return self.status == QuoteStatus.DRAFT


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    sort_order = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        Product, verbose_name=_("商品"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("品名"), max_length=200)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3, default=1)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("単価"), max_digits=14, decimal_places=2, default=0)
    discount_percent = models.DecimalField(_("値引率（％）"), max_digits=5, decimal_places=2, default=0)
    discount_amount = models.DecimalField(_("値引額"), max_digits=14, decimal_places=2, default=0)
    tax_category = models.CharField(
        _("税区分"), max_length=20, choices=TaxCategory.choices, default=TaxCategory.STANDARD
    )
    tax_rate = models.DecimalField(_("税率（％）"), max_digits=5, decimal_places=2, default=10)
    amount = models.DecimalField(_("金額（税抜）"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["quote", "sort_order", "id"]
        verbose_name = _("見積明細")
        verbose_name_plural = _("見積明細")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0) & models.Q(discount_percent__lte=100),
                name="quoteline_discount_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.description
