"""Every write to the product catalog, price lists, currencies and exchange rates.

Products, categories and price lists are reference data changed by administrators and managers;
currencies and exchange rates by administrators only (``PermissionDenied`` otherwise). Input is a
plain ``dict`` (form, API, import); bad values raise ``ValidationError`` keyed by field name. Every
change is audited; products are versioned, searchable (code, name, フリガナ) and go to the trash.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from daifuku.catalog import selectors
from daifuku.catalog.models import BillingType, PriceList, PriceListItem, Product, ProductCategory
from daifuku.core import audit, events, jp, search
from daifuku.core.models import AuditEntry, Currency, ExchangeRate, TaxCategory, User
from daifuku.core.money import BASE_CURRENCY
from daifuku.core.services import check_version, restore_record, trash_record
from daifuku.customers.models import CompanyRank
from daifuku.sales.services.common import Cleaner, ids, pk_of, text

PRODUCT = selectors.PRODUCT
PRODUCT_FIELDS = [
    "code", "name", "name_kana", "category", "is_service", "unit", "unit_price", "cost", "currency",
    "tax_category", "billing_type", "description", "is_active",
]  # fmt: skip
MAX_PRICE = Decimal("999999999999")  # 14 digits, 2 of them decimals
CENTS = Decimal("0.01")  # the columns' scale: audit values read the same before and after a save


def product_search_parts(product: Product) -> list[str]:
    return [product.code, product.name, product.name_kana]


search.register(PRODUCT, Product, product_search_parts)


def _check_catalog_editor(by: User) -> None:
    if not selectors.can_edit_catalog(by):
        raise PermissionDenied(_("商品・価格表を変更できるのは管理者とマネージャーのみです。"))


def _check_currency_admin(by: User) -> None:
    if not selectors.can_edit_currencies(by):
        raise PermissionDenied(_("通貨と為替レートを変更できるのは管理者のみです。"))


# Products


def product_clean(
    data: dict[str, Any], *, instance: Product | None = None, creating: bool = False, check_code: bool = False
) -> dict[str, Any]:
    """Normalize product input; only the keys given are cleaned (``creating`` requires code and name).

    Returns the model field values (category and currency as objects) or raises ``ValidationError``
    naming each bad field. Prices are ≥ 0 with at most the currency's decimals (JPY none, USD 2).
    """
    c = Cleaner(data, PRODUCT_FIELDS)
    out: dict[str, Any] = {}
    if creating or "code" in c:
        code = jp.nfkc(c.text("code", required=True, max_length=40))
        if code and re.search(r"\s", code):
            c.error("code", _("商品コードに空白は使えません。"))
        elif code and check_code and (instance is None or code != instance.code):
            taken = _code_taken(code, None if instance is None else instance.pk)
            if taken:
                c.error("code", taken)
        out["code"] = code
    if creating or "name" in c:
        out["name"] = jp.full_width_kana(c.text("name", required=True, max_length=200))
    if "name_kana" in c:
        out["name_kana"] = jp.to_katakana(c.text("name_kana", max_length=200))
    if "unit" in c:
        out["unit"] = jp.nfkc(c.text("unit", max_length=20)) or "個"
    for name in ("description",):
        if name in c:
            out[name] = c.text(name)
    for name in ("is_service", "is_active"):
        if name in c:
            out[name] = c.boolean(name, default=name == "is_active")
    if "tax_category" in c:
        out["tax_category"] = c.choice("tax_category", TaxCategory.values, default=TaxCategory.STANDARD)
    if "billing_type" in c:
        out["billing_type"] = c.choice("billing_type", BillingType.values, default=BillingType.LUMP_SUM)
    if "category" in c:
        raw = pk_of(c.data.get("category"))
        if raw in (None, ""):
            out["category"] = None
        elif isinstance(c.data["category"], ProductCategory):
            out["category"] = c.data["category"]
        else:
            found = ProductCategory.objects.filter(pk=raw).first() if str(raw).isdigit() else None
            if found is None:
                c.error("category", _("指定された分類が見つかりません。"))
            out["category"] = found
    currency: Currency | None = None
    if "currency" in c:
        code = text(pk_of(c.data.get("currency"))).upper()
        if instance is not None and code == instance.currency_id:
            currency = instance.currency  # kept even if deactivated since: only new choices must be active
        else:
            currency = c.currency("currency", default=BASE_CURRENCY)
        out["currency"] = currency
    if currency is None:
        currency = instance.currency if instance is not None else Currency(code=BASE_CURRENCY, decimals=0)
    for name in ("unit_price", "cost"):
        if name in c or creating:
            value = c.decimal(name, places=currency.decimals, hi=MAX_PRICE, default=Decimal(0))
            out[name] = value.quantize(CENTS) if value is not None and name not in c.errors else value
    if instance is not None and "currency" in out and "unit_price" not in out and out["currency"] is not None:
        # A change to a currency with fewer decimals must not leave a price it cannot hold.
        for name in ("unit_price", "cost"):
            value = getattr(instance, name)
            if value != value.quantize(Decimal(1).scaleb(-out["currency"].decimals)):
                c.error(name, _("小数点以下は%(n)s桁までです。") % {"n": out["currency"].decimals})
    c.raise_errors()
    return out


def _code_taken(code: str, exclude_pk: int | None) -> str:
    """Why ``code`` cannot be used ("" when it is free): another product, live or in the trash, has it."""
    others = Product.objects.filter(code=code)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = others.only("deleted_at").first()
    if taken is None:
        return ""
    if taken.is_deleted:
        return _("商品コード「%(code)s」はごみ箱の商品で使われています。") % {"code": code}
    return _("商品コード「%(code)s」は既に使われています。") % {"code": code}


def _save_product(product: Product) -> None:
    """Save; a code taken between the check and the save is reported on the code field."""
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        taken = _code_taken(product.code, product.pk)
        if taken:
            raise ValidationError({"code": taken}) from None
        raise


@transaction.atomic
def product_create(*, by: User, data: dict[str, Any]) -> Product:
    """Register a product (administrators and managers)."""
    _check_catalog_editor(by)
    cleaned = product_clean(data, creating=True, check_code=True)
    product = Product()
    for name, value in cleaned.items():
        setattr(product, name, value)
    _save_product(product)
    audit.record(product, by=by, action="create", changes=audit.diff({}, audit.snapshot(product)))
    search.reindex(PRODUCT, product)
    events.emit("product.created", product=product, by=by)
    return product


@transaction.atomic
def product_update(
    *, product: Product, by: User, data: dict[str, Any], seen_version: int | None = None
) -> Product:
    """Change a product. Refused with ``VersionConflict`` if someone saved since ``seen_version``."""
    _check_catalog_editor(by)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の商品は編集できません。先に復元してください。")})
    check_version(product, seen_version)
    cleaned = product_clean(data, instance=product, check_code=True)
    before = audit.snapshot(product)
    for name, value in cleaned.items():
        setattr(product, name, value)
    delta = audit.diff(before, audit.snapshot(product))
    if not delta:
        return product
    product.version += 1
    _save_product(product)
    audit.record(product, by=by, action="update", changes=delta)
    search.reindex(PRODUCT, product)
    events.emit("product.updated", product=product, by=by, changes=delta)
    return product


def product_set_active(
    *, product: Product, by: User, active: bool, seen_version: int | None = None
) -> Product:
    """Put a product on sale again (販売中) or stop selling it; existing documents keep it."""
    return product_update(product=product, by=by, data={"is_active": active}, seen_version=seen_version)


@transaction.atomic
def product_delete(*, product: Product, by: User) -> None:
    """Move a product to the trash; deals and quotes that name it keep it (PROTECT)."""
    _check_catalog_editor(by)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.is_deleted:
        return
    trash_record(product, by=by, object_type=PRODUCT)


@transaction.atomic
def product_restore(*, product: Product, by: User) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    if not product.is_deleted:
        return product
    restore_record(product, by=by, object_type=PRODUCT)
    return product


# Categories


def _category_name(data: dict[str, Any]) -> tuple[str, int]:
    c = Cleaner(data, ["name", "sort_order"])
    name = jp.nfkc(c.text("name", required=True, max_length=100))
    sort_order = c.integer("sort_order", lo=0, hi=1_000_000, default=0) or 0
    c.raise_errors()
    return name, sort_order


@transaction.atomic
def category_create(*, by: User, data: dict[str, Any]) -> ProductCategory:
    _check_catalog_editor(by)
    name, sort_order = _category_name(data)
    if ProductCategory.objects.filter(name=name).exists():
        raise ValidationError({"name": _("分類「%(name)s」は既にあります。") % {"name": name}})
    category = ProductCategory.objects.create(name=name, sort_order=sort_order)
    audit.record(category, by=by, action="create", changes=audit.diff({}, audit.snapshot(category)))
    return category


@transaction.atomic
def category_update(*, category: ProductCategory, by: User, data: dict[str, Any]) -> ProductCategory:
    _check_catalog_editor(by)
    category = ProductCategory.objects.select_for_update().get(pk=category.pk)
    name, sort_order = _category_name({"sort_order": category.sort_order, **data})
    if ProductCategory.objects.filter(name=name).exclude(pk=category.pk).exists():
        raise ValidationError({"name": _("分類「%(name)s」は既にあります。") % {"name": name}})
    before = audit.snapshot(category)
    category.name, category.sort_order = name, sort_order
    delta = audit.diff(before, audit.snapshot(category))
    if delta:
        category.save(update_fields=["name", "sort_order"])
        audit.record(category, by=by, action="update", changes=delta)
    return category


@transaction.atomic
def category_delete(*, category: ProductCategory, by: User) -> None:
    """Delete an unused category (products, even trashed ones, keep theirs: PROTECT)."""
    _check_catalog_editor(by)
    category = ProductCategory.objects.select_for_update().get(pk=category.pk)
    used = category.products.count()
    if used:
        raise ValidationError(
            {"__all__": _("分類「%(name)s」は %(n)s 件の商品で使われているため削除できません。")
             % {"name": category.name, "n": used}}
        )  # fmt: skip
    audit.record(category, by=by, action="delete", changes=audit.diff(audit.snapshot(category), {}))
    category.delete()


# Price lists


PRICE_LIST_FIELDS = [
    "name",
    "currency",
    "company_rank",
    "companies",
    "valid_from",
    "valid_until",
    "is_active",
]


def _price_list_clean(by: User, data: dict[str, Any], instance: PriceList | None) -> dict[str, Any]:
    c = Cleaner(data, PRICE_LIST_FIELDS)
    out: dict[str, Any] = {}
    if instance is None or "name" in c:
        out["name"] = jp.nfkc(c.text("name", required=True, max_length=100))
        taken = PriceList.objects.filter(name=out["name"])
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if out["name"] and taken.exists():
            c.error("name", _("価格表「%(name)s」は既にあります。") % {"name": out["name"]})
    if instance is None or "currency" in c:
        out["currency"] = c.currency("currency", default=BASE_CURRENCY)
    if instance is None or "company_rank" in c:
        out["company_rank"] = c.choice("company_rank", CompanyRank.values)
    if instance is None or "valid_from" in c:
        out["valid_from"] = c.date("valid_from")
    if instance is None or "valid_until" in c:
        out["valid_until"] = c.date("valid_until")
    if "is_active" in c:
        out["is_active"] = c.boolean("is_active", default=True)
    if instance is None or "companies" in c:
        from daifuku.customers.selectors import company_queryset

        try:
            wanted = [int(v) for v in ids(c.data.get("companies"))]
        except (TypeError, ValueError):
            wanted = [-1]
        found = list(company_queryset(user=by).filter(pk__in=wanted))
        if len(found) != len(set(wanted)):
            c.error("companies", _("指定された取引先が見つかりません。"))
        out["companies"] = found
    valid_from = out.get("valid_from", instance.valid_from if instance else None)
    valid_until = out.get("valid_until", instance.valid_until if instance else None)
    if valid_from and valid_until and valid_until < valid_from:
        c.error("valid_until", _("適用終了日は適用開始日以降にしてください。"))
    c.raise_errors()
    return out


def _price_list_snapshot(price_list: PriceList) -> dict[str, Any]:
    return audit.snapshot(price_list)


@transaction.atomic
def price_list_create(*, by: User, data: dict[str, Any]) -> PriceList:
    """A price list for companies of a rank and/or named companies, optionally dated."""
    _check_catalog_editor(by)
    cleaned = _price_list_clean(by, data, None)
    companies = cleaned.pop("companies")
    price_list = PriceList.objects.create(**cleaned)
    price_list.companies.set(companies)
    audit.record(price_list, by=by, action="create", changes=audit.diff({}, _price_list_snapshot(price_list)))
    return price_list


@transaction.atomic
def price_list_update(*, price_list: PriceList, by: User, data: dict[str, Any]) -> PriceList:
    _check_catalog_editor(by)
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    # Named companies the editor may not see stay on the list: the form only offers visible ones.
    if "companies" in data:
        from daifuku.customers.selectors import company_queryset

        hidden = price_list.companies.exclude(pk__in=company_queryset(user=by).values("pk"))
        kept_hidden = list(hidden.values_list("pk", flat=True))
    else:
        kept_hidden = []
    cleaned = _price_list_clean(by, data, price_list)
    before = _price_list_snapshot(price_list)
    companies = cleaned.pop("companies", None)
    for name, value in cleaned.items():
        setattr(price_list, name, value)
    price_list.save()
    if companies is not None:
        price_list.companies.set([*companies, *kept_hidden])
    delta = audit.diff(before, _price_list_snapshot(price_list))
    if delta:
        audit.record(price_list, by=by, action="update", changes=delta)
    return price_list


@transaction.atomic
def price_list_delete(*, price_list: PriceList, by: User) -> None:
    _check_catalog_editor(by)
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    items = {
        _item_key(i.product.code, i.min_quantity): [str(i.unit_price), None]
        for i in price_list.items.select_related("product")
    }
    audit.record(
        price_list,
        by=by,
        action="delete",
        changes={**audit.diff(_price_list_snapshot(price_list), {}), **items},
    )
    price_list.delete()


def _item_key(code: str, min_quantity: Decimal) -> str:
    return f"{code} ≥{min_quantity.normalize():f}"


@transaction.atomic
def price_list_item_set(*, price_list: PriceList, by: User, data: dict[str, Any]) -> PriceListItem:
    """Set the price of a product from a minimum quantity on (a tier); the same tier is replaced.

    The change is audited on the price list as ``{"<code> ≥<min qty>": [old price, new price]}``.
    """
    _check_catalog_editor(by)
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    c = Cleaner(data, ["product", "min_quantity", "unit_price"])
    product = None
    raw = pk_of(c.data.get("product"))
    if raw in (None, ""):
        c.error("product", _("商品を選んでください。"))
    else:
        product = (
            Product.objects.filter(pk=raw, deleted_at__isnull=True).first() if str(raw).isdigit() else None
        )
        if product is None:
            c.error("product", _("指定された商品が見つかりません。"))
        elif product.currency_id != price_list.currency_id:
            c.error(
                "product",
                _("商品の通貨（%(p)s）と価格表の通貨（%(l)s）が違います。")
                % {"p": product.currency_id, "l": price_list.currency_id},
            )
    min_quantity = c.decimal("min_quantity", places=3, hi=Decimal("999999999"), default=Decimal(1))
    if min_quantity is not None and min_quantity <= 0:
        c.error("min_quantity", _("0より大きい数量を入力してください。"))
    decimals = price_list.currency.decimals
    unit_price = c.decimal("unit_price", places=decimals, hi=MAX_PRICE)
    if unit_price is None and "unit_price" not in c.errors:
        c.error("unit_price", _("単価を入力してください。"))
    c.raise_errors()
    assert product is not None and min_quantity is not None and unit_price is not None
    min_quantity, unit_price = min_quantity.quantize(Decimal("0.001")), unit_price.quantize(CENTS)
    item = (
        PriceListItem.objects.select_for_update()
        .filter(price_list=price_list, product=product, min_quantity=min_quantity)
        .first()
    )
    old = None if item is None else str(item.unit_price)
    if item is None:
        item = PriceListItem.objects.create(
            price_list=price_list, product=product, min_quantity=min_quantity, unit_price=unit_price
        )
    elif item.unit_price != unit_price:
        item.unit_price = unit_price
        item.save(update_fields=["unit_price"])
    else:
        return item
    audit.record(
        price_list,
        by=by,
        action="item_set",
        changes={_item_key(product.code, min_quantity): [old, str(unit_price)]},
    )
    return item


@transaction.atomic
def price_list_item_delete(*, item: PriceListItem, by: User) -> None:
    _check_catalog_editor(by)
    item = PriceListItem.objects.select_for_update().select_related("price_list", "product").get(pk=item.pk)
    audit.record(
        item.price_list,
        by=by,
        action="item_delete",
        changes={_item_key(item.product.code, item.min_quantity): [str(item.unit_price), None]},
    )
    item.delete()


# Currencies


def currency_audit_id(code: str) -> int:
    """The audit trail's numeric object id of a currency (its primary key is the ISO code)."""
    return int.from_bytes(code.encode("ascii"), "big")


def _currency_audit(currency: Currency, *, by: User, action: str, changes: dict[str, Any]) -> AuditEntry:
    values = audit.entry_values(currency, by=by, action=action, changes=changes) | {
        "object_id": currency_audit_id(currency.code)
    }
    return AuditEntry.objects.create(**values)


@transaction.atomic
def currency_create(*, by: User, data: dict[str, Any]) -> Currency:
    """Add a currency: ISO 4217 code (3 letters), name, symbol, decimals (0–4)."""
    _check_currency_admin(by)
    c = Cleaner(data, ["code", "name", "symbol", "decimals"])
    code = jp.nfkc(c.text("code", required=True)).upper()
    if code and not re.fullmatch(r"[A-Z]{3}", code):
        c.error("code", _("通貨コードはISO 4217の英字3文字です（例: USD）。"))
    elif code and Currency.objects.filter(code=code).exists():
        c.error("code", _("通貨「%(code)s」は既に登録されています。") % {"code": code})
    name = c.text("name", required=True, max_length=50)
    symbol = c.text("symbol", max_length=5)
    decimals = c.integer("decimals", lo=0, hi=4, default=None)
    if decimals is None and "decimals" not in c.errors:
        c.error("decimals", _("小数桁数を0〜4で入力してください。"))
    c.raise_errors()
    currency = Currency.objects.create(code=code, name=name, symbol=symbol, decimals=decimals or 0)
    _currency_audit(currency, by=by, action="create", changes=audit.diff({}, audit.snapshot(currency)))
    return currency


@transaction.atomic
def currency_set_active(*, currency: Currency, by: User, active: bool) -> Currency:
    """Offer a currency for new amounts or stop offering it (amounts already kept in it stay)."""
    _check_currency_admin(by)
    currency = Currency.objects.select_for_update().get(pk=currency.pk)
    if currency.code == BASE_CURRENCY and not active:
        raise ValidationError({"is_active": _("基準通貨（JPY）は無効にできません。")})
    if currency.is_active == active:
        return currency
    currency.is_active = active
    currency.save(update_fields=["is_active"])
    _currency_audit(currency, by=by, action="update", changes={"is_active": [not active, active]})
    return currency


# Exchange rates


MAX_RATE = Decimal("999999999999")  # 18 digits, 6 of them decimals
RATE_QUANTUM = Decimal("0.000001")


def _parse_rate_date(raw: str) -> dt.date | None:
    value = jp.nfkc(raw).strip()
    value = value.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    try:
        return parse_date(value)
    except ValueError:
        return None


def _parse_rate(raw: str) -> tuple[Decimal | None, str]:
    value = jp.nfkc(raw).replace(",", "").replace("円", "").strip()
    try:
        rate = Decimal(value)
    except InvalidOperation:
        return None, _("数値を入力してください。")
    if not rate.is_finite() or rate <= 0:
        return None, _("0より大きい数値を入力してください。")
    if rate > MAX_RATE:
        return None, _("%(hi)s以下で入力してください。") % {"hi": MAX_RATE}
    if rate != rate.quantize(RATE_QUANTUM):
        return None, _("小数点以下は%(n)s桁までです。") % {"n": 6}
    return rate.quantize(RATE_QUANTUM), ""


def _rate_currency(raw: str, known: dict[str, Currency]) -> tuple[Currency | None, str]:
    code = jp.nfkc(raw).strip().upper()
    if not code:
        return None, _("入力してください。")
    if code == BASE_CURRENCY:
        return None, _("基準通貨（JPY）のレートは常に1です。")
    currency = known.get(code)
    if currency is None:
        return None, _("通貨「%(code)s」は登録されていません。") % {"code": code}
    return currency, ""


def _upsert_rate(currency: Currency, day: dt.date, rate: Decimal, *, by: User) -> tuple[ExchangeRate, str]:
    """Create or change the rate of (currency, day); returns it and "created" / "updated" / "unchanged"."""
    row = ExchangeRate.objects.select_for_update().filter(currency=currency, date=day).first()
    if row is None:
        row = ExchangeRate.objects.create(currency=currency, date=day, rate=rate)
        audit.record(row, by=by, action="create", changes={"rate": [None, str(rate)]})
        return row, "created"
    if row.rate == rate:
        return row, "unchanged"
    old = row.rate
    row.rate = rate
    row.save(update_fields=["rate"])
    audit.record(row, by=by, action="update", changes={"rate": [str(old), str(rate)]})
    return row, "updated"


@transaction.atomic
def exchange_rate_set(*, by: User, data: dict[str, Any]) -> ExchangeRate:
    """Enter the yen rate of a currency on a date (``currency``, ``date``, ``rate``); replaces that day's."""
    _check_currency_admin(by)
    c = Cleaner(data, ["currency", "date", "rate"])
    known = {cur.code: cur for cur in Currency.objects.all()}
    currency, message = _rate_currency(text(pk_of(c.data.get("currency"))), known)
    if message:
        c.error("currency", message)
    day = c.date("date", required=True)
    raw_rate = c.data.get("rate")
    rate: Decimal | None = None
    if raw_rate in (None, ""):
        c.error("rate", _("レートを入力してください。"))
    else:
        rate, message = _parse_rate(str(raw_rate))
        if message:
            c.error("rate", message)
    c.raise_errors()
    assert currency is not None and day is not None and rate is not None
    row, _outcome = _upsert_rate(currency, day, rate, by=by)
    return row


@transaction.atomic
def exchange_rate_delete(*, rate: ExchangeRate, by: User) -> None:
    """Delete a wrong rate; the audit trail keeps what it was."""
    _check_currency_admin(by)
    row = ExchangeRate.objects.select_for_update().filter(pk=rate.pk).first()
    if row is None:
        return
    audit.record(row, by=by, action="delete", changes={"rate": [str(row.rate), None]})
    row.delete()


RATE_COLUMNS = {
    "date": ("日付", "date", "適用日", "年月日"),
    "currency": ("通貨", "currency", "通貨コード", "code"),
    "rate": ("レート", "rate", "為替レート", "為替レート(円)", "為替", "円"),
}
RATE_COLUMN_LABELS = {"date": "日付", "currency": "通貨", "rate": "レート"}
MAX_RATE_ROWS = 50_000


@dataclass
class RowError:
    row: int
    column: str  # header text of the bad column ("" for the whole row)
    message: str


@dataclass
class RateImportResult:
    """Valid rows are saved; rows with errors are listed (and saved nothing)."""

    encoding: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def saved(self) -> int:
        return self.created + self.updated


def _decode(content: bytes) -> tuple[str, str]:
    from daifuku.imports.sources import SAMPLE_BYTES, detect_encoding

    encoding = detect_encoding(content[:SAMPLE_BYTES])
    try:
        return content.decode(encoding), encoding
    except UnicodeDecodeError:
        if encoding != "cp932":
            try:
                return content.decode("cp932"), "cp932"
            except UnicodeDecodeError:
                pass
    raise ValidationError(
        {"file": _("文字コードを判別できません（UTF-8、UTF-8 BOM付き、Shift_JIS（CP932）に対応）。")}
    )


def _header_columns(header: list[str]) -> dict[str, int]:
    folded = {jp.fold(word).replace("_", ""): name for name, words in RATE_COLUMNS.items() for word in words}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = folded.get(jp.fold(cell).replace("_", "").replace("（", "(").replace("）", ")"))
        if name and name not in found:
            found[name] = index
    return found


@transaction.atomic
def exchange_rates_import(*, by: User, content: bytes) -> RateImportResult:
    """Import rates from CSV (日付, 通貨, レート; UTF-8, UTF-8 with BOM or cp932; comma or tab).

    Each valid row creates or replaces the rate of its (currency, date); a row with an error is listed
    with its row number (the header is row 1) and column, and saves nothing. Re-importing a corrected
    file is safe: rows already saved come out "unchanged". A file-level problem (encoding, missing
    columns) saves nothing at all.
    """
    _check_currency_admin(by)
    from daifuku.imports.sources import detect_delimiter

    if not content.strip():
        raise ValidationError({"file": _("ファイルが空です。")})
    decoded, encoding = _decode(content)
    delimiter = detect_delimiter(decoded.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter)
    header = next(reader, [])
    columns = _header_columns(header)
    missing = [RATE_COLUMN_LABELS[n] for n in ("date", "currency", "rate") if n not in columns]
    if missing:
        raise ValidationError(
            {"file": _("1行目に「%(columns)s」の列がありません（見出し: 日付, 通貨, レート）。")
             % {"columns": "」「".join(missing)}}
        )  # fmt: skip
    result = RateImportResult(encoding=encoding)
    known = {cur.code: cur for cur in Currency.objects.all()}
    labels = {name: header[index] for name, index in columns.items()}
    seen: dict[tuple[str, dt.date], int] = {}
    valid: list[tuple[Currency, dt.date, Decimal]] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if number - 1 > MAX_RATE_ROWS:
            raise ValidationError({"file": _("行が多すぎます（%(n)s行まで）。") % {"n": MAX_RATE_ROWS}})
        cells = {name: row[index] if index < len(row) else "" for name, index in columns.items()}
        row_errors: list[RowError] = []
        day = _parse_rate_date(cells["date"]) if cells["date"].strip() else None
        if day is None:
            message = (
                _("日付を「2026-04-01」の形で入力してください。")
                if cells["date"].strip()
                else _("入力してください。")
            )
            row_errors.append(RowError(number, labels["date"], message))
        currency, message = _rate_currency(cells["currency"], known)
        if message:
            row_errors.append(RowError(number, labels["currency"], message))
        rate, message = (
            _parse_rate(cells["rate"]) if cells["rate"].strip() else (None, _("入力してください。"))
        )
        if message:
            row_errors.append(RowError(number, labels["rate"], message))
        if not row_errors and currency is not None and day is not None:
            first = seen.get((currency.code, day))
            if first is not None:
                row_errors.append(
                    RowError(number, "", _("%(row)s行目と同じ通貨・日付です。") % {"row": first})
                )
            else:
                seen[(currency.code, day)] = number
        if row_errors:
            result.errors.extend(row_errors)
            continue
        assert currency is not None and day is not None and rate is not None
        valid.append((currency, day, rate))
    _write_rates(valid, by=by, result=result)
    return result


def _write_rates(
    valid: list[tuple[Currency, dt.date, Decimal]], *, by: User, result: RateImportResult
) -> None:
    """Upsert many rates with a fixed number of statements (locked read, bulk insert/update, bulk audit)."""
    if not valid:
        return
    existing = {
        (row.currency_id, row.date): row
        for row in ExchangeRate.objects.select_for_update().filter(
            currency_id__in={cur.code for cur, _d, _r in valid},
            date__in={day for _c, day, _r in valid},
        )
    }
    new: list[ExchangeRate] = []
    changed: list[tuple[ExchangeRate, Decimal]] = []
    for currency, day, rate in valid:
        row = existing.get((currency.code, day))
        if row is None:
            new.append(ExchangeRate(currency=currency, date=day, rate=rate))
        elif row.rate == rate:
            result.unchanged += 1
        else:
            changed.append((row, row.rate))
            row.rate = rate
    ExchangeRate.objects.bulk_create(new, batch_size=500)
    ExchangeRate.objects.bulk_update([row for row, _old in changed], ["rate"], batch_size=500)
    entries = [
        AuditEntry(**audit.entry_values(row, by=by, action="create", changes={"rate": [None, str(row.rate)]}))
        for row in new
    ] + [
        AuditEntry(
            **audit.entry_values(row, by=by, action="update", changes={"rate": [str(old), str(row.rate)]})
        )
        for row, old in changed
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=500)
    result.created += len(new)
    result.updated += len(changed)
