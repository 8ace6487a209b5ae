"""In Chromium, the sales flow of issue 4 end to end: a rep drags a deal across the board, creates and
issues a quote from it, downloads the quote's PDF, and wins the deal by accepting the quote."""

import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from daifuku.core.models import AuditEntry
from daifuku.core.services import profile_get
from daifuku.sales.models import Deal, DealStageChange, Quote
from tests.factories import PASSWORD, CompanyFactory, UserFactory
from tests.sales.factories import DealFactory, DealLineFactory, stage_named

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_rep_moves_a_deal_quotes_it_downloads_the_pdf_and_wins_it(page, live_server, team_a):
    # given: our company profile, a rep and a deal of three ¥105 lines in the first stage
    profile = profile_get()
    profile.name = "大福商事株式会社"
    profile.registration_number = "T7123456789012"
    profile.tax_rounding = "floor"
    profile.save()
    rep = UserFactory(username="tanaka", last_name="田中", first_name="誠", role="sales_rep", team=team_a)
    company = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="before", owner=rep)
    deal = DealFactory(
        owner=rep, company=company, name="保守契約更新", amount=Decimal("315"), cost=Decimal("0")
    )
    DealLineFactory(deal=deal, description="保守サポート", quantity=Decimal("3"), unit_price=Decimal("105"))
    proposal, won = stage_named("見積提示"), stage_named("受注")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "tanaka")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/")

    # when: the rep drags the deal from 初回接触 to 見積提示 on the board
    page.get_by_role("button", name="営業").click()
    page.get_by_role("link", name="商談ボード").click()
    expect(page.locator("[data-board-ready]")).to_have_count(1)
    card = page.locator(f"[data-deal-id='{deal.pk}']")
    card.drag_to(page.locator(f"[data-stage-id='{proposal.pk}'] [data-cards]"))

    # then: the card sits in the new column, whose totals moved with it, and the move is recorded
    expect(page.locator(f"[data-stage-id='{proposal.pk}'] [data-deal-id='{deal.pk}']")).to_have_count(1)
    expect(page.locator(f"[data-stage-id='{proposal.pk}'] [data-total-count]")).to_have_text("1")
    deal.refresh_from_db()
    assert (deal.stage_id, deal.probability) == (proposal.pk, 60)
    assert DealStageChange.objects.filter(deal=deal, to_stage=proposal).count() == 1

    # when: from the deal page the rep creates a quote (lines come from the deal) and issues it
    page.click(f"[data-deal-id='{deal.pk}'] a")
    # the quotes section loads after the page and replaces itself (with the button): wait for it, or
    # the click can land on the button being swapped out and submit nothing (failed once in CI)
    expect(page.locator("[data-deal-quotes] [hx-trigger='load']")).to_have_count(0)
    page.click("[data-create-quote]")
    expect(page.locator("h1")).to_contain_text("見積の編集")
    page.click("[data-save]")
    expect(page.locator("[data-quote-totals] [data-total]")).to_have_text("¥346")
    page.click("[data-issue]")
    expect(page.locator("[data-quote-status]")).to_have_text("発行済み")

    # then: the PDF the page links to is the issued qualified-invoice document
    href = page.locator("[data-pdf-link]").get_attribute("href")
    response = page.context.request.get(f"{live_server.url}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    quote = Quote.objects.get(deal=deal)
    for expected in (
        "御見積書",
        quote.number,
        "株式会社山田商事 御中",
        "T7123456789012",
        "10%対象 ¥315 消費税 ¥31",
    ):
        assert expected in text, expected

    # when: the customer accepts; the rep records it and lets it win the deal
    expect(page.locator("#id_mark_deal_won")).to_be_checked()
    page.click("[data-accept]")

    # then: the quote is accepted, the deal is won today, and the board shows it in 受注
    expect(page.locator("[data-quote-status]")).to_have_text("受注")
    deal.refresh_from_db()
    quote.refresh_from_db()
    assert (quote.status, deal.stage_id, deal.probability) == ("accepted", won.pk, 100)
    assert deal.closed_on is not None
    moves = AuditEntry.objects.filter(object_type="sales.deal", object_id=deal.pk).order_by("id")
    assert [entry.changes["stage"] for entry in moves] == [
        [stage_named("初回接触").pk, proposal.pk],
        [proposal.pk, won.pk],
    ]
    page.goto(f"{live_server.url}/sales/deals/board/")
    expect(page.locator(f"[data-stage-id='{won.pk}'] [data-deal-id='{deal.pk}']")).to_have_count(1)
    assert Deal.objects.get(pk=deal.pk).stage.is_won
