"""Products as an import target: header guessing, cp932 files, update by 商品コード, permissions, undo."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from daifuku.catalog import selectors, services
from daifuku.catalog.models import Product, ProductCategory
from daifuku.core.models import AuditEntry
from daifuku.imports import services as import_services
from daifuku.imports import targets
from tests.catalog.factories import IndexedProductFactory
from tests.imports.helpers import csv_bytes, new_job, run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_products_target_is_registered_with_guessed_headers():
    # given
    target = targets.get("products")
    # when
    guessed = targets.guess_columns(
        target, ["品番", "品名", "標準単価", "仕入単価", "課税区分", "カテゴリ", "通貨"]
    )
    # then
    assert str(target.label) == "商品"
    assert guessed == {
        "0": "code",
        "1": "name",
        "2": "unit_price",
        "3": "cost",
        "4": "tax_category",
        "5": "category_name",
        "6": "currency",
    }


def test_cp932_product_master_is_imported_with_categories(manager_a):
    # given
    content = csv_bytes(
        [
            ["商品コード", "商品名", "フリガナ", "分類", "単位", "単価", "原価", "税区分", "販売中"],
            [
                "Ａ－１",
                "髙品質ケーブル①",
                "こうひんしつけーぶる",
                "部材",
                "本",
                "1,980",
                "700",
                "標準税率",
                "販売中",
            ],
            ["B-2", "お茶（軽減）", "", "食品", "箱", "864", "", "軽減税率", "販売終了"],
            ["C-3", "", "", "", "", "abc", "", "", ""],
        ],
        encoding="cp932",
    )
    # when
    job = run(manager_a, "products", content)
    # then
    assert (job.status, job.encoding, job.created_count, job.error_count) == ("done", "cp932", 2, 1)
    cable = Product.objects.get(code="A-1")
    assert (cable.name, cable.name_kana, cable.category.name, cable.unit) == (
        "髙品質ケーブル①",
        "コウヒンシツケーブル",
        "部材",
        "本",
    )
    assert (cable.unit_price, cable.cost, cable.tax_category, cable.is_active) == (
        Decimal("1980"),
        Decimal("700"),
        "standard",
        True,
    )
    tea = Product.objects.get(code="B-2")
    assert (tea.tax_category, tea.is_active, tea.category.name) == ("reduced", False, "食品")
    assert sorted(ProductCategory.objects.values_list("name", flat=True)) == ["部材", "食品"]
    error = job.row_errors.get()
    assert error.row_number == 4
    assert error.reason == "単価: 数値を入力してください。"
    assert (
        AuditEntry.objects.filter(object_type="catalog.product", action="create", via="import").count() == 2
    )
    assert list(selectors.product_list(user=manager_a, filters=selectors.ProductFilters(q="ケーブル"))) == [
        cable
    ]


def test_existing_codes_are_updated_and_audited(admin):
    # given
    product = IndexedProductFactory(code="P-1", name="旧名", unit_price=Decimal("1000"))
    content = csv_bytes([["商品コード", "単価"], ["P-1", "1200"]])
    # when
    job = run(admin, "products", content, dedup="overwrite")
    # then
    product.refresh_from_db()
    assert (job.updated_count, product.name, product.unit_price, product.version) == (
        1,
        "旧名",
        Decimal("1200"),
        2,
    )
    entry = AuditEntry.objects.get(object_type="catalog.product", object_id=product.pk)
    assert (entry.action, entry.via, entry.changes) == (
        "update",
        "import",
        {"unit_price": ["1000.00", "1200.00"]},
    )


def test_a_code_in_the_trash_is_an_error_row(admin):
    # given
    product = IndexedProductFactory(code="GONE")
    services.product_delete(product=product, by=admin)
    content = csv_bytes([["商品コード", "商品名"], ["GONE", "復活させたい"]])
    # when
    job = run(admin, "products", content)
    # then
    assert (job.created_count, job.error_count) == (0, 1)
    assert job.row_errors.get().reason == "商品コード: 商品コード「GONE」はごみ箱の商品で使われています。"
    assert Product.objects.count() == 1


def test_new_code_without_a_name_is_an_error_row(admin):
    # given
    content = csv_bytes([["商品コード", "単価"], ["NEW-1", "500"]])
    # when
    job = run(admin, "products", content)
    # then
    assert (job.created_count, job.error_count) == (0, 1)
    assert job.row_errors.get().reason == "商品名: 新しい商品には商品名が必要です。"
    assert not Product.objects.exists()


def test_rep_may_not_import_products(rep_a):
    # when
    with pytest.raises(PermissionDenied):
        new_job(rep_a, "products", csv_bytes([["商品コード", "商品名"], ["X", "Y"]]))
    # then
    assert not Product.objects.exists()


def test_undo_trashes_the_created_products(admin):
    # given
    job = run(admin, "products", csv_bytes([["商品コード", "商品名"], ["U-1", "取り消す商品"]]))
    # when
    import_services.job_undo(job=job, by=admin)
    # then
    product = Product.objects.get(code="U-1")
    assert product.deleted_at is not None
    assert not selectors.product_list(user=admin).exists()


def test_rows_of_the_same_code_in_one_file_make_one_product(admin):
    # given
    content = csv_bytes(
        [
            ["商品コード", "商品名", "単価"],
            ["D-1", "", "500"],
            ["D-1", "重複行の商品", ""],
            ["D-2", "別商品", "10"],
        ]
    )
    # when
    job = run(admin, "products", content, dedup="fill")
    # then
    assert (job.created_count, job.error_count) == (2, 0)
    product = Product.objects.get(code="D-1")
    assert (product.name, product.unit_price) == ("重複行の商品", Decimal("500"))
    assert Product.objects.count() == 2


def test_fill_mode_changes_only_empty_fields(admin):
    # given
    product = IndexedProductFactory(code="F-1", name="既存名", name_kana="", unit_price=Decimal("700"))
    content = csv_bytes([["商品コード", "商品名", "フリガナ", "単価"], ["F-1", "別名", "きそんめい", "900"]])
    # when
    run(admin, "products", content, dedup="fill")
    # then
    product.refresh_from_db()
    assert (product.name, product.name_kana, product.unit_price) == ("既存名", "キソンメイ", Decimal("700"))
