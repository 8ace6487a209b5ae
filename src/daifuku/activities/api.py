"""Activities, tasks and the company timeline over JSON: thin handlers over selectors and services.

Reads go through ``activities.selectors`` (visibility applied; out of scope answers 404 like a
missing id), writes through ``activities.services`` with the dict of fields the client sent. Lists
use keyset cursors (``next_cursor``), so paging stays fast and stable while rows are added.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from daifuku.activities import selectors, services
from daifuku.activities.models import Activity, Task, TimelineEntry
from daifuku.core import api_out
from daifuku.core.models import User
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.schemas import ConflictOut, ErrorOut, Ref, ValidationErrorOut

router = Router(tags=["activities"])

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _page(qs: QuerySet[Any], *, column: str, cursor: str, limit: int) -> dict[str, Any]:
    try:
        rows, next_cursor = selectors.page(qs, column=column, cursor=cursor or None, limit=limit)
    except (ValueError, TypeError):
        raise ValidationError(
            {"cursor": _("カーソルが不正です。next_cursor の値をそのまま渡してください。")}
        ) from None
    return {"items": rows, "next_cursor": next_cursor}


def _ref(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


# Schemas


class ActivityOut(Schema):
    id: int
    kind: str
    occurred_at: dt.datetime
    duration_minutes: int | None
    company: Ref | None
    contacts: list[Ref]
    participants: list[Ref]
    owner: Ref
    subject: str
    body: str
    outcome: str
    keywords: list[str]
    status: str = Field(description="complaints/requests: open / answered / closed; otherwise empty")
    response: str
    closed_at: dt.datetime | None
    related_type: str
    related_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_company(obj: Activity) -> dict[str, Any] | None:
        return None if obj.company is None else {"id": obj.company.pk, "name": obj.company.display_name}

    @staticmethod
    def resolve_contacts(obj: Activity) -> list[dict[str, Any]]:
        return [{"id": c.pk, "name": c.full_name} for c in obj.contacts.all()]

    @staticmethod
    def resolve_participants(obj: Activity) -> list[dict[str, Any]]:
        return [{"id": u.pk, "name": u.display_name} for u in obj.participants.all()]

    @staticmethod
    def resolve_owner(obj: Activity) -> dict[str, Any] | None:
        return _ref(obj.owner)

    @staticmethod
    def resolve_keywords(obj: Activity) -> list[str]:
        return [t.name for t in obj.keywords.all()]


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class ActivityQuery(Schema):
    kind: str = ""
    owner: int | None = None
    company: int | None = None
    contact: int | None = None
    status: str = ""
    open_only: bool = Field(False, description="only complaints/requests not closed")
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


class ActivityCreateIn(Schema):
    kind: str
    subject: str
    occurred_at: dt.datetime | None = Field(None, description="defaults to now")
    duration_minutes: int | None = None
    company: int | None = Field(None, description="company id")
    contacts: list[int] = Field(default_factory=list, description="contact ids")
    participants: list[int] = Field(default_factory=list, description="user ids; defaults to you")
    body: str = ""
    outcome: str = ""
    keywords: list[str] = Field(default_factory=list)
    status: str = ""
    response: str = ""
    related_type: str = Field("", description='"app_label.model", e.g. "sales.deal"')
    related_id: int | None = None


class ActivityUpdateIn(Schema):
    version: int = Field(description="the version you read; a newer one answers 409")
    kind: str | None = None
    subject: str | None = None
    occurred_at: dt.datetime | None = None
    duration_minutes: int | None = None
    company: int | None = None
    contacts: list[int] | None = None
    participants: list[int] | None = None
    body: str | None = None
    outcome: str | None = None
    keywords: list[str] | None = None
    status: str | None = None
    response: str | None = None
    related_type: str | None = None
    related_id: int | None = None


class TaskOut(Schema):
    id: int
    title: str
    description: str
    due_at: dt.datetime | None
    priority: str
    status: str
    owner: Ref
    company: Ref | None
    contact: Ref | None
    related_type: str
    related_id: int | None
    remind_minutes_before: int | None
    remind_at: dt.datetime | None
    reminded_at: dt.datetime | None
    completed_at: dt.datetime | None
    completion_activity_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(obj: Task) -> dict[str, Any] | None:
        return _ref(obj.owner)

    @staticmethod
    def resolve_company(obj: Task) -> dict[str, Any] | None:
        return None if obj.company is None else {"id": obj.company.pk, "name": obj.company.display_name}

    @staticmethod
    def resolve_contact(obj: Task) -> dict[str, Any] | None:
        return None if obj.contact is None else {"id": obj.contact.pk, "name": obj.contact.full_name}


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


class TaskQuery(Schema):
    owner: int | None = None
    status: str = ""
    company: int | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


class TaskCreateIn(Schema):
    title: str
    description: str = ""
    due_at: dt.datetime | None = None
    priority: str = "normal"
    owner: int | None = Field(None, description="assignee user id; defaults to you")
    company: int | None = None
    contact: int | None = None
    related_type: str = ""
    related_id: int | None = None
    remind_minutes_before: int | None = Field(None, description="remind this many minutes before due_at")


class TaskUpdateIn(Schema):
    version: int
    title: str | None = None
    description: str | None = None
    due_at: dt.datetime | None = None
    priority: str | None = None
    owner: int | None = None
    company: int | None = None
    contact: int | None = None
    related_type: str | None = None
    related_id: int | None = None
    remind_minutes_before: int | None = None


class TaskCompleteIn(Schema):
    log_activity: bool = False
    activity_kind: str = "note"
    outcome: str = ""


class TimelineEntryOut(Schema):
    id: int
    kind: str
    occurred_at: dt.datetime
    title: str
    summary: str
    actor: Ref | None
    company_id: int | None
    contact_id: int | None
    source_type: str
    source_id: int | None
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: TimelineEntry) -> dict[str, Any] | None:
        return _ref(obj.actor)


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class TimelineQuery(Schema):
    type: str = Field("", description='a timeline kind ("company.handover") or "activity:<kind>"')
    person: int | None = Field(None, description="user id of who did it")
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


# Activities


@router.get("/activities", response=ActivityPage, summary="List activities (newest first)")
def activity_list(request: HttpRequest, params: Query[ActivityQuery]) -> HttpResponse:
    filters = selectors.ActivityFilters(
        kind=params.kind,
        owner=params.owner,
        company=params.company,
        contact=params.contact,
        status=params.status,
        open_only=params.open_only,
        since=params.since,
        until=params.until,
    )
    qs = selectors.activity_list(user=_user(request), filters=filters)
    return api_out.respond(
        request, ActivityPage, _page(qs, column="occurred_at", cursor=params.cursor, limit=params.limit)
    )


@router.post("/activities", response={201: ActivityOut, **_WRITE}, summary="Log an activity")
def activity_create(request: HttpRequest, payload: ActivityCreateIn) -> Status[Any]:
    user = _user(request)
    data = payload.dict(exclude_unset=True)
    activity = services.activity_log(by=user, data=data)
    return Status(201, selectors.activity_get(user=user, pk=activity.pk))


@router.get("/activities/{activity_id}", response={200: ActivityOut, **_READ}, summary="Get an activity")
def activity_detail(request: HttpRequest, activity_id: int) -> Any:
    return selectors.activity_get(user=_user(request), pk=activity_id)


@router.patch(
    "/activities/{activity_id}",
    response={200: ActivityOut, 409: ConflictOut, **_WRITE},
    summary="Change an activity",
)
def activity_update(request: HttpRequest, activity_id: int, payload: ActivityUpdateIn) -> Any:
    user = _user(request)
    activity = selectors.activity_get(user=user, pk=activity_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    services.activity_update(activity=activity, by=user, data=data, seen_version=version)
    return selectors.activity_get(user=user, pk=activity_id)


@router.delete(
    "/activities/{activity_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Move to trash"
)
def activity_delete(request: HttpRequest, activity_id: int) -> Status[None]:
    user = _user(request)
    services.activity_delete(activity=selectors.activity_get(user=user, pk=activity_id), by=user)
    return Status(204, None)


# Tasks


@router.get("/tasks", response=TaskPage, summary="List tasks (newest first)")
def task_list(request: HttpRequest, params: Query[TaskQuery]) -> HttpResponse:
    filters = selectors.TaskFilters(
        owner=params.owner,
        status=params.status,
        company=params.company,
        due_before=params.due_before,
        due_after=params.due_after,
    )
    qs = selectors.task_list(user=_user(request), filters=filters)
    return api_out.respond(
        request, TaskPage, _page(qs, column="id", cursor=params.cursor, limit=params.limit)
    )


@router.post("/tasks", response={201: TaskOut, **_WRITE}, summary="Create a task")
def task_create(request: HttpRequest, payload: TaskCreateIn) -> Status[Any]:
    user = _user(request)
    data = payload.dict(exclude_unset=True)
    task = services.task_create(by=user, data=data)
    return Status(201, selectors.task_get(user=user, pk=task.pk))


@router.get("/tasks/{task_id}", response={200: TaskOut, **_READ}, summary="Get a task")
def task_detail(request: HttpRequest, task_id: int) -> Any:
    return selectors.task_get(user=_user(request), pk=task_id)


@router.patch(
    "/tasks/{task_id}", response={200: TaskOut, 409: ConflictOut, **_WRITE}, summary="Change a task"
)
def task_update(request: HttpRequest, task_id: int, payload: TaskUpdateIn) -> Any:
    user = _user(request)
    task = selectors.task_get(user=user, pk=task_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    services.task_update(task=task, by=user, data=data, seen_version=version)
    return selectors.task_get(user=user, pk=task_id)


@router.post(
    "/tasks/{task_id}/complete", response={200: TaskOut, **_WRITE}, summary="Complete a task (optionally log)"
)
def task_complete(request: HttpRequest, task_id: int, payload: TaskCompleteIn) -> Any:
    user = _user(request)
    task = selectors.task_get(user=user, pk=task_id)
    services.task_complete(
        task=task,
        by=user,
        log_activity=payload.log_activity,
        outcome=payload.outcome,
        activity_kind=payload.activity_kind,
    )
    return selectors.task_get(user=user, pk=task_id)


@router.delete(
    "/tasks/{task_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Move to trash"
)
def task_delete(request: HttpRequest, task_id: int) -> Status[None]:
    user = _user(request)
    services.task_delete(task=selectors.task_get(user=user, pk=task_id), by=user)
    return Status(204, None)


# Timeline


@router.get(
    "/companies/{company_id}/timeline",
    response={200: TimelinePage, **_READ, 422: ValidationErrorOut},
    summary="A company's timeline (newest first)",
)
def company_timeline(request: HttpRequest, company_id: int, params: Query[TimelineQuery]) -> dict[str, Any]:
    user = _user(request)
    company = customer_selectors.company_get(user=user, pk=company_id)
    try:
        entries, next_cursor = selectors.timeline_page(
            user=user,
            company=company,
            filters=selectors.TimelineFilters(kind=params.type, person=params.person),
            cursor=params.cursor or None,
            limit=params.limit,
        )
    except (ValueError, TypeError):
        raise ValidationError({"cursor": _("カーソルが不正です。")}) from None
    return {"items": entries, "next_cursor": next_cursor}
