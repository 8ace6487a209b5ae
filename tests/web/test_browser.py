"""End-to-end in a real Chromium: log in, create a company, find it by half-width kana, edit, hand over.

Set DAIFUKU_SCREENSHOTS=docs/screenshots to (re)write the screenshots used in the docs.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from daifuku.core.models import AuditEntry, Notification
from daifuku.customers.models import Company
from tests.factories import PASSWORD, CompanyFactory, ContactFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded")]


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


def test_rep_creates_finds_edits_and_hands_over_a_company(page, live_server, team_a):
    # given
    rep = UserFactory(username="sato", last_name="佐藤", first_name="健", role="sales_rep", team=team_a)
    colleague = UserFactory(
        username="suzuki", last_name="鈴木", first_name="花子", role="sales_rep", team=team_a
    )
    for n in range(3):
        CompanyFactory(name=f"既存商事{n}", name_kana=f"キゾンショウジ{n}", owner=rep)
    _login(page, live_server, "sato")

    # when: create a company with a Japanese name; the postal code fills the address
    page.goto(f"{live_server.url}/customers/companies/new/")
    page.fill("#id_name", "株式会社大福商事")
    page.fill("#id_name_kana", "だいふくしょうじ")
    page.fill("#id_phone", "０３－１２３４－５６７８")
    page.fill("#id_postal_code", "100-0001")
    page.locator("#id_postal_code").blur()
    expect(page.locator("#id_prefecture")).to_have_value("東京都")
    expect(page.locator("#id_city")).to_have_value("千代田区")
    _shot(page, "company_form")
    page.locator("main form[method=post] button[type=submit]").last.click()

    # then: the detail page shows it with the legal form in front and the reading in katakana
    expect(page.locator("h1")).to_contain_text("株式会社大福商事")
    expect(page.locator("body")).to_contain_text("ダイフクショウジ")
    expect(page.locator("body")).to_contain_text("03-1234-5678")
    company = Company.objects.get(name="大福商事")
    assert company.owner_id == rep.pk
    assert company.phone == "+81312345678"
    assert company.prefecture == "東京都"

    # when: search by half-width katakana in the company list
    page.goto(f"{live_server.url}/customers/companies/")
    page.fill("#id_q", "ﾀﾞｲﾌｸ")
    page.keyboard.press("Enter")

    # then: exactly the new company is listed
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("大福商事")

    # when: edit it
    rows.first.locator("a").first.click()
    page.click(f"a[href='/customers/companies/{company.pk}/edit/']")
    page.select_option("#id_rank", "A")
    page.fill("#id_representative", "大福 太郎")
    page.locator("main form[method=post] button[type=submit]").last.click()

    # then
    expect(page.locator("body")).to_contain_text("大福 太郎")
    company.refresh_from_db()
    assert (company.rank, company.representative, company.version) == ("A", "大福 太郎", 2)

    # when: hand it over to a colleague with a reason
    page.goto(f"{live_server.url}/customers/companies/{company.pk}/handover/")
    page.select_option("#id_owner", str(colleague.pk))
    page.fill("#id_reason", "担当エリア変更のため")
    page.locator("main form[method=post] button[type=submit]").last.click()

    # then: the 履歴 shows the edit and the handover; the colleague is notified
    history = page.locator("[data-history]")
    expect(history.locator("tr[data-audit-action=update]")).to_have_count(1)
    expect(history.locator("tr[data-audit-action=handover]")).to_have_count(1)
    expect(history.locator("tr[data-audit-action=handover]")).to_contain_text("担当エリア変更のため")
    expect(history.locator("tr[data-audit-action=update]")).to_contain_text("大福 太郎")
    company.refresh_from_db()
    assert company.owner_id == colleague.pk
    assert list(
        AuditEntry.objects.filter(object_type="customers.company", object_id=company.pk)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "update", "handover"]
    assert Notification.objects.filter(recipient=colleague, kind="company.owner_changed").count() == 1


def test_screens_at_desktop_and_phone_width(page, phone_page, live_server, team_a):
    # given: a company with contacts, as the demo would have
    rep = UserFactory(username="tanaka", last_name="田中", first_name="一郎", role="sales_rep", team=team_a)
    company = CompanyFactory(
        name="髙橋ﾒﾀﾙ工業",
        legal_form="kk",
        legal_form_position="after",
        name_kana="タカハシメタルコウギョウ",
        owner=rep,
        prefecture="大阪府",
        city="大阪市北区",
        phone="+81661234567",
    )
    for given, kana in (("美咲", "ミサキ"), ("大輔", "ダイスケ")):
        ContactFactory(
            family_name="髙橋", given_name=given, family_name_kana="タカハシ", given_name_kana=kana,
            company=company, owner=rep, department="購買部",
        )  # fmt: skip
    _login(page, live_server, "tanaka")

    # when / then: list, detail and contact list render with the data
    page.goto(f"{live_server.url}/customers/companies/?sort=kana")
    expect(page.locator("table tbody tr").first).to_contain_text("髙橋ﾒﾀﾙ工業")
    _shot(page, "company_list")
    page.goto(f"{live_server.url}/customers/companies/{company.pk}/")
    expect(page.locator("[data-company-contacts] tbody tr")).to_have_count(2)
    _shot(page, "company_detail")
    page.goto(f"{live_server.url}/customers/contacts/")
    expect(page.locator("table tbody tr")).to_have_count(2)
    _shot(page, "contact_list")

    # and at phone width the navigation collapses behind a toggler and the list still works
    _login(phone_page, live_server, "tanaka")
    phone_page.goto(f"{live_server.url}/customers/companies/")
    expect(phone_page.locator(".navbar-toggler")).to_be_visible()
    expect(phone_page.locator("table tbody tr").first).to_contain_text(re.compile("髙橋"))
    _shot(phone_page, "company_list_phone")
