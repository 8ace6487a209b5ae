"""Forms of the catalog and currency pages. Prices and rates are plain text: the services parse them
(full-width digits, commas) and name the field in their messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daifuku.catalog import selectors
from daifuku.catalog.models import BillingType, PriceList, Product
from daifuku.core.models import TaxCategory
from daifuku.customers.forms import CompanyChooser, PlainSelect, StyledForm
from daifuku.customers.models import CompanyRank

BLANK = [("", "—")]
SORT_CHOICES = [
    ("code", _("商品コード順")),
    ("-code", _("商品コード逆順")),
    ("name", _("商品名順")),
    ("-updated", _("更新が新しい順")),
]
ACTIVE_CHOICES = [("", _("すべて")), ("1", _("販売中")), ("0", _("販売終了"))]


def _currency_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} {c.name}") for c in selectors.active_currencies()]


def _category_choices() -> list[tuple[str, str]]:
    return BLANK + [(str(c.pk), c.name) for c in selectors.category_choices()]


class ProductFilterForm(StyledForm):
    q = forms.CharField(
        label=_("キーワード"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("商品コード・商品名・フリガナ"), "autocomplete": "off"}
        ),
    )
    category = forms.ChoiceField(label=_("分類"), required=False, widget=PlainSelect)
    active = forms.ChoiceField(
        label=_("販売状況"), required=False, choices=ACTIVE_CHOICES, widget=PlainSelect
    )
    tax_category = forms.ChoiceField(
        label=_("税区分"), required=False, choices=BLANK + list(TaxCategory.choices), widget=PlainSelect
    )
    sort = forms.ChoiceField(label=_("並び順"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()

    def filters(self) -> selectors.ProductFilters:
        if not self.is_valid():
            return selectors.ProductFilters()
        data = self.cleaned_data
        category = data.get("category") or ""
        return selectors.ProductFilters(
            q=data.get("q") or "",
            category=int(category) if category.isdigit() else None,
            active=data.get("active") or "",
            tax_category=data.get("tax_category") or "",
        )

    def sort_key(self) -> str:
        sort = self.data.get("sort", "")
        return sort if sort in selectors.PRODUCT_SORTS else "code"


class ProductForm(StyledForm):
    code = forms.CharField(label=_("商品コード"), max_length=40)
    name = forms.CharField(label=_("商品名"), max_length=200)
    name_kana = forms.CharField(label=_("フリガナ"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("分類"), required=False)
    is_service = forms.BooleanField(label=_("サービス（役務）"), required=False)
    unit = forms.CharField(label=_("単位"), max_length=20, required=False, initial=_("個"))
    currency = forms.ChoiceField(label=_("通貨"), initial="JPY")
    unit_price = forms.CharField(
        label=_("単価"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    cost = forms.CharField(
        label=_("原価"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    tax_category = forms.ChoiceField(
        label=_("税区分"), choices=TaxCategory.choices, initial=TaxCategory.STANDARD
    )
    billing_type = forms.ChoiceField(
        label=_("請求区分"), choices=BillingType.choices, initial=BillingType.LUMP_SUM
    )
    is_active = forms.BooleanField(label=_("販売中"), required=False, initial=True)
    description = forms.CharField(label=_("説明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, instance: Product | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {**product_initial(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["category"].choices = _category_choices()
        choices = _currency_choices()
        if instance is not None and instance.currency_id not in {code for code, _l in choices}:
            choices.append((instance.currency_id, instance.currency_id))  # a currency since deactivated
        self.fields["currency"].choices = choices

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def _plain_decimal(value: Any) -> str:
    return f"{value.normalize():f}" if value is not None else ""


def product_initial(product: Product) -> dict[str, Any]:
    return {
        "code": product.code,
        "name": product.name,
        "name_kana": product.name_kana,
        "category": str(product.category_id or ""),
        "is_service": product.is_service,
        "unit": product.unit,
        "currency": product.currency_id,
        "unit_price": _plain_decimal(product.unit_price),
        "cost": _plain_decimal(product.cost),
        "tax_category": product.tax_category,
        "billing_type": product.billing_type,
        "is_active": product.is_active,
        "description": product.description,
        "version": product.version,
    }


class CategoryForm(StyledForm):
    name = forms.CharField(label=_("分類名"), max_length=100)
    sort_order = forms.IntegerField(label=_("表示順"), required=False, min_value=0, initial=0)


class PriceListForm(StyledForm):
    name = forms.CharField(label=_("価格表名"), max_length=100)
    currency = forms.ChoiceField(label=_("通貨"), initial="JPY")
    company_rank = forms.ChoiceField(
        label=_("対象ランク"), required=False, choices=BLANK + list(CompanyRank.choices)
    )
    valid_from = forms.DateField(
        label=_("適用開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("適用終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_active = forms.BooleanField(label=_("有効"), required=False, initial=True)

    def __init__(self, *args: Any, instance: PriceList | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {
                "name": instance.name,
                "currency": instance.currency_id,
                "company_rank": instance.company_rank,
                "valid_from": instance.valid_from,
                "valid_until": instance.valid_until,
                "is_active": instance.is_active,
            }
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = _currency_choices()


class PriceListCompanyForm(StyledForm):
    company = forms.IntegerField(label=_("対象取引先を追加"), widget=CompanyChooser)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chooser = self.fields["company"].widget
        assert isinstance(chooser, CompanyChooser)
        chooser.label = self.data.get("company_label", "") if self.is_bound else ""


class PriceListItemForm(StyledForm):
    product = forms.CharField(
        label=_("商品コード"), max_length=40, widget=forms.TextInput(attrs={"list": "product-codes"})
    )
    min_quantity = forms.CharField(label=_("最低数量"), max_length=20, required=False, initial="1")
    unit_price = forms.CharField(
        label=_("単価"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


class CurrencyForm(StyledForm):
    code = forms.CharField(
        label=_("通貨コード"), max_length=3, widget=forms.TextInput(attrs={"placeholder": "USD"})
    )
    name = forms.CharField(label=_("名称"), max_length=50)
    symbol = forms.CharField(label=_("記号"), max_length=5, required=False)
    decimals = forms.IntegerField(label=_("小数桁数"), min_value=0, max_value=4, initial=2)


class ExchangeRateForm(StyledForm):
    date = forms.DateField(label=_("適用日"), widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.CharField(
        label=_("為替レート（円）"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


class RateFilterForm(StyledForm):
    date_from = forms.DateField(
        label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RateImportForm(StyledForm):
    file = forms.FileField(label=_("CSVファイル"))
