"""/api/v1 quotes: create from a deal, edit draft lines, issue, send, decide, revise, PDF, filters, scope."""

import datetime as dt
import io
import socket
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from daifuku.core.services import profile_get, token_create
from daifuku.sales.models import Quote
from daifuku.sales.services import quotes as services
from tests.factories import CompanyFactory
from tests.sales.factories import DealFactory, DealLineFactory, QuoteFactory, QuoteLineFactory, stage_named

pytestmark = pytest.mark.django_db
JSON = "application/json"
YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Issued PDFs are written under a temporary MEDIA_ROOT, not the data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


@pytest.fixture(autouse=True)
def profile(db):
    profile = profile_get()
    profile.name = "大福商事株式会社"
    profile.registration_number = "T7123456789012"
    profile.tax_rounding = "floor"
    profile.save()
    return profile


@pytest.fixture
def deal(rep_a, company_of_rep_a):
    deal = DealFactory(owner=rep_a, company=company_of_rep_a, name="会計システム")
    DealLineFactory(deal=deal, description="保守", quantity=Decimal("3"), unit_price=Decimal("105"))
    return deal


def _create(client, deal, **payload):
    return client.post(f"/api/v1/deals/{deal.pk}/quotes", payload, content_type=JSON)


def test_create_from_deal_answers_the_quote_with_lines_and_tax_summary(rep_a, deal):
    # when
    response = _create(bearer(rep_a), deal)
    # then
    assert response.status_code == 201
    body = response.json()
    quote = Quote.objects.get()
    assert body["id"] == quote.pk
    assert (body["number"], body["display_number"], body["status"]) == (
        f"Q-{YEAR}-00001",
        f"Q-{YEAR}-00001",
        "draft",
    )
    assert body["company"] == {"id": deal.company_id, "name": "株式会社山田商事"}
    assert body["recipient_name"] == "株式会社山田商事 御中"
    assert [(x["description"], x["quantity"], x["amount"]) for x in body["lines"]] == [
        ("保守", "3.000", "315.00")
    ]
    assert body["tax_summary"] == [
        {"category": "standard", "rate": "10", "base": "315", "tax": "31", "reduced": False}
    ]
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("315.00", "31.00", "346.00")


def test_create_for_an_unseen_deal_is_404(rep_b, deal):
    # when
    response = _create(bearer(rep_b), deal)
    # then
    assert response.status_code == 404
    assert not Quote.objects.exists()


def test_update_draft_lines_and_bad_row_is_named(rep_a, deal):
    # given
    client = bearer(rep_a)
    quote_id = _create(client, deal).json()["id"]
    # when
    ok = client.patch(
        f"/api/v1/quotes/{quote_id}",
        {
            "version": 1,
            "lines": [{"description": "弁当", "quantity": 10, "unit_price": 540, "tax_category": "reduced"}],
        },
        content_type=JSON,
    )
    bad = client.patch(
        f"/api/v1/quotes/{quote_id}",
        {"version": 2, "lines": [{"description": "", "unit_price": 1}]},
        content_type=JSON,
    )
    stale = client.patch(f"/api/v1/quotes/{quote_id}", {"version": 1, "title": "古い"}, content_type=JSON)
    # then
    assert ok.status_code == 200
    assert ok.json()["tax_summary"] == [
        {"category": "reduced", "rate": "8", "base": "5400", "tax": "432", "reduced": True}
    ]
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "lines.0.description", "message": "品名を入力してください。"}]
    assert stale.status_code == 409
    assert Quote.objects.get().title == "会計システム"


def test_issue_then_patch_is_refused_and_pdf_is_the_stored_one(rep_a, deal):
    # given
    client = bearer(rep_a)
    quote_id = _create(client, deal).json()["id"]
    # when
    issued = client.post(f"/api/v1/quotes/{quote_id}/issue", {"version": 1}, content_type=JSON)
    patch = client.patch(f"/api/v1/quotes/{quote_id}", {"version": 2, "title": "X"}, content_type=JSON)
    pdf = client.get(f"/api/v1/quotes/{quote_id}/pdf")
    # then
    assert issued.status_code == 200
    assert issued.json()["status"] == "issued"
    assert issued.json()["issuer"]["registration_number"] == "T7123456789012"
    assert patch.status_code == 422
    assert patch.json()["errors"] == [
        {
            "field": "__all__",
            "message": "発行済みの見積は変更できません。変更するには改訂版を作成してください。",
        }
    ]
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'inline; filename="Q-{YEAR}-00001.pdf"'
    assert pdf.content == Quote.objects.get().pdf.read()
    assert "登録番号 T7123456789012" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_draft_pdf_is_a_fresh_draft_render(rep_a, deal):
    # given
    client = bearer(rep_a)
    quote_id = _create(client, deal).json()["id"]
    # when
    response = client.get(f"/api/v1/quotes/{quote_id}/pdf")
    # then
    assert response.status_code == 200
    assert "下書き（未発行）DRAFT" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_send_accept_and_revise_over_the_api(rep_a, deal, settings):
    # given: a real SMTP server on loopback
    messages = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            messages.append(envelope.rcpt_tos)
            return "250 OK"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    client = bearer(rep_a)
    quote_id = _create(client, deal).json()["id"]
    client.post(f"/api/v1/quotes/{quote_id}/issue", {}, content_type=JSON)
    # when
    try:
        sent = client.post(
            f"/api/v1/quotes/{quote_id}/send",
            {"to": "buyer@example.jp", "subject": "御見積書", "body": "ご確認ください。"},
            content_type=JSON,
        )
    finally:
        controller.stop()
    revised = client.post(f"/api/v1/quotes/{quote_id}/revise")
    accepted = client.post(
        f"/api/v1/quotes/{revised.json()['id']}/accept", {"mark_deal_won": True}, content_type=JSON
    )
    old = client.get(f"/api/v1/quotes/{quote_id}")
    # then
    assert sent.status_code == 200
    assert sent.json()["status"] == "sent"
    assert messages == [["buyer@example.jp"]]
    assert revised.status_code == 201
    assert (revised.json()["display_number"], revised.json()["previous_id"]) == (
        f"Q-{YEAR}-00001-2",
        quote_id,
    )
    assert accepted.status_code == 422  # a draft revision must be issued first
    assert old.json()["superseded"] is True
    assert old.json()["status"] == "sent"


def test_accept_marks_the_deal_won(rep_a, deal):
    # given
    client = bearer(rep_a)
    quote_id = _create(client, deal).json()["id"]
    client.post(f"/api/v1/quotes/{quote_id}/issue", {}, content_type=JSON)
    # when
    response = client.post(f"/api/v1/quotes/{quote_id}/accept", {"mark_deal_won": True}, content_type=JSON)
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    deal.refresh_from_db()
    assert deal.stage == stage_named("受注")


def test_list_filters_by_date_amount_company_and_status_and_hides_other_teams(rep_a, rep_b, deal):
    # given
    other_company = CompanyFactory(owner=rep_a)
    other_deal = DealFactory(owner=rep_a, company=other_company)
    a = QuoteFactory(deal=deal, status="issued", issue_date=dt.date(2026, 4, 1), total=Decimal("110000"))
    b = QuoteFactory(deal=deal, status="sent", issue_date=dt.date(2026, 5, 15), total=Decimal("550000"))
    c = QuoteFactory(
        deal=other_deal, status="issued", issue_date=dt.date(2026, 5, 20), total=Decimal("330000")
    )
    QuoteFactory(deal=DealFactory(owner=rep_b))
    client = bearer(rep_a)

    def ids(**params):
        return [item["id"] for item in client.get("/api/v1/quotes", params).json()["items"]]

    # when / then
    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(date_from="2026-05-01", date_to="2026-05-31") == [c.pk, b.pk]
    assert ids(amount_min="200000", amount_max="400000") == [c.pk]
    assert ids(company=deal.company_id, date_from="2026-05-01") == [b.pk]
    assert ids(status="issued") == [c.pk, a.pk]
    first = client.get("/api/v1/quotes", {"limit": 2}).json()
    assert [i["id"] for i in first["items"]] == [c.pk, b.pk]
    assert ids(limit=2, cursor=first["next_cursor"]) == [a.pk]


def test_detail_of_another_teams_quote_is_404(rep_a, rep_b):
    # given
    quote = QuoteFactory(deal=DealFactory(owner=rep_b))
    # when
    response = bearer(rep_a).get(f"/api/v1/quotes/{quote.pk}")
    pdf = bearer(rep_a).get(f"/api/v1/quotes/{quote.pk}/pdf")
    # then
    assert (response.status_code, pdf.status_code) == (404, 404)


@pytest.mark.parametrize("rows", [3, 20])
def test_list_query_count_is_constant(admin, rep_a, rows, django_assert_num_queries):
    # given
    for _ in range(rows):
        QuoteLineFactory(quote=QuoteFactory(deal=DealFactory(owner=rep_a)))
    client = Client()
    client.force_login(admin)
    # when: session, user, role scopes, the page (company, owner, deal, currency, successor joined)
    with django_assert_num_queries(4):
        response = client.get("/api/v1/quotes", {"limit": 200})
    # then
    assert len(response.json()["items"]) == rows


def test_detail_query_count(admin, rep_a, django_assert_num_queries):
    # given
    quote = QuoteFactory(deal=DealFactory(owner=rep_a))
    QuoteLineFactory.create_batch(5, quote=quote)
    client = Client()
    client.force_login(admin)
    # when: session, user, role scopes, the quote with its relations, its lines
    with django_assert_num_queries(5):
        response = client.get(f"/api/v1/quotes/{quote.pk}")
    # then
    assert len(response.json()["lines"]) == 5


def test_services_untouched_by_api_read(rep_a, deal):
    # given
    quote = services.quote_create_from_deal(deal=deal, by=rep_a)
    # when
    bearer(rep_a).get(f"/api/v1/quotes/{quote.pk}")
    # then
    quote.refresh_from_db()
    assert quote.version == 1
