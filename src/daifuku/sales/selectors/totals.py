"""Reads of ``DealTotal``: the database-maintained sums of live deals (see ``sales.models.totals``).

The board's column totals and the forecast read these groups instead of every deal. Each group has
the deal's owner and team, so the deal role's read scope applies to them as to deals: a rep sees the
groups of their team's and their own deals, never more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from daifuku.core import visibility
from daifuku.core.models import User
from daifuku.core.money import BASE_CURRENCY
from daifuku.sales.models import Deal, DealTotal, Stage
from daifuku.sales.models.totals import HIGH_PROBABILITY, KEY_FIELDS, NO_DATE, NO_TEAM


def deal_totals(*, user: User) -> QuerySet[DealTotal]:
    """The groups of live deals ``user`` may read (the ``deal`` role scope on owner / team)."""
    return visibility.visible(DealTotal.objects.all(), user, "deal")


def open_stages() -> QuerySet[Stage, Any]:
    return Stage.objects.filter(is_won=False, is_lost=False).values("pk")


def won_stages() -> QuerySet[Stage, Any]:
    return Stage.objects.filter(is_won=True).values("pk")


def lost_stages() -> QuerySet[Stage, Any]:
    return Stage.objects.filter(is_lost=True).values("pk")


def day_of(key: dt.date | None) -> dt.date | None:
    """A close / closed key as a date again (None for "no date"; a deal's own date passes through)."""
    return None if key is None or key == NO_DATE else key


def team_of(key: int) -> int | None:
    return None if key == NO_TEAM else key


class MonthStart(Func):
    """The first day of a date's month, computed by the database itself.

    SQLite: ``date(x, 'start of month')`` (built in; Django's ``TruncMonth`` calls back into Python
    for every row there). PostgreSQL: ``DATE_TRUNC`` cast back to a date.
    """

    output_field = DateField()
    template = "CAST(DATE_TRUNC('month', %(expressions)s) AS date)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s, 'start of month')", **extra
        )


def _day_key(field: str) -> Case:
    return Case(
        When(**{f"{field}__isnull": True}, then=Value(NO_DATE)),
        When(currency_id=BASE_CURRENCY, then=MonthStart(field)),
        default=F(field),
        output_field=DateField(),
    )


def computed_groups() -> list[dict[str, Any]]:
    """Every group computed from the deals themselves (what the triggers should hold), keyed like
    ``DealTotal``'s columns. One grouped query over all live deals: for repairs and tests."""
    rows = (
        Deal.objects.filter(deleted_at__isnull=True)
        .annotate(
            k_team=Coalesce("team_id", Value(NO_TEAM)),
            k_close=_day_key("expected_close_date"),
            k_closed=_day_key("closed_on"),
            k_high=ExpressionWrapper(Q(probability__gte=HIGH_PROBABILITY), output_field=BooleanField()),
            k_weighted=ExpressionWrapper(
                F("amount") * F("probability"), output_field=DealTotal._meta.get_field("weighted")
            ),
            k_weighted_cost=ExpressionWrapper(
                F("cost") * F("probability"), output_field=DealTotal._meta.get_field("weighted_cost")
            ),
        )
        .values(
            "pipeline_id", "stage_id", "owner_id", "k_team", "currency_id", "k_close", "k_closed", "k_high"
        )
        .annotate(
            n=Count("id"),
            amount=Sum("amount"),
            cost=Sum("cost"),
            weighted=Sum("k_weighted"),
            weighted_cost=Sum("k_weighted_cost"),
        )
        .order_by()
    )
    renamed = {"k_team": "team_id", "k_close": "close_key", "k_closed": "closed_key", "k_high": "high"}
    groups = [{renamed.get(k, k): v for k, v in row.items()} for row in rows]
    for group in groups:
        group["high"] = bool(group["high"])
    groups.sort(key=lambda g: tuple(g[k] for k in KEY_FIELDS))
    return groups
