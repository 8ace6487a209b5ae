"""API of the product catalog and currencies: thin handlers over catalog.selectors and catalog.services.

Every signed-in client reads products, categories, currencies and rates; writes follow the services'
rules (products: administrators and managers; rates: administrators) and answer 403 otherwise.
Amounts are JSON strings with the currency's decimals ("100000" for JPY, "12.50" for USD), so no
binary floating point ever touches money.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from daifuku.catalog import selectors, services
from daifuku.catalog.models import Product
from daifuku.core import api_out
from daifuku.core.models import ExchangeRate, User
from daifuku.core.money import quantum
from daifuku.customers.schemas import ConflictOut, ErrorOut, ValidationErrorOut
from daifuku.customers.selectors import company_queryset, decode_cursor, encode_cursor

router = Router(tags=["catalog"])

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
Amount = str | int | float


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _money(value: Decimal, decimals: int) -> str:
    return f"{value.quantize(quantum(decimals)):f}"


def _bad_cursor() -> ValidationError:
    return ValidationError({"cursor": _("カーソルが不正です。next_cursor の値をそのまま渡してください。")})


# Schemas


class Ref(Schema):
    id: int
    name: str


class ProductOut(Schema):
    id: int
    code: str
    name: str
    name_kana: str
    category: Ref | None
    is_service: bool
    unit: str
    unit_price: str = Field(description="in the product's currency, with its decimals")
    cost: str
    currency: str
    tax_category: str = Field(description="standard (10 %) / reduced (8 %) / exempt / non_taxable")
    billing_type: str
    description: str
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_category(obj: Product) -> dict[str, Any] | None:
        return None if obj.category is None else {"id": obj.category.pk, "name": obj.category.name}

    @staticmethod
    def resolve_unit_price(obj: Product) -> str:
        return _money(obj.unit_price, obj.currency.decimals)

    @staticmethod
    def resolve_cost(obj: Product) -> str:
        return _money(obj.cost, obj.currency.decimals)

    @staticmethod
    def resolve_currency(obj: Product) -> str:
        return obj.currency_id


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class ProductQuery(Schema):
    q: str = Field("", description="search in code, name and フリガナ (kana/width folded)")
    category: int | None = None
    active: bool | None = Field(None, description="true: on sale, false: discontinued, absent: both")
    tax_category: str = ""
    currency: str = ""
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


class ProductFields(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str | None = None
    name: str | None = None
    name_kana: str | None = None
    category: int | None = Field(None, description="category id")
    is_service: bool | None = None
    unit: str | None = None
    unit_price: Amount | None = Field(None, description='a string such as "12.50" is exact')
    cost: Amount | None = None
    currency: str | None = Field(None, description="ISO code of an active currency; default JPY")
    tax_category: str | None = None
    billing_type: str | None = None
    description: str | None = None
    is_active: bool | None = None


class ProductCreateIn(ProductFields):
    code: str
    name: str


class ProductUpdateIn(ProductFields):
    version: int = Field(description="the version you read; a newer one on the server answers 409")


class PriceOut(Schema):
    unit_price: str
    currency: str
    price_list: Ref | None = Field(description="the price list whose price applies; null: the unit price")


class CategoryOut(Schema):
    id: int
    name: str
    sort_order: int


class CurrencyOut(Schema):
    code: str
    name: str
    symbol: str
    decimals: int
    is_active: bool


class RateOut(Schema):
    id: int
    currency: str
    date: dt.date
    rate: str = Field(description="yen per one unit of the currency")

    @staticmethod
    def resolve_currency(obj: ExchangeRate) -> str:
        return obj.currency_id

    @staticmethod
    def resolve_rate(obj: ExchangeRate) -> str:
        return f"{obj.rate.normalize():f}"


class RatePage(Schema):
    items: list[RateOut]
    next_cursor: str | None


class RateQuery(Schema):
    currency: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = Field(100, ge=1, le=500)
    cursor: str = ""


class RateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    currency: str
    date: dt.date
    rate: Amount


# Products


@router.get("/products", response=ProductPage, summary="List products (by code)")
def product_list(request: HttpRequest, params: Query[ProductQuery]) -> HttpResponse:
    active = "" if params.active is None else ("1" if params.active else "0")
    filters = selectors.ProductFilters(
        q=params.q,
        category=params.category,
        active=active,
        tax_category=params.tax_category,
        currency=params.currency.upper(),
    )
    qs = selectors.product_list(user=_user(request), filters=filters, sort="code")
    if params.cursor:
        decoded = decode_cursor(params.cursor)
        if decoded is None or not isinstance(decoded[0], str) or not isinstance(decoded[1], int):
            raise _bad_cursor()
        code, last_id = decoded
        qs = qs.filter(Q(code__gt=code) | Q(code=code, id__gt=last_id))
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return api_out.respond(
        request,
        ProductPage,
        {"items": rows, "next_cursor": encode_cursor([rows[-1].code, rows[-1].pk]) if more else None},
    )


@router.post("/products", response={201: ProductOut, **_WRITE}, summary="Register a product")
def product_create(request: HttpRequest, payload: ProductCreateIn) -> Status[Any]:
    return Status(201, services.product_create(by=_user(request), data=payload.dict(exclude_unset=True)))


@router.get("/products/{product_id}", response={200: ProductOut, **_READ}, summary="Get a product")
def product_detail(request: HttpRequest, product_id: int) -> Any:
    return selectors.product_get(user=_user(request), pk=product_id)


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, 409: ConflictOut, **_WRITE},
    summary="Change a product (send the version you read)",
)
def product_update(request: HttpRequest, product_id: int, payload: ProductUpdateIn) -> Any:
    user = _user(request)
    product = selectors.product_get(user=user, pk=product_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return services.product_update(product=product, by=user, data=data, seen_version=version)


@router.delete(
    "/products/{product_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Move to trash"
)
def product_delete(request: HttpRequest, product_id: int) -> Status[None]:
    user = _user(request)
    services.product_delete(product=selectors.product_get(user=user, pk=product_id), by=user)
    return Status(204, None)


@router.get(
    "/products/{product_id}/price",
    response={200: PriceOut, **_READ, 422: ValidationErrorOut},
    summary="The unit price for a company, quantity and date (price lists applied)",
)
def product_price(
    request: HttpRequest,
    product_id: int,
    company: int | None = None,
    quantity: Decimal = Decimal(1),
    date: dt.date | None = None,
) -> dict[str, Any]:
    user = _user(request)
    product = selectors.product_get(user=user, pk=product_id)
    buyer = None
    if company is not None:
        buyer = company_queryset(user=user).filter(pk=company).first()
        if buyer is None:
            raise ValidationError({"company": _("指定された取引先が見つかりません。")})
    from django.utils import timezone

    choice = selectors.price_choice(
        product=product, company=buyer, quantity=quantity, day=date or timezone.localdate()
    )
    pl = choice.price_list
    return {
        "unit_price": _money(choice.unit_price, product.currency.decimals),
        "currency": product.currency_id,
        "price_list": None if pl is None else {"id": pl.pk, "name": pl.name},
    }


@router.get("/product-categories", response=list[CategoryOut], summary="List product categories")
def category_list(request: HttpRequest) -> Any:
    return selectors.category_choices()


# Currencies and exchange rates


@router.get("/currencies", response=list[CurrencyOut], summary="List currencies")
def currency_list(request: HttpRequest) -> Any:
    return selectors.currency_list(user=_user(request)).order_by("code")


@router.get("/exchange-rates", response={200: RatePage, 422: ValidationErrorOut}, summary="List rates")
def exchange_rate_list(request: HttpRequest, params: Query[RateQuery]) -> dict[str, Any]:
    filters = selectors.RateFilters(
        currency=params.currency, date_from=params.date_from, date_to=params.date_to
    )
    qs = selectors.exchange_rate_list(user=_user(request), filters=filters)
    if params.cursor:
        decoded = decode_cursor(params.cursor)
        try:
            day, last_id = dt.date.fromisoformat(decoded[0]), int(decoded[1])  # type: ignore[index]
        except (TypeError, ValueError, IndexError):
            raise _bad_cursor() from None
        qs = qs.filter(Q(date__lt=day) | Q(date=day, id__lt=last_id))
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    last = rows[-1] if rows else None
    return {
        "items": rows,
        "next_cursor": encode_cursor([last.date.isoformat(), last.pk]) if more and last else None,
    }


@router.post(
    "/exchange-rates",
    response={201: RateOut, 403: ErrorOut, 422: ValidationErrorOut},
    summary="Enter a rate (replaces that currency's rate of that date)",
)
def exchange_rate_set(request: HttpRequest, payload: RateIn) -> Status[Any]:
    return Status(201, services.exchange_rate_set(by=_user(request), data=payload.dict()))
