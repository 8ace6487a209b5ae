"""The quote PDF: the qualified-invoice items are in the text pypdf extracts from the stored file."""

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from daifuku.core.services import profile_get
from daifuku.sales import pdf
from daifuku.sales.services import quotes as services
from tests.sales.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(db):
    profile = profile_get()
    profile.name = "大福商事株式会社"
    profile.registration_number = "T7123456789012"
    profile.postal_code = "1000001"
    profile.address = "東京都千代田区千代田1-1"
    profile.phone = "+81312345678"
    profile.tax_rounding = "floor"
    profile.save()
    return profile


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Issued PDFs are written under a temporary MEDIA_ROOT, not the data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _issued(rep_a, company, contact=None):
    deal = DealFactory(owner=rep_a, company=company, name="社員研修")
    quote = services.quote_create_from_deal(
        deal=deal,
        by=rep_a,
        data={
            "contact": contact.pk if contact else None,
            "payment_terms": "月末締め翌月末払い",
            "delivery_terms": "受注後2週間",
            "terms": "本見積の有効期限は30日です。",
            "lines": [
                {"description": "研修講師派遣", "quantity": "1", "unit": "式", "unit_price": "30005"},
                {
                    "description": "弁当",
                    "quantity": "10",
                    "unit": "個",
                    "unit_price": "540",
                    "tax_category": "reduced",
                },
                {
                    "description": "収入印紙",
                    "quantity": "1",
                    "unit_price": "200",
                    "tax_category": "non_taxable",
                },
            ],
        },
    )
    return services.quote_issue(quote=quote, by=rep_a)


def test_issued_pdf_carries_the_qualified_invoice_items(profile, rep_a, company_of_rep_a):
    # given
    quote = _issued(rep_a, company_of_rep_a)
    today = timezone.localdate()
    # when
    text = _text(quote.pdf.read())
    # then
    for expected in [
        "御見積書",
        f"見積番号 {quote.number}",
        f"見積日 {today.year}年{today.month}月{today.day}日",
        "株式会社山田商事 御中",
        "件名: 社員研修",
        "大福商事株式会社",
        "登録番号 T7123456789012",
        "〒100-0001 東京都千代田区千代田1-1",
        "研修講師派遣",
        "弁当 ※",
        "収入印紙［不課税］",
        "※は軽減税率対象",
        "小計\n¥35,605",  # label and amount: two cells of the totals table
        "10%対象 ¥30,005 消費税 ¥3,000",
        "8%対象 ¥5,400 消費税 ¥432",
        "不課税 ¥200",
        "消費税合計\n¥3,432",
        "\n合計\n¥39,037",
        "御見積金額 ¥39,037（税込）",
        f"有効期限 {quote.valid_until.year}年{quote.valid_until.month}月{quote.valid_until.day}日",
        "納期 受注後2週間",
        "支払条件 月末締め翌月末払い",
        "本見積の有効期限は30日です。",
    ]:
        assert expected in text, expected
    assert "DRAFT" not in text


def test_contact_recipient_is_addressed_with_sama(profile, rep_a, company_of_rep_a, contact_of_rep_a):
    # when
    quote = _issued(rep_a, company_of_rep_a, contact_of_rep_a)
    # then
    assert "株式会社山田商事 田中 一郎 様" in _text(quote.pdf.read())


def test_rendering_is_deterministic(profile, rep_a, company_of_rep_a):
    # given
    quote = _issued(rep_a, company_of_rep_a)
    lines = list(quote.lines.all())
    # when
    first = pdf.render_quote(quote, lines=lines)
    second = pdf.render_quote(quote, lines=lines)
    # then
    assert first == second == quote.pdf.read()


def test_draft_render_is_stamped_and_has_no_issue_date(profile, rep_a, company_of_rep_a):
    # given
    deal = DealFactory(owner=rep_a, company=company_of_rep_a)
    quote = services.quote_create_from_deal(
        deal=deal, by=rep_a, data={"lines": [{"description": "保守", "unit_price": "105"}]}
    )
    # when
    text = _text(services.quote_pdf_bytes(quote=quote))
    # then
    assert "下書き（未発行）DRAFT" in text
    assert "見積日 （未発行）" in text
    assert "登録番号 T7123456789012" in text
    assert not quote.pdf


def test_usd_amounts_show_cents(profile, rep_a, company_of_rep_a):
    # given
    deal = DealFactory(owner=rep_a, company=company_of_rep_a)
    quote = services.quote_create_from_deal(
        deal=deal,
        by=rep_a,
        data={
            "currency": "USD",
            "lines": [{"description": "Support", "quantity": "3", "unit_price": "10.05"}],
        },
    )
    # when
    text = _text(services.quote_issue(quote=quote, by=rep_a).pdf.read())
    # then
    assert "10%対象 $30.15 消費税 $3.01" in text
    assert "\n合計\n$33.16" in text
    assert quote.total == Decimal("33.16")
