"""In Chromium: a manager assigns an unassigned lead from the queue; the rep converts it into the
existing company that 名寄せ proposes (no duplicate company)."""

import pytest
from playwright.sync_api import expect

from daifuku.customers.models import Company
from daifuku.sales.models import Deal, Lead
from tests.factories import PASSWORD, CompanyFactory, UserFactory
from tests.sales.factories import KeyedLeadFactory

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


def test_manager_assigns_then_rep_converts_into_the_existing_company(browser, live_server, team_a):
    # given
    UserFactory(username="kato", role="manager", team=team_a)
    rep = UserFactory(username="sato", last_name="佐藤", first_name="健", role="sales_rep", team=team_a)
    company = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="after", owner=rep)
    lead = KeyedLeadFactory(
        company_name="(株)山田商事", family_name="田中", given_name="一郎", need="見積依頼"
    )
    context = browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    # when: the manager takes the lead from the unassigned queue
    _login(page, live_server, "kato")
    page.goto(f"{live_server.url}/sales/leads/")
    page.click("[data-unassigned-count]")
    page.click(f"[data-lead-id='{lead.pk}'] a")
    page.click("[data-assign-link]")
    page.select_option("#id_owner", str(rep.pk))
    page.click("[data-assign-form] button[type=submit]")
    expect(page.locator("[data-owner]")).to_contain_text("佐藤 健")
    context.clear_cookies()
    # and the rep qualifies and converts it
    _login(page, live_server, "sato")
    page.goto(f"{live_server.url}/sales/leads/{lead.pk}/")
    page.select_option("#id_status", "qualified")
    page.click("[data-status-form] button[type=submit]")
    expect(page.locator("[data-lead-status]")).to_have_text("見込みあり")
    expect(page.locator(f"[data-candidate-company='{company.pk}']")).to_contain_text("会社名が一致")
    page.click("[data-convert-link]")
    expect(page.locator(f"#company-{company.pk}")).to_be_checked()
    page.fill("#id_deal_name", "SFA導入")
    page.click("[data-convert-form] button[type=submit]")
    # then
    page.wait_for_url(f"{live_server.url}/sales/deals/*/")
    lead.refresh_from_db()
    assert lead.status == "converted"
    assert Company.objects.count() == 1
    assert (Deal.objects.get().company_id, Deal.objects.get().name) == (company.pk, "SFA導入")
    assert Lead.objects.get().converted_company_id == company.pk
    context.close()
