"""The product import target (商品マスタの取込): registered from ``CatalogConfig.ready()``.

Rows are matched on 商品コード (the one dedup key). Values are cleaned by ``catalog.services.product_clean``
like a form or API input; a 分類 named in the file is found by name or created. Only administrators and
managers may import products (products are reference data, not owned records).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daifuku.catalog import selectors, services
from daifuku.catalog.models import BillingType, Product, ProductCategory
from daifuku.core.models import TaxCategory, User
from daifuku.imports.targets import (
    FieldSpec,
    ModelTarget,
    RowResult,
    _Pending,
    register,
)

_ACTIVE_CHOICES = (("true", gettext_lazy("販売中")), ("false", gettext_lazy("販売終了")))


def _product_fields() -> tuple[FieldSpec, ...]:
    g = gettext_lazy
    return (
        FieldSpec(
            "code",
            g("商品コード"),
            ("品番", "商品CD", "商品番号", "品目コード", "コード", "code", "sku", "itemcode", "productcode"),
            required=True,
        ),
        FieldSpec("name", g("商品名"), ("品名", "品目", "品目名", "商品", "name", "productname", "item")),
        FieldSpec("name_kana", g("フリガナ"), ("商品名フリガナ", "カナ", "ふりがな", "よみ", "kana")),
        FieldSpec("category_name", g("分類"), ("商品分類", "カテゴリ", "カテゴリー", "category")),
        FieldSpec("unit", g("単位"), ("unit",)),
        FieldSpec(
            "unit_price", g("単価"), ("標準単価", "販売単価", "売価", "価格", "定価", "price", "unitprice")
        ),
        FieldSpec("cost", g("原価"), ("仕入単価", "原価単価", "仕入価格", "cost")),
        FieldSpec("currency", g("通貨"), ("通貨コード", "currency")),
        FieldSpec(
            "tax_category",
            g("税区分"),
            ("課税区分", "消費税区分", "税率区分", "tax", "taxcategory"),
            tuple((str(v), label) for v, label in TaxCategory.choices),
        ),
        FieldSpec(
            "billing_type",
            g("請求区分"),
            ("billing", "billingtype"),
            tuple((str(v), label) for v, label in BillingType.choices),
        ),
        FieldSpec("is_active", g("販売中"), ("販売状況", "有効", "active"), _ACTIVE_CHOICES),
        FieldSpec("description", g("説明"), ("商品説明", "備考", "description", "memo")),
    )


class ProductTarget(ModelTarget):
    key = "products"
    label = gettext_lazy("商品")
    object_type = selectors.PRODUCT
    virtual_fields = frozenset({"category_name"})
    key_fields = ()  # the code is the key as entered; no derived columns

    def __init__(self) -> None:
        super().__init__()
        self.model = Product
        self.fields = _product_fields()
        self._categories: dict[str, ProductCategory] = {}

    def check_permission(self, by: User) -> None:
        if not selectors.can_edit_catalog(by):
            raise PermissionDenied(_("商品を取り込めるのは管理者とマネージャーのみです。"))

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        data = dict(data)
        category_name = str(data.pop("category_name", "") or "").strip()
        cleaned = services.product_clean(data)
        if category_name:
            cleaned["_category"] = category_name
        return cleaned

    def set_keys(self, obj: Any) -> None:
        """Products have no derived keys (the code is the key as entered)."""

    def dedup_keys(self, obj: Any) -> list[tuple[str, Any]]:
        return [("code", obj.code)] if obj.code else []

    def visible_queryset(self, by: User) -> models.QuerySet[Any]:
        return selectors.product_queryset(user=by)

    def _build(self, data: dict[str, Any], by: User) -> Any:
        obj = Product()
        for name, value in data.items():
            setattr(obj, name, value)
        return obj

    def _validate(self, obj: Any, data: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
        # A row may carry only a code and the columns to change (a price list update). Whether it needs
        # a 商品名 is known only after matching, in ``_match_and_apply``.
        errors = super()._validate(obj, data, labels)
        if obj.pk is None and "name" not in data:
            errors.pop(labels["name"], None)
        return errors

    def can_edit_existing(self, by: User, obj: Any) -> bool:
        """Products have no owner or team; ``check_permission`` admitted only those who may change all."""
        return True

    def _match_and_apply(
        self, rows: list[tuple[RowResult, dict[str, Any]]], *, by: User, dedup: str, labels: dict[str, str]
    ) -> list[_Pending]:
        """Match on 商品コード as the base class does; then refuse a new product that no row of the file
        gave a 商品名 (known only once it is known not to match an existing one)."""
        pending = super()._match_and_apply(rows, by=by, dedup=dedup, labels=labels)
        results = {result.row_number: result for result, _data in rows}
        kept = []
        for p in pending:
            if p.is_new and not p.obj.name:
                for number in p.row_numbers:
                    results[number].errors[labels["name"]] = _("新しい商品には商品名が必要です。")
                continue
            kept.append(p)
        return kept

    def resolve_virtual(self, rows: list[tuple[RowResult, dict[str, Any]]], *, by: User, write: bool) -> None:
        """Find (or, when writing, create) the categories named in the batch; refuse codes in the trash."""
        code_label = str(gettext_lazy("商品コード"))
        codes = {data["code"] for _r, data in rows if data.get("code")}
        trashed = set(
            Product.objects.filter(code__in=codes, deleted_at__isnull=False).values_list("code", flat=True)
        )
        for result, data in rows:
            if data.get("code") in trashed:
                result.errors[code_label] = _("商品コード「%(code)s」はごみ箱の商品で使われています。") % {
                    "code": data["code"]
                }
        names = {data["_category"] for _r, data in rows if data.get("_category")} - set(self._categories)
        if names:
            for category in ProductCategory.objects.filter(name__in=names):
                self._categories[category.name] = category
        for result, data in rows:
            name = data.pop("_category", "")
            if not name:
                continue
            category = self._categories.get(name)
            if category is None and write:
                category = services.category_create(by=by, data={"name": name})
                self._categories[name] = category
            if category is None:
                result.note = _("分類「%(name)s」を新規登録") % {"name": name}
            else:
                data["category"] = category


register(ProductTarget)
