"""売上予測: periods, won / weighted / best case / achievement against hand-computed figures."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from daifuku.core.models import CompanyProfile, Currency
from daifuku.sales.selectors import forecast as fc
from tests.factories import UserFactory
from tests.sales.factories import (
    DealFactory,
    ExchangeRateFactory,
    SalesTargetFactory,
    open_deal,
    stage_named,
    won_deal,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese():
    """Messages are asserted in Japanese, whatever language an earlier test's request left active."""
    with translation.override("ja"):
        yield


OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)


def usd():
    return Currency.objects.get(code="USD")


@pytest.fixture
def october(rep_a, rep_b):
    """Rep A's October 2026 (fiscal Q3 with 決算月 3) and one deal of team B."""
    ExchangeRateFactory(currency=usd(), date=dt.date(2026, 10, 1), rate=Decimal("150"))
    ExchangeRateFactory(currency=usd(), date=dt.date(2026, 10, 21), rate=Decimal("160"))
    won_deal(rep_a, "1000000", dt.date(2026, 10, 5), cost="400000")
    won_deal(rep_a, "1000", dt.date(2026, 10, 20), currency="USD", cost="600")  # ¥150,000 at 150
    open_deal(rep_a, "2000000", 40, dt.date(2026, 10, 28), cost="1000000")  # weighted ¥800,000
    open_deal(rep_a, "500000", 80, dt.date(2026, 10, 15), stage="最終交渉", cost="200000")  # ¥400,000
    lost = DealFactory(owner=rep_a, stage=stage_named("失注"), probability=0, amount=Decimal("9000000"))
    lost.closed_on = lost.expected_close_date = dt.date(2026, 10, 10)
    lost.save(update_fields=["closed_on", "expected_close_date"])
    trashed = won_deal(rep_a, "7000000", dt.date(2026, 10, 3))
    trashed.deleted_at = timezone.now()
    trashed.save(update_fields=["deleted_at"])
    won_deal(rep_b, "3000000", dt.date(2026, 10, 7))
    SalesTargetFactory(user=rep_a, month=OCT, amount=Decimal("3000000"), gross_profit=Decimal("1000000"))


def row_of(result, key):
    return next(row for row in result.rows if row.key == key)


# Periods


def test_fiscal_quarters_follow_the_fiscal_month():
    # given 決算月 3: 2026年度 = 2026-04 … 2027-03
    # when / then
    q3 = fc.period_parse("2026-Q3", fiscal_month=3)
    assert (q3.start, q3.end, q3.key, q3.span) == (OCT, dt.date(2026, 12, 31), "2026-Q3", "q3")
    q4 = fc.period_parse("2026-q4", fiscal_month=3)
    assert (q4.start, q4.end) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    year = fc.period_parse("2026", fiscal_month=3)
    assert (year.start, year.end, len(year.months)) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31), 12)
    feb = fc.period_parse("2027-02", fiscal_month=3)
    assert (feb.kind, feb.fiscal_year, feb.index, feb.start, feb.end) == (
        "month",
        2026,
        11,
        dt.date(2027, 2, 1),
        dt.date(2027, 2, 28),
    )
    calendar_q1 = fc.period_parse("2026-Q1", fiscal_month=12)
    assert (calendar_q1.start, calendar_q1.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def test_bad_period_is_refused_naming_the_field():
    # when / then
    with pytest.raises(ValidationError) as exc:
        fc.period_parse("2026-Q5", fiscal_month=3)
    assert list(exc.value.message_dict) == ["period"]


def test_current_period_and_fiscal_month_from_the_profile():
    # given
    CompanyProfile.objects.update_or_create(pk=1, defaults={"fiscal_month": 12})
    # when
    month = fc.fiscal_month()
    period = fc.current_period(fiscal_month=month, today=dt.date(2026, 11, 15))
    # then
    assert month == 12
    assert (period.kind, period.key, period.start, period.end) == (
        "quarter",
        "2026-Q4",
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )


# Figures


def test_month_figures_of_a_rep_against_hand_computed_sums(october, manager_a, rep_a):
    # given rep A's October (see the fixture)
    period = fc.period_parse("2026-10", fiscal_month=3)
    # when
    result = fc.forecast(user=manager_a, period=period, by="user")
    # then
    cell = row_of(result, rep_a.pk).months[OCT]
    assert cell.target == Decimal("3000000")
    assert cell.won == Decimal("1150000")  # 1,000,000 + 1,000 USD × 150 (rate of 10-20, not 10-21)
    assert cell.weighted == Decimal("1200000")  # 2,000,000 × 40 % + 500,000 × 80 %
    assert cell.best_case == Decimal("1650000")  # won + 500,000 (the 80 % deal only)
    assert cell.achievement == Decimal("38.3")  # 1,150,000 / 3,000,000
    assert cell.won_gross_profit == Decimal("660000")  # 600,000 + 400 USD × 150
    assert cell.weighted_gross_profit == Decimal("640000")  # 1,000,000 × 40 % + 300,000 × 80 %
    assert cell.best_case_gross_profit == Decimal("960000")
    assert cell.gross_profit_achievement == Decimal("66.0")
    assert result.show_gross_profit is True
    assert result.missing_rates == []


def test_other_teams_deals_are_invisible_to_a_manager(october, manager_a, rep_b):
    # when
    result = fc.forecast(user=manager_a, period=fc.period_parse("2026-10", fiscal_month=3), by="user")
    # then team B's rep and their ¥3,000,000 are not there
    assert rep_b.pk not in [row.key for row in result.rows]
    assert result.totals.total.won == Decimal("1150000")


def test_quarter_sums_months(october, manager_a, rep_a):
    # given a November deal and targets for November and December
    open_deal(rep_a, "1000000", 60, dt.date(2026, 11, 10), stage="見積提示")
    SalesTargetFactory(user=rep_a, month=NOV, amount=Decimal("2500000"))
    SalesTargetFactory(user=rep_a, month=DEC, amount=Decimal("2000000"))
    # when
    result = fc.forecast(user=manager_a, period=fc.period_parse("2026-Q3", fiscal_month=3), by="user")
    # then
    row = row_of(result, rep_a.pk)
    assert [c.weighted for c in row.cells(result.months)] == [Decimal("1200000"), Decimal("600000"), 0]
    assert row.total.target == Decimal("7500000")
    assert row.total.won == Decimal("1150000")
    assert row.total.weighted == Decimal("1800000")
    assert row.total.best_case == Decimal("2650000")  # 1,150,000 + 500,000 + 1,000,000
    assert row.total.achievement == Decimal("15.3")
    assert result.totals.total.weighted == Decimal("1800000")


def test_team_rollup_uses_the_team_row_or_the_members_sum(october, manager_a, rep_a, team_a):
    # given a team row for October only; November comes from the members' rows
    SalesTargetFactory(team=team_a, month=OCT, amount=Decimal("10000000"))
    SalesTargetFactory(user=rep_a, month=NOV, amount=Decimal("2500000"))
    # when
    result = fc.forecast(user=manager_a, period=fc.period_parse("2026-Q3", fiscal_month=3), by="team")
    # then
    assert [row.key for row in result.rows] == [team_a.pk]
    team = result.rows[0]
    assert (team.months[OCT].target, team.months[OCT].target_from_members) == (Decimal("10000000"), False)
    assert (team.months[NOV].target, team.months[NOV].target_from_members) == (Decimal("2500000"), True)
    assert team.months[DEC].target is None
    assert team.total.target == Decimal("12500000")
    assert team.total.won == Decimal("1150000")
    assert team.total.weighted == Decimal("1200000")


def test_administrator_sees_every_team(october, admin, team_a, team_b):
    # when
    result = fc.forecast(user=admin, period=fc.period_parse("2026-10", fiscal_month=3), by="team")
    # then
    assert {row.label: row.total.won for row in result.rows} == {
        "東京営業部": Decimal("1150000"),
        "大阪営業部": Decimal("3000000"),
    }
    assert result.totals.total.won == Decimal("4150000")


def test_rep_with_team_scope_sees_teammates_but_not_other_teams(october, rep_a, rep_a2, rep_b):
    # when
    mine = fc.forecast(user=rep_a2, period=fc.period_parse("2026-10", fiscal_month=3), by="user")
    theirs = fc.forecast(user=rep_b, period=fc.period_parse("2026-10", fiscal_month=3), by="user")
    # then
    assert row_of(mine, rep_a.pk).total.won == Decimal("1150000")
    assert row_of(mine, rep_a.pk).total.target == Decimal("3000000")
    assert [row.key for row in theirs.rows] == [rep_b.pk]
    assert theirs.rows[0].total.won == Decimal("3000000")
    assert theirs.rows[0].total.target is None


def test_filters_by_owner_and_team(october, admin, rep_a, team_b):
    # when
    by_owner = fc.forecast(
        user=admin, period=fc.period_parse("2026-10", fiscal_month=3), by="user", owner_id=rep_a.pk
    )
    by_team = fc.forecast(
        user=admin, period=fc.period_parse("2026-10", fiscal_month=3), by="user", team_id=team_b.pk
    )
    # then
    assert [(row.key, row.total.won) for row in by_owner.rows] == [(rep_a.pk, Decimal("1150000"))]
    assert [row.total.won for row in by_team.rows] == [Decimal("3000000")]


def test_missing_exchange_rate_is_reported(manager_a, rep_a):
    # given a EUR deal and no EUR rate at all
    won_deal(rep_a, "1000", dt.date(2026, 10, 5), currency="EUR")
    # when
    result = fc.forecast(user=manager_a, period=fc.period_parse("2026-10", fiscal_month=3), by="user")
    # then
    assert result.missing_rates == ["EUR"]
    assert row_of(result, rep_a.pk).total.won == 0


def test_chart_data_per_month(october, manager_a):
    # when
    result = fc.forecast(user=manager_a, period=fc.period_parse("2026-Q3", fiscal_month=3), by="user")
    # then
    data = result.chart_data()
    assert data["won"] == [1150000, 0, 0]
    assert data["weighted"] == [1200000, 0, 0]
    assert data["target"] == [3000000, None, None]
    assert data["best_case"] == [1650000, 0, 0]


def test_query_count_does_not_grow_with_deals(october, admin, team_a, django_assert_num_queries):
    # given (the role scopes are loaded once per user object, before counting)
    period = fc.period_parse("2026-Q3", fiscal_month=3)
    fc.forecast(user=admin, period=period, by="user")
    with django_assert_num_queries(5):  # won, open, exchange rates, targets, people
        fc.forecast(user=admin, period=period, by="user")
    with django_assert_num_queries(5):  # won, open, exchange rates, targets, teams
        fc.forecast(user=admin, period=period, by="team")
    for n in range(15):
        rep = UserFactory(team=team_a, role="sales_rep")
        won_deal(rep, "100000", dt.date(2026, 10, 1 + n), currency="USD" if n % 2 else "JPY")
        open_deal(rep, "200000", 40, dt.date(2026, 11, 1 + n))
        SalesTargetFactory(user=rep, month=DEC, amount=Decimal("1000000"))
    # when / then
    with django_assert_num_queries(5):
        result = fc.forecast(user=admin, period=period, by="user")
    with django_assert_num_queries(5):
        fc.forecast(user=admin, period=period, by="team")
    assert len(result.rows) == 17
    # 4,150,000 before, plus 8 JPY deals of ¥100,000 and 7 USD deals of $100,000 at 150
    assert result.totals.total.won == Decimal("4150000") + 8 * Decimal("100000") + 7 * Decimal("15000000")
