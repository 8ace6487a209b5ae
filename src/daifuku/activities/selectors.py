"""Every read of activities, tasks and the timeline, with the acting user's visibility applied.

An activity or task outside the user's read scope raises ``Http404`` from the ``*_get`` selectors.
Timeline rows are filtered by the scope of the object type of their source (``object_type``), and
the company/contact whose timeline is read must itself be visible.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from daifuku.activities import timeline
from daifuku.activities.models import (
    Activity,
    ActivityKind,
    IssueStatus,
    Task,
    TaskStatus,
    TimelineEntry,
)
from daifuku.core import visibility
from daifuku.core.models import ObjectType, Scope, User
from daifuku.customers.models import Company, Contact

ACTIVITY = "activity"
TASK = "task"
ISSUE_KINDS = (ActivityKind.COMPLAINT, ActivityKind.REQUEST)


# Keyset cursors: base64 JSON of [timestamp or value, id]


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    """Decode ``[key, id]``; raise ValueError on anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ValueError("bad cursor") from exc
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)):
        raise ValueError("bad cursor")
    return value[0], value[1]


def _before(qs: QuerySet[Any], column: str, cursor: str | None) -> QuerySet[Any]:
    """Rows after ``cursor`` in descending (column, id) order."""
    if not cursor:
        return qs
    key, last_id = decode_cursor(cursor)
    if column.endswith("_at"):
        parsed = dt.datetime.fromisoformat(str(key))
        return qs.filter(Q(**{f"{column}__lt": parsed}) | Q(**{column: parsed, "id__lt": last_id}))
    return qs.filter(Q(**{f"{column}__lt": key}) | Q(**{column: key, "id__lt": last_id}))


def page(qs: QuerySet[Any], *, column: str, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """One keyset page of ``qs`` ordered by (-column, -id) and the cursor of the next page (or None)."""
    rows = list(_before(qs, column, cursor).order_by(f"-{column}", "-id")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        value = getattr(last, column)
        next_cursor = encode_cursor([value.isoformat() if hasattr(value, "isoformat") else value, last.pk])
    return rows[:limit], next_cursor


# Activities


@dataclass
class ActivityFilters:
    kind: str = ""
    owner: int | None = None
    company: int | None = None
    contact: int | None = None
    status: str = ""
    open_only: bool = False
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def activity_queryset(*, user: User, action: str = "read") -> QuerySet[Activity]:
    return visibility.visible(Activity.objects.filter(deleted_at__isnull=True), user, ACTIVITY, action=action)


def activity_list(*, user: User, filters: ActivityFilters | None = None) -> QuerySet[Activity]:
    """Visible activities, newest first, with what a list row shows already joined."""
    filters = filters or ActivityFilters()
    qs = activity_queryset(user=user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.contact:
        qs = qs.filter(contacts__id=filters.contact)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.open_only:
        qs = qs.filter(kind__in=ISSUE_KINDS, status__in=[IssueStatus.OPEN, IssueStatus.ANSWERED])
    if filters.since:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(occurred_at__lt=filters.until)
    return (
        qs.select_related("owner", "company", "team")
        .prefetch_related("contacts", "participants", "keywords")
        .order_by("-occurred_at", "-id")
    )


def activity_get(*, user: User, pk: Any) -> Activity:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    activity = (
        activity_queryset(user=user)
        .select_related("owner", "company", "team")
        .prefetch_related("contacts", "participants", "keywords")
        .filter(pk=pk)
        .first()
    )
    if activity is None:
        raise Http404
    return activity


def open_items(*, user: User, company: Company) -> QuerySet[Activity]:
    """Complaints and requests of a company that are not closed yet (shown on the company page)."""
    return activity_list(user=user, filters=ActivityFilters(company=company.pk, open_only=True))


# Tasks


@dataclass
class TaskFilters:
    owner: int | None = None
    status: str = ""
    company: int | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None


def task_queryset(*, user: User, action: str = "read") -> QuerySet[Task]:
    return visibility.visible(Task.objects.filter(deleted_at__isnull=True), user, TASK, action=action)


def task_list(*, user: User, filters: TaskFilters | None = None) -> QuerySet[Task]:
    filters = filters or TaskFilters()
    qs = task_queryset(user=user)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.due_before:
        qs = qs.filter(due_at__lt=filters.due_before)
    if filters.due_after:
        qs = qs.filter(due_at__gte=filters.due_after)
    return qs.select_related("owner", "company", "contact", "team").order_by("-id")


def task_get(*, user: User, pk: Any) -> Task:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    task = task_queryset(user=user).select_related("owner", "company", "contact").filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


@dataclass
class MyDay:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    undated: list[Task]
    activities: list[Activity]


def my_day(*, user: User, now: dt.datetime | None = None, upcoming_days: int = 7) -> MyDay:
    """The signed-in user's open tasks split into overdue / today / next days / no date, and today's log."""
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(days=1)
    horizon = start + dt.timedelta(days=upcoming_days + 1)
    tasks = list(
        Task.objects.filter(owner=user, status=TaskStatus.OPEN, deleted_at__isnull=True)
        .filter(Q(due_at__lt=horizon) | Q(due_at__isnull=True))
        .select_related("company", "contact")
        .order_by("due_at", "id")
    )
    activities = list(
        Activity.objects.filter(
            owner=user, deleted_at__isnull=True, occurred_at__gte=start, occurred_at__lt=end
        )
        .select_related("company")
        .order_by("-occurred_at", "-id")
    )
    return MyDay(
        overdue=[t for t in tasks if t.due_at is not None and t.due_at < now],
        today=[t for t in tasks if t.due_at is not None and now <= t.due_at < end],
        upcoming=[t for t in tasks if t.due_at is not None and t.due_at >= end],
        undated=[t for t in tasks if t.due_at is None][:20],
        activities=activities,
    )


# Timeline


@dataclass
class TimelineFilters:
    kind: str = ""  # a registered timeline kind, or "activity:<ActivityKind>"
    person: int | None = None  # who did it (our user)


def _entry_visibility(user: User) -> Q:
    """Rows whose source the user may read: each object type by its own scope; "" follows the parent."""
    q = Q(object_type="")
    for object_type in ObjectType.values:
        scope = visibility.scope_for(user, object_type, "read")
        if scope == Scope.NONE:
            continue
        if scope == Scope.ALL:
            q |= Q(object_type=object_type)
        elif scope == Scope.TEAM and user.team_id is not None:
            q |= Q(object_type=object_type) & (Q(team_id=user.team_id) | Q(owner_id=user.pk))
        else:
            q |= Q(object_type=object_type, owner_id=user.pk)
    return q


def _timeline(user: User, base: Q, filters: TimelineFilters | None) -> QuerySet[TimelineEntry]:
    filters = filters or TimelineFilters()
    qs = TimelineEntry.objects.filter(base).filter(_entry_visibility(user))
    if filters.kind.startswith("activity:"):
        qs = qs.filter(kind="activity", data__activity_kind=filters.kind.split(":", 1)[1])
    elif filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.person:
        qs = qs.filter(actor_id=filters.person)
    return qs.select_related("actor")


def _decorate(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Attach each row's registration (template, label, icon) so the page includes the right template."""
    activity_labels = dict(ActivityKind.choices)
    for entry in entries:
        entry.info = timeline.kind_info(entry.kind)  # type: ignore[attr-defined]
        entry.activity_label = activity_labels.get(entry.data.get("activity_kind", ""), "")  # type: ignore[attr-defined]
    return entries


def timeline_page(
    *,
    user: User,
    company: Company | None = None,
    contact: Contact | None = None,
    filters: TimelineFilters | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[TimelineEntry], str | None]:
    """One page of a company's or contact's timeline (newest first) and the next page's cursor.

    The caller fetched ``company``/``contact`` through ``company_get``/``contact_get`` (visibility).
    Raises ValueError on a bad cursor.
    """
    base = Q(company_id=company.pk) if company is not None else Q(contact_id=contact.pk if contact else None)
    rows, next_cursor = page(_timeline(user, base, filters), column="occurred_at", cursor=cursor, limit=limit)
    return _decorate(rows), next_cursor


def timeline_kind_choices() -> list[tuple[str, Any]]:
    """Filter options: each activity kind, then every other registered kind."""
    choices: list[tuple[str, Any]] = [(f"activity:{value}", label) for value, label in ActivityKind.choices]
    choices += [(k.kind, k.label) for k in timeline.kinds() if k.kind != "activity"]
    return choices
