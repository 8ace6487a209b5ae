"""予測の推移: weekly pipeline snapshots, idempotent per day, read within the deal scope."""

import datetime as dt
from decimal import Decimal

import pytest

from daifuku.core.models import Currency
from daifuku.sales import tasks_forecast
from daifuku.sales.models import PipelineSnapshot
from daifuku.sales.selectors import forecast as fc
from daifuku.sales.services.forecast import pipeline_snapshot_take
from tests.sales.factories import DealFactory, ExchangeRateFactory, stage_named

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 10, 5)  # a Monday


def snapshot_rows():
    """{(taken_on, owner, team, stage, close month): (deal count, amount, weighted)}."""
    return {
        r[:5]: r[5:]
        for r in PipelineSnapshot.objects.values_list(
            "taken_on",
            "owner_id",
            "team_id",
            "stage__name",
            "close_month",
            "deal_count",
            "amount",
            "weighted_amount",
        )
    }


@pytest.fixture
def pipeline(rep_a, rep_b):
    usd = Currency.objects.get(code="USD")
    ExchangeRateFactory(currency=usd, date=dt.date(2026, 10, 1), rate=Decimal("150"))
    ExchangeRateFactory(currency=usd, date=dt.date(2026, 10, 6), rate=Decimal("160"))
    proposal = stage_named("提案")
    DealFactory(
        owner=rep_a,
        stage=proposal,
        probability=40,
        amount=Decimal("2000000"),
        expected_close_date=dt.date(2026, 10, 28),
    )
    DealFactory(
        owner=rep_a,
        stage=proposal,
        probability=50,
        amount=Decimal("1000"),
        currency_id="USD",
        expected_close_date=dt.date(2026, 10, 2),
    )
    DealFactory(
        owner=rep_a,
        stage=stage_named("最終交渉"),
        probability=80,
        amount=Decimal("500000"),
        expected_close_date=dt.date(2026, 11, 15),
    )
    DealFactory(
        owner=rep_a, stage=proposal, probability=40, amount=Decimal("300000"), expected_close_date=None
    )
    DealFactory(
        owner=rep_a, stage=stage_named("受注"), probability=100, amount=Decimal("9000000"), closed_on=DAY
    )
    DealFactory(
        owner=rep_b,
        stage=proposal,
        probability=40,
        amount=Decimal("1000000"),
        expected_close_date=dt.date(2026, 10, 20),
    )


def test_snapshot_aggregates_open_deals_in_yen_at_the_days_rate(pipeline, rep_a, rep_b, team_a, team_b):
    # when
    written = pipeline_snapshot_take(day=DAY)
    # then one row per owner, stage and close month; the USD deal at 150 (rate of DAY, not 160)
    assert written == 4
    assert snapshot_rows() == {
        (DAY, rep_a.pk, team_a.pk, "提案", dt.date(2026, 10, 1)): (2, Decimal("2150000"), Decimal("875000")),
        (DAY, rep_a.pk, team_a.pk, "提案", None): (1, Decimal("300000"), Decimal("120000")),
        (DAY, rep_a.pk, team_a.pk, "最終交渉", dt.date(2026, 11, 1)): (
            1,
            Decimal("500000"),
            Decimal("400000"),
        ),
        (DAY, rep_b.pk, team_b.pk, "提案", dt.date(2026, 10, 1)): (1, Decimal("1000000"), Decimal("400000")),
    }


def test_taking_the_snapshot_twice_on_a_day_gives_the_same_rows(pipeline):
    # given
    pipeline_snapshot_take(day=DAY)
    first = snapshot_rows()
    # when
    pipeline_snapshot_take(day=DAY)
    # then
    assert snapshot_rows() == first
    assert PipelineSnapshot.objects.count() == 4


def test_another_day_keeps_earlier_snapshots(pipeline, rep_a):
    # given
    pipeline_snapshot_take(day=DAY)
    DealFactory(
        owner=rep_a,
        stage=stage_named("提案"),
        probability=40,
        amount=Decimal("1000000"),
        expected_close_date=dt.date(2026, 10, 30),
    )
    # when
    pipeline_snapshot_take(day=DAY + dt.timedelta(days=7))
    # then
    assert PipelineSnapshot.objects.filter(taken_on=DAY).count() == 4
    assert PipelineSnapshot.objects.filter(taken_on=DAY + dt.timedelta(days=7)).count() == 4


def test_history_of_the_period_by_snapshot_within_the_viewers_scope(pipeline, manager_a, admin, rep_a):
    # given two weekly snapshots; a new October deal between them
    pipeline_snapshot_take(day=DAY)
    DealFactory(
        owner=rep_a,
        stage=stage_named("提案"),
        probability=40,
        amount=Decimal("1000000"),
        expected_close_date=dt.date(2026, 10, 30),
    )
    pipeline_snapshot_take(day=DAY + dt.timedelta(days=7))
    october = fc.period_parse("2026-10", fiscal_month=3)
    # when
    mine = fc.snapshot_history(user=manager_a, period=october)
    everyone = fc.snapshot_history(user=admin, period=october)
    # then team B's ¥1,000,000 (weighted ¥400,000) is only in the administrator's figures
    assert [(p.taken_on, p.deal_count, p.amount, p.weighted) for p in mine] == [
        (DAY, 2, Decimal("2150000"), Decimal("875000")),
        # $1,000 now at the rate of 10-12 (160): 2,000,000 + 160,000 + 1,000,000
        (DAY + dt.timedelta(days=7), 3, Decimal("3160000"), Decimal("1280000")),
    ]
    assert [p.weighted for p in everyone] == [Decimal("1275000"), Decimal("1680000")]


def test_history_query_count_is_constant(pipeline, manager_a, django_assert_num_queries):
    # given
    for week in range(10):
        pipeline_snapshot_take(day=DAY + dt.timedelta(days=7 * week))
    fc.snapshot_history(user=manager_a, period=fc.period_parse("2026-Q3", fiscal_month=3))
    # when / then
    with django_assert_num_queries(1):
        points = fc.snapshot_history(user=manager_a, period=fc.period_parse("2026-Q3", fiscal_month=3))
    assert len(points) == 10


def test_weekly_job_takes_todays_snapshot(pipeline, monkeypatch):
    # given
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: DAY)
    # when
    written = tasks_forecast.take_weekly_pipeline_snapshot.call_local()
    # then
    assert written == 4
    assert set(PipelineSnapshot.objects.values_list("taken_on", flat=True)) == {DAY}
