"""Quote services: creation from a deal, line amounts, tax per rate, issue, revisions, decisions."""

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from daifuku.core.models import AuditEntry, CompanyProfile
from daifuku.core.services import VersionConflict, profile_get
from daifuku.sales.models import Quote, QuoteLine
from daifuku.sales.selectors.quotes import quote_get
from daifuku.sales.services import quotes as services
from daifuku.sales.tasks_quotes import expire_quotes
from tests.factories import ContactFactory
from tests.sales.factories import DealFactory, DealLineFactory, ProductFactory, stage_named

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Issued PDFs are written under a temporary MEDIA_ROOT, not the data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


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


@pytest.fixture
def deal(rep_a, company_of_rep_a):
    return DealFactory(owner=rep_a, company=company_of_rep_a, name="販売管理システム導入")


def _row(description="保守", quantity="1", unit_price="105", **extra):
    return {"description": description, "quantity": quantity, "unit_price": unit_price, **extra}


def _quote(deal, by, rows, **data):
    return services.quote_create_from_deal(deal=deal, by=by, data={"lines": rows, **data})


# Creation


def test_create_from_deal_copies_lines_parties_and_numbers_the_quote(profile, rep_a, deal):
    # given
    DealLineFactory(deal=deal, description="ライセンス", quantity=Decimal("3"), unit_price=Decimal("50000"))
    DealLineFactory(deal=deal, description="導入支援", quantity=Decimal("1"), unit_price=Decimal("120000"))
    today = timezone.localdate()
    # when
    first = services.quote_create_from_deal(deal=deal, by=rep_a)
    second = services.quote_create_from_deal(deal=deal, by=rep_a)
    # then
    assert (first.number, second.number) == (f"Q-{YEAR}-00001", f"Q-{YEAR}-00002")
    assert (first.company_id, first.owner_id, first.team_id) == (deal.company_id, rep_a.pk, rep_a.team_id)
    assert first.title == "販売管理システム導入"
    assert first.recipient_name == "株式会社山田商事 御中"
    assert first.status == "draft"
    assert first.valid_until == today + dt.timedelta(days=30)
    assert [(x.description, x.quantity, x.unit_price, x.tax_rate, x.amount) for x in first.lines.all()] == [
        ("ライセンス", Decimal("3.000"), Decimal("50000.00"), Decimal("10.00"), Decimal("150000.00")),
        ("導入支援", Decimal("1.000"), Decimal("120000.00"), Decimal("10.00"), Decimal("120000.00")),
    ]
    assert (first.subtotal, first.tax_total, first.total) == (
        Decimal("270000"),
        Decimal("27000"),
        Decimal("297000"),
    )
    entry = AuditEntry.objects.get(object_type="sales.quote", object_id=first.pk)
    assert entry.action == "create"
    assert entry.changes["lines"][1] == [
        "ライセンス × 3.000 @ 50000.00 = 150000.00 (standard 10.00%)",
        "導入支援 × 1.000 @ 120000.00 = 120000.00 (standard 10.00%)",
    ]


def test_create_addressed_to_the_deals_contact_uses_sama(profile, rep_a, deal, contact_of_rep_a):
    # given
    deal.contacts.add(contact_of_rep_a)
    # when
    quote = services.quote_create_from_deal(deal=deal, by=rep_a)
    # then
    assert quote.contact_id == contact_of_rep_a.pk
    assert quote.recipient_name == "株式会社山田商事 田中 一郎 様"


def test_rep_cannot_create_a_quote_for_another_reps_deal(profile, rep_a2, deal):
    # when
    with pytest.raises(PermissionDenied):
        services.quote_create_from_deal(deal=deal, by=rep_a2)
    # then
    assert not Quote.objects.exists()


# Amounts and tax


def test_three_105_yen_lines_round_down_once_per_rate_to_31(profile, rep_a, deal):
    # when
    quote = _quote(deal, rep_a, [_row(), _row(), _row()])
    # then
    assert (quote.subtotal, quote.tax_total, quote.total) == (Decimal("315"), Decimal("31"), Decimal("346"))
    assert quote.tax_summary == [
        {"category": "standard", "rate": "10", "base": "315", "tax": "31", "reduced": False}
    ]


@pytest.mark.parametrize(
    ("rounding", "tax_315", "tax_314"),
    [("floor", "31", "31"), ("ceiling", "32", "32"), ("half_up", "32", "31")],
)
def test_each_rounding_mode_of_the_company_profile(profile, rep_a, deal, rounding, tax_315, tax_314):
    # given
    CompanyProfile.objects.filter(pk=profile.pk).update(tax_rounding=rounding)
    # when
    a = _quote(deal, rep_a, [_row(unit_price="315")])
    b = _quote(deal, rep_a, [_row(unit_price="314")])
    # then
    assert (a.tax_rounding, a.tax_total, b.tax_total) == (rounding, Decimal(tax_315), Decimal(tax_314))


def test_reduced_and_standard_lines_give_two_rate_totals(profile, rep_a, deal):
    # when
    quote = _quote(
        deal,
        rep_a,
        [
            _row("弁当", "10", "540", tax_category="reduced"),
            _row("会場費", "1", "30005"),
            _row("印紙代", "1", "200", tax_category="non_taxable"),
        ],
    )
    # then
    assert [(x.tax_category, x.tax_rate) for x in quote.lines.all()] == [
        ("reduced", Decimal("8.00")),
        ("standard", Decimal("10.00")),
        ("non_taxable", Decimal("0.00")),
    ]
    assert quote.tax_summary == [
        {"category": "standard", "rate": "10", "base": "30005", "tax": "3000", "reduced": False},
        {"category": "reduced", "rate": "8", "base": "5400", "tax": "432", "reduced": True},
        {"category": "non_taxable", "rate": "0", "base": "200", "tax": "0", "reduced": False},
    ]
    assert (quote.subtotal, quote.tax_total, quote.total) == (
        Decimal("35605"),
        Decimal("3432"),
        Decimal("39037"),
    )


def test_line_amount_applies_percent_then_amount_discount_rounded_to_yen(profile, rep_a, deal):
    # when
    quote = _quote(
        deal,
        rep_a,
        [
            _row("作業費", "3", "1000", discount_percent="15", discount_amount="50"),
            _row("部材", "1.5", "333"),
        ],
    )
    # then: 3 × 1000 × 0.85 − 50 = 2500; 1.5 × 333 = 499.5 → 500 (half up)
    assert [x.amount for x in quote.lines.all()] == [Decimal("2500.00"), Decimal("500.00")]


def test_product_fills_description_unit_price_and_tax_category(profile, rep_a, deal):
    # given
    product = ProductFactory(name="お茶ギフト", unit="箱", unit_price=Decimal("3240"), tax_category="reduced")
    # when
    quote = _quote(deal, rep_a, [{"product": product.pk, "quantity": "2"}])
    # then
    line = quote.lines.get()
    assert (
        line.product_id,
        line.description,
        line.unit,
        line.unit_price,
        line.tax_category,
        line.amount,
    ) == (
        product.pk,
        "お茶ギフト",
        "箱",
        Decimal("3240.00"),
        "reduced",
        Decimal("6480.00"),
    )
    assert quote.tax_total == Decimal("518")


def test_bad_lines_name_the_row_and_field_and_nothing_is_saved(profile, rep_a, deal):
    # when
    with pytest.raises(ValidationError) as info:
        _quote(
            deal,
            rep_a,
            [
                _row(),
                _row("", "abc", "10.5"),
                _row("値引しすぎ", "1", "100", discount_amount="101", tax_category="luxury"),
            ],
        )
    # then
    assert info.value.message_dict == {
        "lines.1.description": ["品名を入力してください。"],
        "lines.1.quantity": ["数値を入力してください。"],
        "lines.1.unit_price": ["小数点以下は0桁までです。"],
        "lines.2.tax_category": ["選択肢にない値です。"],
    }
    assert not Quote.objects.exists()
    assert not QuoteLine.objects.exists()


def test_discount_larger_than_the_line_is_refused(profile, rep_a, deal):
    # when
    with pytest.raises(ValidationError) as info:
        _quote(deal, rep_a, [_row("値引しすぎ", "1", "100", discount_amount="101")])
    # then
    assert info.value.message_dict == {"lines.0.discount_amount": ["値引額が金額を超えています。"]}


def test_usd_quote_keeps_cents(profile, rep_a, deal):
    # when
    quote = _quote(deal, rep_a, [_row("Support", "3", "10.05")], currency="USD")
    # then: 30.15 × 10 % = 3.015 → 3.01 (floor)
    assert quote.currency_id == "USD"
    assert (quote.subtotal, quote.tax_total, quote.total) == (
        Decimal("30.15"),
        Decimal("3.01"),
        Decimal("33.16"),
    )


# Editing drafts


def test_update_replaces_lines_recomputes_totals_and_audits(profile, rep_a, deal):
    # given
    quote = _quote(deal, rep_a, [_row()])
    # when
    quote = services.quote_update(
        quote=quote, by=rep_a, data={"title": "改定版", "lines": [_row(), _row(), _row()]}, seen_version=1
    )
    # then
    quote.refresh_from_db()
    assert (quote.version, quote.title, quote.lines.count()) == (2, "改定版", 3)
    assert (quote.subtotal, quote.tax_total, quote.total) == (Decimal("315"), Decimal("31"), Decimal("346"))
    entry = AuditEntry.objects.filter(object_id=quote.pk, object_type="sales.quote", action="update").get()
    assert entry.changes["title"] == ["販売管理システム導入", "改定版"]
    assert entry.changes["tax_total"] == ["10.00", "31.00"]  # both as stored (two places)


def test_switching_to_a_contact_with_an_empty_addressee_writes_sama(profile, rep_a, deal, contact_of_rep_a):
    # given
    quote = _quote(deal, rep_a, [_row()])
    # when
    quote = services.quote_update(
        quote=quote, by=rep_a, data={"contact": contact_of_rep_a.pk, "recipient_name": ""}
    )
    # then
    quote.refresh_from_db()
    assert (quote.contact_id, quote.recipient_name) == (contact_of_rep_a.pk, "株式会社山田商事 田中 一郎 様")


def test_contact_of_another_company_is_refused(profile, rep_a, deal):
    # given
    quote = _quote(deal, rep_a, [_row()])
    stranger = ContactFactory(owner=rep_a)
    # when
    with pytest.raises(ValidationError) as info:
        services.quote_update(quote=quote, by=rep_a, data={"contact": stranger.pk})
    # then
    assert info.value.message_dict == {"contact": ["宛先の取引先に所属する担当者を選んでください。"]}
    quote.refresh_from_db()
    assert quote.contact_id is None


def test_update_over_a_newer_version_is_refused(profile, rep_a, deal):
    # given
    quote = _quote(deal, rep_a, [_row()])
    services.quote_update(quote=quote, by=rep_a, data={"title": "A"}, seen_version=1)
    # when
    with pytest.raises(VersionConflict):
        services.quote_update(quote=quote, by=rep_a, data={"title": "B"}, seen_version=1)
    # then
    quote.refresh_from_db()
    assert quote.title == "A"


def test_rep_of_another_team_cannot_see_or_change_the_quote(profile, rep_a, rep_b, deal):
    # given
    quote = _quote(deal, rep_a, [_row()])
    # when
    with pytest.raises(PermissionDenied):
        services.quote_update(quote=quote, by=rep_b, data={"title": "乗っ取り"})
    # then
    quote.refresh_from_db()
    assert (quote.title, quote.version) == ("販売管理システム導入", 1)
    with pytest.raises(Http404):
        quote_get(user=rep_b, pk=quote.pk)


# Issue and immutability


def test_issue_copies_issuer_and_stores_the_pdf(profile, rep_a, deal):
    # given
    quote = _quote(deal, rep_a, [_row(), _row(), _row()])
    # when
    quote = services.quote_issue(quote=quote, by=rep_a)
    # then
    quote.refresh_from_db()
    assert quote.status == "issued"
    assert quote.issue_date == timezone.localdate()
    assert quote.issuer == {
        "name": "大福商事株式会社",
        "registration_number": "T7123456789012",
        "postal_code": "1000001",
        "address": "東京都千代田区千代田1-1",
        "phone": "+81312345678",
    }
    assert quote.issued_by_id == rep_a.pk
    content = quote.pdf.read()
    assert content.startswith(b"%PDF")
    assert quote.pdf_sha256 == hashlib.sha256(content).hexdigest()
    assert services.quote_pdf_bytes(quote=quote) == content
    assert AuditEntry.objects.filter(object_id=quote.pk, object_type="sales.quote", action="issue").exists()


def test_issue_without_lines_is_refused(profile, rep_a, deal):
    # given
    quote = _quote(deal, rep_a, [])
    # when
    with pytest.raises(ValidationError) as info:
        services.quote_issue(quote=quote, by=rep_a)
    # then
    assert info.value.message_dict == {"lines": ["明細が1行もない見積は発行できません。"]}
    quote.refresh_from_db()
    assert (quote.status, quote.issue_date, bool(quote.pdf)) == ("draft", None, False)


def test_issue_without_our_company_name_is_refused(profile, rep_a, deal):
    # given
    quote = _quote(deal, rep_a, [_row()])
    CompanyProfile.objects.filter(pk=profile.pk).update(name="")
    # when
    with pytest.raises(ValidationError) as info:
        services.quote_issue(quote=quote, by=rep_a)
    # then
    assert info.value.message_dict == {
        "__all__": ["自社の会社名が未設定です。設定 → 自社情報で登録してから発行してください。"]
    }
    quote.refresh_from_db()
    assert quote.status == "draft"


def test_issued_quote_refuses_changes_and_nothing_changes(profile, rep_a, deal):
    # given
    quote = services.quote_issue(quote=_quote(deal, rep_a, [_row()]), by=rep_a)
    before = (quote.version, quote.title, quote.total, list(quote.lines.values_list("description", "amount")))
    # when
    with pytest.raises(ValidationError) as info:
        services.quote_update(quote=quote, by=rep_a, data={"title": "X", "lines": [_row(unit_price="1")]})
    with pytest.raises(ValidationError):
        services.quote_delete(quote=quote, by=rep_a)
    # then
    assert info.value.message_dict == {
        "__all__": ["発行済みの見積は変更できません。変更するには改訂版を作成してください。"]
    }
    quote.refresh_from_db()
    assert (
        quote.version,
        quote.title,
        quote.total,
        list(quote.lines.values_list("description", "amount")),
    ) == before
    assert quote.deleted_at is None


def test_tampered_pdf_is_detected(profile, rep_a, deal):
    # given
    quote = services.quote_issue(quote=_quote(deal, rep_a, [_row()]), by=rep_a)
    with open(quote.pdf.path, "ab") as handle:
        handle.write(b"%tampered")
    # when
    with pytest.raises(ValidationError) as info:
        services.quote_pdf_bytes(quote=quote)
    # then
    assert info.value.message_dict == {
        "pdf": ["保存されたPDFが発行時のものと一致しません（改ざんの可能性）。"]
    }


# Revisions


def test_revision_keeps_the_number_links_the_old_one_and_leaves_it_as_issued(profile, rep_a, deal):
    # given
    old = services.quote_issue(quote=_quote(deal, rep_a, [_row(), _row()]), by=rep_a)
    old_state = (old.status, old.version, old.total, old.pdf_sha256)
    # when
    new = services.quote_revise(quote=old, by=rep_a)
    # then
    assert (new.number, new.revision, new.previous_id, new.status) == (old.number, 2, old.pk, "draft")
    assert new.display_number == f"{old.number}-2"
    assert [x.amount for x in new.lines.all()] == [Decimal("105.00"), Decimal("105.00")]
    assert new.total == old.total
    old.refresh_from_db()
    assert (old.status, old.version, old.total, old.pdf_sha256) == old_state
    assert old.next_revision == new
    with pytest.raises(ValidationError) as info:
        services.quote_revise(quote=old, by=rep_a)
    assert info.value.message_dict == {"__all__": ["この見積には既に改訂版があります。"]}


def test_a_draft_is_not_revised(profile, rep_a, deal):
    # given
    quote = _quote(deal, rep_a, [_row()])
    # when
    with pytest.raises(ValidationError):
        services.quote_revise(quote=quote, by=rep_a)
    # then
    assert Quote.objects.count() == 1


# Decisions and expiry


def test_accept_can_mark_the_deal_won(profile, rep_a, deal):
    # given
    quote = services.quote_issue(quote=_quote(deal, rep_a, [_row()]), by=rep_a)
    # when
    quote = services.quote_accept(quote=quote, by=rep_a, mark_deal_won=True)
    # then
    quote.refresh_from_db()
    deal.refresh_from_db()
    assert quote.status == "accepted"
    assert quote.decided_at is not None
    assert deal.stage == stage_named("受注")
    assert deal.closed_on == timezone.localdate()


def test_accept_without_marking_leaves_the_deal(profile, rep_a, deal):
    # given
    quote = services.quote_issue(quote=_quote(deal, rep_a, [_row()]), by=rep_a)
    stage = deal.stage
    # when
    services.quote_accept(quote=quote, by=rep_a)
    # then
    deal.refresh_from_db()
    assert deal.stage == stage


def test_reject_and_deciding_a_draft_is_refused(profile, rep_a, deal):
    # given
    draft = _quote(deal, rep_a, [_row()])
    issued = services.quote_issue(quote=_quote(deal, rep_a, [_row()]), by=rep_a)
    # when
    services.quote_reject(quote=issued, by=rep_a, note="予算超過")
    with pytest.raises(ValidationError) as info:
        services.quote_accept(quote=draft, by=rep_a)
    # then
    issued.refresh_from_db()
    draft.refresh_from_db()
    assert (issued.status, draft.status) == ("rejected", "draft")
    assert info.value.message_dict == {
        "__all__": ["受注・不採用にできるのは発行済み・送付済みの見積だけです。"]
    }
    entry = AuditEntry.objects.get(object_id=issued.pk, object_type="sales.quote", action="reject")
    assert entry.note == "予算超過"


def test_expiry_job_marks_overdue_issued_quotes_once(profile, rep_a, deal):
    # given
    today = timezone.localdate()
    overdue = services.quote_issue(quote=_quote(deal, rep_a, [_row()]), by=rep_a)
    current = services.quote_issue(quote=_quote(deal, rep_a, [_row()]), by=rep_a)
    draft = _quote(deal, rep_a, [_row()])
    Quote.objects.filter(pk__in=[overdue.pk, draft.pk]).update(valid_until=today - dt.timedelta(days=1))
    Quote.objects.filter(pk=current.pk).update(valid_until=today)
    # when
    first = expire_quotes.call_local()
    second = expire_quotes.call_local()
    # then
    assert (first, second) == (1, 0)
    statuses = dict(Quote.objects.values_list("pk", "status"))
    assert statuses == {overdue.pk: "expired", current.pk: "issued", draft.pk: "draft"}


def test_trashed_draft_keeps_its_number_taken(profile, rep_a, deal):
    # given
    first = _quote(deal, rep_a, [_row()])
    # when
    services.quote_delete(quote=first, by=rep_a)
    second = _quote(deal, rep_a, [_row()])
    # then
    first.refresh_from_db()
    assert first.deleted_at is not None
    assert second.number == f"Q-{YEAR}-00002"
