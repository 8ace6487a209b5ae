"""In Chromium: a rep opens a company, quick-logs a visit and sees it at the top of the timeline.

Also on a phone-width screen: the compact form on its own page, back to the company afterwards.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from daifuku.activities import services
from daifuku.activities.models import Activity
from tests.factories import PASSWORD, CompanyFactory, ContactFactory, UserFactory

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


def test_rep_quick_logs_a_visit_from_the_company_page(page, live_server, team_a):
    # given: a company with an older call on its timeline
    rep = UserFactory(username="sato", last_name="佐藤", first_name="健", role="sales_rep", team=team_a)
    company = CompanyFactory(name="大福商事", legal_form="kk", legal_form_position="before", owner=rep)
    contact = ContactFactory(family_name="田中", given_name="一郎", company=company, owner=rep)
    services.activity_log(
        by=rep,
        data={"kind": "call_out", "subject": "アポイントの電話", "company": company,
              "occurred_at": timezone.now() - dt.timedelta(days=2)},
    )  # fmt: skip
    _login(page, live_server, "sato")
    page.goto(f"{live_server.url}/customers/companies/{company.pk}/")
    expect(page.locator("[data-timeline-entry]").first).to_contain_text("アポイントの電話")

    # when: open the compact form, pick 訪問, type a subject and a memo, tick the contact, save
    page.click("[data-quick-log-button]")
    page.locator("[data-kind-buttons] label", has_text="訪問").click()
    page.fill("#id_subject", "新商品の提案")
    page.fill("#id_body", "来月に見積を送る")
    page.locator("[data-quick-log] label", has_text="田中 一郎").click()
    page.click("[data-quick-log-save]")

    # then: the visit is at the top of the timeline, with the contact, without a page reload
    expect(page.locator("[data-quick-log] [role=status]")).to_contain_text("新商品の提案")
    top = page.locator("[data-timeline-entry]").first
    expect(top).to_contain_text("新商品の提案")
    expect(top).to_contain_text("訪問")
    expect(top).to_contain_text("田中 一郎")
    expect(page.locator("[data-timeline-entry]")).to_have_count(2)
    activity = Activity.objects.get(subject="新商品の提案")
    assert (activity.kind, activity.owner, activity.company) == ("visit", rep, company)
    assert list(activity.contacts.all()) == [contact]


def test_phone_width_quick_log_page_returns_to_the_company(phone_page, live_server, team_a):
    # given
    owner = UserFactory(username="ito", role="sales_rep", team=team_a)
    company = CompanyFactory(name="青葉工業", owner=owner)
    _login(phone_page, live_server, "ito")
    # when
    phone_page.goto(f"{live_server.url}/activities/quick/?company={company.pk}")
    phone_page.locator("[data-kind-buttons] label", has_text="電話（発信）").click()
    phone_page.fill("#id_subject", "納期の確認")
    phone_page.click("[data-quick-log-save]")
    # then
    expect(phone_page).to_have_url(f"{live_server.url}/customers/companies/{company.pk}/")
    expect(phone_page.locator("[data-timeline-entry]").first).to_contain_text("納期の確認")
