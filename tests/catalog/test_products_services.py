"""Product services: validation with field messages, who may change products, versions, audit, trash."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from daifuku.catalog import selectors, services
from daifuku.catalog.models import Product, ProductCategory
from daifuku.core.models import AuditEntry, SearchDocument
from daifuku.core.services import VersionConflict
from tests.catalog.factories import IndexedProductFactory
from tests.sales.factories import ProductCategoryFactory

pytestmark = pytest.mark.django_db


def _audit(obj, action=None):
    entries = AuditEntry.objects.filter(object_type="catalog.product", object_id=obj.pk)
    return entries.filter(action=action) if action else entries


def test_manager_registers_a_product_with_normalized_values(manager_a):
    # given
    category = ProductCategoryFactory(name="ソフトウェア")
    data = {
        "code": "ＳＷ－００１",
        "name": "ｸﾗｳﾄﾞ会計 年間ライセンス",
        "name_kana": "くらうどかいけい",
        "category": str(category.pk),
        "unit": "式",
        "unit_price": "１２０,０００",
        "cost": "30000",
        "tax_category": "standard",
        "billing_type": "monthly",
        "is_service": "on",
    }
    # when
    product = services.product_create(by=manager_a, data=data)
    # then
    product.refresh_from_db()
    assert (product.code, product.name, product.name_kana) == (
        "SW-001",
        "クラウド会計 年間ライセンス",
        "クラウドカイケイ",
    )
    assert (product.unit_price, product.cost, product.currency_id) == (
        Decimal("120000"),
        Decimal("30000"),
        "JPY",
    )
    assert (product.category, product.unit, product.is_service, product.billing_type) == (
        category,
        "式",
        True,
        "monthly",
    )
    assert product.is_active is True
    entry = _audit(product, "create").get()
    assert entry.actor == manager_a
    assert entry.changes["code"] == [None, "SW-001"]
    assert entry.changes["unit_price"] == [None, "120000.00"]
    assert SearchDocument.objects.filter(object_type="product", object_id=product.pk).exists()


def test_taken_code_is_refused_naming_the_product_code(admin):
    # given
    IndexedProductFactory(code="P-100")
    # when
    with pytest.raises(ValidationError) as error:
        services.product_create(by=admin, data={"code": "P-100", "name": "別の商品", "unit_price": "1"})
    # then
    assert error.value.message_dict == {"code": ["商品コード「P-100」は既に使われています。"]}
    assert Product.objects.count() == 1


def test_code_of_a_trashed_product_is_refused_with_a_hint(admin):
    # given
    product = IndexedProductFactory(code="OLD-1")
    services.product_delete(product=product, by=admin)
    # when
    with pytest.raises(ValidationError) as error:
        services.product_create(by=admin, data={"code": "OLD-1", "name": "新商品", "unit_price": "1"})
    # then
    assert error.value.message_dict == {"code": ["商品コード「OLD-1」はごみ箱の商品で使われています。"]}


def test_every_bad_field_is_named(admin):
    # when
    with pytest.raises(ValidationError) as error:
        services.product_create(
            by=admin,
            data={"code": "", "name": "", "unit_price": "-1", "cost": "abc", "tax_category": "luxury"},
        )
    # then
    assert error.value.message_dict == {
        "code": ["入力してください。"],
        "name": ["入力してください。"],
        "unit_price": ["0以上で入力してください。"],
        "cost": ["数値を入力してください。"],
        "tax_category": ["選択肢にない値です。"],
    }
    assert not Product.objects.exists()


def test_decimals_follow_the_currency(admin):
    # when: yen have no minor unit
    with pytest.raises(ValidationError) as yen_error:
        services.product_create(by=admin, data={"code": "A", "name": "円の商品", "unit_price": "100.5"})
    with pytest.raises(ValidationError) as dollar_error:
        services.product_create(
            by=admin, data={"code": "B", "name": "ドルの商品", "unit_price": "12.345", "currency": "USD"}
        )
    dollar = services.product_create(
        by=admin, data={"code": "C", "name": "ドルの商品", "unit_price": "12.34", "currency": "usd"}
    )
    # then
    assert yen_error.value.message_dict == {"unit_price": ["小数点以下は0桁までです。"]}
    assert dollar_error.value.message_dict == {"unit_price": ["小数点以下は2桁までです。"]}
    dollar.refresh_from_db()
    assert (dollar.unit_price, dollar.currency_id) == (Decimal("12.34"), "USD")


def test_switching_to_a_currency_without_cents_refuses_a_price_with_cents(admin):
    # given
    product = IndexedProductFactory(currency_id="USD", unit_price=Decimal("12.50"), cost=Decimal("3"))
    # when
    with pytest.raises(ValidationError) as error:
        services.product_update(product=product, by=admin, data={"currency": "JPY"})
    # then
    assert error.value.message_dict == {"unit_price": ["小数点以下は0桁までです。"]}
    product.refresh_from_db()
    assert product.currency_id == "USD"


def test_update_is_audited_field_by_field_and_bumps_the_version(manager_a):
    # given
    product = IndexedProductFactory(name="保守サービス", unit_price=Decimal("10000"))
    # when
    services.product_update(
        product=product, by=manager_a, data={"unit_price": "12000", "tax_category": "reduced"}, seen_version=1
    )
    # then
    product.refresh_from_db()
    assert (product.unit_price, product.tax_category, product.version) == (Decimal("12000"), "reduced", 2)
    entry = _audit(product, "update").get()
    assert entry.changes == {"tax_category": ["standard", "reduced"], "unit_price": ["10000.00", "12000.00"]}
    assert entry.version == 2


def test_unchanged_input_writes_nothing(admin):
    # given
    product = IndexedProductFactory(name="同じ商品")
    # when
    services.product_update(product=product, by=admin, data={"name": "同じ商品"})
    # then
    product.refresh_from_db()
    assert product.version == 1
    assert not _audit(product).exists()


def test_stale_version_is_refused_with_what_changed(admin, manager_a):
    # given
    product = IndexedProductFactory(unit_price=Decimal("5000"))
    services.product_update(product=product, by=manager_a, data={"unit_price": "6000"}, seen_version=1)
    # when
    with pytest.raises(VersionConflict) as conflict:
        services.product_update(product=product, by=admin, data={"name": "改名"}, seen_version=1)
    # then
    assert conflict.value.changed_fields == {"unit_price": ["5000.00", "6000.00"]}
    product.refresh_from_db()
    assert product.name != "改名"


def test_rep_may_not_create_change_or_trash_products(rep_a):
    # given
    product = IndexedProductFactory(name="元の名前", unit_price=Decimal("1000"))
    # when
    with pytest.raises(PermissionDenied):
        services.product_create(by=rep_a, data={"code": "X", "name": "勝手な商品", "unit_price": "1"})
    with pytest.raises(PermissionDenied):
        services.product_update(product=product, by=rep_a, data={"unit_price": "1"})
    with pytest.raises(PermissionDenied):
        services.product_delete(product=product, by=rep_a)
    # then
    product.refresh_from_db()
    assert (product.name, product.unit_price, product.deleted_at, product.version) == (
        "元の名前",
        Decimal("1000"),
        None,
        1,
    )
    assert Product.objects.count() == 1
    assert not AuditEntry.objects.filter(object_type="catalog.product").exists()


def test_deactivate_and_activate_are_audited(manager_a):
    # given
    product = IndexedProductFactory()
    # when
    services.product_set_active(product=product, by=manager_a, active=False, seen_version=1)
    services.product_set_active(product=product, by=manager_a, active=True, seen_version=2)
    # then
    product.refresh_from_db()
    assert (product.is_active, product.version) == (True, 3)
    changes = [e.changes for e in _audit(product, "update").order_by("id")]
    assert changes == [{"is_active": [True, False]}, {"is_active": [False, True]}]


def test_trash_hides_the_product_and_an_administrator_restores_it(admin, rep_a):
    # given
    product = IndexedProductFactory(code="T-1", name="ごみ箱テスト")
    # when
    services.product_delete(product=product, by=admin)
    # then
    assert not selectors.product_list(user=rep_a).filter(pk=product.pk).exists()
    assert not SearchDocument.objects.filter(object_type="product", object_id=product.pk).exists()
    assert list(selectors.product_trash(user=admin)) == [Product.objects.get(pk=product.pk)]
    # when
    services.product_restore(product=product, by=admin)
    # then
    assert list(selectors.product_list(user=rep_a, filters=selectors.ProductFilters(q="ごみ箱"))) == [product]
    assert [e.action for e in _audit(product).order_by("id")] == ["delete", "restore"]


def test_trashed_product_cannot_be_edited(admin):
    # given
    product = IndexedProductFactory()
    services.product_delete(product=product, by=admin)
    # when
    with pytest.raises(ValidationError) as error:
        services.product_update(product=product, by=admin, data={"name": "x"})
    # then
    assert error.value.message_dict == {"__all__": ["ごみ箱の商品は編集できません。先に復元してください。"]}


# Categories


def test_category_create_rename_and_delete_are_audited(manager_a):
    # when
    category = services.category_create(by=manager_a, data={"name": "ハードウェア", "sort_order": "2"})
    services.category_update(category=category, by=manager_a, data={"name": "機器"})
    services.category_delete(category=category, by=manager_a)
    # then
    assert not ProductCategory.objects.exists()
    entries = AuditEntry.objects.filter(object_type="catalog.productcategory").order_by("id")
    assert [(e.action, e.changes) for e in entries] == [
        ("create", {"name": [None, "ハードウェア"], "sort_order": [None, 2]}),
        ("update", {"name": ["ハードウェア", "機器"]}),
        ("delete", {"name": ["機器", None], "sort_order": [2, None]}),
    ]


def test_category_in_use_is_not_deleted(admin):
    # given
    category = ProductCategoryFactory(name="使用中")
    IndexedProductFactory(category=category)
    # when
    with pytest.raises(ValidationError) as error:
        services.category_delete(category=category, by=admin)
    # then
    assert error.value.message_dict == {
        "__all__": ["分類「使用中」は 1 件の商品で使われているため削除できません。"]
    }
    assert ProductCategory.objects.filter(pk=category.pk).exists()


def test_duplicate_category_name_is_refused(admin):
    # given
    ProductCategoryFactory(name="保守")
    # when
    with pytest.raises(ValidationError) as error:
        services.category_create(by=admin, data={"name": "保守"})
    # then
    assert error.value.message_dict == {"name": ["分類「保守」は既にあります。"]}


def test_rep_may_not_add_categories(rep_a):
    # when
    with pytest.raises(PermissionDenied):
        services.category_create(by=rep_a, data={"name": "勝手な分類"})
    # then
    assert not ProductCategory.objects.exists()


def test_a_product_in_a_deactivated_currency_stays_editable(admin):
    # given
    product = IndexedProductFactory(currency_id="EUR", unit_price=Decimal("10.00"))
    services.currency_set_active(currency=product.currency, by=admin, active=False)
    # when
    services.product_update(product=product, by=admin, data={"currency": "EUR", "unit_price": "11.50"})
    with pytest.raises(ValidationError) as error:
        services.product_create(by=admin, data={"code": "E-2", "name": "新規", "currency": "EUR"})
    # then
    product.refresh_from_db()
    assert (product.currency_id, product.unit_price) == ("EUR", Decimal("11.50"))
    assert error.value.message_dict == {"currency": ["通貨「EUR」は登録されていません。"]}
