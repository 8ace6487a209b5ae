"""End-to-end in Chromium: a manager enters targets in the grid, then sees the forecast with its charts."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from daifuku.sales.models import SalesTarget
from daifuku.sales.services.forecast import pipeline_snapshot_take
from tests.factories import PASSWORD, UserFactory
from tests.sales.factories import DealFactory, stage_named

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


def test_manager_sets_a_target_and_reads_the_forecast(page, live_server, team_a):
    # given a rep with a won and an open deal in October 2026, and the team's manager
    rep = UserFactory(username="sato", last_name="佐藤", first_name="健", role="sales_rep", team=team_a)
    UserFactory(username="kimura", last_name="木村", first_name="部長", role="manager", team=team_a)
    DealFactory(
        owner=rep,
        stage=stage_named("受注"),
        probability=100,
        amount=Decimal("1000000"),
        closed_on=dt.date(2026, 10, 5),
        expected_close_date=dt.date(2026, 10, 5),
    )
    DealFactory(
        owner=rep,
        stage=stage_named("提案"),
        probability=40,
        amount=Decimal("2000000"),
        expected_close_date=dt.date(2026, 10, 28),
    )
    pipeline_snapshot_take(day=dt.date(2026, 10, 5))
    _login(page, live_server, "kimura")

    # when the manager enters rep's October target in the grid and saves
    page.goto(f"{live_server.url}/sales/targets/?year=2026")
    page.fill(f'input[name="t-u{rep.pk}-202610"]', "2,000,000")
    page.click("[data-target-grid] button[type=submit]")

    # then it is saved and shown
    expect(page.locator(".alert-success")).to_contain_text("目標を保存しました（1件を変更）。")
    expect(page.locator(f'input[name="t-u{rep.pk}-202610"]')).to_have_value("2000000")
    assert SalesTarget.objects.get(user=rep).amount == Decimal("2000000")

    # when the manager opens the forecast for October through the menu and the filters
    page.get_by_role("button", name="営業").click()
    page.click("nav >> text=売上予測")
    page.select_option("#id_year", "2026")
    page.select_option("#id_span", "m7")
    page.click("[data-forecast-filter] button[type=submit]")

    # then the table shows won ¥1,000,000 of ¥2,000,000 (50.0 %) and the charts are drawn
    row = page.locator(f'[data-forecast-table] tr[data-row="{rep.pk}"]')
    expect(row.nth(1)).to_contain_text("1,000,000")
    expect(row.nth(2)).to_contain_text("800,000")
    expect(row.nth(4)).to_contain_text("50.0%")
    expect(page.locator("#forecast-chart")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#forecast-trend")).to_have_attribute("data-loaded", "true")
