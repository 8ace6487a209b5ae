"""DealTotal: the triggers keep one row per group of live deals equal to the deals' own sums, through
every kind of write; the board and the forecast read the groups (in the viewer's scope)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from daifuku.core.models import Currency
from daifuku.sales import tasks
from daifuku.sales.models import Deal, DealTotal
from daifuku.sales.models.totals import KEY_FIELDS, NO_DATE
from daifuku.sales.models.totals import SUM_FIELDS as SUMS
from daifuku.sales.selectors.deals import DealFilters, deal_board_totals
from daifuku.sales.selectors.totals import computed_groups, deal_totals
from daifuku.sales.services.totals import deal_totals_rebuild, deal_totals_verify
from tests.factories import CompanyFactory, TeamFactory, UserFactory
from tests.sales.factories import DealFactory, ExchangeRateFactory, default_pipeline, stage_named

TODAY = timezone.localdate()
THREADS = 6


def stored() -> list[dict]:
    rows = [{k: getattr(t, k) for k in (*KEY_FIELDS, *SUMS)} for t in DealTotal.objects.all()]
    return sorted(rows, key=lambda g: tuple(g[k] for k in KEY_FIELDS))


def assert_totals_match_deals() -> None:
    expected = computed_groups()
    actual = stored()
    # SQLite keeps decimals as floating point: compare sums to the cent
    for group in (*expected, *actual):
        for name in SUMS[1:]:
            group[name] = Decimal(group[name]).quantize(Decimal("0.01"))
    assert actual == expected


def group_of(deal: Deal) -> dict:
    deal.refresh_from_db()
    return next(
        g
        for g in stored()
        if (g["owner_id"], g["stage_id"], g["currency_id"])
        == (deal.owner_id, deal.stage_id, deal.currency_id)
    )


def test_a_new_deal_makes_a_group_with_its_sums(rep_a):
    # when
    deal = DealFactory(
        owner=rep_a,
        stage=stage_named("提案"),
        probability=40,
        amount=Decimal("1000000"),
        cost=Decimal("400000"),
        expected_close_date=dt.date(2026, 10, 28),
    )
    # then: one group keyed by the month (yen) with the deal's sums
    assert stored() == [
        {
            "pipeline_id": deal.pipeline_id, "stage_id": deal.stage_id, "owner_id": rep_a.pk,
            "team_id": rep_a.team_id, "currency_id": "JPY", "close_key": dt.date(2026, 10, 1),
            "closed_key": NO_DATE, "high": False, "n": 1, "amount": Decimal("1000000.00"),
            "cost": Decimal("400000.00"), "weighted": Decimal("40000000.00"),
            "weighted_cost": Decimal("16000000.00"),
        }
    ]  # fmt: skip


def test_foreign_currency_groups_by_day_and_no_team_is_zero(db):
    # given: an owner without a team
    owner = UserFactory(team=None)
    # when
    DealFactory(
        owner=owner, currency_id="USD", amount=Decimal("100.50"), expected_close_date=dt.date(2026, 11, 3)
    )
    DealFactory(
        owner=owner, currency_id="USD", amount=Decimal("20"), expected_close_date=None, closed_on=None
    )
    # then
    keys = sorted((g["team_id"], g["close_key"], g["closed_key"], g["amount"]) for g in stored())
    assert keys == [
        (0, NO_DATE, NO_DATE, Decimal("20.00")),
        (0, dt.date(2026, 11, 3), NO_DATE, Decimal("100.50")),
    ]


def test_every_kind_of_change_keeps_the_groups_equal_to_the_deals(rep_a, rep_b):
    # given: deals of two teams, yen and dollars, with and without dates
    proposal, quote, won = stage_named("提案"), stage_named("見積提示"), stage_named("受注")
    a = DealFactory(owner=rep_a, stage=proposal, probability=40, amount=Decimal("1000000"))
    b = DealFactory(owner=rep_a, stage=proposal, probability=40, amount=Decimal("250000"), cost=Decimal("0"))
    c = DealFactory(owner=rep_b, currency_id="USD", amount=Decimal("10000.25"), expected_close_date=None)
    d = DealFactory(owner=rep_b, stage=quote, probability=60, amount=Decimal("3000000"))
    assert_totals_match_deals()
    # when / then: each change, through the ORM's save
    a.amount = Decimal("1200000")
    a.save()
    assert_totals_match_deals()
    a.probability = 55  # crosses the best-case line
    a.save()
    assert_totals_match_deals()
    b.stage, b.closed_on = won, dt.date(2026, 10, 20)
    b.save()
    assert_totals_match_deals()
    c.owner, c.team = rep_a, rep_a.team
    c.expected_close_date = dt.date(2026, 12, 24)
    c.save()
    assert_totals_match_deals()
    d.team = None
    d.save()
    assert_totals_match_deals()
    d.currency_id = "USD"
    d.save()
    assert_totals_match_deals()
    # the trash and back
    a.deleted_at = timezone.now()
    a.save()
    assert_totals_match_deals()
    a.deleted_at = None
    a.save()
    assert_totals_match_deals()
    # a change to nothing summed leaves the groups as they were
    before = stored()
    Deal.objects.filter(pk=a.pk).update(notes="電話で確認", last_activity_at=timezone.now(), board_order=9)
    assert stored() == before
    # queryset updates and deletes (no model code runs)
    Deal.objects.filter(owner=rep_a).update(stage=quote, probability=70)
    assert_totals_match_deals()
    Deal.objects.filter(pk=d.pk).delete()
    assert_totals_match_deals()
    Deal.objects.all().delete()
    assert stored() == []


def test_bulk_created_deals_are_summed_and_emptied_groups_disappear(rep_a):
    # given
    company = CompanyFactory(owner=rep_a)
    Deal.objects.bulk_create(
        [DealFactory.build(owner=rep_a, company=company, amount=Decimal(n)) for n in (100, 200, 300)]
    )
    # then
    assert_totals_match_deals()
    assert [(g["n"], g["amount"]) for g in stored()] == [(3, Decimal("600.00"))]
    # when: every deal goes to the trash
    Deal.objects.update(deleted_at=timezone.now())
    # then: no empty groups are left behind
    assert stored() == []


def test_rebuild_restores_lost_groups(rep_a, rep_b):
    # given: deals, and a totals table that lost its rows (e.g. restored without them)
    DealFactory(owner=rep_a, amount=Decimal("500000"))
    DealFactory(owner=rep_b, currency_id="USD", amount=Decimal("99.99"))
    DealTotal.objects.all().delete()
    # when
    written = deal_totals_rebuild()
    # then
    assert written == 2
    assert_totals_match_deals()


def test_the_nightly_check_finds_nothing_when_groups_agree(rep_a):
    # given
    DealFactory(owner=rep_a, amount=Decimal("500000"))
    DealFactory(owner=rep_a, currency_id="USD", amount=Decimal("12.34"), expected_close_date=None)
    before = stored()
    # when
    differing = tasks.verify_deal_totals.call_local()
    # then
    assert differing == 0
    assert stored() == before


def test_the_nightly_check_rebuilds_groups_that_drifted(rep_a, rep_b, caplog):
    # given: one group with a wrong sum, one missing, one that should not exist
    DealFactory(owner=rep_a, amount=Decimal("500000"))
    gone = DealFactory(owner=rep_b, amount=Decimal("700000"))
    DealTotal.objects.filter(owner_id=rep_a.pk).update(amount=Decimal("1"))
    DealTotal.objects.filter(owner_id=gone.owner_id).delete()
    DealTotal.objects.create(
        pipeline_id=gone.pipeline_id, stage_id=gone.stage_id, owner_id=999999, team_id=0, currency_id="JPY",
        close_key=NO_DATE, closed_key=NO_DATE, high=False, n=3, amount=1, cost=0, weighted=0, weighted_cost=0,
    )  # fmt: skip
    # when
    differing = deal_totals_verify()
    # then
    assert differing == 3
    assert_totals_match_deals()
    assert "3 groups differed" in caplog.text


def test_a_rep_reads_the_groups_of_their_team_and_their_own_deals(rep_a, rep_b):
    # given: rep_a's deal, a teammate's, one of rep_a's filed under another team, and team B's
    teammate = UserFactory(team=rep_a.team, role=rep_a.role)
    other_team = TeamFactory()
    mine = DealFactory(owner=rep_a)
    theirs = DealFactory(owner=teammate)
    mine_elsewhere = DealFactory(owner=rep_a, team=other_team)
    DealFactory(owner=rep_b)
    # when
    visible = {(g.owner_id, g.team_id) for g in deal_totals(user=rep_a)}
    # then
    assert visible == {
        (mine.owner_id, mine.team_id),
        (theirs.owner_id, theirs.team_id),
        (mine_elsewhere.owner_id, other_team.pk),
    }


def test_a_board_sums_groups_not_deals_unless_filtered_by_what_groups_do_not_keep(rep_a):
    # given: two deals of one company, in yen and in dollars
    ExchangeRateFactory(currency=Currency.objects.get(code="USD"), date=TODAY, rate=Decimal("150"))
    company = CompanyFactory(owner=rep_a)
    proposal = stage_named("提案")
    DealFactory(owner=rep_a, company=company, stage=proposal, probability=40, amount=Decimal("1000000"))
    DealFactory(
        owner=rep_a, company=company, stage=proposal, probability=40, amount=Decimal("100"), currency_id="USD"
    )
    pipeline = default_pipeline()
    # when: the plain board, and the board of that company (groups keep no company)
    with CaptureQueriesContext(connection) as plain:
        columns = deal_board_totals(user=rep_a, pipeline=pipeline)
    with CaptureQueriesContext(connection) as filtered:
        company_columns = deal_board_totals(
            user=rep_a, pipeline=pipeline, filters=DealFilters(company=company.pk)
        )
    # then: the same figures, from the groups (both halves of the rep's scope) or from the deals
    column = next(c for c in columns if c.stage.name == "提案")
    assert (column.count, column.amount, column.weighted) == (2, Decimal("1015000"), Decimal("406000"))
    assert [(c.count, c.amount, c.weighted) for c in company_columns] == [
        (c.count, c.amount, c.weighted) for c in columns
    ]
    sums = [q["sql"] for q in plain.captured_queries if "SUM(" in q["sql"]]
    assert len(sums) == 4 and all('FROM "sales_dealtotal"' in sql for sql in sums)
    deal_sums = [q["sql"] for q in filtered.captured_queries if "SUM(" in q["sql"]]
    assert len(deal_sums) == 4 and all('FROM "sales_deal"' in sql for sql in deal_sums)


@pytest.mark.parametrize("status", ["open", "won", "lost"])
def test_board_filters_on_groups_match_the_same_filters_on_deals(rep_a, status):
    # given: deals in open, won and lost stages over two months
    for stage, month in (("提案", 10), ("受注", 10), ("失注", 11), ("見積提示", 11)):
        DealFactory(
            owner=rep_a,
            stage=stage_named(stage),
            amount=Decimal(month * 1000),
            expected_close_date=dt.date(2026, month, 15),
        )
    pipeline = default_pipeline()
    filters = {"status": status, "close_month": dt.date(2026, 10, 1), "owner": rep_a.pk}
    # when: the groups' figures, and the deals' (a company filter that every deal passes)
    grouped = deal_board_totals(user=rep_a, pipeline=pipeline, filters=DealFilters(**filters))
    company_ids = set(Deal.objects.values_list("company_id", flat=True))
    summed = [
        deal_board_totals(user=rep_a, pipeline=pipeline, filters=DealFilters(**filters, company=company_id))
        for company_id in company_ids
    ]
    # then
    expected = [
        (sum(board[i].count for board in summed), sum(board[i].amount for board in summed))
        for i in range(len(grouped))
    ]
    assert [(c.count, c.amount) for c in grouped] == expected
    assert sum(c.count for c in grouped) == (1 if status in ("open", "won") else 0)


ONLY_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database is one shared-cache connection set: concurrent writers get "
    "'database table is locked' at once instead of waiting (and never hold one group each), so races "
    "can only be run on PostgreSQL",
)


def run_at_once(calls: list) -> list[BaseException]:
    """Run each ``(function, args)`` in its own thread, all starting together; the errors they raised."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(function, args) -> None:
        try:
            barrier.wait()
            function(*args)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
@ONLY_POSTGRESQL
def test_concurrent_writes_to_one_group_lose_nothing(seeded, rep_a):
    # given: deals of one group, changed by several transactions at once
    company = CompanyFactory(owner=rep_a)
    deals = [DealFactory(owner=rep_a, company=company, amount=Decimal("1000")) for _ in range(THREADS)]

    def change(deal_id: int) -> None:
        for step in range(10):
            with transaction.atomic():
                Deal.objects.filter(pk=deal_id).update(amount=Decimal(1000 + step), probability=step * 10)

    # when
    errors = run_at_once([(change, (deal.pk,)) for deal in deals])
    # then: each deal's last values are summed once, whatever the interleaving
    assert errors == []
    assert_totals_match_deals()
    assert [(g["n"], g["amount"]) for g in stored()] == [(THREADS, Decimal("1009.00") * THREADS)]


@pytest.mark.django_db(transaction=True)
@ONLY_POSTGRESQL
def test_deals_crossing_between_two_groups_at_once_do_not_deadlock(seeded, rep_a):
    # given: deals in two stages of one owner (two groups), moved the opposite ways at the same time
    company = CompanyFactory(owner=rep_a)
    proposal, quote = stage_named("提案"), stage_named("見積提示")
    forward = [DealFactory(owner=rep_a, company=company, stage=proposal) for _ in range(THREADS)]
    backward = [DealFactory(owner=rep_a, company=company, stage=quote) for _ in range(THREADS)]

    def move(deal_id: int, there: int, back: int) -> None:
        for _round in range(5):
            for stage_id in (there, back):
                with transaction.atomic():
                    Deal.objects.filter(pk=deal_id).update(stage_id=stage_id)

    # when
    errors = run_at_once(
        [(move, (d.pk, quote.pk, proposal.pk)) for d in forward]
        + [(move, (d.pk, proposal.pk, quote.pk)) for d in backward]
    )
    # then
    assert errors == []
    assert_totals_match_deals()
