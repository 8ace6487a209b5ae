"""API of the sales module: targets (売上目標), forecast (売上予測) and pipeline snapshots.

Amounts are yen as decimal strings. Reads go through ``sales.selectors.forecast`` (the deal role
scopes apply to deals, targets and snapshots); target writes through ``sales_targets_save``
(administrators: everyone, managers: their team and its members, everyone else: 403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from daifuku.core.models import User
from daifuku.sales.models import SalesTarget
from daifuku.sales.selectors import forecast as fc
from daifuku.sales.services.forecast import sales_targets_save, target_month

router = Router(tags=["sales"])


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


# Targets


class TargetOut(Schema):
    id: int
    month: str  # YYYY-MM
    user: int | None
    team: int | None
    amount: str
    gross_profit: str | None

    @staticmethod
    def resolve_month(obj: SalesTarget) -> str:
        return f"{obj.month:%Y-%m}"

    @staticmethod
    def resolve_user(obj: SalesTarget) -> int | None:
        return obj.user_id

    @staticmethod
    def resolve_team(obj: SalesTarget) -> int | None:
        return obj.team_id

    @staticmethod
    def resolve_amount(obj: SalesTarget) -> str:
        return str(obj.amount)

    @staticmethod
    def resolve_gross_profit(obj: SalesTarget) -> str | None:
        return _money(obj.gross_profit)


class TargetQuery(Schema):
    year: int | None = None  # fiscal year (年度); the current one when left out
    user: int | None = None
    team: int | None = None


class TargetIn(Schema):
    """One cell: ``user`` or ``team``, ``month`` (YYYY-MM) and ``amount`` in yen (required; null or ""
    removes the target). The cell is replaced: a ``gross_profit`` left out is cleared."""

    user: int | None = None
    team: int | None = None
    month: str
    amount: str | int | None
    gross_profit: str | int | None = None


@router.get("/targets", response=list[TargetOut], summary="List sales targets of a fiscal year")
def target_list(request: HttpRequest, params: Query[TargetQuery]) -> Any:
    fiscal_month = fc.fiscal_month()
    year = params.year or fc.current_period(fiscal_month=fiscal_month).fiscal_year
    return fc.target_list(
        user=_user(request),
        fiscal_year=year,
        fiscal_month=fiscal_month,
        user_id=params.user,
        team_id=params.team,
    )


@router.put(
    "/targets",
    response={200: TargetOut, 204: None, 403: ErrorOut, 422: ValidationErrorOut},
    summary="Set one monthly target (a blank amount removes it)",
)
def target_put(request: HttpRequest, payload: TargetIn) -> Any:
    user = _user(request)
    data = payload.dict(exclude_unset=True)
    cell = {k: v for k, v in data.items() if v is not None or k in ("amount", "gross_profit")}
    sales_targets_save(by=user, cells=[cell])
    subject = {"user_id": payload.user} if payload.user else {"team_id": payload.team}
    month = target_month(payload.month)
    row = fc.target_queryset(user=user).filter(month=month, **subject).first() if month else None
    if row is None:
        return Status(204, None)
    return row


# Forecast


class PeriodOut(Schema):
    key: str
    label: str
    start: dt.date
    end: dt.date
    fiscal_year: int


class FiguresOut(Schema):
    target: str | None
    target_from_members: bool
    won: str
    weighted: str
    best_case: str
    achievement: str | None
    gross_profit_target: str | None
    won_gross_profit: str
    weighted_gross_profit: str
    best_case_gross_profit: str


class MonthFiguresOut(FiguresOut):
    month: str


class ForecastRowOut(Schema):
    kind: str
    id: int | None
    label: str
    team: str
    total: FiguresOut
    months: list[MonthFiguresOut]


class ForecastOut(Schema):
    period: PeriodOut
    by: str
    best_case_min_probability: int
    missing_rates: list[str]
    rows: list[ForecastRowOut]
    totals: ForecastRowOut


class ForecastQuery(Schema):
    period: str | None = None  # 2026 | 2026-Q3 | 2026-10; the current fiscal quarter when left out
    by: str = "user"
    team: int | None = None
    owner: int | None = None


def _figures(cell: fc.Figures) -> dict[str, Any]:
    return {
        "target": _money(cell.target),
        "target_from_members": cell.target_from_members,
        "won": str(cell.won),
        "weighted": str(cell.weighted),
        "best_case": str(cell.best_case),
        "achievement": _money(cell.achievement),
        "gross_profit_target": _money(cell.gross_profit_target),
        "won_gross_profit": str(cell.won_gross_profit),
        "weighted_gross_profit": str(cell.weighted_gross_profit),
        "best_case_gross_profit": str(cell.best_case_gross_profit),
    }


def _row(row: fc.ForecastRow, months: list[dt.date]) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "id": row.key,
        "label": row.label,
        "team": row.group,
        "total": _figures(row.total),
        "months": [{"month": f"{m:%Y-%m}", **_figures(row.months[m])} for m in months],
    }


def _period(raw: str | None) -> fc.Period:
    fiscal_month = fc.fiscal_month()
    if not raw:
        return fc.current_period(fiscal_month=fiscal_month)
    return fc.period_parse(raw, fiscal_month=fiscal_month)


@router.get(
    "/forecast",
    response={200: ForecastOut, 422: ValidationErrorOut},
    summary="Forecast per rep or team: target, won, weighted pipeline, best case (yen)",
)
def forecast(request: HttpRequest, params: Query[ForecastQuery]) -> Any:
    period = _period(params.period)
    result = fc.forecast(
        user=_user(request), period=period, by=params.by, team_id=params.team, owner_id=params.owner
    )
    return {
        "period": {
            "key": period.key,
            "label": period.label,
            "start": period.start,
            "end": period.end,
            "fiscal_year": period.fiscal_year,
        },
        "by": result.by,
        "best_case_min_probability": fc.BEST_CASE_MIN_PROBABILITY,
        "missing_rates": result.missing_rates,
        "rows": [_row(row, result.months) for row in result.rows],
        "totals": _row(result.totals, result.months),
    }


class SnapshotOut(Schema):
    taken_on: dt.date
    deal_count: int
    amount: str
    weighted: str


class SnapshotQuery(Schema):
    period: str | None = None
    team: int | None = None
    owner: int | None = None
    limit: int = fc.SNAPSHOT_WEEKS


@router.get(
    "/forecast/snapshots",
    response={200: list[SnapshotOut], 422: ValidationErrorOut},
    summary="The open pipeline closing in a period, as it stood at each weekly snapshot",
)
def forecast_snapshots(request: HttpRequest, params: Query[SnapshotQuery]) -> Any:
    if not 1 <= params.limit <= 104:
        raise ValidationError({"limit": _("%(lo)s〜%(hi)sの範囲で入力してください。") % {"lo": 1, "hi": 104}})
    points = fc.snapshot_history(
        user=_user(request),
        period=_period(params.period),
        team_id=params.team,
        owner_id=params.owner,
        limit=params.limit,
    )
    return [
        {
            "taken_on": p.taken_on,
            "deal_count": p.deal_count,
            "amount": str(p.amount),
            "weighted": str(p.weighted),
        }
        for p in points
    ]
