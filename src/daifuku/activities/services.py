"""Every write to activities and tasks: validation, visibility checks, versions, audit, events.

Input is a plain ``dict`` (from a form, the API or a script); bad values raise ``ValidationError``
keyed by field name. Companies, contacts and keywords are resolved here against what the acting user
may see, so a form or an API client can pass ids. The timeline rows of an activity are written by
the subscribers of ``activity.*`` events (``activities/subscribers.py``), not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from daifuku.activities.models import (
    Activity,
    ActivityKind,
    IssueStatus,
    Task,
    TaskPriority,
    TaskStatus,
)
from daifuku.core import audit, events, jp, visibility
from daifuku.core.models import User
from daifuku.core.services import check_version, notify
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.models import Company, Contact, Tag

ACTIVITY = "activity"
TASK = "task"
ISSUE_KINDS = (ActivityKind.COMPLAINT, ActivityKind.REQUEST)

ACTIVITY_FIELDS = [
    "kind", "occurred_at", "duration_minutes", "company", "contacts", "participants", "subject", "body",
    "outcome", "keywords", "status", "response", "related_type", "related_id",
]  # fmt: skip
TASK_FIELDS = [
    "title", "description", "due_at", "priority", "owner", "company", "contact", "related_type",
    "related_id", "remind_minutes_before",
]  # fmt: skip


# Normalization shared by activities and tasks


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _unknown(data: dict[str, Any], allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("この項目はありません。") for name in sorted(unknown)})


def _datetime(value: Any, field: str, errors: dict[str, str]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed: dt.datetime | None = value
    else:
        parsed = parse_datetime(jp.nfkc(str(value)).strip())
    if parsed is None:
        errors[field] = _("日時を「2025-04-01 10:30」の形で入力してください。")
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _int(value: Any, field: str, errors: dict[str, str], lo: int, hi: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(jp.nfkc(str(value)).replace(",", ""))
    except ValueError:
        errors[field] = _("数値を入力してください。")
        return None
    if not lo <= number <= hi:
        errors[field] = _("%(lo)s〜%(hi)sの範囲で入力してください。") % {"lo": lo, "hi": hi}
        return None
    return number


def _ids(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [part for part in value.replace("、", ",").split(",") if part.strip()]
    return list(value)


def _pk(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def _company(by: User, value: Any, errors: dict[str, str]) -> Company | None:
    """The company by id, only if ``by`` may see it (an unseen company is reported as not found)."""
    if value in (None, ""):
        return None
    try:
        pk = int(_pk(value))
    except (TypeError, ValueError):
        errors["company"] = _("指定された取引先が見つかりません。")
        return None
    company = customer_selectors.company_queryset(user=by).filter(pk=pk).first()
    if company is None:
        errors["company"] = _("指定された取引先が見つかりません。")
    return company


def _contacts(by: User, value: Any, field: str, errors: dict[str, str]) -> list[Contact]:
    try:
        wanted = [int(_pk(v)) for v in _ids(value)]
    except (TypeError, ValueError):
        errors[field] = _("指定された担当者が見つかりません。")
        return []
    found = {c.pk: c for c in customer_selectors.contact_queryset(user=by).filter(pk__in=wanted)}
    if len(found) != len(set(wanted)):
        errors[field] = _("指定された担当者が見つかりません。")
    return [found[pk] for pk in dict.fromkeys(wanted) if pk in found]


def _users(value: Any, field: str, errors: dict[str, str]) -> list[User]:
    try:
        wanted = [int(_pk(v)) for v in _ids(value)]
    except (TypeError, ValueError):
        errors[field] = _("指定されたユーザーが見つかりません。")
        return []
    found = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    if len(found) != len(set(wanted)):
        errors[field] = _("指定されたユーザーが見つかりません。")
    return [found[pk] for pk in dict.fromkeys(wanted) if pk in found]


def _keywords(value: Any) -> list[Tag]:
    tags: list[Tag] = []
    for raw in _ids(value):
        if isinstance(raw, Tag):
            tags.append(raw)
            continue
        name = jp.nfkc(_text(raw))
        if name:
            tags.append(Tag.objects.get_or_create(name=name[:50])[0])
    return tags


def _related(data: dict[str, Any], errors: dict[str, str]) -> None:
    if "related_type" in data:
        data["related_type"] = _text(data["related_type"]).lower()
    if "related_id" in data:
        data["related_id"] = _int(data["related_id"], "related_id", errors, 1, 2**62)
    related_type = data.get("related_type")
    if related_type and "." not in related_type:
        errors["related_type"] = _("関連レコード種別は「アプリ名.モデル名」の形です（例: sales.deal）。")


# Activities


def activity_clean(*, by: User, data: dict[str, Any], instance: Activity | None = None) -> dict[str, Any]:
    """Normalize activity input; resolve company/contacts/participants/keywords or name the bad field."""
    _unknown(data, ACTIVITY_FIELDS)
    data = dict(data)
    errors: dict[str, str] = {}
    for name in ("subject", "body", "outcome", "response", "status"):
        if name in data:
            data[name] = _text(data[name])
    if "kind" in data and data["kind"] not in ActivityKind.values:
        errors["kind"] = _("種類の値が不正です。")
    if "subject" in data and not data["subject"]:
        errors["subject"] = _("件名を入力してください。")
    if "occurred_at" in data:
        data["occurred_at"] = _datetime(data["occurred_at"], "occurred_at", errors) or (
            None if "occurred_at" in errors else timezone.now()
        )
    if "duration_minutes" in data:
        data["duration_minutes"] = _int(data["duration_minutes"], "duration_minutes", errors, 0, 24 * 60)
    if "company" in data:
        data["company"] = _company(by, data["company"], errors)
    if "contacts" in data:
        data["contacts"] = _contacts(by, data["contacts"], "contacts", errors)
    if "participants" in data:
        data["participants"] = _users(data["participants"], "participants", errors)
    if "status" in data and data["status"] not in IssueStatus.values:
        errors["status"] = _("対応状況の値が不正です。")
    _related(data, errors)
    kind = data.get("kind", instance.kind if instance else "")
    status = data.get("status", instance.status if instance else "")
    if kind in ISSUE_KINDS and not status:
        data["status"] = IssueStatus.OPEN
    elif kind and kind not in ISSUE_KINDS and status:
        errors["status"] = _("対応状況はクレームと要望だけに付けられます。")
    if errors:
        raise ValidationError(errors)
    if "keywords" in data:
        data["keywords"] = _keywords(data["keywords"])
    return data


def _apply_activity(activity: Activity, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Set plain fields; return the many-to-many values to set after saving."""
    m2m: dict[str, list[Any]] = {
        name: data.pop(name) for name in ("contacts", "participants", "keywords") if name in data
    }
    for name, value in data.items():
        setattr(activity, name, value)
    if activity.status == IssueStatus.CLOSED and activity.closed_at is None:
        activity.closed_at = timezone.now()
    elif activity.status != IssueStatus.CLOSED:
        activity.closed_at = None
    return m2m


@transaction.atomic
def activity_log(*, by: User, data: dict[str, Any]) -> Activity:
    """Record a call, visit, mail, meeting, note, complaint, request or inquiry. The logger owns it.

    Defaults: now for the time, the logger as the one participant, "open" for complaints/requests.
    """
    if not visibility.can_create(by, ACTIVITY):
        raise PermissionDenied(_("活動を記録する権限がありません。"))
    data = {"occurred_at": None, **data}
    if not data.get("kind"):
        raise ValidationError({"kind": _("種類を選んでください。")})
    if "subject" not in data:
        raise ValidationError({"subject": _("件名を入力してください。")})
    data = activity_clean(by=by, data=data)
    activity = Activity(owner=by, team_id=by.team_id)
    m2m = _apply_activity(activity, data)
    activity.save()
    activity.participants.set(m2m.get("participants") or [by])
    activity.contacts.set(m2m.get("contacts", []))
    activity.keywords.set(m2m.get("keywords", []))
    audit.record(activity, by=by, action="create", changes=audit.diff({}, audit.snapshot(activity)))
    events.emit("activity.logged", activity=activity, by=by)
    return activity


@transaction.atomic
def activity_update(
    *, activity: Activity, by: User, data: dict[str, Any], seen_version: int | None = None
) -> Activity:
    """Change an activity (its logger, or whoever's edit scope covers it). Refuses stale versions."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    visibility.check_can_edit(by, activity, ACTIVITY)
    if activity.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の活動は編集できません。")})
    check_version(activity, seen_version)
    data = activity_clean(by=by, data=data, instance=activity)
    before = audit.snapshot(activity)
    m2m = _apply_activity(activity, data)
    activity.full_clean(exclude=["contacts", "participants", "keywords"])
    for name, values in m2m.items():
        getattr(activity, name).set(values)
    delta = audit.diff(before, audit.snapshot(activity))
    if not delta:
        return activity
    activity.version += 1
    activity.save()
    audit.record(activity, by=by, action="update", changes=delta)
    events.emit("activity.updated", activity=activity, by=by, changes=delta)
    return activity


@transaction.atomic
def activity_set_status(*, activity: Activity, by: User, status: str, response: str = "") -> Activity:
    """Answer or close a complaint/request (open items stay on the company page until closed)."""
    if activity.kind not in ISSUE_KINDS:
        raise ValidationError({"status": _("対応状況はクレームと要望だけに付けられます。")})
    data: dict[str, Any] = {"status": status}
    if response.strip():
        data["response"] = response
    return activity_update(activity=activity, by=by, data=data)


@transaction.atomic
def activity_delete(*, activity: Activity, by: User) -> Activity:
    """Move an activity to the trash; its timeline rows disappear with it."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    visibility.check_can_edit(by, activity, ACTIVITY)
    if activity.is_deleted:
        return activity
    activity.deleted_at = timezone.now()
    activity.deleted_by = by
    activity.version += 1
    activity.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit.record(
        activity, by=by, action="delete", changes={"deleted_at": [None, activity.deleted_at.isoformat()]}
    )
    events.emit("activity.deleted", activity=activity, by=by)
    return activity


# Tasks


def _remind_at(task: Task) -> dt.datetime | None:
    if task.due_at is None or task.remind_minutes_before is None:
        return None
    return task.due_at - dt.timedelta(minutes=task.remind_minutes_before)


def task_clean(*, by: User, data: dict[str, Any]) -> dict[str, Any]:
    _unknown(data, TASK_FIELDS)
    data = dict(data)
    errors: dict[str, str] = {}
    for name in ("title", "description"):
        if name in data:
            data[name] = _text(data[name])
    if "title" in data and not data["title"]:
        errors["title"] = _("件名を入力してください。")
    if "due_at" in data:
        data["due_at"] = _datetime(data["due_at"], "due_at", errors)
    if "priority" in data:
        data["priority"] = _text(data["priority"]) or TaskPriority.NORMAL
        if data["priority"] not in TaskPriority.values:
            errors["priority"] = _("優先度の値が不正です。")
    if "remind_minutes_before" in data:
        data["remind_minutes_before"] = _int(
            data["remind_minutes_before"], "remind_minutes_before", errors, 0, 60 * 24 * 60
        )
    if "owner" in data:
        owners = _users([data["owner"]] if data["owner"] not in (None, "") else [], "owner", errors)
        data["owner"] = owners[0] if owners else None
        if data["owner"] is None and "owner" not in errors:
            errors["owner"] = _("担当者を選んでください。")
    if "company" in data:
        data["company"] = _company(by, data["company"], errors)
    if "contact" in data:
        found = _contacts(
            by, [data["contact"]] if data["contact"] not in (None, "") else [], "contact", errors
        )
        data["contact"] = found[0] if found else None
    _related(data, errors)
    if errors:
        raise ValidationError(errors)
    return data


def _apply_task(task: Task, data: dict[str, Any], by: User) -> None:
    for name, value in data.items():
        setattr(task, name, value)
    if "owner" in data:
        task.team_id = task.owner.team_id
    new_remind_at = _remind_at(task)
    if new_remind_at != task.remind_at:
        # A new reminder time is a new reminder: it is sent once more.
        task.remind_at = new_remind_at
        task.reminded_at = None
    visibility.check_can_assign(by, TASK, task.owner_id, task.team_id)


@transaction.atomic
def task_create(*, by: User, data: dict[str, Any]) -> Task:
    """Create a next action; the assignee (``owner``) defaults to the creator."""
    if not visibility.can_create(by, TASK):
        raise PermissionDenied(_("タスクを登録する権限がありません。"))
    if "title" not in data:
        raise ValidationError({"title": _("件名を入力してください。")})
    data = task_clean(by=by, data=data)
    task = Task(owner=by, team_id=by.team_id, created_by=by)
    _apply_task(task, data, by)
    task.save()
    audit.record(task, by=by, action="create", changes=audit.diff({}, audit.snapshot(task)))
    events.emit("task.created", task=task, by=by)
    return task


@transaction.atomic
def task_update(*, task: Task, by: User, data: dict[str, Any], seen_version: int | None = None) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    visibility.check_can_edit(by, task, TASK)
    if task.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱のタスクは編集できません。")})
    check_version(task, seen_version)
    data = task_clean(by=by, data=data)
    before = audit.snapshot(task)
    _apply_task(task, data, by)
    delta = audit.diff(before, audit.snapshot(task))
    if not delta:
        return task
    task.version += 1
    task.save()
    audit.record(task, by=by, action="update", changes=delta)
    events.emit("task.updated", task=task, by=by, changes=delta)
    return task


@transaction.atomic
def task_complete(
    *,
    task: Task,
    by: User,
    log_activity: bool = False,
    outcome: str = "",
    activity_kind: str = ActivityKind.NOTE,
) -> Task:
    """Mark a task done; optionally log what happened as an activity on its company/contact."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    visibility.check_can_edit(by, task, TASK)
    if task.is_deleted or task.status != TaskStatus.OPEN:
        raise ValidationError({"status": _("未完了のタスクだけを完了にできます。")})
    activity = None
    if log_activity:
        activity = activity_log(
            by=by,
            data={
                "kind": activity_kind,
                "subject": task.title,
                "body": task.description,
                "outcome": outcome,
                "company": task.company_id,
                "contacts": [task.contact_id] if task.contact_id else [],
                "related_type": task.related_type,
                "related_id": task.related_id,
            },
        )
    before = audit.snapshot(task, ["status", "completed_at", "completion_activity"])
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    task.completion_activity = activity
    task.version += 1
    task.save(update_fields=["status", "completed_at", "completion_activity", "version", "updated_at"])
    delta = audit.diff(before, audit.snapshot(task, ["status", "completed_at", "completion_activity"]))
    audit.record(task, by=by, action="complete", changes=delta)
    events.emit("task.completed", task=task, by=by, activity=activity)
    return task


@transaction.atomic
def task_delete(*, task: Task, by: User) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    visibility.check_can_edit(by, task, TASK)
    if task.is_deleted:
        return task
    task.deleted_at = timezone.now()
    task.deleted_by = by
    task.version += 1
    task.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit.record(task, by=by, action="delete", changes={"deleted_at": [None, task.deleted_at.isoformat()]})
    events.emit("task.deleted", task=task, by=by)
    return task


# Reminders


def _claim_reminder(task_id: int, now: dt.datetime) -> bool:
    """Mark one reminder as sent unless someone else already did (the row lock makes this exactly once).

    Two workers may select the same due task; the conditional UPDATE lets only one of them win:
    on PostgreSQL the loser waits for the winner's commit and then finds ``reminded_at`` set, on
    SQLite writers are serialized anyway.
    """
    return Task.objects.filter(pk=task_id, reminded_at__isnull=True).update(reminded_at=now) == 1


def reminders_send_due(*, now: dt.datetime | None = None, ids: Iterable[int] | None = None) -> int:
    """Send every due, unsent reminder exactly once (in-app + e-mail per preference). Return how many."""
    now = now or timezone.now()
    if ids is None:
        ids = list(
            Task.objects.filter(
                remind_at__lte=now,
                reminded_at__isnull=True,
                status=TaskStatus.OPEN,
                deleted_at__isnull=True,
            )
            .order_by("remind_at", "id")
            .values_list("id", flat=True)[:500]
        )
    sent = 0
    for task_id in ids:
        with transaction.atomic():
            if not _claim_reminder(task_id, now):
                continue
            task = Task.objects.select_related("owner", "company").get(pk=task_id)
            due = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") if task.due_at else ""
            notify(
                recipient=task.owner,
                kind="task.reminder",
                title=gettext_noop("リマインド: %(title)s（期限 %(due)s）"),
                params={"title": task.title, "due": due},
                body=task.description,
                url=reverse("activities:task_edit", args=[task.pk]),
            )
            sent += 1
    return sent
