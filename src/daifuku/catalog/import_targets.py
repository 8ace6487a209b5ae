"""The product import target (商品マスタの取込): registered from ``CatalogConfig.ready()``.

Rows are matched on 商品コード (the one dedup key). Values are cleaned by ``catalog.services.product_clean``
like a form or API input; a 分類 named in the file is found by name or created. Only administrators and
managers may import products (products are reference data, not owned records).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daifuku.catalog import selectors, services
from daifuku.catalog.models import BillingType, Product, ProductCategory
from daifuku.core import audit, search
from daifuku.core.models import AuditEntry, TaxCategory, User
from daifuku.imports import fastinsert
from daifuku.imports.models import DedupMode
from daifuku.imports.targets import (
    WRITE_BATCH,
    FieldSpec,
    ModelTarget,
    RowResult,
    WrittenRecord,
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

    def _match_and_apply(
        self, rows: list[tuple[RowResult, dict[str, Any]]], *, by: User, dedup: str, labels: dict[str, str]
    ) -> list[_Pending]:
        """``ModelTarget._match_and_apply`` for reference data, matching on 商品コード only.

        The base method asks ``visibility.can_edit`` about each matched record, which needs an owner and
        a team; products have neither and ``check_permission`` already admitted only those who may change
        every product. A new product that no row of the file gave a 商品名 is refused here, once it is
        known not to match an existing one.
        """
        probes: list[tuple[RowResult, dict[str, Any], Any, list[tuple[str, Any]]]] = []
        codes: set[str] = set()
        for result, data in rows:
            probe = self._build(data, by)
            keys = self.dedup_keys(probe) if dedup != DedupMode.CREATE else []
            codes.update(value for _lookup, value in keys)
            probes.append((result, data, probe, keys))
        existing: dict[str, Any] = {}
        if codes:
            for product in self.visible_queryset(by).filter(code__in=codes):
                existing[product.code] = product
        in_file: dict[str, _Pending] = {}
        pending: list[_Pending] = []
        for result, data, probe, keys in probes:
            errors = self._validate(probe, data, labels)
            if errors:
                result.errors = errors
                continue
            code = keys[0][1] if keys else None
            target = in_file.get(code) if code else None
            if target is None and code in existing:
                target = _Pending(existing[code], [], is_new=False)
            if target is None:
                target = _Pending(probe, [result.row_number], is_new=True)
                pending.append(target)
                result.decision = "create"
                result.data = data
            else:
                result.match_id = None if target.is_new else target.obj.pk
                if dedup == DedupMode.SKIP:
                    result.decision = "skip"
                    result.note = (
                        _("ファイル内の %(row)s 行目と重複") % {"row": target.row_numbers[0]}
                        if target.is_new
                        else _("既存のデータと重複")
                    )
                    continue
                if target.before is None and not target.is_new:
                    target.before = self._snapshot(target.obj)
                    pending.append(target)
                changed = self._apply_update(target.obj, data, overwrite=dedup == DedupMode.OVERWRITE)
                target.row_numbers.append(result.row_number)
                result.decision = "update" if changed or not target.is_new else "skip"
                result.data = data
                if target.is_new:
                    result.note = _("ファイル内の %(row)s 行目に統合") % {"row": target.row_numbers[0]}
            if code:
                in_file.setdefault(code, target)
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

    def _write(self, pending: list[_Pending], results: list[RowResult], *, by: User) -> list[WrittenRecord]:
        """``ModelTarget._write`` for a model without name keys: bulk insert/update, bulk audit, search."""
        now = timezone.now()
        new_pending = [p for p in pending if p.is_new]
        new_objs = [p.obj for p in new_pending]
        fastinsert.insert(new_objs)
        updated: list[tuple[_Pending, dict[str, Any]]] = []
        for p in pending:
            if p.is_new or p.before is None:
                continue
            delta = audit.diff(p.before, self._snapshot(p.obj))
            if delta:
                p.obj.version += 1
                p.obj.updated_at = now
                updated.append((p, delta))
        if updated:
            changed = sorted({name for _p, delta in updated for name in delta})
            Product.objects.bulk_update(
                [p.obj for p, _d in updated], [*changed, "version", "updated_at"], batch_size=WRITE_BATCH
            )
        entries = [
            audit.entry_values(
                obj, by=by, action="create", changes=audit.diff({}, self._snapshot(obj)), via="import"
            )
            for obj in new_objs
        ]
        entries += [
            audit.entry_values(p.obj, by=by, action="update", changes=delta, via="import")
            for p, delta in updated
        ]
        entry_ids = fastinsert.insert_values(AuditEntry, entries)
        search.reindex_many(
            self.object_type, [*new_objs, *(p.obj for p, _d in updated)], batch_size=WRITE_BATCH
        )
        written = [
            WrittenRecord(p.row_numbers[0], self.object_type, p.obj.pk, "created", entry_id)
            for p, entry_id in zip(new_pending, entry_ids, strict=False)
        ]
        written += [
            WrittenRecord(p.row_numbers[0], self.object_type, p.obj.pk, "updated", entry_id, delta)
            for (p, delta), entry_id in zip(updated, entry_ids[len(new_objs) :], strict=True)
        ]
        unchanged = {id(p.obj) for p in pending if not p.is_new and p.before is not None} - {
            id(p.obj) for p, _d in updated
        }
        rows_unchanged = {n for p in pending if id(p.obj) in unchanged for n in p.row_numbers}
        for result in results:
            if result.row_number in rows_unchanged and result.decision == "update":
                result.decision = "skip"
                result.note = _("変更なし")
        return written


register(ProductTarget)
