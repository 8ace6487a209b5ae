"""API of events and daily reports (mounted beside ``activities.api``): thin handlers over the services.

Reads go through the selectors in ``activities.calendar`` / ``activities.reports`` (visibility
applied; out of scope answers 404), writes through their services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from daifuku.activities import calendar, reports
from daifuku.activities.models import DailyReport, Event
from daifuku.core import api_out
from daifuku.core.models import User
from daifuku.customers.schemas import ConflictOut, ErrorOut, ValidationErrorOut
from daifuku.customers.selectors import company_get, contact_queryset

router = Router(tags=["calendar"])

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
MAX_REPORTS_PAGE = 200


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class Ref(Schema):
    id: int
    name: str


def _ref(obj: Any, name: str) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": name}


# Events


class EventOut(Schema):
    id: int
    uid: str = Field(description="iCalendar UID (as in the ICS feed)")
    title: str
    kind: str
    start_at: dt.datetime
    end_at: dt.datetime = Field(description="exclusive; for all-day events the midnight after the last day")
    all_day: bool
    location: str
    description: str
    owner: Ref
    company: Ref | None
    attendees: list[Ref]
    attendee_contacts: list[Ref]
    related_type: str
    related_id: int | None
    version: int

    @staticmethod
    def resolve_uid(obj: Event) -> str:
        return calendar.event_uid(obj)

    @staticmethod
    def resolve_owner(obj: Event) -> dict[str, Any] | None:
        return _ref(obj.owner, obj.owner.display_name)

    @staticmethod
    def resolve_company(obj: Event) -> dict[str, Any] | None:
        return _ref(obj.company, obj.company.display_name) if obj.company else None

    @staticmethod
    def resolve_attendees(obj: Event) -> list[dict[str, Any]]:
        return [{"id": u.pk, "name": u.display_name} for u in obj.attendees.all()]

    @staticmethod
    def resolve_attendee_contacts(obj: Event) -> list[dict[str, Any]]:
        return [{"id": c.pk, "name": str(c)} for c in obj.attendee_contacts.all()]


class EventQuery(Schema):
    start: dt.datetime = Field(description="range start (ISO 8601; naive times are Asia/Tokyo)")
    end: dt.datetime = Field(description=f"range end, at most {calendar.MAX_RANGE_DAYS} days after start")
    users: list[int] | None = Field(None, description="only events these users organize or attend")
    team: int | None = None


class EventIn(Schema):
    title: str
    kind: str = "meeting"
    start_at: dt.datetime
    end_at: dt.datetime | None = None
    all_day: bool = False
    location: str = ""
    description: str = ""
    company_id: int | None = None
    attendee_ids: list[int] = []
    attendee_contact_ids: list[int] = []
    related_type: str = ""
    related_id: int | None = None


class EventUpdateIn(Schema):
    version: int = Field(description="the version you read; a newer one answers 409")
    title: str | None = None
    kind: str | None = None
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    all_day: bool | None = None
    location: str | None = None
    description: str | None = None
    company_id: int | None = None
    attendee_ids: list[int] | None = None
    attendee_contact_ids: list[int] | None = None
    related_type: str | None = None
    related_id: int | None = None


class ImportOut(Schema):
    created: int
    updated: int
    skipped: list[str]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=calendar.TOKYO)


def _event_data(user: User, payload: dict[str, Any]) -> dict[str, Any]:
    """Client ids → records the user may see (field errors name the client's field)."""
    data = dict(payload)
    if "company_id" in data:
        company_id = data.pop("company_id")
        try:
            data["company"] = company_get(user=user, pk=company_id) if company_id is not None else None
        except Http404:
            raise ValidationError({"company_id": _("指定された取引先が見つかりません。")}) from None
    if "attendee_ids" in data:
        ids = set(data.pop("attendee_ids") or [])
        found = list(calendar.calendar_people(user=user).filter(pk__in=ids))
        if len(found) != len(ids):
            raise ValidationError({"attendee_ids": _("指定されたユーザーが見つかりません。")})
        data["attendees"] = found
    if "attendee_contact_ids" in data:
        ids = set(data.pop("attendee_contact_ids") or [])
        contacts = list(contact_queryset(user=user).filter(pk__in=ids))
        if len(contacts) != len(ids):
            raise ValidationError({"attendee_contact_ids": _("指定された担当者が見つかりません。")})
        data["attendee_contacts"] = contacts
    return data


@router.get("/events", response=list[EventOut], summary="List events overlapping a range")
def event_list(request: HttpRequest, params: Query[EventQuery]) -> Any:
    return list(
        calendar.event_list(
            user=_user(request),
            start=_aware(params.start),
            end=_aware(params.end),
            user_ids=params.users,
            team_id=params.team,
        )
    )


@router.post("/events", response={201: EventOut, **_WRITE}, summary="Create an event")
def event_create(request: HttpRequest, payload: EventIn) -> Status[Any]:
    user = _user(request)
    event = calendar.event_create(by=user, data=_event_data(user, payload.dict()))
    return Status(201, calendar.event_get(user=user, pk=event.pk))


@router.post("/events/import", response={200: ImportOut, **_WRITE}, summary="Import an .ics file")
def event_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    result = calendar.events_import_ics(by=_user(request), content=file.read())
    return {"created": result.created, "updated": result.updated, "skipped": result.skipped}


@router.get("/events/{event_id}", response={200: EventOut, **_READ}, summary="Get an event")
def event_detail(request: HttpRequest, event_id: int) -> Any:
    return calendar.event_get(user=_user(request), pk=event_id)


@router.patch(
    "/events/{event_id}", response={200: EventOut, 409: ConflictOut, **_WRITE}, summary="Change an event"
)
def event_update(request: HttpRequest, event_id: int, payload: EventUpdateIn) -> Any:
    user = _user(request)
    event = calendar.event_get(user=user, pk=event_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    calendar.event_update(event=event, by=user, data=_event_data(user, data), seen_version=version)
    return calendar.event_get(user=user, pk=event_id)


@router.delete(
    "/events/{event_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Move to trash"
)
def event_delete(request: HttpRequest, event_id: int) -> Status[None]:
    user = _user(request)
    calendar.event_delete(event=calendar.event_get(user=user, pk=event_id), by=user)
    return Status(204, None)


# Daily reports


class CommentOut(Schema):
    id: int
    author: Ref
    body: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj: Any) -> dict[str, Any] | None:
        return _ref(obj.author, obj.author.display_name)


class ReportOut(Schema):
    id: int
    date: dt.date
    author: Ref
    team: Ref | None
    status: str
    submitted_at: dt.datetime | None
    summary: str
    achievements: str
    issues: str
    plan: str
    version: int
    comment_count: int

    @staticmethod
    def resolve_author(obj: DailyReport) -> dict[str, Any] | None:
        return _ref(obj.author, obj.author.display_name)

    @staticmethod
    def resolve_team(obj: DailyReport) -> dict[str, Any] | None:
        return _ref(obj.team, obj.team.name) if obj.team else None

    @staticmethod
    def resolve_comment_count(obj: DailyReport) -> int:
        count = getattr(obj, "comment_count", None)
        return count if count is not None else len(obj.comments.all())


class ReportDetailOut(ReportOut):
    activity_ids: list[int]
    task_ids: list[int]
    comments: list[CommentOut]
    read_by: list[Ref]

    @staticmethod
    def resolve_activity_ids(obj: DailyReport) -> list[int]:
        return [a.pk for a in obj.activities.all()]

    @staticmethod
    def resolve_task_ids(obj: DailyReport) -> list[int]:
        return [t.pk for t in obj.tasks_done.all()]

    @staticmethod
    def resolve_comments(obj: DailyReport) -> list[Any]:
        return list(obj.comments.all())

    @staticmethod
    def resolve_read_by(obj: DailyReport) -> list[dict[str, Any]]:
        return [{"id": r.reader.pk, "name": r.reader.display_name} for r in obj.reads.all()]


class ReportQuery(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    author: int | None = None
    team: int | None = None
    status: str = ""
    limit: int = Field(50, ge=1, le=MAX_REPORTS_PAGE)
    offset: int = Field(0, ge=0)


class ReportPage(Schema):
    items: list[ReportOut]
    count: int


class ReportIn(Schema):
    date: dt.date
    summary: str | None = None
    achievements: str | None = None
    issues: str | None = None
    plan: str | None = None
    version: int | None = Field(None, description="when changing an existing draft: the version you read")


class SubmitIn(Schema):
    version: int | None = None


class CommentIn(Schema):
    body: str


@router.get("/daily-reports", response=ReportPage, summary="List daily reports")
def report_list(request: HttpRequest, params: Query[ReportQuery]) -> HttpResponse:
    qs = reports.report_list(
        user=_user(request),
        date_from=params.date_from,
        date_to=params.date_to,
        author_id=params.author,
        team_id=params.team,
        status=params.status,
    )
    return api_out.respond(
        request,
        ReportPage,
        {"items": list(qs[params.offset : params.offset + params.limit]), "count": qs.count()},
    )


@router.post(
    "/daily-reports",
    response={200: ReportDetailOut, **_WRITE, 409: ConflictOut},
    summary="Create or change my draft for a date (prefilled with the day's activities and tasks)",
)
def report_save(request: HttpRequest, payload: ReportIn) -> Any:
    user = _user(request)
    data = payload.dict(exclude_unset=True)
    day = data.pop("date")
    version = data.pop("version", None)
    report = reports.report_save_draft(by=user, day=day, data=data, seen_version=version)
    return reports.report_get(user=user, pk=report.pk)


@router.get("/daily-reports/{report_id}", response={200: ReportDetailOut, **_READ}, summary="Get a report")
def report_detail(request: HttpRequest, report_id: int) -> Any:
    return reports.report_get(user=_user(request), pk=report_id)


@router.post(
    "/daily-reports/{report_id}/submit",
    response={200: ReportDetailOut, **_WRITE, 409: ConflictOut},
    summary="Submit my draft",
)
def report_submit(request: HttpRequest, report_id: int, payload: SubmitIn) -> Any:
    user = _user(request)
    report = reports.report_get(user=user, pk=report_id)
    reports.report_submit(report=report, by=user, seen_version=payload.version)
    return reports.report_get(user=user, pk=report_id)


@router.post(
    "/daily-reports/{report_id}/comments",
    response={201: CommentOut, **_WRITE},
    summary="Comment on a report (the author is notified)",
)
def report_comment(request: HttpRequest, report_id: int, payload: CommentIn) -> Status[Any]:
    user = _user(request)
    report = reports.report_get(user=user, pk=report_id)
    return Status(201, reports.report_comment(report=report, by=user, body=payload.body))


@router.post(
    "/daily-reports/{report_id}/read", response={204: None, **_WRITE}, summary="Mark a report as read (既読)"
)
def report_read(request: HttpRequest, report_id: int) -> Status[None]:
    user = _user(request)
    reports.report_mark_read(report=reports.report_get(user=user, pk=report_id), by=user)
    return Status(204, None)
