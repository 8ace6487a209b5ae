"""Pages of the shared calendar, daily reports (日報) and the activity dashboard: parse, call, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.activities import calendar, dashboard, reports
from daifuku.activities.forms_calendar import CommentForm, EventForm, IcsImportForm, ReportForm, parse_date
from daifuku.activities.models import DailyReportStatus, Event
from daifuku.core.models import User
from daifuku.core.selectors import team_list
from daifuku.core.services import VersionConflict
from daifuku.customers.selectors import company_queryset, contact_queryset

# Colours of people shown side by side (カレンダー共有); Bootstrap-friendly, readable on white.
PALETTE = ["#0d6efd", "#198754", "#d63384", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#0dcaf0"]
KIND_COLOURS = {"visit": "#198754", "meeting": "#0d6efd", "web_meeting": "#6f42c1", "internal": "#6c757d"}
MAX_PEOPLE = len(PALETTE)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(" ".join(m) for m in exc.message_dict.values())
    return " ".join(exc.messages)


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, " ".join(errors))
    else:
        form.add_error(None, " ".join(exc.messages))


# Calendar


@dataclass
class CalendarItem:
    event: Event
    colour: str
    continues: bool = False  # started on an earlier day


@dataclass
class CalendarDay:
    date: dt.date
    in_month: bool
    is_today: bool
    items: list[CalendarItem] = field(default_factory=list)


def _calendar_range(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day shown: 6-week month grid from Monday, Monday–Sunday week, or the day."""
    if view == "month":
        first = day.replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        next_month = (first + dt.timedelta(days=32)).replace(day=1)
        last = next_month - dt.timedelta(days=1)
        end = last + dt.timedelta(days=6 - last.weekday())
        return start, end
    if view == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    return day, day


def _step(view: str, day: dt.date, direction: int) -> dt.date:
    if view == "month":
        month = day.month - 1 + direction
        return dt.date(day.year + month // 12, month % 12 + 1, 1)
    return day + dt.timedelta(days=(7 if view == "week" else 1) * direction)


def _selected_people(request: HttpRequest, user: User) -> list[User]:
    ids = []
    for raw in request.GET.getlist("users"):
        for part in raw.split(","):
            if part.strip().isdigit():
                ids.append(int(part))
    ids = list(dict.fromkeys(ids))[:MAX_PEOPLE] or [user.pk]
    found = {u.pk: u for u in calendar.calendar_people(user=user).filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


@require_GET
@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    view = request.GET.get("view", "month")
    if view not in ("month", "week", "day"):
        view = "month"
    today = timezone.localdate()
    day = parse_date(request.GET.get("date"), today)
    mode = request.GET.get("mode", "me")
    teams = list(team_list())
    team_id = None
    people: list[User] = []
    if mode == "team":
        raw_team = request.GET.get("team") or user.team_id
        team_id = int(raw_team) if str(raw_team or "").isdigit() else None
        if team_id is None:
            mode = "me"
    elif mode == "people":
        people = _selected_people(request, user)
    if mode == "me":
        people = [user]
    first, last = _calendar_range(view, day)
    start = dt.datetime.combine(first, dt.time(), tzinfo=calendar.TOKYO)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=calendar.TOKYO)
    events = list(
        calendar.event_list(
            user=user,
            start=start,
            end=end,
            user_ids=[p.pk for p in people] if mode != "team" else None,
            team_id=team_id,
        )
    )
    colours = {p.pk: PALETTE[i % len(PALETTE)] for i, p in enumerate(people)}
    days = [
        CalendarDay(date=d, in_month=(view != "month" or d.month == day.month), is_today=(d == today))
        for d in (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    ]
    by_date = {d.date: d for d in days}
    for event in events:
        if mode == "people":
            attendee_ids = [a.pk for a in event.attendees.all()]
            owner_colour = colours.get(event.owner_id)
            colour = owner_colour or next((colours[a] for a in attendee_ids if a in colours), PALETTE[0])
        else:
            colour = KIND_COLOURS.get(event.kind, "#495057")
        local_start = event.start_at.astimezone(calendar.TOKYO).date()
        local_end = event.end_at.astimezone(calendar.TOKYO)
        # Exclusive end: an event ending at midnight does not show on that next day.
        last_day = (
            (local_end - dt.timedelta(microseconds=1)).date() if local_end > event.start_at else local_start
        )
        current = max(local_start, first)
        while current <= min(last_day, last):
            by_date[current].items.append(CalendarItem(event, colour, continues=current != local_start))
            current += dt.timedelta(days=1)
    base_params: list[tuple[str, str]] = [("view", view), ("mode", mode)]
    if mode == "team" and team_id:
        base_params.append(("team", str(team_id)))
    if mode == "people":
        base_params.extend(("users", str(p.pk)) for p in people)

    def link(**changes: Any) -> str:
        pairs = [(k, v) for k, v in base_params if k not in changes]
        pairs += [(k, str(v)) for k, v in changes.items()]
        return f"{reverse('activities:calendar')}?{urlencode(pairs)}"

    context = {
        "view": view,
        "mode": mode,
        "day": day,
        "first": first,
        "last": last,
        "days": days,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "events": events,
        "people": [{"user": p, "colour": colours[p.pk]} for p in people],
        "people_choices": calendar.calendar_people(user=user),
        "selected_ids": [p.pk for p in people],
        "teams": teams,
        "team_id": team_id,
        "prev_url": link(date=_step(view, day, -1).isoformat()),
        "next_url": link(date=_step(view, day, 1).isoformat()),
        "today_url": link(date=today.isoformat()),
        "view_urls": {v: link(view=v, date=day.isoformat()) for v in ("month", "week", "day")},
        "weekday_names": [
            pgettext("曜日", "月"),
            pgettext("曜日", "火"),
            pgettext("曜日", "水"),
            pgettext("曜日", "木"),
            pgettext("曜日", "金"),
            pgettext("曜日", "土"),
            pgettext("曜日", "日"),
        ],
    }
    htmx = _is_htmx(request)
    response = render(
        request, "activities/_calendar_grid.html" if htmx else "activities/calendar_index.html", context
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _event_form(request: HttpRequest, data: Any = None, initial: Any = None) -> EventForm:
    user = request.user
    return EventForm(
        data,
        initial=initial,
        companies=company_queryset(user=user).order_by("kana_key", "id"),
        contacts=contact_queryset(user=user).select_related("company").order_by("kana_key", "id"),
        people=calendar.calendar_people(user=user),
    )


def _event_data(form: EventForm) -> dict[str, Any]:
    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    data["attendees"] = list(data["attendees"])
    data["attendee_contacts"] = list(data["attendee_contacts"])
    return data


@require_http_methods(["GET", "POST"])
@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    day = parse_date(request.GET.get("date"), timezone.localdate())
    start = dt.datetime.combine(day, dt.time(10, 0))
    initial = {"start_at": start, "end_at": start + dt.timedelta(hours=1)}
    form = _event_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = calendar.event_create(by=request.user, data=_event_data(form))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("予定を登録しました。"))
            return redirect("activities:event_detail", pk=event.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "activities/calendar_event_form.html", {"form": form}, status=status)


@require_GET
@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = calendar.event_get(user=request.user, pk=pk)
    can_edit = calendar.can_edit_event(request.user, event)
    return render(request, "activities/calendar_event_detail.html", {"event": event, "can_edit": can_edit})


@require_http_methods(["GET", "POST"])
@login_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = calendar.event_get(user=request.user, pk=pk)
    if not calendar.can_edit_event(request.user, event):
        raise PermissionDenied
    initial = {
        "title": event.title,
        "kind": event.kind,
        "all_day": event.all_day,
        "start_at": timezone.localtime(event.start_at, calendar.TOKYO).replace(tzinfo=None),
        "end_at": timezone.localtime(event.end_at, calendar.TOKYO).replace(tzinfo=None),
        "location": event.location,
        "company": event.company_id,
        "attendees": [a.pk for a in event.attendees.all()],
        "attendee_contacts": [c.pk for c in event.attendee_contacts.all()],
        "description": event.description,
        "version": event.version,
    }
    form = _event_form(request, request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            calendar.event_update(
                event=event,
                by=request.user,
                data=_event_data(form),
                seen_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except VersionConflict as exc:
            conflict = exc
            form.add_error(
                None, _("他の人がこの予定を先に更新しました。内容を確認してもう一度保存してください。")
            )
        else:
            messages.success(request, _("予定を更新しました。"))
            return redirect("activities:event_detail", pk=event.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "event": event, "conflict": conflict}
    return render(request, "activities/calendar_event_form.html", context, status=status)


@require_POST
@login_required
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    event = calendar.event_get(user=request.user, pk=pk)
    calendar.event_delete(event=event, by=request.user)
    messages.success(request, _("予定を削除しました（ごみ箱に移動）。"))
    return redirect("activities:calendar")


@require_http_methods(["GET", "POST"])
@login_required
def calendar_import(request: HttpRequest) -> HttpResponse:
    form = IcsImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = calendar.events_import_ics(by=request.user, content=form.cleaned_data["file"].read())
        except ValidationError as exc:
            _add_errors(form, exc)
    status = 422 if request.method == "POST" and result is None else 200
    return render(request, "activities/calendar_import.html", {"form": form, "result": result}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    user = request.user
    team = user.team
    if request.method == "POST":
        action = request.POST.get("action", "")
        target_team = team if request.POST.get("target") == "team" else None
        if request.POST.get("target") == "team" and team is None:
            raise Http404
        if action == "create":
            calendar.feed_create(by=user, team=target_team)
            messages.success(request, _("配信URLを発行しました。以前のURLは使えなくなりました。"))
        elif action == "revoke":
            feed = calendar.feed_for(by=user, team=target_team)
            if feed is not None:
                calendar.feed_revoke(feed=feed, by=user)
                messages.success(request, _("配信URLを停止しました。"))
        return redirect("activities:calendar_feeds")

    def url_of(feed: Any) -> str:
        return (
            request.build_absolute_uri(reverse("activities:calendar_ics", args=[feed.token])) if feed else ""
        )

    my_feed = calendar.feed_for(by=user)
    team_feed = calendar.feed_for(by=user, team=team) if team else None
    context = {"my_url": url_of(my_feed), "team_url": url_of(team_feed), "team": team}
    return render(request, "activities/calendar_feeds.html", context)


@require_GET
def calendar_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The secret-token feed: no login (calendar apps cannot sign in); unknown or revoked → 404."""
    feed = calendar.feed_by_token(token)
    name = feed.team.name if feed.team else (feed.user.display_name if feed.user else "Daifuku")
    body = calendar.ics_calendar(calendar.feed_events(feed=feed), name=f"{name} (Daifuku)")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="daifuku.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


# Daily reports


@require_GET
@login_required
def report_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = list(reports.report_list(user=user, author_id=user.pk)[:60])
    context = {
        "reports": mine,
        "today": timezone.localdate(),
        "can_board": reports.board_teams(user=user).exists(),
    }
    return render(request, "activities/report_index.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def report_day(request: HttpRequest, day: str) -> HttpResponse:
    """The rep's report of a day: prefilled form for a draft, the read-only report once submitted."""
    user = request.user
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    report = reports.report_for_day(user=user, day=date)
    if report is not None and report.status == DailyReportStatus.SUBMITTED:
        return redirect("activities:report_detail", pk=report.pk)
    prefill = reports.report_prefill(author=user, day=date)
    initial = {"summary": prefill.summary, "version": None}
    if report is not None:
        initial = {name: getattr(report, name) for name in reports.TEXT_FIELDS} | {"version": report.version}
    form = ReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in reports.TEXT_FIELDS}
        try:
            saved = reports.report_save_draft(
                by=user, day=date, data=data, seen_version=form.cleaned_data["version"]
            )
            if request.POST.get("action") == "submit":
                reports.report_submit(report=saved, by=user)
                messages.success(request, _("日報を提出しました。"))
                return redirect("activities:report_detail", pk=saved.pk)
        except ValidationError as exc:
            _add_errors(form, exc)
        except VersionConflict:
            form.add_error(None, _("別の画面で先に保存されています。再読み込みしてください。"))
        else:
            messages.success(request, _("下書きを保存しました。"))
            return redirect("activities:report_day", day=date.isoformat())
    context = {"form": form, "date": date, "report": report, "prefill": prefill}
    status = 422 if request.method == "POST" else 200
    return render(request, "activities/report_form.html", context, status=status)


@require_GET
@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    report = reports.report_get(user=user, pk=pk)
    context = {
        "report": report,
        "comment_form": CommentForm(),
        "read_by_me": any(r.reader_id == user.pk for r in report.reads.all()),
        "is_author": report.author_id == user.pk,
    }
    return render(request, "activities/report_detail.html", context)


@require_POST
@login_required
def report_comment(request: HttpRequest, pk: int) -> HttpResponse:
    report = reports.report_get(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            reports.report_comment(report=report, by=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            messages.error(request, _errors_text(exc))
        else:
            messages.success(request, _("コメントしました。"))
    else:
        messages.error(request, _("コメントを入力してください。"))
    return redirect("activities:report_detail", pk=report.pk)


@require_POST
@login_required
def report_read(request: HttpRequest, pk: int) -> HttpResponse:
    report = reports.report_get(user=request.user, pk=pk)
    try:
        reports.report_mark_read(report=report, by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("activities:report_detail", pk=report.pk)


@require_GET
@login_required
def report_team(request: HttpRequest) -> HttpResponse:
    user = request.user
    teams = list(reports.board_teams(user=user))
    if not teams:
        raise Http404
    date = parse_date(request.GET.get("date"), timezone.localdate())
    team_id = request.GET.get("team")
    team = next((t for t in teams if str(t.pk) == team_id), None) or next(
        (t for t in teams if t.pk == user.team_id), teams[0]
    )
    rows = reports.team_day_board(user=user, team=team, day=date)
    context = {
        "teams": teams,
        "team": team,
        "date": date,
        "rows": rows,
        "missing": [r for r in rows if r.missing],
        "prev_date": date - dt.timedelta(days=1),
        "next_date": date + dt.timedelta(days=1),
        "month_start": date.replace(day=1),
    }
    return render(request, "activities/report_team.html", context)


@require_GET
@login_required
def report_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    date_from = parse_date(request.GET.get("date_from"), today.replace(day=1))
    date_to = parse_date(request.GET.get("date_to"), today)
    team_raw = request.GET.get("team", "")
    team_id = int(team_raw) if team_raw.isdigit() else None
    try:
        rows = reports.export_rows(user=user, date_from=date_from, date_to=date_to, team_id=team_id)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
        return redirect("activities:report_index")
    stem = f"daily_reports_{date_from:%Y%m%d}_{date_to:%Y%m%d}"
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            reports.export_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    else:
        response = HttpResponse(reports.export_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response


# Dashboard


def _dashboard_for(request: HttpRequest) -> tuple[dashboard.Dashboard, dict[str, Any]]:
    user = request.user
    kind = request.GET.get("period", "week")
    if kind not in dashboard.PERIODS:
        kind = "week"
    start = parse_date(request.GET.get("start"), timezone.localdate())
    end = parse_date(request.GET.get("end"), timezone.localdate())
    team_raw, rep_raw = request.GET.get("team", ""), request.GET.get("rep", "")
    team_id = int(team_raw) if team_raw.isdigit() else None
    rep_id = int(rep_raw) if rep_raw.isdigit() else None
    error = ""
    try:
        period = dashboard.period_for(kind, start=start, end=end)
    except ValidationError as exc:
        error = _errors_text(exc)
        kind = "week"
        period = dashboard.period_for(kind)
    data = dashboard.dashboard(user=user, period=period, team_id=team_id, rep_id=rep_id)
    params = {"period": kind, "start": period.start.isoformat(), "end": period.end.isoformat()}
    if team_id:
        params["team"] = str(team_id)
    if rep_id:
        params["rep"] = str(rep_id)
    return data, {"kind": kind, "team_id": team_id, "rep_id": rep_id, "error": error, "params": params}


@require_GET
@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    data, extra = _dashboard_for(request)
    user = request.user
    context = {
        "data": data,
        **extra,
        "teams": dashboard.dashboard_teams(user=user),
        "reps": dashboard.dashboard_reps(user=user, team_id=extra["team_id"]),
        "data_url": f"{reverse('activities:dashboard_data')}?{urlencode(extra['params'])}",
        "kind_rows": [
            (label, [row.by_kind.get(value, 0) for row in data.rows], data.totals.by_kind.get(value, 0))
            for value, label in data.kinds
        ],
    }
    return render(request, "activities/dashboard_index.html", context)


@require_GET
@login_required
def dashboard_data(request: HttpRequest) -> JsonResponse:
    data, _extra = _dashboard_for(request)
    return JsonResponse(data.chart_data(), json_dumps_params={"ensure_ascii": False})
