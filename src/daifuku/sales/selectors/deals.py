"""Reads of the sales module: deals (visibility applied), the board, pipelines and stages.

A deal outside the user's read scope (or in the trash) raises ``Http404`` from :func:`deal_get` and
never appears in lists, board columns or totals.

Stale (放置) deals: open deals with no activity for the pipeline's ``stale_days`` (the last activity,
or the creation when there is none), or whose next action date has passed. The flag is computed in
the database (``is_stale`` annotation), so lists can filter on it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from daifuku.activities.models import Activity
from daifuku.core import audit, jp, prepared, search, visibility
from daifuku.core.models import AuditEntry, Team, User
from daifuku.core.money import BASE_CURRENCY, RateTable, format_amount_in
from daifuku.customers.models import Company
from daifuku.sales.models import Deal, DealLine, DealStageChange, Pipeline, Stage
from daifuku.sales.selectors import totals

DEAL = "deal"
DEAL_RELATED_TYPE = "sales.deal"

DEAL_SORTS: dict[str, tuple[str, ...]] = {
    "close": ("expected_close_date", "id"),
    "-close": ("-expected_close_date", "-id"),
    "amount": ("amount", "id"),
    "-amount": ("-amount", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
}
DEFAULT_SORT = "close"
# What a card shows (read as values into BoardCard; see _card for the order).
BOARD_CARD_COLUMNS = (
    "id", "name", "version", "company__name", "company__legal_form", "company__legal_form_position",
    "owner__last_name", "owner__first_name", "owner__username", "amount", "currency__code",
    "currency__symbol", "currency__decimals", "expected_close_date", "is_stale",
)  # fmt: skip
BOARD_CARDS_PER_COLUMN = 50  # the rest of a column is one click away in the list (ほか N件)


@dataclass
class DealFilters:
    q: str = ""
    owner: int | None = None
    team: int | None = None
    pipeline: int | None = None
    stage: int | None = None
    close_month: dt.date | None = None  # any day of the month; the whole month is meant
    status: str = ""  # "open" | "won" | "lost" | ""
    stale: bool = False
    company: int | None = None


def _month_range(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def parse_month(value: str) -> dt.date | None:
    """``2026-04`` (or ``2026-4``, ``2026/04``) → the first day of that month; None if unreadable."""
    raw = (value or "").strip().replace("/", "-")
    try:
        year, month = (int(part) for part in raw.split("-")[:2])
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        return None


# Stale flag


def stale_q(*, pipelines: list[tuple[int, int]] | None = None, now: dt.datetime | None = None) -> Q:
    """Open deals with an overdue next action, or untouched for their pipeline's ``stale_days``.

    Needs the ``last_touch`` annotation (see :func:`with_stale`). ``pipelines`` is (id, stale_days).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if pipelines is None:
        pipelines = list(Pipeline.objects.values_list("pk", "stale_days"))
    untouched = Q(pk__in=[])
    for pk, days in pipelines:
        untouched |= Q(pipeline_id=pk, last_touch__lt=now - dt.timedelta(days=days))
    # "Not in a won or lost stage" as a subquery on the few stages, not a join: a join stayed in every
    # query of a list annotated with the flag, the page's id query too, where it took a table read per
    # deal the owner half of a rep's deal list walked (36 ms at 1m).
    closed_stages = Stage.objects.filter(Q(is_won=True) | Q(is_lost=True)).values("pk")
    return ~Q(stage_id__in=closed_stages) & (Q(next_action_date__lt=today) | untouched)


def with_stale(qs: QuerySet[Deal], *, pipelines: list[tuple[int, int]] | None = None) -> QuerySet[Deal]:
    return qs.annotate(last_touch=Coalesce("last_activity_at", "created_at")).annotate(
        is_stale=Case(
            When(stale_q(pipelines=pipelines), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


# Deals


def deal_queryset(*, user: User, action: str = "read") -> QuerySet[Deal]:
    """Live (not trashed) deals the user may read (or edit)."""
    return visibility.visible(Deal.objects.filter(deleted_at__isnull=True), user, DEAL, action=action)


def _filtered(qs: QuerySet[Deal], filters: DealFilters) -> QuerySet[Deal]:
    if filters.q:
        match = search.matches(DEAL, filters.q)
        if match is not None:
            qs = qs.filter(match)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    return _group_filtered(qs, filters, close_field="expected_close_date")


def _group_filtered(qs: QuerySet[Any], filters: DealFilters, *, close_field: str) -> QuerySet[Any]:
    """The filters a deal shares with its ``DealTotal`` group (owner, team, pipeline, stage, close month,
    status), on either: ``close_field`` is the deal's 受注予定日 or the group's close key (that day,
    or its month's first day, so the month's range holds it too)."""
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.pipeline:
        qs = qs.filter(pipeline_id=filters.pipeline)
    if filters.stage:
        qs = qs.filter(stage_id=filters.stage)
    if filters.close_month:
        first, following = _month_range(filters.close_month)
        qs = qs.filter(**{f"{close_field}__gte": first, f"{close_field}__lt": following})
    if filters.status == "open":
        qs = qs.filter(stage_id__in=totals.open_stages())
    elif filters.status == "won":
        qs = qs.filter(stage_id__in=totals.won_stages())
    elif filters.status == "lost":
        qs = qs.filter(stage_id__in=totals.lost_stages())
    return qs


LIST_RELATED = ("company", "owner", "team", "pipeline", "stage", "currency")


def deal_list(*, user: User, filters: DealFilters | None = None, sort: str = DEFAULT_SORT) -> QuerySet[Deal]:
    """Visible deals matching ``filters``, each annotated with ``is_stale``."""
    filters = filters or DealFilters()
    qs = with_stale(_filtered(deal_queryset(user=user), filters))
    if filters.stale:
        qs = qs.filter(Q(is_stale=True))
    order = DEAL_SORTS.get(sort, DEAL_SORTS[DEFAULT_SORT])
    return qs.select_related(*LIST_RELATED).order_by(*order)


def deal_list_rows(ids: list[Any]) -> list[Deal]:
    """The deals of ``ids`` in that order, as :func:`deal_list` shows them, for ids read from
    :func:`deal_list` itself (which applied the user's scope and the filters).

    Read by one prepared statement with the list's related records; ``is_stale`` is then computed per
    deal by :func:`deal_is_stale` (the list's annotation kept the ORM from preparing the read: 38 % of
    the page's time at 1m)."""
    deals = visibility.rows_in_order(Deal.objects.select_related(*LIST_RELATED), ids)
    for deal in deals:
        deal.is_stale = deal_is_stale(deal)  # type: ignore[attr-defined]
    return deals


def deal_get(*, user: User, pk: Any, include_deleted: bool = False) -> Deal:
    """One deal the user may read; 404 otherwise. Trashed ones only for administrators who ask."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = Deal.objects.select_related("company", "owner", "team", "pipeline", "stage", "currency")
    if include_deleted and user.is_administrator:
        qs = qs.select_related("deleted_by")  # only a trashed one has it; a join costs PostgreSQL planning
    else:
        qs = qs.filter(deleted_at__isnull=True)
    deal = with_stale(visibility.visible(qs, user, DEAL)).filter(pk=pk).first()
    if deal is None:
        raise Http404
    return deal


def deal_lines(*, deal: Deal) -> QuerySet[DealLine]:
    return deal.lines.select_related("product").order_by("sort_order", "id")


def deal_stage_history(*, deal: Deal) -> QuerySet[DealStageChange]:
    return deal.stage_changes.select_related("from_stage", "to_stage", "by").order_by("-at", "-id")


def deal_history(*, deal: Deal) -> QuerySet[AuditEntry]:
    """Audit entries of a deal the caller already fetched through :func:`deal_get`."""
    return audit.entries_for(deal)


def deal_activities(*, user: User, deal: Deal, limit: int = 50) -> list[Activity]:
    """Activities logged about this deal that the user may see (newest first)."""
    qs = visibility.visible(
        Activity.objects.filter(deleted_at__isnull=True, related_type=DEAL_RELATED_TYPE, related_id=deal.pk),
        user,
        "activity",
    )
    return list(qs.select_related("owner").order_by("-occurred_at", "-id")[:limit])


def deal_trash(*, user: User) -> QuerySet[Deal]:
    if not user.is_administrator:
        return Deal.objects.none()
    return (
        Deal.objects.filter(deleted_at__isnull=False)
        .select_related("deleted_by", "owner", "company")
        .order_by("-deleted_at", "-id")
    )


# Pipelines and stages


def pipeline_list(*, include_inactive: bool = False) -> QuerySet[Pipeline]:
    qs = Pipeline.objects.all() if include_inactive else Pipeline.objects.filter(is_active=True)
    return qs.order_by("sort_order", "id")


def pipeline_get(*, pk: Any, include_inactive: bool = False) -> Pipeline:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    found = pipeline_list(include_inactive=include_inactive).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def pipeline_default() -> Pipeline | None:
    return (
        Pipeline.objects.filter(is_active=True, is_default=True).first()
        or Pipeline.objects.filter(is_active=True).order_by("sort_order", "id").first()
    )


def stage_list(*, pipeline: Pipeline, include_inactive: bool = False) -> QuerySet[Stage]:
    qs = pipeline.stages.all() if include_inactive else pipeline.stages.filter(is_active=True)
    return qs.order_by("sort_order", "id")


def stage_get(*, pk: Any, pipeline: Pipeline | None = None) -> Stage:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = Stage.objects.select_related("pipeline")
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def stage_deal_counts(*, pipeline: Pipeline) -> dict[int, int]:
    """Deals (trashed ones included: they still hold the stage) per stage of a pipeline."""
    rows = Deal.objects.filter(pipeline=pipeline).values("stage_id").annotate(n=Count("id"))
    return {row["stage_id"]: row["n"] for row in rows}


def owner_choices() -> QuerySet[User]:
    return User.objects.filter(is_active=True).select_related("team").order_by("team__name", "username")


def team_choices() -> QuerySet[Team]:
    return Team.objects.order_by("name")


# Board


@dataclass(slots=True)
class BoardCard:
    """What one board card shows, read as values: no model instances for the up to 350 cards."""

    pk: int
    name: str
    version: int
    company_name: str
    owner_name: str
    amount_display: str
    expected_close_date: dt.date | None
    is_stale: bool


def _card(row: tuple[Any, ...]) -> BoardCard:
    pk, name, version, company, legal_form, position, last, first, username = row[:9]
    amount, code, symbol, decimals, close_date, is_stale = row[9:]
    return BoardCard(
        pk=pk,
        name=name,
        version=version,
        company_name=jp.company_display_name(company, legal_form, position) if company is not None else "",
        owner_name=User.name_of(last, first, username) if username is not None else "",
        amount_display=format_amount_in(amount, code, symbol, decimals),
        expected_close_date=close_date,
        is_stale=bool(is_stale),
    )


@dataclass
class Column:
    stage: Stage
    deals: list[BoardCard] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal(0)  # JPY
    weighted: Decimal = Decimal(0)  # JPY

    @property
    def hidden(self) -> int:
        return max(self.count - len(self.deals), 0)


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]
    missing_rates: list[str]

    @property
    def count(self) -> int:
        return sum(c.count for c in self.columns)

    @property
    def amount(self) -> Decimal:
        return sum((c.amount for c in self.columns), Decimal(0))

    @property
    def weighted(self) -> Decimal:
        return sum((c.weighted for c in self.columns), Decimal(0))


def _yen(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _board_filters(pipeline: Pipeline, filters: DealFilters | None) -> DealFilters:
    """The board's filters: the caller's (or none) within ``pipeline``."""
    return replace(filters or DealFilters(), pipeline=pipeline.pk)


# One group of the board's sums: (stage, currency, day, count, Σ amount, Σ amount × probability); the
# day is the close date a foreign currency converts at, None for yen.
_Group = tuple[int, str, dt.date | None, int, Any, Any]


def _board_groups(user: User, filters: DealFilters, deals: QuerySet[Deal]) -> list[_Group]:
    """The board's sums per (stage, currency, day) as :data:`_Group` tuples.

    Read from ``DealTotal`` (a few hundred groups per rep instead of every deal: the administrator's
    board at 300,000 deals summed them in 85 ms) unless a filter the groups do not keep is set — a
    search or a company —, then from the board's ``deals`` themselves.
    """
    base: QuerySet[Any]
    if filters.q or filters.company:
        base = deals
        weighted_expr = ExpressionWrapper(
            F("amount") * F("probability"), output_field=DecimalField(max_digits=24, decimal_places=2)
        )
        sums: dict[str, Any] = {
            "n": Count("id"),
            "amount_sum": Sum("amount"),
            "weighted_sum": Sum(weighted_expr),
        }
        day = "expected_close_date"
    else:
        base = _group_filtered(totals.deal_totals(user=user), filters, close_field="close_key")
        sums = {"n": Sum("n"), "amount_sum": Sum("amount"), "weighted_sum": Sum("weighted")}
        day = "close_key"
    # A rep's or manager's board sums "team OR owner": summed per half instead ("team = T", "owner = me
    # AND team ≠ T"), each a range of its own index; the groups of both halves add up.
    # Yen needs no rate, so it is summed per stage alone; other currencies per close date too (the rate
    # of that day). Two queries rather than one CASE in the GROUP BY: each follows its index's order.
    # Read as value tuples (a rep's board has ~800 groups).
    groups: list[_Group] = []
    for part in visibility.scope_halves(base) or (base,):
        yen = part.filter(currency_id=BASE_CURRENCY).values("stage_id").annotate(**sums).order_by()
        groups += [
            (stage_id, BASE_CURRENCY, None, n, amount, weighted)
            for stage_id, n, amount, weighted in yen.values_list("stage_id", *sums)
        ]
        other = part.exclude(currency_id=BASE_CURRENCY)
        by_day = other.values("stage_id", "currency_id", day).annotate(**sums).order_by()
        groups += [
            (stage_id, currency_id, totals.day_of(key), n, amount, weighted)
            for stage_id, currency_id, key, n, amount, weighted in by_day.values_list(
                "stage_id", "currency_id", day, *sums
            )
        ]
    return groups


def _fill_totals(groups: list[_Group], columns: dict[int, Column]) -> list[str]:
    """Count, amount and weighted amount (yen) per column; returns currencies that had no rate."""
    rates = RateTable({group[1] for group in groups})
    today = timezone.localdate()
    amounts: dict[int, Decimal] = defaultdict(Decimal)
    weighted: dict[int, Decimal] = defaultdict(Decimal)
    for stage_id, currency_id, day, n, amount_sum, weighted_sum in groups:
        column = columns.get(stage_id)
        if column is None:
            continue
        rate = rates.rate(currency_id, day or today) or Decimal(0)
        column.count += n
        amounts[stage_id] += Decimal(amount_sum or 0) * rate
        weighted[stage_id] += Decimal(weighted_sum or 0) * rate / 100
    for pk, column in columns.items():
        column.amount = _yen(amounts[pk])
        column.weighted = _yen(weighted[pk])
    return sorted(rates.missing)


def deal_board(*, user: User, pipeline: Pipeline, filters: DealFilters | None = None) -> Board:
    """Columns of a pipeline's board: up to ``BOARD_CARDS_PER_COLUMN`` cards each, totals of all.

    Totals are in yen: each (currency, expected close date) group is converted at the rate of that
    date (today's for deals without one); a column's amount and weighted amount (amount × the deal's
    probability) are rounded to the yen once. Queries: stages, totals, rates (only when a foreign
    currency is present), then one query per stage for its cards — each an index range on
    (pipeline, deleted_at, stage, board_order) that stops after the column's limit, where one window
    query over every deal of the pipeline cost ≈ 290 ms at 30,000 deals.
    """
    filters = _board_filters(pipeline, filters)
    base = _filtered(deal_queryset(user=user), filters)
    columns = {s.pk: Column(stage=s) for s in stage_list(pipeline=pipeline)}
    missing = _fill_totals(_board_groups(user, filters, base), columns)
    cards = with_stale(base, pipelines=[(pipeline.pk, pipeline.stale_days)])
    filled = [column for column in columns.values() if column.count]
    if filled:
        # One statement compiled for every column — only the stage differs —, where the ORM compiled
        # the same query (four joins, the stale CASE) once per column.
        column_cards = prepared.Plan(
            cards.filter(stage_id=prepared.arg(0))
            .order_by("board_order", "id")
            .values_list(*BOARD_CARD_COLUMNS)[:BOARD_CARDS_PER_COLUMN]
        )
        for column in filled:
            column.deals = [_card(row) for row in column_cards.fetch([column.stage.pk])]
    return Board(pipeline=pipeline, columns=list(columns.values()), missing_rates=missing)


def deal_board_totals(*, user: User, pipeline: Pipeline, filters: DealFilters | None = None) -> list[Column]:
    """The board's column totals without the cards (after a card was moved)."""
    filters = _board_filters(pipeline, filters)
    columns = {s.pk: Column(stage=s) for s in stage_list(pipeline=pipeline)}
    _fill_totals(_board_groups(user, filters, _filtered(deal_queryset(user=user), filters)), columns)
    return list(columns.values())


def deal_is_stale(deal: Deal) -> bool:
    """The stale flag of one loaded deal (as :func:`stale_q` computes it for a queryset)."""
    annotated = getattr(deal, "is_stale", None)
    if annotated is not None:
        return bool(annotated)
    if deal.stage.is_closed:
        return False
    today = timezone.localdate()
    if deal.next_action_date is not None and deal.next_action_date < today:
        return True
    touch = deal.last_activity_at or deal.created_at
    return touch < timezone.now() - dt.timedelta(days=deal.pipeline.stale_days)


def company_deals(*, user: User, company: Company, limit: int = 10) -> tuple[list[Deal], list[Deal], int]:
    """A company's deals the user may read: open ones by close date, the latest closed ones, open count."""
    qs = deal_queryset(user=user).filter(company_id=company.pk).select_related("stage", "owner", "currency")
    open_qs = qs.filter(stage__is_won=False, stage__is_lost=False)
    open_deals = list(open_qs.order_by(F("expected_close_date").asc(nulls_last=True), "id")[: limit + 1])
    closed = list(qs.exclude(closed_on=None).order_by("-closed_on", "-id")[:5])
    return open_deals[:limit], closed, len(open_deals)
