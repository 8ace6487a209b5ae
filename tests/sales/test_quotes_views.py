"""Quote pages: list with 電子帳簿保存法 filters, editor, live totals, actions, PDF, deal section."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from daifuku.core.services import profile_get
from daifuku.sales.models import Quote
from daifuku.sales.services import quotes as services
from tests.sales.factories import DealFactory, DealLineFactory, QuoteFactory, QuoteLineFactory, stage_named

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Issued PDFs are written under a temporary MEDIA_ROOT, not the data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def profile(db):
    profile = profile_get()
    profile.name = "大福商事株式会社"
    profile.registration_number = "T7123456789012"
    profile.tax_rounding = "floor"
    profile.save()
    return profile


@pytest.fixture
def client_a(rep_a):
    client = Client()
    client.force_login(rep_a)
    return client


@pytest.fixture
def deal(rep_a, company_of_rep_a):
    return DealFactory(owner=rep_a, company=company_of_rep_a, name="会計システム")


@pytest.fixture
def draft(rep_a, deal):
    return services.quote_create_from_deal(
        deal=deal, by=rep_a, data={"lines": [{"description": "保守", "quantity": "3", "unit_price": "105"}]}
    )


def _editor_post(quote, rows, **extra):
    data = {
        "version": str(quote.version),
        "title": quote.title,
        "contact": "",
        "recipient_name": quote.recipient_name,
        "valid_until": quote.valid_until.isoformat(),
        "currency": "JPY",
        "delivery_terms": "",
        "payment_terms": "",
        "terms": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    data.update(extra)
    return data


# Creating and editing


def test_create_from_the_deal_page_copies_lines_and_opens_the_editor(client_a, deal):
    # given
    DealLineFactory(deal=deal, description="導入支援", quantity=Decimal("2"), unit_price=Decimal("50000"))
    # when
    response = client_a.post(f"/sales/deals/{deal.pk}/quotes/new/")
    # then
    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/quotes/{quote.pk}/edit/"
    assert quote.number == f"Q-{YEAR}-00001"
    assert quote.total == Decimal("110000")
    page = client_a.get(response["Location"]).content.decode()
    assert 'value="導入支援"' in page
    assert "見積の編集 Q-" in page


def test_editor_saves_rows_and_skips_empty_and_deleted_ones(client_a, draft):
    # given
    rows = [
        {"description": "保守", "quantity": "3", "unit_price": "105", "tax_category": "standard"},
        {"description": "弁当", "quantity": "10", "unit_price": "540", "tax_category": "reduced"},
        {"description": "消す行", "quantity": "1", "unit_price": "9999", "DELETE": "on"},
        {"description": "", "quantity": "", "unit_price": "", "tax_category": "standard"},
    ]
    # when
    response = client_a.post(f"/sales/quotes/{draft.pk}/edit/", _editor_post(draft, rows))
    # then
    assert response.status_code == 302
    draft.refresh_from_db()
    assert list(draft.lines.values_list("description", "amount")) == [
        ("保守", Decimal("315.00")),
        ("弁当", Decimal("5400.00")),
    ]
    assert (draft.tax_total, draft.total, draft.version) == (Decimal("463"), Decimal("6178"), 2)


def test_editor_shows_the_row_error_and_keeps_the_input(client_a, draft):
    # given
    rows = [
        {"description": "保守", "quantity": "3", "unit_price": "105"},
        {"description": "設定作業", "quantity": "abc", "unit_price": "20000"},
    ]
    # when
    response = client_a.post(f"/sales/quotes/{draft.pk}/edit/", _editor_post(draft, rows))
    # then
    page = response.content.decode()
    assert response.status_code == 422
    assert "数値を入力してください。" in page
    assert 'value="設定作業"' in page and 'value="abc"' in page
    draft.refresh_from_db()
    assert (draft.version, draft.lines.count(), draft.total) == (1, 1, Decimal("346"))


def test_add_row_renders_one_more_empty_row_without_saving(client_a, draft):
    # when
    response = client_a.post(
        f"/sales/quotes/{draft.pk}/edit/",
        _editor_post(draft, [{"description": "保守", "quantity": "3", "unit_price": "105"}], add_row="1"),
    )
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="2"' in page
    assert 'data-line-row="1"' in page
    draft.refresh_from_db()
    assert draft.version == 1


def test_live_totals_round_tax_once_per_rate(client_a, draft):
    # given
    rows = [{"description": "保守", "quantity": "1", "unit_price": "105"} for _ in range(3)]
    # when
    response = client_a.post(
        f"/sales/quotes/{draft.pk}/totals/", _editor_post(draft, rows), HTTP_HX_REQUEST="true"
    )
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert '<td class="text-end" data-tax-total>31</td>' in page
    assert '<td class="text-end" data-total>346</td>' in page
    draft.refresh_from_db()
    assert draft.version == 1


def test_issued_quote_editor_redirects_and_post_changes_nothing(client_a, draft):
    # given
    services.quote_issue(quote=draft, by=draft.owner)
    draft.refresh_from_db()
    # when
    response = client_a.post(
        f"/sales/quotes/{draft.pk}/edit/", _editor_post(draft, [{"description": "X", "unit_price": "1"}])
    )
    # then
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, list(draft.lines.values_list("description", flat=True))) == ("issued", ["保守"])


# Detail, actions, PDF


def test_issue_send_and_accept_through_the_pages(client_a, draft, settings):
    # given
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # when
    issue = client_a.post(f"/sales/quotes/{draft.pk}/issue/", {"version": "1"})
    detail = client_a.get(f"/sales/quotes/{draft.pk}/").content.decode()
    send = client_a.post(
        f"/sales/quotes/{draft.pk}/send/",
        {"to": "buyer@example.jp", "subject": "御見積書", "body": "よろしくお願いします。"},
    )
    accept = client_a.post(f"/sales/quotes/{draft.pk}/accept/", {"mark_deal_won": "on"})
    # then
    assert (issue.status_code, send.status_code, accept.status_code) == (302, 302, 302)
    assert "商談を受注にする" in detail
    assert f"御見積書 {draft.number} のご送付（大福商事株式会社）" in detail
    assert [m.to for m in mail.outbox] == [["buyer@example.jp"]]
    assert mail.outbox[0].attachments[0][0] == f"{draft.number}.pdf"
    draft.refresh_from_db()
    draft.deal.refresh_from_db()
    assert draft.status == "accepted"
    assert draft.deal.stage == stage_named("受注")


def test_send_with_a_bad_address_shows_the_form_again(client_a, draft):
    # given
    services.quote_issue(quote=draft, by=draft.owner)
    # when
    response = client_a.post(f"/sales/quotes/{draft.pk}/send/", {"to": "buyer@", "subject": "御見積書"})
    # then
    assert response.status_code == 422
    assert "メールアドレスの形式が正しくありません: buyer@" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "issued"


def test_revised_quote_shows_the_successor(client_a, draft):
    # given
    services.quote_issue(quote=draft, by=draft.owner)
    # when
    response = client_a.post(f"/sales/quotes/{draft.pk}/revise/")
    # then
    revision = Quote.objects.get(revision=2)
    assert response["Location"] == f"/sales/quotes/{revision.pk}/edit/"
    page = client_a.get(f"/sales/quotes/{draft.pk}/").content.decode()
    assert "改訂版あり" in page
    assert f"{draft.number}-2" in page
    assert "data-revise" not in page


def test_pdf_download_draft_and_issued(client_a, draft):
    # when
    draft_pdf = client_a.get(f"/sales/quotes/{draft.pk}/pdf")
    services.quote_issue(quote=draft, by=draft.owner)
    issued_pdf = client_a.get(f"/sales/quotes/{draft.pk}/pdf")
    # then
    draft.refresh_from_db()
    assert draft_pdf["Content-Type"] == issued_pdf["Content-Type"] == "application/pdf"
    assert draft_pdf.content != issued_pdf.content
    assert issued_pdf.content == draft.pdf.read()
    assert issued_pdf["Content-Disposition"] == f'inline; filename="{draft.number}.pdf"'


def test_other_team_gets_404_everywhere(rep_b, draft):
    # given
    client = Client()
    client.force_login(rep_b)
    # when / then
    for url in ("/", "/edit/", "/pdf", "/issue/"):
        method = client.post if url == "/issue/" else client.get
        assert method(f"/sales/quotes/{draft.pk}{url}").status_code == 404, url
    draft.refresh_from_db()
    assert draft.status == "draft"


# List


def test_list_filters_by_date_amount_and_company(client_a, rep_a, deal):
    # given
    a = QuoteFactory(deal=deal, status="issued", issue_date=dt.date(2026, 4, 1), total=Decimal("110000"))
    b = QuoteFactory(deal=deal, status="sent", issue_date=dt.date(2026, 5, 15), total=Decimal("550000"))
    other = QuoteFactory(
        deal=DealFactory(owner=rep_a), issue_date=dt.date(2026, 5, 20), total=Decimal("330000")
    )

    def ids(**params):
        page = client_a.get("/sales/quotes/", params).content.decode()
        return [q.pk for q in (a, b, other) if f'data-quote-id="{q.pk}"' in page]

    # when / then
    assert ids() == [a.pk, b.pk, other.pk]
    assert ids(date_from="2026-05-01", date_to="2026-05-31") == [b.pk, other.pk]
    assert ids(amount_min="200000", amount_max="600000", company=deal.company_id) == [b.pk]
    assert ids(status="issued") == [a.pk]


def test_list_company_filter_is_a_typeahead_that_keeps_the_chosen_name(client_a, deal):
    # given: quotes to two companies
    QuoteFactory(deal=deal)
    QuoteFactory(deal=DealFactory(owner=deal.owner))
    # when
    page = client_a.get(
        "/sales/quotes/", {"company": deal.company_id, "company_label": "山田商事株式会社"}
    ).content.decode()
    # then: no option per company, the chooser's id and label as chosen
    assert 'name="company" id' not in page.replace('type="hidden" name="company" value', "")
    assert '<select name="company"' not in page
    assert 'name="company_label" value="山田商事株式会社"' in page
    assert f'name="company" value="{deal.company_id}"' in page
    assert 'hx-get="/customers/companies/choices/"' in page


@pytest.mark.parametrize("rows", [3, 20])
def test_list_query_count_is_constant(admin, rep_a, rows, django_assert_num_queries):
    # given
    for _ in range(rows):
        QuoteLineFactory(quote=QuoteFactory(deal=DealFactory(owner=rep_a)))
    client = Client()
    client.force_login(admin)
    # when: session, user, role scopes, owners filter, the page, + base layout
    with django_assert_num_queries(7):
        response = client.get("/sales/quotes/")
    # then
    assert response.content.decode().count("data-quote-id=") == rows


# The deal page's section


def test_deal_section_lists_visible_quotes_with_create_button(client_a, draft, deal):
    # when
    response = client_a.get(f"/sales/deals/{deal.pk}/quotes/")
    # then
    page = response.content.decode()
    assert "見積を作成" in page
    assert f'data-quote-id="{draft.pk}"' in page
    assert f"/sales/deals/{deal.pk}/quotes/new/" in page


def test_deal_section_without_quotes_in_context_loads_them_through_the_selector(deal):
    # when
    html = render_to_string("sales/quotes/_deal_quotes.html", {"deal": deal})
    # then
    assert f'hx-get="/sales/deals/{deal.pk}/quotes/"' in html
    assert "見積を作成" in html
