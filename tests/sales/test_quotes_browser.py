"""In Chromium: a rep creates a quote from the deal page, edits lines with live totals and issues it."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from daifuku.core.services import profile_get
from daifuku.sales.models import Quote
from tests.factories import PASSWORD, CompanyFactory, UserFactory
from tests.sales.factories import DealFactory, DealLineFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Issued PDFs are written under a temporary MEDIA_ROOT, not the data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/")


def test_rep_creates_edits_and_issues_a_quote(page, live_server, team_a):
    # given: a deal with one line, our company profile with its T-number
    profile = profile_get()
    profile.name = "大福商事株式会社"
    profile.registration_number = "T7123456789012"
    profile.tax_rounding = "floor"
    profile.save()
    rep = UserFactory(username="suzuki", last_name="鈴木", first_name="一", role="sales_rep", team=team_a)
    company = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="before", owner=rep)
    deal = DealFactory(owner=rep, company=company, name="保守契約更新")
    DealLineFactory(deal=deal, description="保守", quantity=Decimal("1"), unit_price=Decimal("105"))
    _login(page, live_server, "suzuki")
    page.goto(f"{live_server.url}/sales/deals/{deal.pk}/")

    # when: create the quote from the deal page, make it three lines of ¥105 and watch the totals
    expect(page.locator("[data-deal-quotes] [hx-trigger='load']")).to_have_count(0)  # section loaded
    page.click("[data-create-quote]")
    expect(page.locator("h1")).to_contain_text("見積の編集")
    page.fill("#id_lines-0-quantity", "3")
    page.locator("#id_lines-0-quantity").dispatch_event("change")
    expect(page.locator("[data-tax-total]")).to_have_text("31")
    expect(page.locator("[data-total]")).to_have_text("346")
    page.click("[data-add-row]")
    page.fill("#id_lines-1-description", "弁当")
    page.fill("#id_lines-1-quantity", "10")
    page.fill("#id_lines-1-unit_price", "540")
    page.select_option("#id_lines-1-tax_category", "reduced")
    page.click("[data-save]")

    # then: the detail page shows both rates; issuing freezes it
    expect(page.locator("[data-quote-totals]")).to_contain_text("8%対象")
    expect(page.locator("[data-quote-totals] [data-total]")).to_have_text("¥6,178")
    page.click("[data-issue]")
    expect(page.locator("[data-quote-status]")).to_have_text("発行済み")
    expect(page.locator("[data-send-form]")).to_be_visible()
    quote = Quote.objects.get()
    assert (quote.status, quote.tax_total, quote.total) == ("issued", Decimal("463"), Decimal("6178"))
