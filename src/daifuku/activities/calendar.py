"""The shared calendar: events (予定), secret-token ICS feeds and .ics import — services and selectors.

Visibility: object type ``event`` with the organizer as owner; attendees (our users) also see the
events they attend, whatever their role scope. All-day events are stored as Asia/Tokyo midnights
with an exclusive end (the day after the last day), the same convention as iCalendar's DTEND.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import icalendar
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from daifuku.activities.models import CalendarFeed, Event, EventKind
from daifuku.core import audit, events, visibility
from daifuku.core.models import Scope, Team, User
from daifuku.core.services import check_version
from daifuku.customers.models import Company, Contact

EVENT = "event"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
EVENT_FIELDS = [
    "title", "kind", "start_at", "end_at", "all_day", "location", "description", "company",
    "attendees", "attendee_contacts", "related_type", "related_id", "uid",
]  # fmt: skip
# A feed carries this window around today: enough for a subscribed calendar, bounded in size.
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 400
MAX_RANGE_DAYS = 62
MAX_IMPORT_BYTES = 2 * 1024 * 1024
PRODID = "-//Daifuku//Daifuku CRM//JA"


# Selectors


def event_queryset(*, user: User) -> QuerySet[Event]:
    """Live events the user may read: within the ``event`` role scope, or attended by the user."""
    base = Event.objects.filter(deleted_at__isnull=True)
    if visibility.scope_for(user, EVENT) == Scope.ALL:
        return base
    in_scope = visibility.visible(base, user, EVENT).values("pk")
    attending = Event.attendees.through.objects.filter(user_id=user.pk).values("event_id")
    return base.filter(Q(pk__in=in_scope) | Q(pk__in=attending))


def _overlapping(qs: QuerySet[Event], start: dt.datetime, end: dt.datetime) -> QuerySet[Event]:
    # Zero-length events at ``start`` count as inside the range.
    return qs.filter(Q(start_at__lt=end) & (Q(end_at__gt=start) | Q(start_at__gte=start)))


def event_list(
    *,
    user: User,
    start: dt.datetime,
    end: dt.datetime,
    user_ids: Iterable[int] | None = None,
    team_id: int | None = None,
) -> QuerySet[Event]:
    """Events overlapping [start, end) that the user may read, optionally of some people or a team.

    ``user_ids``: events those users organize or attend (カレンダー共有). ``team_id``: events of the
    team or organized/attended by its members.
    """
    if end <= start:
        raise ValidationError({"end": _("終了は開始より後にしてください。")})
    if end - start > dt.timedelta(days=MAX_RANGE_DAYS):
        raise ValidationError({"end": _("期間は%(days)s日以内にしてください。") % {"days": MAX_RANGE_DAYS}})
    qs = _overlapping(event_queryset(user=user), start, end)
    if user_ids is not None:
        ids = list(user_ids)
        attending = Event.attendees.through.objects.filter(user_id__in=ids).values("event_id")
        qs = qs.filter(Q(owner_id__in=ids) | Q(pk__in=attending))
    if team_id is not None:
        members = User.objects.filter(team_id=team_id).values("pk")
        attending = Event.attendees.through.objects.filter(user_id__in=members).values("event_id")
        qs = qs.filter(Q(team_id=team_id) | Q(owner_id__in=members) | Q(pk__in=attending))
    return (
        qs.select_related("owner", "company")
        .prefetch_related("attendees", "attendee_contacts")
        .order_by("start_at", "id")
    )


def event_get(*, user: User, pk: Any) -> Event:
    """One live event the user may read; 404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    event = (
        event_queryset(user=user)
        .select_related("owner", "team", "company")
        .prefetch_related("attendees", "attendee_contacts")
        .filter(pk=pk)
        .first()
    )
    if event is None:
        raise Http404
    return event


def can_edit_event(user: User, event: Event) -> bool:
    return visibility.can_edit(user, event, EVENT)


def calendar_people(*, user: User) -> QuerySet[User]:
    """Colleagues whose calendars may be shown side by side (active users, by team and name)."""
    return (
        User.objects.filter(is_active=True).select_related("team").order_by("team__name", "last_name", "id")
    )


# Services: events


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _aware(value: Any, name: str, errors: dict[str, str]) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=TOKYO)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=TOKYO)
    if isinstance(value, str) and value.strip():
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors[name] = _("日時の形式が正しくありません（例: 2026-04-01 10:00）。")
            return None
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=TOKYO)
    errors[name] = _("日時を入力してください。")
    return None


def _local_midnight(value: dt.datetime) -> dt.datetime:
    local = value.astimezone(TOKYO)
    return dt.datetime.combine(local.date(), dt.time(), tzinfo=TOKYO)


def _normalize(data: dict[str, Any], current: Event | None) -> dict[str, Any]:
    unknown = set(data) - set(EVENT_FIELDS)
    if unknown:
        raise ValidationError({name: _("この項目はありません。") for name in sorted(unknown)})
    errors: dict[str, str] = {}
    out = dict(data)
    if "title" in out or current is None:
        out["title"] = _text(out.get("title"))[:200]
        if not out["title"]:
            errors["title"] = _("件名を入力してください。")
    if "kind" in out and out["kind"] not in EventKind.values:
        errors["kind"] = _("種類の値が不正です。")
    for name in ("location", "description", "related_type", "uid"):
        if name in out:
            out[name] = _text(out[name])
    if "location" in out:
        out["location"] = out["location"][:300]
    all_day = bool(out.get("all_day", current.all_day if current else False))
    for name in ("start_at", "end_at"):
        if name in out or current is None:
            if current is None and name == "end_at" and out.get(name) in (None, ""):
                continue
            out[name] = _aware(out.get(name), name, errors)
    start = out.get("start_at", current.start_at if current else None)
    end = out.get("end_at", current.end_at if current else None)
    if start is not None and "start_at" not in errors:
        if end is None:
            end = start + (dt.timedelta(days=1) if all_day else dt.timedelta(hours=1))
        if all_day:
            # Whole days: the start's day through the end's day; an end at midnight is exclusive.
            start = _local_midnight(start)
            end_day = _local_midnight(end)
            if end_day != end.astimezone(TOKYO):
                end_day += dt.timedelta(days=1)
            end = max(end_day, start + dt.timedelta(days=1))
        if "end_at" not in errors and end < start:
            errors["end_at"] = _("終了は開始より後にしてください。")
        out["start_at"], out["end_at"] = start, end
    if errors:
        raise ValidationError(errors)
    return out


def _check_people(data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if data.get("company") is not None and not isinstance(data["company"], Company):
        errors["company"] = _("指定された取引先が見つかりません。")
    for name, model in (("attendees", User), ("attendee_contacts", Contact)):
        if name in data:
            values = list(data[name] or [])
            if any(not isinstance(v, model) for v in values):
                errors[name] = _("指定された参加者が見つかりません。")
            data[name] = values
    if errors:
        raise ValidationError(errors)


def _snapshot(event: Event) -> dict[str, Any]:
    return audit.snapshot(event, [*EVENT_FIELDS, "owner", "team"])


@transaction.atomic
def event_create(*, by: User, data: dict[str, Any], owner: User | None = None) -> Event:
    """Create an event organized by ``owner`` (default: the acting user); attendees also see it."""
    owner = owner or by
    if not visibility.can_create(by, EVENT):
        raise PermissionDenied(_("予定を登録する権限がありません。"))
    visibility.check_can_assign(by, EVENT, owner.pk, owner.team_id)
    data = _normalize(data, None)
    _check_people(data)
    attendees = data.pop("attendees", [])
    contacts = data.pop("attendee_contacts", [])
    event = Event(owner=owner, team=owner.team, **data)
    event.full_clean(exclude=["attendees", "attendee_contacts"], validate_constraints=False)
    event.save()
    event.attendees.set(attendees)
    event.attendee_contacts.set(contacts)
    audit.record(event, by=by, action="create", changes=audit.diff({}, _snapshot(event)))
    events.emit("event.created", event=event, by=by)
    return event


@transaction.atomic
def event_update(*, event: Event, by: User, data: dict[str, Any], seen_version: int | None) -> Event:
    """Change an event (organizer or within the edit scope); refuses a stale ``seen_version``."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    visibility.check_can_edit(by, event, EVENT)
    check_version(event, seen_version)
    data = _normalize(data, event)
    _check_people(data)
    before = _snapshot(event)
    attendees = data.pop("attendees", None)
    contacts = data.pop("attendee_contacts", None)
    for name, value in data.items():
        setattr(event, name, value)
    if attendees is not None:
        event.attendees.set(attendees)
    if contacts is not None:
        event.attendee_contacts.set(contacts)
    delta = audit.diff(before, _snapshot(event))
    if not delta:
        return event
    event.version += 1
    event.save()
    audit.record(event, by=by, action="update", changes=delta)
    events.emit("event.updated", event=event, by=by, changes=delta)
    return event


@transaction.atomic
def event_delete(*, event: Event, by: User) -> Event:
    """Move an event to the trash."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    visibility.check_can_edit(by, event, EVENT)
    if event.deleted_at is not None:
        return event
    event.deleted_at = timezone.now()
    event.deleted_by = by
    event.version += 1
    event.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit.record(event, by=by, action="delete", changes={"deleted_at": [None, event.deleted_at.isoformat()]})
    events.emit("event.deleted", event=event, by=by)
    return event


# ICS feeds


def feed_for(*, by: User, team: Team | None = None) -> CalendarFeed | None:
    """The live feed of the user (or of ``team``), if one was created."""
    qs = CalendarFeed.objects.filter(revoked_at__isnull=True)
    qs = qs.filter(team=team) if team is not None else qs.filter(user=by)
    return qs.order_by("-id").first()


def _check_team_feed(by: User, team: Team) -> None:
    if not (by.is_administrator or by.team_id == team.pk):
        raise PermissionDenied(_("このチームのカレンダーは配信できません。"))


@transaction.atomic
def feed_create(*, by: User, team: Team | None = None) -> CalendarFeed:
    """Create (or replace) the secret-token feed of the user or of a team; the old URL stops working."""
    if team is not None:
        _check_team_feed(by, team)
    now = timezone.now()
    old = CalendarFeed.objects.select_for_update().filter(revoked_at__isnull=True)
    old = old.filter(team=team) if team is not None else old.filter(user=by)
    old.update(revoked_at=now)
    feed = CalendarFeed.objects.create(user=None if team else by, team=team, created_by=by)
    audit.record(feed, by=by, action="create", note="team" if team else "user")
    return feed


@transaction.atomic
def feed_revoke(*, feed: CalendarFeed, by: User) -> None:
    if feed.team_id is not None:
        assert feed.team is not None
        _check_team_feed(by, feed.team)
    elif feed.user_id != by.pk and not by.is_administrator:
        raise PermissionDenied(_("このカレンダー配信は取り消せません。"))
    CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(feed, by=by, action="revoke")


def feed_by_token(token: str) -> CalendarFeed:
    """The live feed for a secret token; 404 for unknown or revoked tokens."""
    feed = (
        CalendarFeed.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("user", "team")
        .first()
        if token
        else None
    )
    if feed is None or (feed.user is not None and not feed.user.is_active):
        raise Http404
    return feed


def feed_events(*, feed: CalendarFeed, now: dt.datetime | None = None) -> QuerySet[Event]:
    """What a feed publishes: a user's own and attended events, or a team's events, around today."""
    now = now or timezone.now()
    qs = _overlapping(
        Event.objects.filter(deleted_at__isnull=True),
        now - dt.timedelta(days=FEED_PAST_DAYS),
        now + dt.timedelta(days=FEED_FUTURE_DAYS),
    )
    if feed.user_id is not None:
        attending = Event.attendees.through.objects.filter(user_id=feed.user_id).values("event_id")
        qs = qs.filter(Q(owner_id=feed.user_id) | Q(pk__in=attending))
    else:
        members = User.objects.filter(team=feed.team).values("pk")
        qs = qs.filter(Q(team=feed.team) | Q(owner_id__in=members))
    return qs.select_related("owner", "company").order_by("start_at", "id")


def event_uid(event: Event) -> str:
    """The iCalendar UID: the imported one, else a stable one from the id."""
    return event.uid or f"event-{event.pk}@daifuku"


def ics_calendar(events_: Iterable[Event], *, name: str) -> bytes:
    """An iCalendar (RFC 5545) document; times in UTC, all-day events as DATE values."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Tokyo")
    for event in events_:
        item = icalendar.Event()
        item.add("uid", event_uid(event))
        item.add("dtstamp", event.updated_at.astimezone(dt.UTC))
        if event.all_day:
            item.add("dtstart", event.start_at.astimezone(TOKYO).date())
            item.add("dtend", event.end_at.astimezone(TOKYO).date())
        else:
            item.add("dtstart", event.start_at.astimezone(dt.UTC))
            item.add("dtend", event.end_at.astimezone(dt.UTC))
        item.add("summary", event.title)
        if event.location:
            item.add("location", event.location)
        description = event.description
        if event.company_id and event.company is not None:
            description = f"{event.company.display_name}\n{description}".strip()
        if description:
            item.add("description", description)
        item.add("sequence", event.version)
        item.add("last-modified", event.updated_at.astimezone(dt.UTC))
        cal.add_component(item)
    return cal.to_ical()


# .ics import


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)


def _ics_time(value: Any) -> tuple[dt.datetime, bool]:
    """An iCalendar DATE or DATE-TIME as an aware datetime and whether it was a DATE (all day)."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=TOKYO)  # floating time: read as Japan time
        return value, False
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=TOKYO), True
    raise ValueError(value)


def _fallback_uid(component: Any) -> str:
    raw = f"{component.get('dtstart').to_ical()!r}|{component.get('summary', '')}"
    return "import-" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _parse_ics(content: bytes) -> list[Any]:
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": _("ファイルが大きすぎます（2MBまで）。")})
    try:
        cal = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValidationError(
            {"file": _("iCalendar（.ics）ファイルとして読み取れません: %(error)s") % {"error": exc}}
        ) from None
    if getattr(cal, "name", "") != "VCALENDAR":
        raise ValidationError({"file": _("VCALENDAR がありません。.ics ファイルを選んでください。")})
    items = list(cal.walk("VEVENT"))
    if not items:
        raise ValidationError({"file": _("予定（VEVENT）が1件もありません。")})
    return items


def events_import_ics(*, by: User, content: bytes) -> ImportResult:
    """Create events from an .ics file; an event whose UID was imported before is updated instead.

    Recurring events (RRULE) are imported as their first occurrence. Each event is saved in its own
    transaction so one bad event does not lose the others; it is listed in ``skipped`` by number.
    """
    items = _parse_ics(content)
    result = ImportResult()
    for number, component in enumerate(items, start=1):
        label = _("%(n)s件目「%(title)s」") % {"n": number, "title": str(component.get("summary", ""))}
        try:
            start_prop = component.get("dtstart")
            if start_prop is None:
                raise ValidationError({"start_at": _("開始日時（DTSTART）がありません。")})
            start, all_day = _ics_time(start_prop.dt)
            end_prop = component.get("dtend")
            if end_prop is not None:
                end, _date = _ics_time(end_prop.dt)
            elif component.get("duration") is not None:
                end = start + component.get("duration").dt
            else:
                end = start + (dt.timedelta(days=1) if all_day else dt.timedelta())
            uid = str(component.get("uid") or _fallback_uid(component))[:255]
            data = {
                "title": str(component.get("summary", "")).strip() or _("（件名なし）"),
                "start_at": start,
                "end_at": end,
                "all_day": all_day,
                "location": str(component.get("location", "")),
                "description": str(component.get("description", "")),
                "uid": uid,
            }
            with transaction.atomic():
                existing = (
                    visibility.visible(Event.objects.filter(uid=uid, deleted_at__isnull=True), by, EVENT)
                    .filter(owner=by)
                    .first()
                )
                if existing is None:
                    event_create(by=by, data=data)
                    result.created += 1
                else:
                    event_update(event=existing, by=by, data=data, seen_version=None)
                    result.updated += 1
        except ValidationError as exc:
            messages = (
                "; ".join(" ".join(m) for m in exc.message_dict.values())
                if hasattr(exc, "error_dict")
                else " ".join(exc.messages)
            )
            result.skipped.append(f"{label}: {messages}")
        except (ValueError, TypeError, AttributeError) as exc:
            result.skipped.append(f"{label}: {exc}")
    return result
