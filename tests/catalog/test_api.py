"""Products, currencies and exchange rates over /api/v1: filters, cursors, versions, permissions."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client

from daifuku.catalog.models import Product
from daifuku.core.models import Currency, ExchangeRate
from tests.catalog.factories import IndexedProductFactory, PriceListFactory, PriceListItemFactory
from tests.factories import CompanyFactory
from tests.sales.factories import ExchangeRateFactory, ProductCategoryFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _json(client, method, url, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_list_filters_and_pages_with_a_cursor(rep_a):
    # given
    category = ProductCategoryFactory(name="ソフト")
    for n in range(5):
        IndexedProductFactory(code=f"S-{n}", name=f"ソフト{n}", category=category)
    IndexedProductFactory(code="H-1", name="ハード")
    IndexedProductFactory(code="S-9", name="終売ソフト", category=category, is_active=False)
    client = _client(rep_a)
    # when
    first = client.get("/api/v1/products", {"category": category.pk, "active": "true", "limit": 3}).json()
    second = client.get(
        "/api/v1/products",
        {"category": category.pk, "active": "true", "limit": 3, "cursor": first["next_cursor"]},
    ).json()
    searched = client.get("/api/v1/products", {"q": "ﾊｰﾄﾞ"}).json()
    # then
    assert [p["code"] for p in first["items"]] == ["S-0", "S-1", "S-2"]
    assert [p["code"] for p in second["items"]] == ["S-3", "S-4"]
    assert second["next_cursor"] is None
    assert [p["code"] for p in searched["items"]] == ["H-1"]
    item = first["items"][0]
    assert {
        k: item[k] for k in ("unit_price", "cost", "currency", "tax_category", "category", "version")
    } == {
        "unit_price": "100000",
        "cost": "40000",
        "currency": "JPY",
        "tax_category": "standard",
        "category": {"id": category.pk, "name": "ソフト"},
        "version": 1,
    }


def test_bad_cursor_names_the_field(rep_a):
    # when
    response = _client(rep_a).get("/api/v1/products", {"cursor": "bogus"})
    # then
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("rows", [5, 30])
def test_product_list_query_count_is_constant(admin, rows, django_assert_num_queries):
    # given
    category = ProductCategoryFactory(name="部材")
    for n in range(rows):
        IndexedProductFactory(code=f"P{n:03d}", category=category, currency_id="USD" if n % 2 else "JPY")
    client = _client(admin)
    # when: session, user, the page (category and currency joined)
    with django_assert_num_queries(3):
        response = client.get("/api/v1/products", {"limit": 200})
    # then
    assert len(response.json()["items"]) == rows


def test_manager_creates_and_patches_with_the_version(manager_a):
    # given
    client = _client(manager_a)
    # when
    created = _json(
        client,
        "post",
        "/api/v1/products",
        {"code": "API-1", "name": "API商品", "unit_price": "12.50", "currency": "USD"},
    )
    pk = created.json()["id"]
    patched = _json(client, "patch", f"/api/v1/products/{pk}", {"unit_price": 13, "version": 1})
    stale = _json(client, "patch", f"/api/v1/products/{pk}", {"name": "古い版から", "version": 1})
    # then
    assert created.status_code == 201
    assert created.json()["unit_price"] == "12.50"
    assert (patched.status_code, patched.json()["unit_price"], patched.json()["version"]) == (200, "13.00", 2)
    assert stale.status_code == 409
    assert stale.json()["changed_fields"] == {"unit_price": ["12.50", "13.00"]}
    assert Product.objects.get(pk=pk).name == "API商品"


def test_invalid_input_names_the_fields(admin):
    # given
    IndexedProductFactory(code="TAKEN")
    # when
    response = _json(
        _client(admin), "post", "/api/v1/products", {"code": "TAKEN", "name": "x", "unit_price": "-5"}
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "code", "message": "商品コード「TAKEN」は既に使われています。"},
        {"field": "unit_price", "message": "0以上で入力してください。"},
    ]
    assert Product.objects.count() == 1


def test_rep_may_read_but_not_write(rep_a):
    # given
    product = IndexedProductFactory(name="読むだけ")
    client = _client(rep_a)
    # when
    read = client.get(f"/api/v1/products/{product.pk}")
    created = _json(client, "post", "/api/v1/products", {"code": "R-1", "name": "不可"})
    patched = _json(client, "patch", f"/api/v1/products/{product.pk}", {"name": "変更", "version": 1})
    deleted = client.delete(f"/api/v1/products/{product.pk}")
    # then
    assert read.status_code == 200
    assert [created.status_code, patched.status_code, deleted.status_code] == [403, 403, 403]
    product.refresh_from_db()
    assert (product.name, product.deleted_at) == ("読むだけ", None)
    assert Product.objects.count() == 1


def test_trashed_product_is_404(admin):
    # given
    product = IndexedProductFactory()
    client = _client(admin)
    # when
    deleted = client.delete(f"/api/v1/products/{product.pk}")
    # then
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/products/{product.pk}").status_code == 404


def test_price_for_a_company_quantity_and_date(rep_a):
    # given
    product = IndexedProductFactory(unit_price=Decimal("1000"))
    company = CompanyFactory(owner=rep_a, rank="A")
    price_list = PriceListFactory(name="A価格", company_rank="A", valid_from=dt.date(2026, 4, 1))
    PriceListItemFactory(
        price_list=price_list, product=product, min_quantity=Decimal(10), unit_price=Decimal("800")
    )
    client = _client(rep_a)
    url = f"/api/v1/products/{product.pk}/price"
    # when
    tier = client.get(url, {"company": company.pk, "quantity": "10", "date": "2026-04-01"}).json()
    small = client.get(url, {"company": company.pk, "quantity": "9", "date": "2026-04-01"}).json()
    early = client.get(url, {"company": company.pk, "quantity": "10", "date": "2026-03-31"}).json()
    # then
    assert tier == {
        "unit_price": "800",
        "currency": "JPY",
        "price_list": {"id": price_list.pk, "name": "A価格"},
    }
    assert small == {"unit_price": "1000", "currency": "JPY", "price_list": None}
    assert early["unit_price"] == "1000"


def test_price_for_a_company_the_user_cannot_see_is_refused(rep_a, company_of_team_b):
    # given
    product = IndexedProductFactory()
    # when
    response = _client(rep_a).get(f"/api/v1/products/{product.pk}/price", {"company": company_of_team_b.pk})
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "company", "message": "指定された取引先が見つかりません。"}
    ]


# Currencies and rates


def test_currencies_list(rep_a):
    # when
    response = _client(rep_a).get("/api/v1/currencies")
    # then
    assert [(c["code"], c["decimals"]) for c in response.json()] == [
        ("CNY", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("USD", 2),
    ]


def test_exchange_rates_by_currency_and_date_range_with_a_cursor(rep_a):
    # given
    usd, eur = Currency.objects.get(code="USD"), Currency.objects.get(code="EUR")
    for day in range(1, 6):
        ExchangeRateFactory(currency=usd, date=dt.date(2026, 4, day), rate=Decimal(150 + day))
    ExchangeRateFactory(currency=eur, currency_id="EUR", date=dt.date(2026, 4, 3), rate=Decimal("160"))
    client = _client(rep_a)
    params = {"currency": "usd", "date_from": "2026-04-02", "date_to": "2026-04-05", "limit": 3}
    # when
    first = client.get("/api/v1/exchange-rates", params).json()
    second = client.get("/api/v1/exchange-rates", {**params, "cursor": first["next_cursor"]}).json()
    # then
    assert [(r["date"], r["rate"]) for r in first["items"]] == [
        ("2026-04-05", "155"),
        ("2026-04-04", "154"),
        ("2026-04-03", "153"),
    ]
    assert [(r["currency"], r["date"]) for r in second["items"]] == [("USD", "2026-04-02")]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("rows", [5, 30])
def test_exchange_rate_list_query_count_is_constant(rep_a, rows, django_assert_num_queries):
    # given
    usd = Currency.objects.get(code="USD")
    for n in range(rows):
        ExchangeRateFactory(currency=usd, date=dt.date(2026, 1, 1) + dt.timedelta(days=n))
    client = _client(rep_a)
    # when: session, user, the page
    with django_assert_num_queries(3):
        response = client.get("/api/v1/exchange-rates", {"limit": 500})
    # then
    assert len(response.json()["items"]) == rows


def test_administrator_posts_a_rate_and_a_manager_may_not(admin, manager_a):
    # when
    created = _json(
        _client(admin),
        "post",
        "/api/v1/exchange-rates",
        {"currency": "USD", "date": "2026-04-01", "rate": "151.25"},
    )
    denied = _json(
        _client(manager_a),
        "post",
        "/api/v1/exchange-rates",
        {"currency": "USD", "date": "2026-04-02", "rate": "1"},
    )
    invalid = _json(
        _client(admin),
        "post",
        "/api/v1/exchange-rates",
        {"currency": "XYZ", "date": "2026-04-02", "rate": "1"},
    )
    # then
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("currency", "date", "rate")} == {
        "currency": "USD",
        "date": "2026-04-01",
        "rate": "151.25",
    }
    assert denied.status_code == 403
    assert invalid.json()["errors"] == [{"field": "currency", "message": "通貨「XYZ」は登録されていません。"}]
    assert list(ExchangeRate.objects.values_list("date", flat=True)) == [dt.date(2026, 4, 1)]
