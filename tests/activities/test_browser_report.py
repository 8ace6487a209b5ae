"""End-to-end in Chromium: a rep logs a visit, submits the prefilled 日報; the manager comments; notified.

Set DAIFUKU_SCREENSHOTS=docs/screenshots to (re)write the screenshots used in the docs.
"""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from daifuku.activities.models import Activity, DailyReport
from daifuku.core.models import Notification
from tests.activities.factories import EventFactory
from tests.factories import PASSWORD, CompanyFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def _shot(page, name: str) -> None:
    target = os.environ.get("DAIFUKU_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/")


def _logout(page) -> None:
    page.context.clear_cookies()


def test_rep_logs_a_visit_then_submits_the_prefilled_report_and_manager_comments(page, live_server, team_a):
    # given: a rep with a customer, and the team's manager
    rep = UserFactory(username="sato", last_name="佐藤", first_name="健", role="sales_rep", team=team_a)
    UserFactory(username="kimura", last_name="木村", first_name="部長", role="manager", team=team_a)
    company = CompanyFactory(name="大福商事", legal_form="kk", legal_form_position="before", owner=rep)
    today = timezone.localdate()

    # when: the rep logs a visit from the company page (quick log)
    _login(page, live_server, "sato")
    page.goto(f"{live_server.url}/customers/companies/{company.pk}/")
    page.click("[data-quick-log-button]")
    page.locator("[data-kind-buttons] label", has_text="訪問").click()
    page.fill("#id_subject", "新商品の提案")
    page.click("[data-quick-log-save]")

    # then: it is on the company's timeline
    expect(page.locator("[data-timeline-entry]").first).to_contain_text("新商品の提案")
    visit = Activity.objects.get(subject="新商品の提案")
    logged_at = timezone.localtime(visit.occurred_at).strftime("%H:%M")

    # when: the rep opens today's report from the 日報 menu
    page.get_by_role("link", name="日報", exact=True).first.click()
    page.click("[data-today-report]")

    # then: the visit is listed and the 本日の活動 text is prefilled with it
    expect(page.locator("[data-prefill-activities]")).to_contain_text("新商品の提案")
    expect(page.locator("#id_summary")).to_have_value(f"{logged_at} [訪問] 株式会社大福商事 新商品の提案")

    # when: the rep writes 成果 and submits (confirming the dialog)
    page.fill("#id_achievements", "見積依頼を1件いただいた")
    page.fill("#id_plan", "見積書を送る")
    _shot(page, "daily_report_form")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[name=action][value=submit]")

    # then: the submitted report is shown read-only
    expect(page.locator("[data-section=achievements]")).to_have_text("見積依頼を1件いただいた")
    report = DailyReport.objects.get(author=rep, date=today)
    assert report.status == "submitted"
    assert [a.subject for a in report.activities.all()] == ["新商品の提案"]

    # when: the manager opens the team's reports of today and comments
    _logout(page)
    _login(page, live_server, "kimura")
    page.get_by_role("link", name="日報", exact=True).first.click()
    page.get_by_role("link", name="チームの日報").click()
    row = page.locator("[data-team-board] tr[data-member=sato]")
    expect(row).to_contain_text("提出済み")
    _shot(page, "daily_report_team")
    row.get_by_role("link", name="佐藤 健").click()
    page.fill("#id_body", "よく頑張りました。見積は明日中に。")
    page.get_by_role("button", name="コメントする").click()
    expect(page.locator("[data-comments]")).to_contain_text("よく頑張りました。見積は明日中に。")
    page.get_by_role("button", name="既読にする").click()
    expect(page.locator("[data-read-mark]")).to_be_visible()

    # then: the rep sees the notification and follows it to the comment
    _logout(page)
    _login(page, live_server, "sato")
    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("main")).to_contain_text("木村 部長さんが")
    assert Notification.objects.filter(recipient=rep, kind="daily_report.commented").count() == 1
    page.goto(f"{live_server.url}{Notification.objects.get(recipient=rep).url}")
    expect(page.locator("[data-comments]")).to_contain_text("よく頑張りました。")
    _shot(page, "daily_report_detail")


def test_calendar_at_phone_width_lists_the_days_events(phone_page, live_server, team_a):
    # given
    rep = UserFactory(username="sato", last_name="佐藤", first_name="健", role="sales_rep", team=team_a)
    start = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    EventFactory(owner=rep, title="大福商事 訪問", start_at=start, end_at=start + dt.timedelta(hours=1))
    _login(phone_page, live_server, "sato")

    # when: the month view on a phone shows a list of days instead of the grid
    phone_page.goto(f"{live_server.url}/activities/calendar/")
    listing = phone_page.locator("[data-calendar-list]")
    expect(listing).to_be_visible()
    expect(listing).to_contain_text("14:00 大福商事 訪問")
    expect(phone_page.locator("table.cal-grid")).to_be_hidden()

    # when: switch to the day view with htmx
    phone_page.get_by_role("link", name="日", exact=True).click()
    expect(phone_page.locator("[data-calendar-title]")).to_contain_text(
        f"{start.year}/{start.month}/{start.day}"
    )
    expect(phone_page.locator("[data-calendar-list]")).to_contain_text("大福商事 訪問")
    _shot(phone_page, "calendar_phone_day")

    # when: the 活動管理 dashboard on a phone
    phone_page.get_by_role("button", name="メニューを開く").click()
    phone_page.get_by_role("button", name="営業").or_(phone_page.get_by_role("link", name="営業")).click()
    phone_page.get_by_role("link", name="活動管理").click()

    # then: Chart.js drew the charts from the JSON endpoint (no inline scripts under the CSP)
    expect(phone_page.locator("[data-dashboard-charts]")).to_have_attribute("data-loaded", "true")
    expect(phone_page.locator("[data-dashboard-table] tr[data-rep=sato]")).to_be_visible()
    _shot(phone_page, "dashboard_phone")
