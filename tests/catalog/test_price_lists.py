"""Price lists: which price applies (rank or named company, tiers, dates, currency) and their edits."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from daifuku.catalog import services
from daifuku.catalog.models import PriceList, PriceListItem
from daifuku.catalog.selectors import price_choice, price_for
from daifuku.core.models import AuditEntry
from tests.catalog.factories import PriceListFactory, PriceListItemFactory
from tests.factories import CompanyFactory
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 1)


@pytest.fixture
def product():
    return ProductFactory(code="P-1", unit_price=Decimal("100000"))


@pytest.fixture
def rank_a_company(rep_a):
    return CompanyFactory(owner=rep_a, rank="A")


def test_without_a_price_list_the_unit_price_applies(product, rank_a_company):
    # then
    assert price_for(product=product, company=rank_a_company, quantity=Decimal(1), day=DAY) == Decimal(
        "100000"
    )
    assert price_for(product=product, company=None, quantity=Decimal(1), day=DAY) == Decimal("100000")


def test_rank_price_list_with_quantity_tiers(product, rank_a_company, rep_a):
    # given
    rank_a = PriceListFactory(name="Aランク", company_rank="A")
    PriceListItemFactory(
        price_list=rank_a, product=product, min_quantity=Decimal(1), unit_price=Decimal("95000")
    )
    PriceListItemFactory(
        price_list=rank_a, product=product, min_quantity=Decimal(10), unit_price=Decimal("90000")
    )
    PriceListItemFactory(
        price_list=rank_a, product=product, min_quantity=Decimal(50), unit_price=Decimal("85000")
    )
    rank_b_company = CompanyFactory(owner=rep_a, rank="B")
    # when
    prices = [
        price_for(product=product, company=rank_a_company, quantity=Decimal(q), day=DAY)
        for q in ("1", "9.5", "10", "49", "50", "1000")
    ]
    # then
    assert prices == [
        Decimal("95000"),
        Decimal("95000"),
        Decimal("90000"),
        Decimal("90000"),
        Decimal("85000"),
        Decimal("85000"),
    ]
    assert price_for(product=product, company=rank_b_company, quantity=Decimal(10), day=DAY) == Decimal(
        "100000"
    )


def test_named_company_list_and_the_lowest_price_wins(product, rank_a_company, rep_a):
    # given
    rank_a = PriceListFactory(name="Aランク", company_rank="A")
    PriceListItemFactory(price_list=rank_a, product=product, unit_price=Decimal("95000"))
    special = PriceListFactory(name="特約", company_rank="", companies=[rank_a_company])
    PriceListItemFactory(price_list=special, product=product, unit_price=Decimal("88000"))
    other = CompanyFactory(owner=rep_a, rank="")
    # when
    choice = price_choice(product=product, company=rank_a_company, quantity=Decimal(1), day=DAY)
    # then
    assert (choice.unit_price, choice.price_list) == (Decimal("88000"), special)
    assert price_for(product=product, company=other, quantity=Decimal(1), day=DAY) == Decimal("100000")


def test_validity_dates_and_inactive_lists(product, rank_a_company):
    # given
    summer = PriceListFactory(valid_from=dt.date(2026, 7, 1), valid_until=dt.date(2026, 8, 31))
    PriceListItemFactory(price_list=summer, product=product, unit_price=Decimal("80000"))
    paused = PriceListFactory(is_active=False)
    PriceListItemFactory(price_list=paused, product=product, unit_price=Decimal("70000"))
    # when
    prices = [
        price_for(product=product, company=rank_a_company, quantity=Decimal(1), day=day)
        for day in (dt.date(2026, 6, 30), dt.date(2026, 7, 1), dt.date(2026, 8, 31), dt.date(2026, 9, 1))
    ]
    # then
    assert prices == [Decimal("100000"), Decimal("80000"), Decimal("80000"), Decimal("100000")]


def test_a_list_in_another_currency_does_not_apply(rank_a_company):
    # given
    product = ProductFactory(unit_price=Decimal("120.00"), currency_id="USD")
    yen_list = PriceListFactory(currency_id="JPY")
    PriceListItemFactory(price_list=yen_list, product=product, unit_price=Decimal("1"))
    dollar_list = PriceListFactory(currency_id="USD")
    PriceListItemFactory(price_list=dollar_list, product=product, unit_price=Decimal("99.50"))
    # then
    assert price_for(product=product, company=rank_a_company, quantity=Decimal(1), day=DAY) == Decimal(
        "99.50"
    )


def test_price_for_uses_one_query(product, rank_a_company, django_assert_num_queries):
    # given
    PriceListItemFactory(price_list=PriceListFactory(), product=product, unit_price=Decimal("95000"))
    # then
    with django_assert_num_queries(1):
        price_for(product=product, company=rank_a_company, quantity=Decimal(1), day=DAY)


# Services


def test_manager_creates_a_price_list_and_sets_tiers(manager_a, product, rank_a_company):
    # when
    price_list = services.price_list_create(
        by=manager_a,
        data={
            "name": "代理店価格",
            "company_rank": "B",
            "valid_from": "2026-04-01",
            "valid_until": "2027-03-31",
        },
    )
    services.price_list_item_set(
        price_list=price_list,
        by=manager_a,
        data={"product": product.pk, "min_quantity": "10", "unit_price": "90,000"},
    )
    services.price_list_item_set(
        price_list=price_list,
        by=manager_a,
        data={"product": product.pk, "min_quantity": "10", "unit_price": "89000"},
    )
    # then
    item = price_list.items.get()
    assert (item.min_quantity, item.unit_price) == (Decimal("10"), Decimal("89000"))
    entries = AuditEntry.objects.filter(object_type="catalog.pricelist", object_id=price_list.pk).order_by(
        "id"
    )
    assert [(e.action, e.changes) for e in entries][1:] == [
        ("item_set", {"P-1 ≥10": [None, "90000.00"]}),
        ("item_set", {"P-1 ≥10": ["90000.00", "89000.00"]}),
    ]
    assert entries[0].changes["company_rank"] == [None, "B"]


def test_price_list_input_errors_name_the_fields(admin, product):
    # given
    PriceListFactory(name="既存")
    # when
    with pytest.raises(ValidationError) as error:
        services.price_list_create(
            by=admin,
            data={
                "name": "既存",
                "company_rank": "Z",
                "valid_from": "2026-05-01",
                "valid_until": "2026-04-01",
            },
        )
    # then
    assert error.value.message_dict == {
        "name": ["価格表「既存」は既にあります。"],
        "company_rank": ["選択肢にない値です。"],
        "valid_until": ["適用終了日は適用開始日以降にしてください。"],
    }
    assert PriceList.objects.count() == 1


def test_item_errors_name_the_fields(admin):
    # given
    price_list = PriceListFactory(currency_id="JPY")
    dollar_product = ProductFactory(code="USD-1", currency_id="USD")
    # when
    with pytest.raises(ValidationError) as error:
        services.price_list_item_set(
            price_list=price_list,
            by=admin,
            data={"product": dollar_product.pk, "min_quantity": "0", "unit_price": "1.5"},
        )
    # then
    assert error.value.message_dict == {
        "product": ["商品の通貨（USD）と価格表の通貨（JPY）が違います。"],
        "min_quantity": ["0より大きい数量を入力してください。"],
        "unit_price": ["小数点以下は0桁までです。"],
    }
    assert not PriceListItem.objects.exists()


def test_named_companies_must_be_visible_to_the_editor(manager_a, company_of_team_b, company_of_rep_a):
    # when
    with pytest.raises(ValidationError) as error:
        services.price_list_create(by=manager_a, data={"name": "特約", "companies": [company_of_team_b.pk]})
    price_list = services.price_list_create(
        by=manager_a, data={"name": "特約", "companies": [company_of_rep_a.pk]}
    )
    # then
    assert error.value.message_dict == {"companies": ["指定された取引先が見つかりません。"]}
    assert list(price_list.companies.all()) == [company_of_rep_a]


def test_companies_the_editor_cannot_see_stay_on_the_list(
    admin, manager_a, company_of_team_b, company_of_rep_a
):
    # given
    price_list = services.price_list_create(
        by=admin, data={"name": "特約", "companies": [company_of_team_b.pk]}
    )
    # when
    services.price_list_update(price_list=price_list, by=manager_a, data={"companies": [company_of_rep_a.pk]})
    # then
    assert set(price_list.companies.all()) == {company_of_rep_a, company_of_team_b}


def test_rep_may_not_change_price_lists(rep_a, product):
    # given
    price_list = PriceListFactory()
    item = PriceListItemFactory(price_list=price_list, product=product, unit_price=Decimal("95000"))
    # when
    with pytest.raises(PermissionDenied):
        services.price_list_item_set(
            price_list=price_list, by=rep_a, data={"product": product.pk, "unit_price": "1"}
        )
    with pytest.raises(PermissionDenied):
        services.price_list_item_delete(item=item, by=rep_a)
    with pytest.raises(PermissionDenied):
        services.price_list_delete(price_list=price_list, by=rep_a)
    # then
    item.refresh_from_db()
    assert item.unit_price == Decimal("95000")
    assert not AuditEntry.objects.filter(object_type="catalog.pricelist").exists()


def test_deleting_a_price_list_records_its_prices(admin, product):
    # given
    price_list = PriceListFactory(name="廃止予定")
    PriceListItemFactory(
        price_list=price_list, product=product, min_quantity=Decimal(5), unit_price=Decimal("97000")
    )
    pk = price_list.pk
    # when
    services.price_list_delete(price_list=price_list, by=admin)
    # then
    assert not PriceList.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(object_type="catalog.pricelist", object_id=pk, action="delete")
    assert entry.changes["P-1 ≥5"] == ["97000.00", None]
    assert entry.changes["name"] == ["廃止予定", None]
