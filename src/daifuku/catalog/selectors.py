"""Every read of the product catalog, price lists, currencies and exchange rates.

Products are reference data: every signed-in, active user reads all live products (there is no
owner or team to scope them by); administrators and managers change them (``can_edit_catalog``).
A product in the trash is missing (404) except to administrators who ask for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from daifuku.catalog.models import PriceList, PriceListItem, Product, ProductCategory
from daifuku.core import audit, search
from daifuku.core.models import AuditEntry, Currency, ExchangeRate, Role, User
from daifuku.customers.models import Company

PRODUCT = "product"

PRODUCT_SORTS: dict[str, tuple[str, ...]] = {
    "code": ("code", "id"),
    "-code": ("-code", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
}


def is_reader(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_edit_catalog(user: Any) -> bool:
    """Products, categories and price lists are reference data: administrators and managers change them."""
    if not is_reader(user):
        return False
    if user.is_administrator:
        return True
    return bool(user.role_id and user.role and user.role.slug == Role.MANAGER)


def can_edit_currencies(user: Any) -> bool:
    """Currencies and exchange rates feed every report's conversion: administrators only."""
    return is_reader(user) and bool(user.is_administrator)


# Products


@dataclass
class ProductFilters:
    q: str = ""
    category: int | None = None
    active: str = ""  # "" all, "1" on sale, "0" discontinued
    tax_category: str = ""
    currency: str = ""


def product_queryset(*, user: User) -> QuerySet[Product]:
    """Live (not trashed) products; every signed-in user reads them."""
    if not is_reader(user):
        return Product.objects.none()
    return Product.objects.filter(deleted_at__isnull=True)


def product_list(
    *, user: User, filters: ProductFilters | None = None, sort: str = "code"
) -> QuerySet[Product]:
    filters = filters or ProductFilters()
    qs = product_queryset(user=user)
    if filters.q:
        match = search.matches(PRODUCT, filters.q)
        if match is not None:
            qs = qs.filter(match)
    if filters.category:
        qs = qs.filter(category_id=filters.category)
    if filters.active in ("1", "0"):
        qs = qs.filter(is_active=filters.active == "1")
    if filters.tax_category:
        qs = qs.filter(tax_category=filters.tax_category)
    if filters.currency:
        qs = qs.filter(currency_id=filters.currency)
    return qs.select_related("category", "currency").order_by(*PRODUCT_SORTS.get(sort, PRODUCT_SORTS["code"]))


def product_get(*, user: User, pk: Any, include_deleted: bool = False) -> Product:
    """One product; 404 when missing or trashed (trashed ones only for administrators who ask)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not is_reader(user):
        raise Http404
    qs = Product.objects.select_related("category", "currency")
    if include_deleted and user.is_administrator:
        qs = qs.select_related("deleted_by")  # only a trashed one has it; a join costs PostgreSQL planning
    else:
        qs = qs.filter(deleted_at__isnull=True)
    product = qs.filter(pk=pk).first()
    if product is None:
        raise Http404
    return product


def product_choices(*, user: User, q: str, limit: int = 10) -> list[Product]:
    """Products on sale for a chooser (quote and deal lines): matching ``q``, by code."""
    if not search.query_terms(q):
        return []
    filters = ProductFilters(q=q, active="1")
    return list(product_list(user=user, filters=filters)[:limit])


def product_history(*, product: Product) -> QuerySet[AuditEntry]:
    """The 履歴 tab of a product the caller has already fetched through ``product_get``."""
    return audit.entries_for(product)


def product_trash(*, user: User) -> QuerySet[Product]:
    if not user.is_administrator:
        return Product.objects.none()
    return (
        Product.objects.filter(deleted_at__isnull=False)
        .select_related("deleted_by", "category")
        .order_by("-deleted_at", "-id")
    )


def product_price_list_items(*, product: Product) -> QuerySet[PriceListItem]:
    return (
        PriceListItem.objects.filter(product=product)
        .select_related("price_list")
        .order_by("price_list__name", "min_quantity")
    )


# Categories


def category_list() -> QuerySet[ProductCategory]:
    """Categories with the number of live products in each."""
    return ProductCategory.objects.annotate(
        product_count=Count("products", filter=Q(products__deleted_at__isnull=True))
    ).order_by("sort_order", "name")


def category_choices() -> QuerySet[ProductCategory]:
    return ProductCategory.objects.order_by("sort_order", "name")


def category_get(*, pk: Any) -> ProductCategory:
    try:
        return ProductCategory.objects.get(pk=int(pk))
    except (TypeError, ValueError, ProductCategory.DoesNotExist):
        raise Http404 from None


# Price lists


def price_list_list(*, user: User) -> QuerySet[PriceList]:
    if not is_reader(user):
        return PriceList.objects.none()
    return PriceList.objects.annotate(item_count=Count("items", distinct=True)).order_by("name")


def price_list_get(*, user: User, pk: Any) -> PriceList:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    price_list = price_list_list(user=user).filter(pk=pk).first()
    if price_list is None:
        raise Http404
    return price_list


def price_list_items(*, price_list: PriceList) -> QuerySet[PriceListItem]:
    return price_list.items.select_related("product").order_by("product__code", "min_quantity")


def price_list_companies(*, user: User, price_list: PriceList) -> list[tuple[int, str, bool]]:
    """(id, name, visible) of the named companies; names of companies the user may not see are hidden."""
    from daifuku.customers.selectors import company_queryset

    visible = set(
        company_queryset(user=user).filter(pk__in=price_list.companies.all()).values_list("pk", flat=True)
    )
    rows = []
    for company in price_list.companies.all().order_by("kana_key", "id"):
        rows.append(
            (company.pk, company.display_name if company.pk in visible else "—", company.pk in visible)
        )
    return rows


def price_list_history(*, price_list: PriceList) -> QuerySet[AuditEntry]:
    return audit.entries_for(price_list)


@dataclass(frozen=True)
class PriceChoice:
    unit_price: Decimal
    price_list: PriceList | None  # None: the product's own unit price


def price_choice(
    *, product: Product, company: Company | None, quantity: Decimal, day: dt.date
) -> PriceChoice:
    """The lowest price-list price that applies, else the product's unit price (one query).

    A price list applies when it is active, ``day`` lies in its validity dates, it is in the product's
    currency, it targets the company (named, or by the company's rank) and it has a tier of the product
    whose minimum quantity is at most ``quantity``.
    """
    if company is None:
        return PriceChoice(product.unit_price, None)
    targets = Q(price_list__companies=company)
    if company.rank:
        targets |= Q(price_list__company_rank=company.rank)
    item = (
        PriceListItem.objects.filter(
            targets,
            product=product,
            min_quantity__lte=quantity,
            price_list__is_active=True,
            price_list__currency_id=product.currency_id,
        )
        .filter(Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=day))
        .filter(Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=day))
        .select_related("price_list")
        .order_by("unit_price", "price_list__name", "-min_quantity")
        .first()
    )
    if item is None:
        return PriceChoice(product.unit_price, None)
    return PriceChoice(item.unit_price, item.price_list)


def price_for(*, product: Product, company: Company | None, quantity: Decimal, day: dt.date) -> Decimal:
    """The unit price of ``product`` for ``company`` buying ``quantity`` on ``day`` (see ``price_choice``)."""
    return price_choice(product=product, company=company, quantity=quantity, day=day).unit_price


# Currencies and exchange rates


def currency_list(*, user: User) -> QuerySet[Currency]:
    """Every currency with its number of rates and latest rate date (for the settings page)."""
    if not is_reader(user):
        return Currency.objects.none()
    from django.db.models import Max

    return Currency.objects.annotate(rate_count=Count("rates"), latest_rate_on=Max("rates__date")).order_by(
        "-is_active", "code"
    )


def active_currencies() -> QuerySet[Currency]:
    return Currency.objects.filter(is_active=True).order_by("code")


def currency_get(*, user: User, code: str) -> Currency:
    if not is_reader(user):
        raise Http404
    currency = Currency.objects.filter(code=str(code).upper()).first()
    if currency is None:
        raise Http404
    return currency


@dataclass
class RateFilters:
    currency: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def exchange_rate_list(*, user: User, filters: RateFilters | None = None) -> QuerySet[ExchangeRate]:
    """Rates newest first, by currency and date range."""
    filters = filters or RateFilters()
    if not is_reader(user):
        return ExchangeRate.objects.none()
    qs = ExchangeRate.objects.all()
    if filters.currency:
        qs = qs.filter(currency_id=filters.currency.upper())
    if filters.date_from:
        qs = qs.filter(date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(date__lte=filters.date_to)
    return qs.order_by("-date", "-id")


def exchange_rate_get(*, user: User, pk: Any) -> ExchangeRate:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    rate = exchange_rate_list(user=user).filter(pk=pk).first()
    if rate is None:
        raise Http404
    return rate


def currency_history(*, currency: Currency) -> QuerySet[AuditEntry]:
    """Changes of a currency and of its rates (rates are named "USD 2026-04-01: …" in the audit trail)."""
    from daifuku.catalog.services import currency_audit_id

    return AuditEntry.objects.filter(
        Q(object_type="core.currency", object_id=currency_audit_id(currency.code))
        | Q(object_type="core.exchangerate", object_repr__startswith=f"{currency.code} ")
    ).select_related("actor")
