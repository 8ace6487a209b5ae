"""In Chromium: a manager finds products as they type, registers one and stops selling it."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from daifuku.catalog.models import Product
from tests.catalog.factories import IndexedProductFactory
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/")


def test_manager_searches_registers_and_discontinues_a_product(page, live_server, team_a):
    # given
    UserFactory(username="kato", last_name="加藤", first_name="誠", role="manager", team=team_a)
    IndexedProductFactory(code="SW-001", name="クラウド会計", name_kana="クラウドカイケイ")
    IndexedProductFactory(code="HW-001", name="サーバー機器", name_kana="サーバーキキ")
    _login(page, live_server, "kato")

    # when: open 商品 from the menu and type a reading in hiragana
    page.get_by_role("button", name="営業").click()
    page.get_by_role("link", name="商品", exact=True).click()
    expect(page.locator("[data-product-id]")).to_have_count(2)
    page.fill("#id_q", "くらうど")

    # then: the table narrows without a page load
    expect(page.locator("[data-product-id]")).to_have_count(1)
    expect(page.locator("[data-product-table]")).to_contain_text("クラウド会計")

    # when: register a product with a duplicate code first, then with a free one
    page.click("text=＋ 商品を登録")
    page.fill("#id_code", "SW-001")
    page.fill("#id_name", "給与計算")
    page.fill("#id_unit_price", "50,000")
    page.click("[data-product-form] button[type=submit]")
    expect(page.locator("[data-field=code] .invalid-feedback")).to_have_text(
        "商品コード「SW-001」は既に使われています。"
    )
    page.fill("#id_code", "SW-002")
    page.click("[data-product-form] button[type=submit]")

    # then: the detail page shows it; stopping its sale is recorded in the history
    expect(page.locator("[data-product-name]")).to_have_text("給与計算")
    expect(page.locator("[data-unit-price]")).to_contain_text("50,000 JPY")
    page.click("text=販売終了にする")
    expect(page.locator("[data-product-state]")).to_have_text("販売終了")
    expect(page.locator("[data-history] [data-audit-action]")).to_have_count(2)
    product = Product.objects.get(code="SW-002")
    assert (product.unit_price, product.is_active, product.version) == (Decimal("50000"), False, 2)
