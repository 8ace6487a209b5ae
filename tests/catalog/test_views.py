"""Catalog and currency pages: lists with a fixed number of queries, forms with field errors, who may edit."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from daifuku.catalog import services
from daifuku.catalog.models import PriceList, Product, ProductCategory
from daifuku.core.models import AuditEntry, Currency, ExchangeRate
from tests.catalog.factories import IndexedProductFactory, PriceListFactory, PriceListItemFactory
from tests.factories import UserFactory
from tests.imports.helpers import csv_bytes
from tests.sales.factories import ExchangeRateFactory, ProductCategoryFactory

pytestmark = pytest.mark.django_db


def _rows(html):
    return [int(pk) for pk in re.findall(r'data-product-id="(\d+)"', html)]


# Product list


def test_rep_reads_the_product_list_with_filters_but_gets_no_edit_buttons(client, rep_a):
    # given
    software = ProductCategoryFactory(name="ソフトウェア")
    a = IndexedProductFactory(code="SW-1", name="会計ソフト", category=software)
    IndexedProductFactory(code="SW-2", name="給与ソフト", category=software, is_active=False)
    IndexedProductFactory(code="HW-1", name="サーバー")
    client.force_login(rep_a)
    # when
    response = client.get(reverse("catalog:product_list"), {"q": "ソフト", "active": "1"})
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert _rows(html) == [a.pk]
    assert 'data-total="1"' in html
    assert reverse("catalog:product_create") not in html


def test_htmx_request_gets_only_the_table(client, rep_a):
    # given
    IndexedProductFactory(code="A")
    client.force_login(rep_a)
    # when
    response = client.get(reverse("catalog:product_list"), HTTP_HX_REQUEST="true")
    # then
    html = response.content.decode()
    assert "<html" not in html
    assert "data-product-table" in html


@pytest.mark.parametrize("rows", [5, 30])
def test_product_list_query_count_does_not_grow_with_rows(
    client, settings, admin, rows, django_assert_num_queries
):
    # given: more rows than a page
    settings.DAIFUKU_PAGE_SIZE = 4
    category = ProductCategoryFactory(name="部材")
    for n in range(rows):
        IndexedProductFactory(code=f"P{n:03d}", category=category, currency_id="USD" if n % 2 else "JPY")
    client.force_login(admin)
    client.get(reverse("catalog:product_list"))  # warm the session
    # when: session, user, categories (filter), the page, its count, role (menu), unread notifications
    with django_assert_num_queries(7):
        response = client.get(reverse("catalog:product_list"), {"category": category.pk})
    # then
    assert len(_rows(response.content.decode())) == 4
    assert f'data-total="{rows}"' in response.content.decode()


# Product detail and forms


def test_detail_shows_prices_and_history(client, manager_a):
    # given
    product = services.product_create(
        by=manager_a, data={"code": "D-1", "name": "詳細テスト", "unit_price": "5000", "unit": "個"}
    )
    services.product_update(product=product, by=manager_a, data={"unit_price": "5500"})
    PriceListItemFactory(
        price_list=PriceListFactory(name="Aランク価格"), product=product, unit_price=Decimal("5200")
    )
    client.force_login(manager_a)
    # when
    html = client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode()
    # then
    assert "5,500 JPY / 個" in html
    assert "Aランク価格" in html
    assert html.count('data-audit-action="') == 2
    assert "単価</span>: 5000.00 → 5500.00" in html
    assert reverse("catalog:product_edit", args=[product.pk]) in html


def test_create_form_shows_the_code_error_and_keeps_the_input(client, manager_a):
    # given
    IndexedProductFactory(code="DUP")
    client.force_login(manager_a)
    # when
    data = {"code": "DUP", "name": "新しい商品", "currency": "JPY", "unit_price": "1000",
            "tax_category": "standard", "billing_type": "lump_sum", "is_active": "on"}  # fmt: skip
    response = client.post(reverse("catalog:product_create"), data)
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "商品コード「DUP」は既に使われています。" in html
    assert 'value="新しい商品"' in html
    assert Product.objects.count() == 1


def test_create_then_edit_with_the_version(client, manager_a):
    # given
    client.force_login(manager_a)
    data = {"code": "N-1", "name": "新商品", "currency": "USD", "unit_price": "12.50", "cost": "",
            "tax_category": "reduced", "billing_type": "lump_sum", "is_active": "on",
            "unit": "kg"}  # fmt: skip
    # when
    created = client.post(reverse("catalog:product_create"), data)
    product = Product.objects.get(code="N-1")
    edited = client.post(
        reverse("catalog:product_edit", args=[product.pk]), {**data, "name": "改名", "version": "1"}
    )
    # then
    assert created.status_code == 302
    assert edited.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.unit_price, product.currency_id, product.unit, product.version) == (
        "改名",
        Decimal("12.50"),
        "USD",
        "kg",
        2,
    )


def test_edit_over_a_newer_version_shows_the_conflict(client, admin, manager_a):
    # given
    product = IndexedProductFactory(name="元", unit_price=Decimal("100"))
    services.product_update(product=product, by=admin, data={"unit_price": "200"})
    client.force_login(manager_a)
    data = {"code": product.code, "name": "私の変更", "currency": "JPY", "unit_price": "100",
            "tax_category": "standard", "billing_type": "lump_sum", "version": "1"}  # fmt: skip
    # when
    response = client.post(reverse("catalog:product_edit", args=[product.pk]), data)
    # then
    html = response.content.decode()
    assert "data-version-conflict" in html
    assert "単価</span>: 100.00 → 200.00" in html
    product.refresh_from_db()
    assert product.name == "元"


def test_rep_gets_403_on_edit_pages_and_nothing_changes(client, rep_a):
    # given
    product = IndexedProductFactory(name="変えない")
    client.force_login(rep_a)
    # when
    responses = [
        client.get(reverse("catalog:product_create")),
        client.post(reverse("catalog:product_edit", args=[product.pk]), {"name": "x"}),
        client.post(reverse("catalog:product_set_active", args=[product.pk]), {"active": "0"}),
        client.post(reverse("catalog:product_delete", args=[product.pk])),
        client.post(reverse("catalog:category_list"), {"action": "create", "name": "勝手"}),
    ]
    # then
    assert [r.status_code for r in responses] == [403, 403, 403, 403, 403]
    product.refresh_from_db()
    assert (product.name, product.is_active, product.deleted_at) == ("変えない", True, None)
    assert not ProductCategory.objects.exists()


def test_deactivate_and_trash_from_the_pages(client, admin):
    # given
    product = IndexedProductFactory()
    client.force_login(admin)
    # when
    client.post(reverse("catalog:product_set_active", args=[product.pk]), {"active": "0", "version": "1"})
    client.post(reverse("catalog:product_delete", args=[product.pk]))
    trash = client.get(reverse("catalog:product_trash")).content.decode()
    # then
    product.refresh_from_db()
    assert (product.is_active, product.deleted_at is not None) == (False, True)
    assert f'data-product-id="{product.pk}"' in trash


def test_trashed_product_is_404_for_a_rep(client, admin, rep_a):
    # given
    product = IndexedProductFactory()
    services.product_delete(product=product, by=admin)
    client.force_login(rep_a)
    # then
    assert client.get(reverse("catalog:product_detail", args=[product.pk])).status_code == 404


# Categories and price lists


def test_category_inline_add_rename_and_refused_delete(client, manager_a):
    # given
    used = ProductCategoryFactory(name="使用中")
    IndexedProductFactory(category=used)
    client.force_login(manager_a)
    # when
    client.post(reverse("catalog:category_list"), {"action": "create", "name": "新分類", "sort_order": "3"})
    client.post(reverse("catalog:category_list"), {"action": "update", "pk": used.pk, "name": "改名分類"})
    refused = client.post(reverse("catalog:category_list"), {"action": "delete", "pk": used.pk})
    # then
    assert refused.status_code == 422
    assert "分類「改名分類」は 1 件の商品で使われているため削除できません。" in refused.content.decode()
    assert sorted(ProductCategory.objects.values_list("name", "sort_order")) == [
        ("改名分類", 0),
        ("新分類", 3),
    ]


def test_price_list_create_and_set_an_item_by_code(client, manager_a, company_of_rep_a):
    # given
    product = IndexedProductFactory(code="PL-1", unit_price=Decimal("1000"))
    client.force_login(manager_a)
    # when
    created = client.post(
        reverse("catalog:price_list_list"), {"name": "特約価格", "currency": "JPY", "is_active": "on"}
    )
    price_list = PriceList.objects.get()
    url = reverse("catalog:price_list_detail", args=[price_list.pk])
    client.post(url, {"action": "item_set", "product": "PL-1", "min_quantity": "10", "unit_price": "900"})
    missing = client.post(
        url, {"action": "item_set", "product": "NOPE", "min_quantity": "1", "unit_price": "1"}
    )
    client.post(url, {"action": "company_add", "company": company_of_rep_a.pk})
    page = client.get(url).content.decode()
    # then
    assert created.status_code == 302
    assert "商品コード「NOPE」の商品が見つかりません。" in missing.content.decode()
    item = price_list.items.get()
    assert (item.product, item.min_quantity, item.unit_price) == (product, Decimal("10"), Decimal("900"))
    assert list(price_list.companies.all()) == [company_of_rep_a]
    assert company_of_rep_a.display_name in page


def test_rep_reads_price_lists_without_forms(client, rep_a):
    # given
    price_list = PriceListFactory(name="閲覧用")
    client.force_login(rep_a)
    # when
    html = client.get(reverse("catalog:price_list_detail", args=[price_list.pk])).content.decode()
    denied = client.post(reverse("catalog:price_list_detail", args=[price_list.pk]), {"action": "delete"})
    # then
    assert "閲覧用" in html
    assert "data-item-form" not in html
    assert denied.status_code == 403
    assert PriceList.objects.filter(pk=price_list.pk).exists()


# Currencies


def test_currency_page_and_rate_entry(client, admin):
    # given
    client.force_login(admin)
    # when
    client.post(
        reverse("catalog:currency_list"),
        {"action": "create", "code": "gbp", "name": "英ポンド", "decimals": "2"},
    )
    client.post(reverse("catalog:currency_detail", args=["GBP"]), {"date": "2026-04-01", "rate": "190.5"})
    bad = client.post(reverse("catalog:currency_detail", args=["GBP"]), {"date": "2026-04-02", "rate": "-1"})
    page = client.get(reverse("catalog:currency_detail", args=["GBP"])).content.decode()
    listing = client.get(reverse("catalog:currency_list")).content.decode()
    # then
    assert bad.status_code == 422
    assert "0より大きい数値を入力してください。" in bad.content.decode()
    assert list(ExchangeRate.objects.values_list("currency_id", "rate")) == [("GBP", Decimal("190.5"))]
    assert "2026-04-01" in page and "190.5" in page
    assert page.count('data-audit-action="') == 2  # the currency's creation and the rate
    assert 'data-currency="GBP"' in listing


def test_rate_delete_from_the_page_is_audited(client, admin):
    # given
    rate = services.exchange_rate_set(by=admin, data={"currency": "USD", "date": "2026-04-01", "rate": "150"})
    client.force_login(admin)
    # when
    client.post(reverse("catalog:currency_detail", args=["USD"]), {"action": "delete", "rate": rate.pk})
    # then
    assert not ExchangeRate.objects.exists()
    assert AuditEntry.objects.filter(object_type="core.exchangerate", action="delete").count() == 1


def test_manager_reads_currencies_but_may_not_change_them(client, manager_a):
    # given
    client.force_login(manager_a)
    # when
    page = client.get(reverse("catalog:currency_list"))
    denied = client.post(reverse("catalog:currency_list"), {"action": "deactivate", "code": "USD"})
    import_page = client.get(reverse("catalog:rate_import"))
    # then
    assert page.status_code == 200
    assert "data-currency-form" not in page.content.decode()
    assert (denied.status_code, import_page.status_code) == (403, 403)
    assert Currency.objects.get(code="USD").is_active is True


def test_rate_csv_upload_lists_the_rows_it_did_not_save(client, admin):
    # given
    content = csv_bytes(
        [["日付", "通貨", "レート"], ["2026-04-01", "USD", "150"], ["2026-04-02", "USD", "x"]], "cp932"
    )
    client.force_login(admin)
    # when
    response = client.post(
        reverse("catalog:rate_import"), {"file": SimpleUploadedFile("rates.csv", content, "text/csv")}
    )
    # then
    html = response.content.decode()
    assert "新規 1件、更新 0件、変更なし 0件を保存しました。" in html
    assert "<td>3</td><td>レート</td><td>数値を入力してください。</td>" in html
    assert ExchangeRate.objects.count() == 1


def test_currency_nav_entry_is_for_administrators_only(client, admin, rep_a):
    # when
    client.force_login(rep_a)
    rep_page = client.get(reverse("catalog:product_list")).content.decode()
    client.force_login(admin)
    admin_page = client.get(reverse("catalog:product_list")).content.decode()
    # then
    assert reverse("catalog:currency_list") not in rep_page
    assert reverse("catalog:currency_list") in admin_page


# English


# Data rather than UI: the seeded currencies' names and symbol, and the CSV headers the rate import reads.
DATA_WORDS = {"日本円", "米ドル", "ユーロ", "人民元", "元", "日付", "通貨", "レート"}


def test_product_pages_render_in_english(client):
    # given
    english = UserFactory(
        username="ellen", role="administrator", language="en", last_name="Baker", first_name="Ellen"
    )
    category = ProductCategoryFactory(name="Software")
    product = services.product_create(
        by=english,
        data={
            "code": "EN-1",
            "name": "Accounting Suite",
            "unit": "set",
            "unit_price": "1000",
            "category": category.pk,
        },
    )
    services.product_set_active(product=product, by=english, active=False)
    price_list = PriceListFactory(name="Rank A")
    PriceListItemFactory(price_list=price_list, product=product, unit_price=Decimal("900"))
    services.exchange_rate_set(by=english, data={"currency": "USD", "date": "2026-04-01", "rate": "150"})
    client.force_login(english)
    # when
    pages = [
        client.get(reverse("catalog:product_list")).content.decode(),
        client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode(),
        client.get(reverse("catalog:product_edit", args=[product.pk])).content.decode(),
        client.get(reverse("catalog:category_list")).content.decode(),
        client.get(reverse("catalog:price_list_list")).content.decode(),
        client.get(reverse("catalog:currency_list")).content.decode(),
        client.get(reverse("catalog:price_list_detail", args=[price_list.pk])).content.decode(),
        client.get(reverse("catalog:currency_detail", args=["USD"])).content.decode(),
        client.get(reverse("catalog:rate_import")).content.decode(),
        client.get(reverse("catalog:product_create")).content.decode(),
        client.get(reverse("catalog:product_trash")).content.decode(),
        client.get(reverse("catalog:product_delete", args=[product.pk])).content.decode(),
    ]
    # then
    from tests.web.test_i18n import japanese_left

    for html in pages:
        leftover = [w for w in japanese_left(html) if w not in DATA_WORDS]
        assert leftover == []
    assert "Discontinued" in pages[0] and "Product code" in pages[0]
    assert "History" in pages[1] and "Price list prices" in pages[1]


# Query counts of the other list pages


def _fill(rows):
    usd = Currency.objects.get(code="USD")
    for n in range(rows):
        category = ProductCategoryFactory(name=f"分類{n}")
        product = IndexedProductFactory(code=f"Q{n:03d}", category=category)
        price_list = PriceListFactory(name=f"価格表{n}")
        PriceListItemFactory(price_list=price_list, product=product)
        ExchangeRateFactory(currency=usd, date=dt.date(2026, 1, 1) + dt.timedelta(days=n))
    return price_list


@pytest.mark.parametrize("rows", [5, 30])
def test_other_list_pages_query_counts_do_not_grow_with_rows(client, admin, rows, django_assert_num_queries):
    # given
    price_list = _fill(rows)
    for n in range(rows):
        PriceListItemFactory(price_list=price_list, product=IndexedProductFactory(code=f"R{n:03d}"))
    client.force_login(admin)
    client.get(reverse("catalog:category_list"))  # warm the session
    pages = {
        "catalog:category_list": ([], 4),
        "catalog:price_list_list": ([], 5),
        "catalog:price_list_detail": ([price_list.pk], 12),
        "catalog:currency_list": ([], 4),
        "catalog:currency_detail": (["USD"], 6),
    }
    for name, (args, expected) in pages.items():
        # when
        with django_assert_num_queries(expected):
            response = client.get(reverse(name, args=args))
        # then
        assert response.status_code == 200
