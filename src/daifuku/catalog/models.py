"""商品・サービス: the product catalog, its categories and optional price lists per customer group."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from daifuku.core.models import Currency, TaxCategory, VersionedModel
from daifuku.customers.models import Company, CompanyRank


class ProductCategory(models.Model):
    name = models.CharField(_("分類名"), max_length=100, unique=True)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("商品分類")
        verbose_name_plural = _("商品分類")

    def __str__(self) -> str:
        return self.name


class BillingType(models.TextChoices):
    LUMP_SUM = "lump_sum", _("一括")
    MONTHLY = "monthly", _("月額")


class Product(VersionedModel):
    """A product or service that deals, quotes and contracts are made of."""

    code = models.CharField(_("商品コード"), max_length=40, unique=True)
    name = models.CharField(_("商品名"), max_length=200)
    name_kana = models.CharField(_("フリガナ"), max_length=200, blank=True)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("分類"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    is_service = models.BooleanField(_("サービス"), default=False)
    unit = models.CharField(_("単位"), max_length=20, default="個")
    unit_price = models.DecimalField(_("単価"), max_digits=14, decimal_places=2, default=0)
    cost = models.DecimalField(_("原価"), max_digits=14, decimal_places=2, default=0)
    currency = models.ForeignKey(
        Currency, verbose_name=_("通貨"), on_delete=models.PROTECT, default="JPY", related_name="+"
    )
    tax_category = models.CharField(
        _("税区分"), max_length=20, choices=TaxCategory.choices, default=TaxCategory.STANDARD
    )
    billing_type = models.CharField(
        _("請求区分"), max_length=10, choices=BillingType.choices, default=BillingType.LUMP_SUM
    )
    description = models.TextField(_("説明"), blank=True)
    is_active = models.BooleanField(_("販売中"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        indexes = [
            models.Index(fields=["is_active", "category", "code"], name="product_active_category_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="product_unit_price_gte_0"),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="product_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PriceList(models.Model):
    """Prices for a customer group: companies of a rank, or companies named explicitly (optional)."""

    name = models.CharField(_("価格表名"), max_length=100, unique=True)
    currency = models.ForeignKey(
        Currency, verbose_name=_("通貨"), on_delete=models.PROTECT, default="JPY", related_name="+"
    )
    company_rank = models.CharField(_("対象ランク"), max_length=2, choices=CompanyRank.choices, blank=True)
    companies = models.ManyToManyField(Company, verbose_name=_("対象取引先"), blank=True, related_name="+")
    valid_from = models.DateField(_("適用開始日"), null=True, blank=True)
    valid_until = models.DateField(_("適用終了日"), null=True, blank=True)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("価格表")
        verbose_name_plural = _("価格表")

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+")
    min_quantity = models.DecimalField(_("最低数量"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("単価"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("価格表の明細")
        verbose_name_plural = _("価格表の明細")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity"], name="pricelistitem_unique_tier"
            ),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="pricelistitem_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}:{self.product_id}≥{self.min_quantity}"
