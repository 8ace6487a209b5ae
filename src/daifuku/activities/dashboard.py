"""営業活動管理: per-rep and per-team activity figures for a period, as aggregate queries.

Who is shown: administrators everyone (optionally one team), managers their team, everyone else
themselves. Each figure is one grouped query over all shown reps (never a query per rep), and the
rows still pass through the role scopes of activities, tasks and contacts.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from daifuku.activities.models import Activity, ActivityKind, Task, TaskStatus
from daifuku.core import visibility
from daifuku.core.models import Role, Team, User
from daifuku.customers.models import Contact

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
MAX_DAYS = 366
PERIODS = ("week", "month", "custom")


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day
    end: dt.date  # last day (inclusive)

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.start, dt.time(), tzinfo=TOKYO)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=TOKYO)
        return start, end


def period_for(
    kind: str, *, today: dt.date | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> Period:
    """This week (Monday–Sunday), this month, or a custom range of at most a year."""
    today = today or timezone.localdate()
    if kind == "month":
        first = today.replace(day=1)
        next_month = (first + dt.timedelta(days=32)).replace(day=1)
        return Period(first, next_month - dt.timedelta(days=1))
    if kind == "custom":
        if start is None or end is None:
            raise ValidationError({"start": _("開始日と終了日を入力してください。")})
        if end < start:
            raise ValidationError({"end": _("終了日は開始日以降にしてください。")})
        if (end - start).days >= MAX_DAYS:
            raise ValidationError({"end": _("期間は1年以内にしてください。")})
        return Period(start, end)
    monday = today - dt.timedelta(days=today.weekday())
    return Period(monday, monday + dt.timedelta(days=6))


def dashboard_teams(*, user: User) -> QuerySet[Team]:
    if user.is_administrator:
        return Team.objects.order_by("name")
    if _is_manager(user) and user.team_id:
        return Team.objects.filter(pk=user.team_id)
    return Team.objects.none()


def _is_manager(user: User) -> bool:
    return bool(user.role_id and user.role and user.role.slug == Role.MANAGER)


def dashboard_reps(*, user: User, team_id: int | None = None, rep_id: int | None = None) -> QuerySet[User]:
    """The people whose figures ``user`` may see, narrowed to a team or one rep when asked."""
    qs = User.objects.filter(is_active=True)
    if user.is_administrator:
        if team_id:
            qs = qs.filter(team_id=team_id)
    elif _is_manager(user) and user.team_id:
        qs = qs.filter(team_id=user.team_id)
    else:
        qs = qs.filter(pk=user.pk)
    if rep_id:
        qs = qs.filter(pk=rep_id)
    return qs.select_related("team").order_by("team__name", "last_name", "id")


@dataclass
class RepFigures:
    rep: User
    by_kind: dict[str, int] = field(default_factory=dict)
    activities: int = 0
    visits: int = 0
    new_contacts: int = 0
    tasks_done: int = 0
    tasks_overdue: int = 0


@dataclass
class Dashboard:
    period: Period
    kinds: list[tuple[str, str]]
    rows: list[RepFigures]
    totals: RepFigures

    def chart_data(self) -> dict[str, Any]:
        """What the charts draw (served as JSON to dashboard.js)."""
        return {
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "kinds": {
                "labels": [label for _value, label in self.kinds],
                "values": [self.totals.by_kind.get(value, 0) for value, _label in self.kinds],
            },
            "reps": {
                "labels": [row.rep.display_name for row in self.rows],
                "activities": [row.activities for row in self.rows],
                "visits": [row.visits for row in self.rows],
                "new_contacts": [row.new_contacts for row in self.rows],
                "tasks_done": [row.tasks_done for row in self.rows],
                "tasks_overdue": [row.tasks_overdue for row in self.rows],
            },
        }


def dashboard(
    *,
    user: User,
    period: Period,
    team_id: int | None = None,
    rep_id: int | None = None,
    now: dt.datetime | None = None,
) -> Dashboard:
    """Counts by activity type, visits, new contacts, tasks done and overdue, per rep and in total.

    Four queries whatever the number of reps: reps, activities by (owner, kind), contacts by owner,
    tasks by owner. Overdue = still open with a due time inside the period that has passed by ``now``.
    """
    now = now or timezone.now()
    start, end = period.bounds
    reps = list(dashboard_reps(user=user, team_id=team_id, rep_id=rep_id))
    ids = [r.pk for r in reps]
    rows = {r.pk: RepFigures(rep=r) for r in reps}

    activities = (
        visibility.visible(Activity.objects.filter(deleted_at__isnull=True), user, "activity")
        .filter(owner_id__in=ids, occurred_at__gte=start, occurred_at__lt=end)
        .values("owner_id", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for item in activities:
        row = rows[item["owner_id"]]
        row.by_kind[item["kind"]] = item["n"]
        row.activities += item["n"]
        if item["kind"] == ActivityKind.VISIT:
            row.visits += item["n"]

    contacts = (
        visibility.visible(Contact.objects.filter(deleted_at__isnull=True), user, "contact")
        .filter(owner_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values("owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for contact_row in contacts:
        rows[contact_row["owner_id"]].new_contacts = contact_row["n"]

    overdue_before = min(end, now)
    tasks = (
        visibility.visible(Task.objects.filter(deleted_at__isnull=True), user, "task")
        .filter(owner_id__in=ids)
        .values("owner_id")
        .annotate(
            done=Count("id", filter=Q(status=TaskStatus.DONE, completed_at__gte=start, completed_at__lt=end)),
            overdue=Count(
                "id", filter=Q(status=TaskStatus.OPEN, due_at__gte=start, due_at__lt=overdue_before)
            ),
        )
        .order_by()
    )
    for task_row in tasks:
        rows[task_row["owner_id"]].tasks_done = task_row["done"]
        rows[task_row["owner_id"]].tasks_overdue = task_row["overdue"]

    totals = RepFigures(rep=user)
    for row in rows.values():
        for kind, n in row.by_kind.items():
            totals.by_kind[kind] = totals.by_kind.get(kind, 0) + n
        totals.activities += row.activities
        totals.visits += row.visits
        totals.new_contacts += row.new_contacts
        totals.tasks_done += row.tasks_done
        totals.tasks_overdue += row.tasks_overdue
    kinds = [(value, str(label)) for value, label in ActivityKind.choices]
    return Dashboard(period=period, kinds=kinds, rows=list(rows.values()), totals=totals)
