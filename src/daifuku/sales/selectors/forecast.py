"""Reads of the sales module: forecast, targets and pipeline snapshots (visibility applied).

Definitions (also shown on the forecast page):

- **Period**: a fiscal year (年度), a fiscal quarter or a calendar month. The fiscal year follows
  ``CompanyProfile.fiscal_month`` (決算月): with 決算月 3 the year 2026年度 runs from 2026-04 to
  2027-03 and its first quarter is April–June. A fiscal year is named by the calendar year it
  starts in. API keys: ``2026`` (fiscal year), ``2026-Q3`` (fiscal quarter), ``2026-10`` (month).
- **Won (受注実績)**: deals in a won stage whose ``closed_on`` lies in the period, converted to yen
  at the rate of ``closed_on``.
- **Weighted pipeline (加重パイプライン)**: open deals (stage neither won nor lost, not in the
  trash) whose ``expected_close_date`` lies in the period: Σ amount × probability / 100, converted
  at the rate of the expected close date.
- **Best case (ベストケース)**: won + the full amount of the period's open deals whose probability
  is at least :data:`BEST_CASE_MIN_PROBABILITY` %.
- **Gross profit (粗利)**: the same three figures for amount − cost.
- **Target (目標)**: ``SalesTarget`` rows. A rep's target is their row. A team's target is the team
  row when there is one, otherwise the sum of its members' rows (flagged ``target_from_members``).
- **Achievement (達成率)**: won / target × 100, one decimal, rounded half up.

Conversion uses the latest exchange rate on or before the day (``core.money.RateTable``), once per
(row, day, currency) group, rounded to the yen. Every figure is one grouped query over the
``DealTotal`` groups (sums of live deals kept by the database, ``sales.models.totals``) the viewer
may read (``deal`` role scopes); nothing is summed deal by deal, in Python or in SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from daifuku.core import visibility
from daifuku.core.models import CompanyProfile, Role, Scope, Team, User
from daifuku.core.money import RateTable
from daifuku.sales.models import DealTotal, PipelineSnapshot, SalesTarget
from daifuku.sales.models.totals import HIGH_PROBABILITY
from daifuku.sales.selectors.totals import deal_totals, open_stages, team_of, won_stages

BEST_CASE_MIN_PROBABILITY = HIGH_PROBABILITY  # the deal totals' "high" groups
DEFAULT_FISCAL_MONTH = 3
SNAPSHOT_WEEKS = 26  # snapshot points shown in 予測の推移
# People who carry a sales target; anyone else appears in the target grid once they have a target row.
SELLING_ROLES = (Role.MANAGER, Role.SALES_REP)
PERIOD_KINDS = ("year", "quarter", "month")
BY_CHOICES = ("user", "team")
ZERO = Decimal(0)
HUNDRED = Decimal(100)


# Periods


def fiscal_month() -> int:
    """決算月 of our company (``CompanyProfile``); March when no profile was saved yet."""
    value = CompanyProfile.objects.filter(pk=1).values_list("fiscal_month", flat=True).first()
    return int(value or DEFAULT_FISCAL_MONTH)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_year_start(year: int, fiscal_month: int) -> dt.date:
    """The first day of fiscal year ``year`` (named by the calendar year it starts in)."""
    return dt.date(year, fiscal_month % 12 + 1, 1)


def fiscal_year_of(day: dt.date, fiscal_month: int) -> int:
    return day.year if day.month >= fiscal_month % 12 + 1 else day.year - 1


@dataclass(frozen=True)
class Period:
    """A fiscal year, fiscal quarter or month: ``start`` and ``end`` inclusive."""

    kind: str  # "year" | "quarter" | "month"
    fiscal_year: int
    index: int  # quarter 1–4, fiscal month 1–12 (1 = first month of the fiscal year), 0 for a year
    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[dt.date]:
        count = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return [add_months(self.start, i) for i in range(count)]

    @property
    def key(self) -> str:
        """The API's spelling: ``2026``, ``2026-Q3`` or ``2026-10``."""
        if self.kind == "year":
            return str(self.fiscal_year)
        if self.kind == "quarter":
            return f"{self.fiscal_year}-Q{self.index}"
        return f"{self.start:%Y-%m}"

    @property
    def span(self) -> str:
        """The web form's spelling inside a fiscal year: ``year``, ``q3`` or ``m7``."""
        if self.kind == "year":
            return "year"
        return f"{'q' if self.kind == 'quarter' else 'm'}{self.index}"

    @property
    def label(self) -> str:
        if self.kind == "year":
            return _("%(year)s年度") % {"year": self.fiscal_year}
        if self.kind == "quarter":
            return _("%(year)s年度 第%(quarter)s四半期") % {"year": self.fiscal_year, "quarter": self.index}
        return month_label(self.start)

    @property
    def range_label(self) -> str:
        if self.start.month == self.end.month and self.start.year == self.end.year:
            return month_label(self.start)
        return _("%(start)s〜%(end)s") % {"start": month_label(self.start), "end": month_label(self.end)}


def month_label(day: dt.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def _last_day(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def period_build(fiscal_year: int, span: str, *, fiscal_month: int) -> Period:
    """The period ``span`` (``year``, ``q1``–``q4``, ``m1``–``m12``) of ``fiscal_year``."""
    first = fiscal_year_start(fiscal_year, fiscal_month)
    match = re.fullmatch(r"([qm])(\d{1,2})", span or "")
    if span == "year":
        return Period("year", fiscal_year, 0, first, _last_day(add_months(first, 11)))
    if match and match.group(1) == "q" and 1 <= int(match.group(2)) <= 4:
        quarter = int(match.group(2))
        start = add_months(first, 3 * (quarter - 1))
        return Period("quarter", fiscal_year, quarter, start, _last_day(add_months(start, 2)))
    if match and match.group(1) == "m" and 1 <= int(match.group(2)) <= 12:
        index = int(match.group(2))
        start = add_months(first, index - 1)
        return Period("month", fiscal_year, index, start, _last_day(start))
    raise ValidationError({"period": _("期間の指定が正しくありません。")})


def period_parse(text: str, *, fiscal_month: int) -> Period:
    """Read ``2026`` (fiscal year), ``2026-Q3`` (fiscal quarter) or ``2026-10`` (month)."""
    value = (text or "").strip().upper()
    if re.fullmatch(r"\d{4}", value):
        return period_build(int(value), "year", fiscal_month=fiscal_month)
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", value)
    if quarter:
        return period_build(int(quarter.group(1)), f"q{quarter.group(2)}", fiscal_month=fiscal_month)
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if month and 1 <= int(month.group(2)) <= 12:
        day = dt.date(int(month.group(1)), int(month.group(2)), 1)
        year = fiscal_year_of(day, fiscal_month)
        index = (day.year - year) * 12 + day.month - fiscal_year_start(year, fiscal_month).month + 1
        return period_build(year, f"m{index}", fiscal_month=fiscal_month)
    raise ValidationError(
        {
            "period": _(
                "期間は「2026」（年度）、「2026-Q3」（四半期）、「2026-10」（月）の形で指定してください。"
            )
        }
    )


def current_period(*, fiscal_month: int, kind: str = "quarter", today: dt.date | None = None) -> Period:
    """The fiscal year, quarter or month containing ``today``."""
    today = today or timezone.localdate()
    year = fiscal_year_of(today, fiscal_month)
    index = (today.year - year) * 12 + today.month - fiscal_year_start(year, fiscal_month).month + 1
    if kind == "year":
        return period_build(year, "year", fiscal_month=fiscal_month)
    if kind == "month":
        return period_build(year, f"m{index}", fiscal_month=fiscal_month)
    return period_build(year, f"q{(index - 1) // 3 + 1}", fiscal_month=fiscal_month)


def span_choices(fiscal_year: int, *, fiscal_month: int) -> list[tuple[str, str]]:
    """Options of the period select inside one fiscal year (whole year, quarters, months)."""
    choices = [("year", _("通期"))]
    for quarter in range(1, 5):
        period = period_build(fiscal_year, f"q{quarter}", fiscal_month=fiscal_month)
        label = _("第%(quarter)s四半期（%(range)s）") % {"quarter": quarter, "range": period.range_label}
        choices.append((period.span, label))
    for index in range(1, 13):
        period = period_build(fiscal_year, f"m{index}", fiscal_month=fiscal_month)
        choices.append((period.span, period.label))
    return choices


# Scopes: whose figures and targets a user may see or edit


def _deal_scope(user: User) -> str:
    return visibility.scope_for(user, "deal", "read")


def is_manager(user: User) -> bool:
    return bool(user.role_id and user.role and user.role.slug == Role.MANAGER)


def _zero_people(user: User, *, team_id: int | None, owner_id: int | None) -> QuerySet[User, Any]:
    """People shown even without figures: the chosen rep, the chosen team, or the viewer's own team.

    An administrator's unfiltered view lists only people with figures or targets (a company-wide
    list of every user would be mostly empty rows).
    """
    people = visible_people(user=user, team_id=team_id)
    if owner_id:
        return people.filter(pk=owner_id).values("pk")
    if not team_id and _deal_scope(user) == Scope.ALL:
        return people.none().values("pk")
    return people.filter(Q(role__slug__in=SELLING_ROLES) | Q(pk=user.pk)).values("pk")


def target_queryset(*, user: User) -> QuerySet[SalesTarget]:
    """Target rows ``user`` may read: the deal read scope applied to the rep's or team's row.

    ``all`` → every row; ``team`` → my own row, my team's members' rows and my team's row;
    ``own`` → my own row; ``none`` → nothing.
    """
    scope = _deal_scope(user)
    qs = SalesTarget.objects.all()
    if scope == Scope.ALL:
        return qs
    if scope == Scope.TEAM and user.team_id:
        return qs.filter(Q(user_id=user.pk) | Q(user__team_id=user.team_id) | Q(team_id=user.team_id))
    if scope in (Scope.TEAM, Scope.OWN):
        return qs.filter(user_id=user.pk)
    return qs.none()


def target_can_edit(by: User, *, kind: str, subject_id: int, subject_team_id: int | None) -> bool:
    """Administrators edit every target; managers their team's row and its members'; others none."""
    if by.is_administrator:
        return True
    if not (is_manager(by) and by.team_id):
        return False
    if kind == "team":
        return subject_id == by.team_id
    return subject_team_id == by.team_id


def visible_teams(*, user: User) -> QuerySet[Team]:
    scope = _deal_scope(user)
    if scope == Scope.ALL:
        return Team.objects.order_by("name")
    if scope == Scope.TEAM and user.team_id:
        return Team.objects.filter(pk=user.team_id)
    return Team.objects.none()


def visible_people(*, user: User, team_id: int | None = None) -> QuerySet[User]:
    """Active people whose rows ``user`` may see (by the deal read scope), optionally of one team."""
    scope = _deal_scope(user)
    qs = User.objects.filter(is_active=True).select_related("team")
    if scope == Scope.TEAM and user.team_id:
        qs = qs.filter(Q(team_id=user.team_id) | Q(pk=user.pk))
    elif scope in (Scope.TEAM, Scope.OWN):
        qs = qs.filter(pk=user.pk)
    elif scope != Scope.ALL:
        return qs.none()
    if team_id:
        qs = qs.filter(team_id=team_id)
    return qs.order_by("team__name", "last_name", "first_name", "id")


# Figures


def _achievement(actual: Decimal, target: Decimal | None) -> Decimal | None:
    if not target:
        return None
    return (actual * HUNDRED / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """One cell of the forecast (a row's month or total), in yen."""

    target: Decimal | None = None
    target_from_members: bool = False
    gross_profit_target: Decimal | None = None
    won: Decimal = ZERO
    weighted: Decimal = ZERO
    best_open: Decimal = ZERO  # open amounts counted by the best case
    won_gross_profit: Decimal = ZERO
    weighted_gross_profit: Decimal = ZERO
    best_open_gross_profit: Decimal = ZERO

    @property
    def best_case(self) -> Decimal:
        return self.won + self.best_open

    @property
    def best_case_gross_profit(self) -> Decimal:
        return self.won_gross_profit + self.best_open_gross_profit

    @property
    def achievement(self) -> Decimal | None:
        """Won / target in percent (one decimal), None without a target."""
        return _achievement(self.won, self.target)

    @property
    def gross_profit_achievement(self) -> Decimal | None:
        return _achievement(self.won_gross_profit, self.gross_profit_target)

    def add(self, other: Figures) -> None:
        """Add ``other``'s figures (targets only where set; a missing target stays missing)."""
        if other.target is not None:
            self.target = (self.target or ZERO) + other.target
        if other.gross_profit_target is not None:
            self.gross_profit_target = (self.gross_profit_target or ZERO) + other.gross_profit_target
        self.target_from_members = self.target_from_members or other.target_from_members
        self.won += other.won
        self.weighted += other.weighted
        self.best_open += other.best_open
        self.won_gross_profit += other.won_gross_profit
        self.weighted_gross_profit += other.weighted_gross_profit
        self.best_open_gross_profit += other.best_open_gross_profit


@dataclass
class ForecastRow:
    kind: str  # "user" | "team" | "total"
    key: int | None  # user or team id; None for deals without a team and for the total row
    label: str
    group: str = ""  # the rep's team name
    months: dict[dt.date, Figures] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)

    def cells(self, months: Iterable[dt.date]) -> list[Figures]:
        return [self.months[m] for m in months]


@dataclass
class Forecast:
    period: Period
    by: str
    rows: list[ForecastRow]
    totals: ForecastRow
    show_gross_profit: bool
    missing_rates: list[str]

    @property
    def months(self) -> list[dt.date]:
        return self.period.months

    def chart_data(self) -> dict[str, Any]:
        """What forecast.js draws: per month (or per row for a one-month period)."""
        if len(self.months) > 1:
            labels = [month_label(m) for m in self.months]
            cells = self.totals.cells(self.months)
        else:
            labels = [row.label for row in self.rows]
            cells = [row.total for row in self.rows]
        return {
            "labels": labels,
            "target": [None if c.target is None else int(c.target) for c in cells],
            "won": [int(c.won) for c in cells],
            "weighted": [int(c.weighted) for c in cells],
            "best_case": [int(c.best_case) for c in cells],
        }


def _month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


OPEN_SUMS = ("weighted_sum", "weighted_cost", "best_sum", "best_cost")


def _deal_figures(
    groups: QuerySet[DealTotal], *, key_field: str, period: Period
) -> tuple[dict[tuple[int | None, dt.date], Figures], list[str]]:
    """Won, weighted and best-case sums per (row key, month) in yen: two grouped queries over the
    ``DealTotal`` groups the viewer may read (a few per rep and month, where summing the deals read
    every deal of the period: 104 ms for an administrator's year at 1m). Yen groups are keyed by month
    and converted once; other currencies by the day, converted at that day's rate."""
    # Value tuples, not dicts (an administrator's year is ~3,000 groups):
    # (currency, day, key, amount, cost) and (currency, day, key, weighted, weighted cost, best, best cost).
    won_rows = list(
        groups.filter(stage_id__in=won_stages(), closed_key__range=(period.start, period.end))
        .values("currency_id", "closed_key", key_field)
        .annotate(amount_sum=Sum("amount"), cost_sum=Sum("cost"))
        .order_by()
        .values_list("currency_id", "closed_key", key_field, "amount_sum", "cost_sum")
    )
    high = Q(high=True)
    open_rows = list(
        groups.filter(stage_id__in=open_stages(), close_key__range=(period.start, period.end))
        .values("currency_id", "close_key", key_field)
        .annotate(
            weighted_sum=Sum("weighted"),
            weighted_cost=Sum("weighted_cost"),
            best_sum=Sum("amount", filter=high),
            best_cost=Sum("cost", filter=high),
        )
        .order_by()
        .values_list(
            "currency_id", "close_key", key_field, "weighted_sum", "weighted_cost", "best_sum", "best_cost"
        )
    )
    # No team is 0 in a group, None in the table's rows.
    row_key = team_of if key_field == "team_id" else (lambda key: key)
    rates = RateTable({r[0] for r in won_rows} | {r[0] for r in open_rows})
    cells: dict[tuple[int | None, dt.date], Figures] = defaultdict(Figures)
    to_base, zero = rates.to_base, Decimal(0)

    for code, day, key, amount_sum, cost_sum in won_rows:
        cell = cells[(row_key(key), _month_of(day))]
        amount = amount_sum or zero
        cell.won += to_base(amount, code, day)
        cell.won_gross_profit += to_base(amount - (cost_sum or zero), code, day)
    for code, day, key, weighted_sum, weighted_cost, best_sum, best_cost in open_rows:
        cell = cells[(row_key(key), _month_of(day))]
        weighted = (weighted_sum or zero) / HUNDRED
        cell.weighted += to_base(weighted, code, day)
        cell.weighted_gross_profit += to_base(weighted - (weighted_cost or zero) / HUNDRED, code, day)
        best = best_sum or zero
        cell.best_open += to_base(best, code, day)
        cell.best_open_gross_profit += to_base(best - (best_cost or zero), code, day)
    return cells, sorted(rates.missing)


def _target_cells(
    *, user: User, by: str, period: Period, team_id: int | None, owner_id: int | None
) -> dict[tuple[int | None, dt.date], Figures]:
    """Targets per (row key, month): one query. Teams without a team row sum their members' rows."""
    qs = target_queryset(user=user).filter(month__range=(period.start, period.end))
    if owner_id:
        qs = qs.filter(user_id=owner_id)
    if team_id:
        qs = qs.filter(Q(team_id=team_id) | Q(user__team_id=team_id))
    if by == "user":
        qs = qs.filter(user__isnull=False)
    cells: dict[tuple[int | None, dt.date], Figures] = {}
    member_sums: dict[tuple[int | None, dt.date], Figures] = defaultdict(Figures)
    for row in qs.values("user_id", "user__team_id", "team_id", "month", "amount", "gross_profit"):
        month = _month_of(row["month"])
        if by == "user":
            cells[(row["user_id"], month)] = Figures(
                target=row["amount"], gross_profit_target=row["gross_profit"]
            )
        elif row["team_id"] is not None:
            cells[(row["team_id"], month)] = Figures(
                target=row["amount"], gross_profit_target=row["gross_profit"]
            )
        elif row["user__team_id"] is not None:
            member = Figures(
                target=row["amount"], gross_profit_target=row["gross_profit"], target_from_members=True
            )
            member_sums[(row["user__team_id"], month)].add(member)
    for key, summed in member_sums.items():
        cells.setdefault(key, summed)
    return cells


def forecast(
    *,
    user: User,
    period: Period,
    by: str = "user",
    team_id: int | None = None,
    owner_id: int | None = None,
) -> Forecast:
    """The forecast table: one row per rep (``by="user"``) or team (``by="team"``), per month.

    Rows: everyone with figures or a target in the period the viewer may see, plus the people of
    the viewer's scope (the filtered team, or the viewer's team) so a rep without deals still shows.
    A constant number of queries whatever the number of deals and rows.
    """
    if by not in BY_CHOICES:
        raise ValidationError({"by": _("集計単位は user か team を指定してください。")})
    key_field = "owner_id" if by == "user" else "team_id"
    groups = deal_totals(user=user)
    if team_id:
        groups = groups.filter(team_id=team_id)
    if owner_id:
        groups = groups.filter(owner_id=owner_id)
    deal_cells, missing = _deal_figures(groups, key_field=key_field, period=period)
    target_cells = _target_cells(user=user, by=by, period=period, team_id=team_id, owner_id=owner_id)
    keys = {key for key, _month in deal_cells} | {key for key, _month in target_cells}

    ids = [k for k in keys if k is not None]
    labels: dict[int | None, tuple[str, str, tuple[Any, ...]]] = {}
    if by == "user":
        people = User.objects.filter(
            Q(pk__in=ids) | Q(pk__in=_zero_people(user, team_id=team_id, owner_id=owner_id))
        ).values_list("pk", "last_name", "first_name", "username", "team__name")
        for pk, last_name, first_name, username, team_name in people:
            team_name = team_name or ""
            sort_key = (team_name == "", team_name, last_name, first_name, pk)
            labels[pk] = (User.name_of(last_name, first_name, username), team_name, sort_key)
    else:
        extra_teams = visible_teams(user=user).values("pk")
        if owner_id:
            extra_teams = extra_teams.none()
        elif team_id:
            extra_teams = extra_teams.filter(pk=team_id)
        for team in Team.objects.filter(Q(pk__in=ids) | Q(pk__in=extra_teams)):
            labels[team.pk] = (team.name, "", (False, team.name, "", "", team.pk))
        if None in keys:
            labels[None] = (_("チームなし"), "", (True, "", "", "", 0))

    rows: list[ForecastRow] = []
    for key, (label, group, _sort) in sorted(labels.items(), key=lambda kv: kv[1][2]):
        row = ForecastRow(kind=by, key=key, label=label, group=group)
        for month in period.months:
            cell = Figures()
            if (key, month) in target_cells:
                cell.add(target_cells[(key, month)])
            if (key, month) in deal_cells:
                cell.add(deal_cells[(key, month)])
            row.months[month] = cell
            row.total.add(cell)
        rows.append(row)
    totals = ForecastRow(kind="total", key=None, label=_("合計"))
    for month in period.months:
        totals.months[month] = Figures()
        for row in rows:
            totals.months[month].add(row.months[month])
    for row in rows:
        totals.total.add(row.total)
    show_gp = any(cell.gross_profit_target is not None for cell in target_cells.values())
    return Forecast(
        period=period, by=by, rows=rows, totals=totals, show_gross_profit=show_gp, missing_rates=missing
    )


# Pipeline snapshots (予測の推移)


@dataclass(frozen=True)
class SnapshotPoint:
    taken_on: dt.date
    deal_count: int
    amount: Decimal
    weighted: Decimal


def snapshot_queryset(*, user: User) -> QuerySet[PipelineSnapshot]:
    """Snapshot rows ``user`` may read: filtered by owner and team like the deals they sum up."""
    return visibility.visible(PipelineSnapshot.objects.all(), user, "deal")


def snapshot_history(
    *,
    user: User,
    period: Period,
    team_id: int | None = None,
    owner_id: int | None = None,
    limit: int = SNAPSHOT_WEEKS,
) -> list[SnapshotPoint]:
    """The open pipeline closing in ``period`` as it stood at each of the latest ``limit`` snapshots."""
    qs = snapshot_queryset(user=user).filter(close_month__range=(period.start, period.end))
    if team_id:
        qs = qs.filter(team_id=team_id)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    rows = list(
        qs.values("taken_on")
        .annotate(deals=Sum("deal_count"), amount_sum=Sum("amount"), weighted_sum=Sum("weighted_amount"))
        .order_by("-taken_on")[:limit]
    )
    return [
        SnapshotPoint(
            taken_on=r["taken_on"],
            deal_count=int(r["deals"] or 0),
            amount=Decimal(r["amount_sum"] or 0),
            weighted=Decimal(r["weighted_sum"] or 0),
        )
        for r in reversed(rows)
    ]


# Target grid (目標の入力)


@dataclass
class TargetSubject:
    kind: str  # "user" | "team"
    pk: int
    label: str
    team_id: int | None
    team_label: str
    editable: bool
    amounts: dict[dt.date, Decimal | None] = field(default_factory=dict)
    gross_profits: dict[dt.date, Decimal | None] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{self.kind[0]}{self.pk}"

    @property
    def total(self) -> Decimal:
        return sum((a for a in self.amounts.values() if a is not None), ZERO)

    @property
    def gross_profit_total(self) -> Decimal:
        return sum((a for a in self.gross_profits.values() if a is not None), ZERO)


@dataclass
class TargetGrid:
    fiscal_year: int
    months: list[dt.date]
    subjects: list[TargetSubject]

    @property
    def editable(self) -> bool:
        return any(s.editable for s in self.subjects)


def target_grid(*, user: User, fiscal_year: int, team_id: int | None = None, fiscal_month: int) -> TargetGrid:
    """Teams and reps with their 12 monthly targets of ``fiscal_year`` (three queries).

    Rows: each visible team followed by its active managers and reps (plus anyone who already has a
    target row that year); administrators also see people without a team. ``editable`` says whether
    ``user`` may change the row (see :func:`target_can_edit`).
    """
    period = period_build(fiscal_year, "year", fiscal_month=fiscal_month)
    months = period.months
    targets = list(
        target_queryset(user=user)
        .filter(month__range=(period.start, period.end))
        .values("user_id", "team_id", "month", "amount", "gross_profit")
    )
    with_targets = {t["user_id"] for t in targets if t["user_id"]}
    people = visible_people(user=user, team_id=team_id).filter(
        Q(role__slug__in=SELLING_ROLES) | Q(pk__in=with_targets)
    )
    teams = visible_teams(user=user)
    if team_id:
        teams = teams.filter(pk=team_id)
    subjects: list[TargetSubject] = []
    by_team: dict[int | None, list[User]] = defaultdict(list)
    for person in people:
        by_team[person.team_id].append(person)
    team_list = list(teams)
    for team in team_list:
        subjects.append(
            TargetSubject(
                kind="team",
                pk=team.pk,
                label=team.name,
                team_id=team.pk,
                team_label=team.name,
                editable=target_can_edit(user, kind="team", subject_id=team.pk, subject_team_id=team.pk),
            )
        )
        subjects.extend(_person_subject(user, p) for p in by_team.pop(team.pk, []))
    for members in by_team.values():
        subjects.extend(_person_subject(user, p) for p in members)
    values = {
        (("user", t["user_id"]) if t["user_id"] else ("team", t["team_id"]), t["month"]): t for t in targets
    }
    for subject in subjects:
        for month in months:
            found = values.get(((subject.kind, subject.pk), month))
            subject.amounts[month] = found["amount"] if found else None
            subject.gross_profits[month] = found["gross_profit"] if found else None
    return TargetGrid(fiscal_year=fiscal_year, months=months, subjects=subjects)


def _person_subject(user: User, person: User) -> TargetSubject:
    team_name = person.team.name if person.team else ""
    return TargetSubject(
        kind="user",
        pk=person.pk,
        label=person.display_name,
        team_id=person.team_id,
        team_label=team_name,
        editable=target_can_edit(user, kind="user", subject_id=person.pk, subject_team_id=person.team_id),
    )


def target_list(
    *, user: User, fiscal_year: int, fiscal_month: int, user_id: int | None = None, team_id: int | None = None
) -> QuerySet[SalesTarget]:
    """Target rows of a fiscal year the user may read, optionally of one rep or one team's row."""
    period = period_build(fiscal_year, "year", fiscal_month=fiscal_month)
    qs = target_queryset(user=user).filter(month__range=(period.start, period.end))
    if user_id:
        qs = qs.filter(user_id=user_id)
    if team_id:
        qs = qs.filter(team_id=team_id)
    return qs.select_related("user", "team").order_by("month", "team_id", "user_id", "id")
