"""契約: contracts from won deals or entered directly, with expiry alerts and renewals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from daifuku.catalog.models import BillingType, Product
from daifuku.core.models import Currency, Team, VersionedModel
from daifuku.customers.models import Company, Contact
from daifuku.sales.models.deals import Deal


class RenewalType(models.TextChoices):
    AUTO = "auto", _("自動更新")
    MANUAL = "manual", _("手動更新")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("締結前")
    ACTIVE = "active", _("有効")
    RENEWED = "renewed", _("更新済み")
    EXPIRED = "expired", _("満了")
    CANCELLED = "cancelled", _("解約")


class Contract(VersionedModel):
    number = models.CharField(_("契約番号"), max_length=30, unique=True)
    title = models.CharField(_("契約名"), max_length=200)
    company = models.ForeignKey(
        Company, verbose_name=_("取引先"), on_delete=models.PROTECT, related_name="contracts", db_index=False
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("先方の担当者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deal = models.ForeignKey(
        Deal,
        verbose_name=_("元の商談"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        on_delete=models.PROTECT,
        related_name="contracts",
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
    status = models.CharField(
        _("状態"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    amount = models.DecimalField(_("契約金額"), max_digits=16, decimal_places=2, default=0)
    currency = models.ForeignKey(
        Currency, verbose_name=_("通貨"), on_delete=models.PROTECT, default="JPY", related_name="+"
    )
    billing_type = models.CharField(
        _("請求区分"), max_length=10, choices=BillingType.choices, default=BillingType.LUMP_SUM
    )
    signed_on = models.DateField(_("契約締結日"), null=True, blank=True)
    starts_on = models.DateField(_("契約開始日"))
    ends_on = models.DateField(_("契約満了日"), null=True, blank=True)
    renewal_type = models.CharField(
        _("更新区分"), max_length=10, choices=RenewalType.choices, default=RenewalType.MANUAL
    )
    notice_days = models.PositiveIntegerField(_("解約予告期間（日）"), default=30)
    renewal_deal = models.ForeignKey(
        Deal,
        verbose_name=_("更新商談"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewed_contracts",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("前の契約"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    notes = models.TextField(_("メモ"), blank=True)

    class Meta:
        verbose_name = _("契約")
        verbose_name_plural = _("契約")
        indexes = [
            models.Index(fields=["status", "deleted_at", "ends_on"], name="contract_expiry_idx"),
            models.Index(fields=["owner", "deleted_at", "ends_on"], name="contract_owner_idx"),
            models.Index(fields=["team", "deleted_at", "ends_on"], name="contract_team_idx"),
            models.Index(fields=["company", "deleted_at"], name="contract_company_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="contract_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ContractLine(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    sort_order = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        Product, verbose_name=_("商品"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("品名"), max_length=200)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3, default=1)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("単価"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["contract", "sort_order", "id"]
        verbose_name = _("契約明細")
        verbose_name_plural = _("契約明細")

    def __str__(self) -> str:
        return self.description


class ContractAlert(models.Model):
    """An expiry alert sent for one contract and threshold: the unique row makes it exactly once."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="alerts")
    days_before = models.PositiveIntegerField()
    ends_on = models.DateField()  # the end date alerted about (a changed end date alerts again)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "days_before", "ends_on"], name="contractalert_once_per_threshold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} −{self.days_before}d"
