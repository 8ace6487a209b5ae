"""Writes of the sales module: sales targets (売上目標) and pipeline snapshots (予測の推移)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.aggregates import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from daifuku.core import audit, events
from daifuku.core.models import AuditEntry, Team, User
from daifuku.core.money import RateTable
from daifuku.sales.models import Deal, PipelineSnapshot, SalesTarget
from daifuku.sales.selectors.forecast import month_label, target_can_edit
from daifuku.sales.services.common import Cleaner, pk_of

MAX_TARGET = Decimal(10**16 - 1)
_CELL_FIELDS = ("key", "user", "team", "month", "amount", "gross_profit")
_WIDE = DecimalField(max_digits=30, decimal_places=4)


@dataclass(frozen=True)
class TargetSaveResult:
    created: int
    updated: int
    deleted: int

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


@dataclass
class _Cell:
    key: str
    kind: str  # "user" | "team"
    subject_id: int
    month: dt.date
    amount: Decimal | None
    gross_profit: Decimal | None


def target_month(raw: Any) -> dt.date | None:
    """The first day of the month of a date or a ``YYYY-MM`` / ``YYYY-MM-DD`` text (None if unreadable)."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return raw.replace(day=1)
    text = str(raw or "").strip().replace("/", "-")
    if len(text) == 7:
        text += "-01"
    try:
        parsed = parse_date(text)
    except ValueError:
        return None
    return parsed.replace(day=1) if parsed else None


def sales_targets_save(*, by: User, cells: Sequence[Mapping[str, Any]]) -> TargetSaveResult:
    """Set many monthly targets at once, all or nothing.

    Each cell: ``user`` (id) or ``team`` (id), ``month`` (a date or ``YYYY-MM``), ``amount`` and
    optionally ``gross_profit`` (yen, whole numbers; ``1,000,000`` and ``¥`` accepted); an optional
    ``key`` names the cell in errors (``<key>.amount``), otherwise errors are keyed by field name.
    A blank amount removes the target (a team's target then becomes the sum of its members').
    Unchanged cells are not written. Every create, update and removal is audited.

    Raises ``PermissionDenied`` when a cell is outside what ``by`` may edit (administrators:
    everyone; managers: their team and its members) and ``ValidationError`` naming the person and
    month of every bad cell; in both cases nothing is saved.
    """
    users, teams = _subjects(cells)
    errors: dict[str, str] = {}
    parsed: dict[tuple[str, int, dt.date], _Cell] = {}
    for raw in cells:
        cell = _clean_cell(raw, users=users, teams=teams, errors=errors)
        if cell is None:
            continue
        team_id = cell.subject_id if cell.kind == "team" else users[cell.subject_id].team_id
        if not target_can_edit(by, kind=cell.kind, subject_id=cell.subject_id, subject_team_id=team_id):
            raise PermissionDenied(_("この目標を変更する権限がありません。"))
        parsed[(cell.kind, cell.subject_id, cell.month)] = cell
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return _write_targets(by=by, cells=list(parsed.values()))
    except IntegrityError:
        # Two people saved the same new cell at the same moment; the other save won.
        raise ValidationError(
            {"__all__": _("同じ目標が同時に保存されました。画面を開き直してからもう一度保存してください。")}
        ) from None


def _subjects(cells: Sequence[Mapping[str, Any]]) -> tuple[dict[int, User], dict[int, Team]]:
    user_ids: set[int] = set()
    team_ids: set[int] = set()
    for raw in cells:
        for name, bucket in (("user", user_ids), ("team", team_ids)):
            value = pk_of(raw.get(name))
            if value not in (None, "") and str(value).isdigit():
                bucket.add(int(value))
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids, is_active=True)}
    teams = {t.pk: t for t in Team.objects.filter(pk__in=team_ids)}
    return users, teams


def _clean_cell(
    raw: Mapping[str, Any], *, users: dict[int, User], teams: dict[int, Team], errors: dict[str, str]
) -> _Cell | None:
    prefix = str(raw.get("key") or "")

    def key(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    unknown = set(raw) - set(_CELL_FIELDS)
    if unknown:
        for name in sorted(unknown):
            errors.setdefault(key(name), _("この項目はありません。"))
        return None
    user_raw, team_raw = pk_of(raw.get("user")), pk_of(raw.get("team"))
    has_user, has_team = user_raw not in (None, ""), team_raw not in (None, "")
    if has_user == has_team:
        errors.setdefault(key("user"), _("担当者かチームのどちらか一方を指定してください。"))
        return None
    kind = "user" if has_user else "team"
    raw_id = str(user_raw if has_user else team_raw)
    subject: User | Team | None = None
    if raw_id.isdigit():
        subject = users.get(int(raw_id)) if has_user else teams.get(int(raw_id))
    if subject is None:
        message = (
            _("指定されたユーザーが見つかりません。") if has_user else _("指定されたチームが見つかりません。")
        )
        errors.setdefault(key(kind), message)
        return None
    who = subject.display_name if isinstance(subject, User) else subject.name
    month = target_month(raw.get("month"))
    if month is None:
        errors.setdefault(key("month"), _("%(who)s：月を「2026-10」の形で指定してください。") % {"who": who})
        return None
    cleaner = Cleaner({k: raw.get(k) for k in ("amount", "gross_profit")}, ("amount", "gross_profit"))
    amount = cleaner.decimal("amount", places=0, hi=MAX_TARGET)
    gross_profit = cleaner.decimal("gross_profit", places=0, hi=MAX_TARGET)
    if amount is None and gross_profit is not None:
        cleaner.error("gross_profit", _("粗利目標だけでは保存できません。売上目標も入力してください。"))
    labels = {"amount": _("売上目標"), "gross_profit": _("粗利目標")}
    for name, message in cleaner.errors.items():
        errors.setdefault(
            key(name),
            _("%(who)s・%(month)sの%(field)s：%(message)s")
            % {"who": who, "month": month_label(month), "field": labels[name], "message": message},
        )
    if cleaner.errors:
        return None
    return _Cell(
        key=prefix,
        kind=kind,
        subject_id=subject.pk,
        month=month,
        amount=None if amount is None else amount.quantize(Decimal(1)),
        gross_profit=None if gross_profit is None else gross_profit.quantize(Decimal(1)),
    )


def _write_targets(*, by: User, cells: list[_Cell]) -> TargetSaveResult:
    """Apply the cleaned cells. Call inside a transaction; locks the existing rows first."""
    if not cells:
        return TargetSaveResult(0, 0, 0)
    months = {c.month for c in cells}
    user_ids = {c.subject_id for c in cells if c.kind == "user"}
    team_ids = {c.subject_id for c in cells if c.kind == "team"}
    existing: dict[tuple[str, int, dt.date], SalesTarget] = {}
    for locked in SalesTarget.objects.select_for_update().filter(
        Q(user_id__in=user_ids) | Q(team_id__in=team_ids), month__in=months
    ):
        if locked.user_id:
            existing[("user", locked.user_id, locked.month)] = locked
        elif locked.team_id:
            existing[("team", locked.team_id, locked.month)] = locked

    now = timezone.now()
    created: list[SalesTarget] = []
    updated: list[tuple[SalesTarget, audit.Changes]] = []
    deleted: list[tuple[SalesTarget, audit.Changes]] = []
    for cell in cells:
        row = existing.get((cell.kind, cell.subject_id, cell.month))
        if row is None:
            if cell.amount is not None:
                subject = (
                    {"user_id": cell.subject_id} if cell.kind == "user" else {"team_id": cell.subject_id}
                )
                created.append(
                    SalesTarget(
                        month=cell.month, amount=cell.amount, gross_profit=cell.gross_profit, **subject
                    )
                )
            continue
        if cell.amount is None:
            deleted.append(
                (row, {"amount": [str(row.amount), None], "gross_profit": [_plain(row.gross_profit), None]})
            )
            continue
        changes = audit.diff(
            {"amount": str(row.amount), "gross_profit": _plain(row.gross_profit)},
            {"amount": str(cell.amount), "gross_profit": _plain(cell.gross_profit)},
        )
        if changes:
            row.amount, row.gross_profit, row.updated_at = cell.amount, cell.gross_profit, now
            updated.append((row, changes))

    SalesTarget.objects.bulk_create(created)
    SalesTarget.objects.bulk_update([row for row, _c in updated], ["amount", "gross_profit", "updated_at"])
    entries = [
        audit.entry_values(
            row,
            by=by,
            action="create",
            changes={
                "month": [None, row.month.isoformat()],
                "user": [None, row.user_id],
                "team": [None, row.team_id],
                "amount": [None, str(row.amount)],
                "gross_profit": [None, _plain(row.gross_profit)],
            },
        )
        for row in created
    ]
    entries += [audit.entry_values(row, by=by, action="update", changes=changes) for row, changes in updated]
    entries += [audit.entry_values(row, by=by, action="delete", changes=changes) for row, changes in deleted]
    SalesTarget.objects.filter(pk__in=[row.pk for row, _c in deleted]).delete()
    AuditEntry.objects.bulk_create([AuditEntry(**values) for values in entries])
    result = TargetSaveResult(created=len(created), updated=len(updated), deleted=len(deleted))
    if result.changed:
        events.emit("sales_target.saved", by=by, result=result)
    return result


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# Pipeline snapshots


def pipeline_snapshot_take(*, day: dt.date | None = None) -> int:
    """Record the open pipeline as of now under ``day`` (today by default); return the rows written.

    One row per owner, team, pipeline, stage and expected close month (deals without a close date
    get ``close_month`` None): deal count, amount and weighted amount (Σ amount × probability / 100)
    in yen at the rates of ``day``. Open = stage neither won nor lost, not in the trash. Taking the
    snapshot again on the same day replaces that day's rows (delete and insert in one transaction),
    so a retried job leaves the same rows. The deals are read as they are now: ``day`` only labels
    the snapshot and picks the exchange rates.
    """
    day = day or timezone.localdate()
    groups = list(
        Deal.objects.filter(deleted_at__isnull=True, stage__is_won=False, stage__is_lost=False)
        .annotate(close_month=TruncMonth("expected_close_date"))
        .values("owner_id", "team_id", "pipeline_id", "stage_id", "close_month", "currency_id")
        .annotate(
            n=Count("id"),
            amount_sum=Sum("amount"),
            weighted_sum=Sum(ExpressionWrapper(F("amount") * F("probability"), output_field=_WIDE)),
        )
        .order_by()
    )
    rates = RateTable({g["currency_id"] for g in groups})
    merged: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for g in groups:
        close_month = g["close_month"]
        if isinstance(close_month, dt.datetime):
            close_month = close_month.date()
        key = (g["owner_id"], g["team_id"], g["pipeline_id"], g["stage_id"], close_month)
        totals = merged[key]
        totals[0] += g["n"]
        totals[1] += rates.to_base(Decimal(g["amount_sum"] or 0), g["currency_id"], day)
        totals[2] += rates.to_base(Decimal(g["weighted_sum"] or 0) / 100, g["currency_id"], day)
    rows = [
        PipelineSnapshot(
            taken_on=day,
            owner_id=owner_id,
            team_id=team_id,
            pipeline_id=pipeline_id,
            stage_id=stage_id,
            close_month=close_month,
            deal_count=count,
            amount=amount,
            weighted_amount=weighted,
        )
        for (owner_id, team_id, pipeline_id, stage_id, close_month), (
            count,
            amount,
            weighted,
        ) in merged.items()
    ]
    with transaction.atomic():
        PipelineSnapshot.objects.filter(taken_on=day).delete()
        PipelineSnapshot.objects.bulk_create(rows)
    events.emit("pipeline_snapshot.taken", day=day, rows=len(rows))
    return len(rows)
