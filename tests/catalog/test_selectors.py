"""Catalog reads: search by code/name/フリガナ with Japanese folding, filters, who reads what."""

import pytest
from django.http import Http404

from daifuku.catalog import selectors, services
from daifuku.catalog.selectors import ProductFilters
from tests.catalog.factories import IndexedProductFactory
from tests.factories import UserFactory
from tests.sales.factories import ProductCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    software = ProductCategoryFactory(name="ソフトウェア")
    return {
        "kaikei": IndexedProductFactory(
            code="SW-001", name="クラウド会計", name_kana="クラウドカイケイ", category=software
        ),
        "kyuyo": IndexedProductFactory(
            code="SW-002",
            name="給与計算",
            name_kana="キュウヨケイサン",
            category=software,
            tax_category="reduced",
        ),
        "hoshu": IndexedProductFactory(
            code="SV-100", name="保守サービス", name_kana="ホシュサービス", is_active=False
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SW", ["kaikei", "kyuyo"]),
        ("ｓｗ－００２", ["kyuyo"]),  # full-width code
        ("会計", ["kaikei"]),
        ("くらうど", ["kaikei"]),  # hiragana finds the katakana reading
        ("ｷｭｳﾖ", ["kyuyo"]),  # half-width kana
        ("サービス", ["hoshu"]),
        ("存在しない", []),
    ],
)
def test_search_by_code_name_and_kana(rep_a, products, query, expected):
    # when
    found = selectors.product_list(user=rep_a, filters=ProductFilters(q=query))
    # then
    assert list(found) == [products[key] for key in expected]


def test_filters_category_active_and_tax_category(rep_a, products):
    # given
    software = products["kaikei"].category
    # when
    in_category = selectors.product_list(user=rep_a, filters=ProductFilters(category=software.pk))
    on_sale = selectors.product_list(user=rep_a, filters=ProductFilters(active="1"))
    discontinued = selectors.product_list(user=rep_a, filters=ProductFilters(active="0"))
    reduced = selectors.product_list(user=rep_a, filters=ProductFilters(tax_category="reduced"))
    # then
    assert list(in_category) == [products["kaikei"], products["kyuyo"]]
    assert list(on_sale) == [products["kaikei"], products["kyuyo"]]
    assert list(discontinued) == [products["hoshu"]]
    assert list(reduced) == [products["kyuyo"]]


def test_sorts(rep_a, products):
    # when
    by_code_desc = selectors.product_list(user=rep_a, sort="-code")
    # then
    assert list(by_code_desc) == [products["kyuyo"], products["kaikei"], products["hoshu"]]


def test_every_signed_in_user_reads_products_but_not_an_inactive_account(rep_b, products):
    # given
    gone = UserFactory(role="sales_rep", is_active=False)
    # then
    assert selectors.product_list(user=rep_b).count() == 3
    assert selectors.product_list(user=gone).count() == 0
    with pytest.raises(Http404):
        selectors.product_get(user=gone, pk=products["kaikei"].pk)


def test_trashed_product_is_missing_except_to_an_administrator_who_asks(admin, rep_a, products):
    # given
    product = products["kaikei"]
    services.product_delete(product=product, by=admin)
    # then
    with pytest.raises(Http404):
        selectors.product_get(user=rep_a, pk=product.pk, include_deleted=True)
    with pytest.raises(Http404):
        selectors.product_get(user=admin, pk=product.pk)
    assert selectors.product_get(user=admin, pk=product.pk, include_deleted=True) == product


def test_product_choices_offer_products_on_sale_only(rep_a, products):
    # when
    choices = selectors.product_choices(user=rep_a, q="s")
    # then
    assert choices == [products["kaikei"], products["kyuyo"]]
    assert selectors.product_choices(user=rep_a, q="") == []


def test_who_edits_the_catalog_and_the_currencies(admin, manager_a, rep_a):
    # then
    assert [selectors.can_edit_catalog(u) for u in (admin, manager_a, rep_a)] == [True, True, False]
    assert [selectors.can_edit_currencies(u) for u in (admin, manager_a, rep_a)] == [True, False, False]


def test_product_get_joins_the_trashing_user_only_for_a_trashed_product(admin, django_assert_num_queries):
    # given
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product = IndexedProductFactory()
    # when: a live product
    with CaptureQueriesContext(connection) as live:
        found = selectors.product_get(user=admin, pk=product.pk)
    # then
    assert 'ON ("catalog_product"."deleted_by_id"' not in live.captured_queries[-1]["sql"]
    with django_assert_num_queries(0):
        assert found.deleted_by is None
    # when: from the trash
    services.product_delete(product=found, by=admin)
    with CaptureQueriesContext(connection) as trashed:
        found = selectors.product_get(user=admin, pk=product.pk, include_deleted=True)
    # then
    assert 'ON ("catalog_product"."deleted_by_id"' in trashed.captured_queries[-1]["sql"]
    with django_assert_num_queries(0):
        assert found.deleted_by == admin
