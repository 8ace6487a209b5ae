"""The generator's quotes step: counts, determinism, numbers, amounts, statuses, and rows that equal
what the quote services and their subscribers write when the same quote is made through them."""

import datetime as dt
import json
import re
from collections import Counter
from decimal import Decimal

import pytest
from bench.scales import SCALES, Scale
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bench import generator
from daifuku.activities.models import Activity, TimelineEntry
from daifuku.core import context
from daifuku.core.models import AuditEntry, NumberSequence
from daifuku.core.services import profile_get
from daifuku.sales import subscribers
from daifuku.sales.models import Deal, Quote, QuoteLine
from daifuku.sales.services import quotes as services
from tests.bench.helpers import generated_then_read

TINY = Scale("tiny-quotes", teams=2, reps_per_team=2, companies=30, contacts=120, deals=200, activities=300,
             tasks=20, quotes=100)  # fmt: skip
QUOTE_FIELDS = [
    "revision", "deal_id", "company_id", "contact_id", "recipient_name", "owner_id", "team_id", "title",
    "status", "issue_date", "valid_until", "currency_id", "tax_rounding", "subtotal", "tax_total", "total",
    "tax_summary", "delivery_terms", "payment_terms", "terms", "issuer", "issued_at", "issued_by_id",
    "sent_at", "decided_at", "version", "created_at", "updated_at", "deleted_at",
]  # fmt: skip
LINE_FIELDS = [
    "sort_order", "product_id", "description", "quantity", "unit", "unit_price", "discount_percent",
    "discount_amount", "tax_category", "tax_rate", "amount",
]  # fmt: skip
AUDIT_FIELDS = ["at", "actor_id", "actor_name", "via", "object_repr", "action", "changes", "version", "note"]
TIMELINE_FIELDS = [
    "kind", "occurred_at", "company_id", "contact_id", "actor_id", "owner_id", "team_id", "object_type",
    "source_type", "title", "summary", "data",
]  # fmt: skip
ACTIVITY_FIELDS = [
    "kind", "occurred_at", "duration_minutes", "company_id", "owner_id", "team_id", "subject", "body",
    "outcome", "status", "response", "related_type", "related_id", "version", "created_at", "updated_at",
]  # fmt: skip
LOCAL = generator.TOKYO


def _fingerprint() -> list[tuple]:
    quotes = list(
        Quote.objects.order_by("pk").values_list(
            "number", "revision", "deal_id", "contact_id", "status", "total", "issued_at", "sent_at"
        )
    )
    lines = list(
        QuoteLine.objects.order_by("pk").values_list("quote_id", "description", "amount", "tax_rate")
    )
    return quotes + lines


def _deal_outcome(deal: Deal) -> str:
    return "won" if deal.stage.is_won else "lost" if deal.stage.is_lost else "open"


@pytest.mark.django_db
def test_quotes_and_lines_are_counted():
    # when
    result = generator.generate(scale=TINY, seed=4)
    # then
    revisions = Quote.objects.filter(revision=2)
    lines_per_quote = Counter(QuoteLine.objects.values_list("quote_id", flat=True))
    assert Quote.objects.count() == result.quotes == 100
    assert QuoteLine.objects.count() == result.quote_lines == sum(lines_per_quote.values())
    assert revisions.count() == 100 // 16
    assert (
        Quote.objects.filter(revision=1).count() == Quote.objects.values("deal_id").distinct().count() == 94
    )
    assert set(lines_per_quote.values()) <= {1, 2, 3, 4, 5}
    assert len(lines_per_quote) == 100
    assert 2.0 <= result.quote_lines / result.quotes <= 3.0
    assert not Quote.objects.filter(revision__gt=2).exists()
    for revision in revisions:
        assert revision.previous.revision == 1
        assert revision.previous.number == revision.number
        assert revision.previous.deal_id == revision.deal_id
    sends = Activity.objects.filter(subject__startswith="見積書送付 ")
    assert sends.count() == Quote.objects.filter(sent_at__isnull=False).count() > 0
    assert Activity.objects.count() == result.activities == 300 + sends.count()
    assert TimelineEntry.objects.count() == result.timeline_entries


@pytest.mark.django_db
def test_same_seed_same_quotes_other_seed_other_quotes():
    # when
    first, again, other = (generated_then_read(TINY, seed, _fingerprint) for seed in (11, 11, 12))
    # then
    assert len(first) > 100
    assert first == again
    assert first != other


@pytest.mark.django_db
def test_the_quotes_step_leaves_the_data_of_the_earlier_steps_as_it_was():
    # given
    def generate_and_read(scale: Scale) -> list[tuple]:
        with transaction.atomic():
            generator.generate(scale=scale, seed=5)
            deals = list(Deal.objects.order_by("pk").values_list("name", "company_id", "stage_id", "amount"))
            activities = list(
                Activity.objects.filter(pk__lte=Activity.objects.order_by("pk")[299].pk)
                .order_by("pk")
                .values_list("kind", "occurred_at", "company_id", "subject")
            )
            transaction.set_rollback(True)
        return deals + activities

    # when
    without, with_quotes = generate_and_read(Scale(**{**TINY.__dict__, "quotes": 0})), generate_and_read(TINY)
    # then
    assert len(without) == 200 + 300
    assert without == with_quotes


@pytest.mark.django_db
def test_amounts_tax_summary_and_numbers_equal_what_the_services_compute():
    # given
    generator.generate(scale=TINY, seed=6)
    profile = profile_get()
    issuer = {
        "name": profile.name, "registration_number": profile.registration_number,
        "postal_code": profile.postal_code, "address": profile.address, "phone": profile.phone,
    }  # fmt: skip
    seen_rates: Counter[tuple[str, Decimal]] = Counter()
    # when
    quotes = list(Quote.objects.select_related("currency", "company", "contact").order_by("pk"))
    # then
    assert profile.name == "大福商事株式会社"
    for quote in quotes:
        lines = list(quote.lines.all())
        decimals = quote.currency.decimals
        for line in lines:
            assert line.amount == services.line_amount(
                quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent,
                discount_amount=line.discount_amount, decimals=decimals,
            )  # fmt: skip
            seen_rates[(line.tax_category, line.tax_rate)] += 1
        totals = services.quote_totals(lines, rounding=quote.tax_rounding, decimals=decimals)
        assert (quote.subtotal, quote.tax_total, quote.total) == (totals.subtotal, totals.tax, totals.total)
        assert quote.tax_summary == services.tax_summary(totals, decimals=decimals)
        assert [line.sort_order for line in lines] == list(range(1, len(lines) + 1))
        assert quote.tax_rounding == profile.tax_rounding
        assert quote.recipient_name == services.recipient_name_for(quote)
        assert quote.issuer == ({} if quote.status == "draft" else issuer)
        assert quote.valid_until == timezone.localtime(quote.created_at).date() + dt.timedelta(days=30)
    per_year: dict[str, list[int]] = {}
    for quote in quotes:
        match = re.fullmatch(r"Q-(\d{4})-(\d{5})", quote.number)
        assert match is not None
        assert match[1] == str(timezone.localtime(quote.created_at).year)
        if quote.revision == 1:
            per_year.setdefault(match[1], []).append(int(match[2]))
    assert {year: numbers for year, numbers in per_year.items()} == {
        year: list(range(1, len(numbers) + 1)) for year, numbers in per_year.items()
    }  # gapless, in creation (= id) order
    assert dict(NumberSequence.objects.filter(name="quote").values_list("period", "last_value")) == {
        year: len(numbers) for year, numbers in per_year.items()
    }
    assert set(seen_rates) == {("standard", Decimal("10.00")), ("reduced", Decimal("8.00"))}
    assert seen_rates[("standard", Decimal("10.00"))] > 5 * seen_rates[("reduced", Decimal("8.00"))]
    assert (
        Quote.objects.filter(currency_id="USD").exists()
        or not Deal.objects.filter(currency_id="USD").exists()
    )


@pytest.mark.django_db
def test_statuses_and_dates_follow_the_deal():
    # given
    generator.generate(scale=TINY, seed=7)
    now_day = timezone.localtime(generator.NOW).date()
    # when
    quotes = list(
        Quote.objects.select_related("deal__stage", "deal__company", "next_revision").order_by("pk")
    )
    # then
    statuses = Counter(q.status for q in quotes)
    assert set(statuses) == {"draft", "issued", "sent", "accepted", "rejected", "expired"}
    for quote in quotes:
        deal = quote.deal
        superseded = hasattr(quote, "next_revision")
        outcome = _deal_outcome(deal)
        assert (quote.owner_id, quote.team_id, quote.company_id, quote.currency_id, quote.title) == (
            deal.owner_id, deal.team_id, deal.company_id, deal.currency_id, deal.name
        )  # fmt: skip
        assert quote.contact is None or (quote.contact.company_id, quote.contact.team_id) == (
            quote.company_id,
            quote.team_id,
        )  # a contact of the company its owner's team may see
        if superseded:
            assert quote.status in {"issued", "sent", "expired"}
        elif outcome == "won":
            assert quote.status == "accepted"
        elif outcome == "lost":
            assert quote.status == "rejected"
        else:
            assert quote.status in {"draft", "issued", "sent", "expired"}
        assert (quote.issued_at is None) == (quote.issue_date is None) == (quote.status == "draft")
        assert (quote.decided_at is not None) == (quote.status in {"accepted", "rejected"})
        assert quote.sent_at is not None or quote.status != "sent"
        assert quote.issued_by_id == (None if quote.status == "draft" else quote.owner_id)
        times = [t for t in (quote.created_at, quote.issued_at, quote.sent_at, quote.decided_at) if t]
        assert times == sorted(times)
        assert deal.created_at <= quote.created_at <= quote.updated_at <= generator.NOW
        if quote.decided_at is not None:
            assert timezone.localtime(quote.decided_at).date() <= quote.valid_until
            assert quote.decided_at <= max(deal.created_at + dt.timedelta(hours=1), _end_of(deal.closed_on))
        if quote.status == "expired":
            assert quote.valid_until < now_day
        if quote.status in {"issued", "sent"}:
            assert quote.valid_until >= now_day
        if quote.issue_date is not None:
            assert quote.issue_date == timezone.localtime(quote.issued_at).date()


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=LOCAL)


@pytest.mark.django_db
def test_issue_timeline_rows_equal_what_the_subscriber_writes(monkeypatch):
    # given
    generator.generate(scale=TINY, seed=8)
    issued = list(Quote.objects.filter(issued_at__isnull=False).select_related("currency", "issued_by"))
    rows_of = lambda q: list(  # noqa: E731
        TimelineEntry.objects.filter(source_type="sales.quote", source_id=q.pk).values(*TIMELINE_FIELDS)
    )
    generated = {q.pk: rows_of(q) for q in issued}
    TimelineEntry.objects.filter(source_type="sales.quote").delete()
    # when
    for quote in issued:
        monkeypatch.setattr(timezone, "now", lambda at=quote.issued_at: at)
        subscribers.quote_issued(quote=quote, by=quote.issued_by)
    # then
    monkeypatch.undo()
    assert len(issued) == Quote.objects.exclude(status="draft").count() > 0
    assert generated == {q.pk: rows_of(q) for q in issued}
    assert all(len(rows) == 1 for rows in generated.values())


class _Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = generator.NOW
        monkeypatch.setattr(timezone, "now", lambda: self.at)


def _typed(quote: Quote) -> list[dict]:
    """The quote's lines as someone would type them into the form (no trailing zeros)."""
    return [
        {
            "description": line.description, "quantity": f"{line.quantity.normalize():f}", "unit": line.unit,
            "unit_price": f"{line.unit_price.normalize():f}",
            "discount_percent": f"{line.discount_percent.normalize():f}",
            "discount_amount": f"{line.discount_amount.normalize():f}", "tax_category": line.tax_category,
        }
        for line in quote.lines.all()
    ]  # fmt: skip


def _replay(chain: list[Quote], clock: _Clock) -> dict[int, Quote]:
    """Make the chain's quotes again through the services, each step at the time its audit entry has."""
    made: dict[int, Quote] = {}
    by_pk = {q.pk: q for q in chain}
    entries = AuditEntry.objects.filter(object_type="sales.quote", object_id__in=list(by_pk)).order_by(
        "at", "pk"
    )
    for entry in entries:
        clock.at = entry.at
        quote = by_pk[entry.object_id]
        owner = quote.owner
        with context.acting(via=entry.via):
            if entry.action == "create" and quote.previous_id is None:
                data = {"contact": quote.contact_id, "delivery_terms": quote.delivery_terms,
                        "payment_terms": quote.payment_terms, "lines": _typed(quote)}  # fmt: skip
                made[quote.pk] = services.quote_create_from_deal(deal=quote.deal, by=owner, data=data)
            elif entry.action == "revise":
                made[quote.next_revision.pk] = services.quote_revise(quote=made[quote.pk], by=owner)
            elif entry.action == "update":
                services.quote_update(quote=made[quote.pk], by=owner, data={"lines": _typed(quote)})
            elif entry.action == "issue":
                services.quote_issue(quote=made[quote.pk], by=owner)
            elif entry.action == "send":
                mine = Quote.objects.get(pk=made[quote.pk].pk)
                body = "\n".join([
                    mine.recipient_name, "", "いつもお世話になっております。",
                    f"{mine.title} の御見積書をお送りいたします。",
                    "添付のPDFをご確認くださいますようお願い申し上げます。", "", owner.display_name,
                ])  # fmt: skip
                services.quote_send(quote=mine, by=owner, to=entry.note, subject="御見積書", body=body)
            elif entry.action in ("accept", "reject"):
                decide = services.quote_accept if entry.action == "accept" else services.quote_reject
                decide(quote=made[quote.pk], by=owner)
            elif entry.action == "expire":
                services.quotes_expire_due(today=timezone.localdate())
    return made


def _as_generated(values: object, mine: Quote, generated: Quote) -> object:
    """``values`` with the replayed quote's number and ids put back to the generated quote's."""
    text = json.dumps(values, default=str, ensure_ascii=False)
    text = text.replace(mine.number, generated.number)
    text = text.replace(
        reverse("sales:quote_detail", args=[mine.pk]), reverse("sales:quote_detail", args=[generated.pk])
    )
    return json.loads(text)


def _record(quote: Quote) -> dict:
    """Everything the app keeps about one quote, minus its id and number-bearing keys."""
    audits = list(
        AuditEntry.objects.filter(object_type="sales.quote", object_id=quote.pk).order_by("at", "pk")
        .values(*AUDIT_FIELDS)
    )  # fmt: skip
    for entry in audits:
        entry["changes"].pop("pdf_sha256", None)  # the generator renders no PDFs
        entry["changes"].pop("previous", None)
    mails = Activity.objects.filter(
        related_type="sales.deal", related_id=quote.deal_id, subject=f"見積書送付 {quote.display_number}"
    )
    sends = list(mails.order_by("pk").values(*ACTIVITY_FIELDS))
    send_rows = list(
        TimelineEntry.objects.filter(source_type="activities.activity", source_id__in=mails.values("pk"))
        .order_by("pk")
        .values(*TIMELINE_FIELDS)
    )
    for row in send_rows:
        row["data"].pop("activity_id")
    return {
        "quote": Quote.objects.filter(pk=quote.pk).values(*QUOTE_FIELDS).get(),
        "lines": list(quote.lines.order_by("sort_order").values(*LINE_FIELDS)),
        "audit": audits,
        "timeline": list(
            TimelineEntry.objects.filter(source_type="sales.quote", source_id=quote.pk).values(
                *TIMELINE_FIELDS
            )
        ),
        "sends": sends,
        "send_rows": send_rows,
        "previous_revision": quote.previous.revision if quote.previous_id else None,
    }


@pytest.mark.django_db
def test_quotes_made_through_the_services_at_the_same_times_equal_the_generated_ones(monkeypatch):
    # given
    generator.generate(scale=Scale(**{**TINY.__dict__, "deals": 600, "quotes": 300}), seed=9)
    accepted = (
        Quote.objects.filter(status="accepted", sent_at__isnull=False, revision=1).order_by("pk").first()
    )
    rejected = Quote.objects.filter(status="rejected", revision=1).order_by("pk").first()
    expired = (
        Quote.objects.filter(status="expired", revision=1, next_revision__isnull=True).order_by("pk").first()
    )
    revised = Quote.objects.filter(revision=2).exclude(status="draft").order_by("pk").first()
    draft = Quote.objects.filter(status="draft", revision=1).order_by("pk").first()
    discounted = Quote.objects.filter(revision=1, lines__discount_amount__gt=0).order_by("pk").first()
    dollars = Quote.objects.filter(revision=1, currency_id="USD").order_by("pk").first()
    chains = [
        [accepted],
        [rejected],
        [expired],
        [revised.previous, revised],
        [draft],
        [discounted],
        [dollars],
    ]
    clock = _Clock(monkeypatch)
    for chain in chains:
        # when
        made = _replay(chain, clock)
        # then
        for generated in chain:
            mine = made[generated.pk]
            assert _as_generated(_record(mine), mine, generated) == json.loads(
                json.dumps(_record(generated), default=str, ensure_ascii=False)
            )


@pytest.mark.django_db
def test_a_quote_created_in_the_app_after_generation_takes_the_next_number():
    # given
    generator.generate(scale=TINY, seed=10)
    year = str(timezone.localdate().year)
    taken = Quote.objects.filter(number__startswith=f"Q-{year}-", revision=1).count()
    deal = (
        Deal.objects.filter(quotes__isnull=True, stage__is_won=False, stage__is_lost=False)
        .order_by("pk")
        .first()
    )
    lines = [{"description": "導入支援", "quantity": "2", "unit": "人日", "unit_price": "120000"}]
    # when
    quote = services.quote_create_from_deal(deal=deal, by=deal.owner, data={"lines": lines})
    issued = services.quote_issue(quote=quote, by=deal.owner)
    # then
    assert taken > 0
    assert quote.number == f"Q-{year}-{taken + 1:05d}"
    assert NumberSequence.objects.get(name="quote", period=year).last_value == taken + 1
    assert issued.status == "issued"
    assert issued.total == Decimal("264000")


def test_scales_write_quotes_on_about_half_the_deals():
    assert {name: (s.quotes, s.deals) for name, s in SCALES.items()} == {
        "small": (300, 600), "100k": (15_000, 30_000), "1m": (150_000, 300_000),
    }  # fmt: skip
