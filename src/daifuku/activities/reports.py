"""日報 (daily reports): prefill from the day's work, draft → submitted, comments, reads, exports.

A report belongs to its author (visibility object type ``daily_report``, author = owner). Submitted
reports are frozen: only comments and read marks are added afterwards. Managers see their team's
reports by day, including who has not submitted yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from daifuku.activities.models import (
    Activity,
    DailyReport,
    DailyReportComment,
    DailyReportRead,
    DailyReportStatus,
    Task,
    TaskStatus,
)
from daifuku.core import audit, events, visibility
from daifuku.core.models import Scope, Team, User
from daifuku.core.services import check_version, notify

DAILY_REPORT = "daily_report"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
TEXT_FIELDS = ["summary", "achievements", "issues", "plan"]
# Whose missing reports a manager is shown: people who are expected to write one every day.
REPORTING_ROLE_SLUGS = ("sales_rep",)
MAX_EXPORT_DAYS = 366


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a Japanese calendar day as aware datetimes."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=TOKYO)
    return start, start + dt.timedelta(days=1)


# Prefill


def day_activities(*, author: User, day: dt.date) -> QuerySet[Activity]:
    """The author's live activities of that day (logged by them or with them as a participant)."""
    start, end = day_bounds(day)
    participating = Activity.participants.through.objects.filter(user_id=author.pk).values("activity_id")
    return (
        visibility.visible(Activity.objects.filter(deleted_at__isnull=True), author, "activity")
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .filter(Q(owner_id=author.pk) | Q(pk__in=participating))
        .select_related("company")
        .order_by("occurred_at", "id")
    )


def day_tasks_done(*, author: User, day: dt.date) -> QuerySet[Task]:
    """Tasks the author completed that day."""
    start, end = day_bounds(day)
    return (
        visibility.visible(Task.objects.all(), author, "task")
        .filter(
            deleted_at__isnull=True,
            owner_id=author.pk,
            status=TaskStatus.DONE,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .select_related("company")
        .order_by("completed_at", "id")
    )


def summary_text(activities: list[Activity], tasks: list[Task]) -> str:
    """The 本日の活動 text: one line per activity, then one per finished task."""
    lines = []
    for activity in activities:
        when = activity.occurred_at.astimezone(TOKYO).strftime("%H:%M")
        company = f" {activity.company.display_name}" if activity.company else ""
        lines.append(f"{when} [{activity.get_kind_display()}]{company} {activity.subject}")
    for task in tasks:
        lines.append(_("[完了] %(title)s") % {"title": task.title})
    return "\n".join(lines)


@dataclass
class Prefill:
    activities: list[Activity]
    tasks: list[Task]
    summary: str


def report_prefill(*, author: User, day: dt.date) -> Prefill:
    activities = list(day_activities(author=author, day=day))
    tasks = list(day_tasks_done(author=author, day=day))
    return Prefill(activities=activities, tasks=tasks, summary=summary_text(activities, tasks))


# Selectors


def report_queryset(*, user: User) -> QuerySet[DailyReport]:
    return visibility.visible(
        DailyReport.objects.filter(deleted_at__isnull=True), user, DAILY_REPORT, owner_field="author"
    )


def report_get(*, user: User, pk: Any) -> DailyReport:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    report = (
        report_queryset(user=user)
        .select_related("author", "team")
        .prefetch_related(
            Prefetch(
                "activities", queryset=Activity.objects.select_related("company").order_by("occurred_at")
            ),
            Prefetch("tasks_done", queryset=Task.objects.order_by("completed_at")),
            Prefetch("comments", queryset=DailyReportComment.objects.select_related("author")),
            Prefetch("reads", queryset=DailyReportRead.objects.select_related("reader")),
        )
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def report_for_day(*, user: User, day: dt.date) -> DailyReport | None:
    """The user's own report of a day, if saved."""
    return report_queryset(user=user).filter(author=user, date=day).first()


def report_list(
    *,
    user: User,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    author_id: int | None = None,
    team_id: int | None = None,
    status: str = "",
) -> QuerySet[DailyReport]:
    qs = report_queryset(user=user)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    if author_id:
        qs = qs.filter(author_id=author_id)
    if team_id:
        qs = qs.filter(team_id=team_id)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("author", "team")
        .annotate(comment_count=Count("comments", distinct=True))
        .order_by("-date", "author__last_name", "id")
    )


def board_teams(*, user: User) -> QuerySet[Team]:
    """Teams whose day board the user may open: all for an ``all`` scope, the own team for ``team``."""
    scope = visibility.scope_for(user, DAILY_REPORT)
    if scope == Scope.ALL:
        return Team.objects.order_by("name")
    if scope == Scope.TEAM and user.team_id:
        return Team.objects.filter(pk=user.team_id)
    return Team.objects.none()


@dataclass
class BoardRow:
    member: User
    report: DailyReport | None
    read_by_me: bool
    expected: bool

    @property
    def missing(self) -> bool:
        return self.expected and (self.report is None or self.report.status != DailyReportStatus.SUBMITTED)


def team_day_board(*, user: User, team: Team, day: dt.date) -> list[BoardRow]:
    """Every active member of the team with their report of the day (or none): who is missing.

    Three queries whatever the team size: members, reports (with my read mark), nothing per row.
    """
    if not board_teams(user=user).filter(pk=team.pk).exists():
        raise Http404
    members = list(
        User.objects.filter(team=team, is_active=True).select_related("role").order_by("last_name", "id")
    )
    reports = {
        r.author_id: r
        for r in report_queryset(user=user)
        .filter(date=day, author__in=members)
        .annotate(
            my_reads=Count("reads", filter=Q(reads__reader_id=user.pk)),
            comment_count=Count("comments", distinct=True),
        )
    }
    return [
        BoardRow(
            member=m,
            report=reports.get(m.pk),
            read_by_me=bool(reports.get(m.pk) and reports[m.pk].my_reads),
            expected=bool(m.role and m.role.slug in REPORTING_ROLE_SLUGS),
        )
        for m in members
    ]


def missing_reports(*, user: User, team: Team, day: dt.date) -> list[User]:
    return [row.member for row in team_day_board(user=user, team=team, day=day) if row.missing]


# Services


def _check_author(report: DailyReport, by: User) -> None:
    if report.author_id != by.pk:
        raise PermissionDenied(_("日報は本人だけが編集・提出できます。"))


def _check_draft(report: DailyReport) -> None:
    if report.status != DailyReportStatus.DRAFT:
        raise ValidationError({"status": _("提出済みの日報は変更できません（コメントは追加できます）。")})


def _clean_texts(data: dict[str, Any]) -> dict[str, str]:
    unknown = set(data) - set(TEXT_FIELDS)
    if unknown:
        raise ValidationError({name: _("この項目はありません。") for name in sorted(unknown)})
    return {name: ("" if value is None else str(value).strip()) for name, value in data.items()}


def _link_day(report: DailyReport) -> Prefill:
    prefill = report_prefill(author=report.author, day=report.date)
    report.activities.set(prefill.activities)
    report.tasks_done.set(prefill.tasks)
    return prefill


@transaction.atomic
def report_save_draft(
    *, by: User, day: dt.date, data: dict[str, Any], seen_version: int | None = None
) -> DailyReport:
    """Create or change the acting user's draft for ``day``, relinking the day's activities and tasks.

    A new draft without a 本日の活動 text gets the generated summary.
    """
    if not visibility.can_create(by, DAILY_REPORT):
        raise PermissionDenied(_("日報を書く権限がありません。"))
    if day > timezone.localdate() + dt.timedelta(days=1):
        raise ValidationError({"date": _("先の日付の日報は作成できません。")})
    texts = _clean_texts(data)
    report = DailyReport.objects.select_for_update().filter(author=by, date=day).first()
    if report is None:
        report = DailyReport.objects.create(author=by, team=by.team, date=day, **texts)
        prefill = _link_day(report)
        if not report.summary:
            report.summary = prefill.summary
            report.save(update_fields=["summary"])
        audit.record(report, by=by, action="create", changes=audit.diff({}, audit.snapshot(report)))
        events.emit("daily_report.created", report=report, by=by)
        return report
    _check_author(report, by)
    _check_draft(report)
    check_version(report, seen_version)
    before = audit.snapshot(report)
    for name, value in texts.items():
        setattr(report, name, value)
    _link_day(report)
    delta = audit.diff(before, audit.snapshot(report))
    if delta:
        report.version += 1
        report.save()
        audit.record(report, by=by, action="update", changes=delta)
    return report


@transaction.atomic
def report_submit(*, report: DailyReport, by: User, seen_version: int | None = None) -> DailyReport:
    """Submit a draft (author only). From now on it is frozen except for comments and read marks."""
    report = DailyReport.objects.select_for_update().get(pk=report.pk)
    _check_author(report, by)
    _check_draft(report)
    check_version(report, seen_version)
    if not any(getattr(report, name).strip() for name in TEXT_FIELDS):
        raise ValidationError({"achievements": _("内容が空の日報は提出できません。")})
    _link_day(report)
    report.status = DailyReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.version += 1
    report.save()
    audit.record(report, by=by, action="submit", changes={"status": ["draft", "submitted"]})
    events.emit("daily_report.submitted", report=report, by=by)
    return report


@transaction.atomic
def report_comment(*, report: DailyReport, by: User, body: str) -> DailyReportComment:
    """Comment on a report the commenter may read; the author is notified (not of their own comments)."""
    if not report_queryset(user=by).filter(pk=report.pk).exists():
        raise Http404
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("コメントを入力してください。")})
    comment = DailyReportComment.objects.create(report=report, author=by, body=body[:5000])
    audit.record(report, by=by, action="comment", note=body[:200])
    if report.author_id != by.pk:
        from django.urls import reverse

        notify(
            recipient=report.author,
            kind="daily_report.commented",
            title=gettext_noop("%(name)sさんが%(date)sの日報にコメントしました"),
            params={"name": by.display_name, "date": report.date.strftime("%Y/%m/%d")},
            body=body[:500],
            url=reverse("activities:report_detail", args=[report.pk]),
        )
    events.emit("daily_report.commented", report=report, comment=comment, by=by)
    return comment


@transaction.atomic
def report_mark_read(*, report: DailyReport, by: User) -> DailyReportRead:
    """Mark a submitted report as read (既読) by someone other than its author; once per reader."""
    if not report_queryset(user=by).filter(pk=report.pk).exists():
        raise Http404
    if report.author_id == by.pk:
        raise ValidationError({"report": _("自分の日報は既読にできません。")})
    if report.status != DailyReportStatus.SUBMITTED:
        raise ValidationError({"report": _("提出前の日報は既読にできません。")})
    read, _created = DailyReportRead.objects.get_or_create(report=report, reader=by)
    return read


# Export

EXPORT_HEADERS = [
    gettext_noop("日付"),
    gettext_noop("提出者"),
    gettext_noop("チーム"),
    gettext_noop("状態"),
    gettext_noop("提出日時"),
    gettext_noop("本日の活動"),
    gettext_noop("成果"),
    gettext_noop("課題"),
    gettext_noop("明日の予定"),
    gettext_noop("コメント数"),
]


def export_rows(
    *, user: User, date_from: dt.date, date_to: dt.date, team_id: int | None = None
) -> list[list[Any]]:
    """Visible reports of a period as rows (oldest first) for CSV/xlsx."""
    if date_to < date_from:
        raise ValidationError({"date_to": _("終了日は開始日以降にしてください。")})
    if (date_to - date_from).days > MAX_EXPORT_DAYS:
        raise ValidationError({"date_to": _("期間は1年以内にしてください。")})
    qs = report_list(user=user, date_from=date_from, date_to=date_to, team_id=team_id).order_by(
        "date", "author__last_name", "author_id"
    )
    rows = []
    for r in qs:
        submitted = (
            timezone.localtime(r.submitted_at, TOKYO).strftime("%Y-%m-%d %H:%M") if r.submitted_at else ""
        )
        rows.append(
            [
                r.date.isoformat(),
                r.author.display_name,
                r.team.name if r.team else "",
                r.get_status_display(),
                submitted,
                r.summary,
                r.achievements,
                r.issues,
                r.plan,
                getattr(r, "comment_count", 0),
            ]
        )
    return rows


def _headers() -> list[str]:
    return [_(h) for h in EXPORT_HEADERS]


def export_csv(rows: list[list[Any]]) -> bytes:
    """UTF-8 with BOM, so Excel opens Japanese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_headers())
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("日報")
    sheet.append(_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column, width in zip("ABCDEFGHIJ", (12, 14, 14, 10, 17, 40, 40, 30, 30, 10), strict=True):
        sheet.column_dimensions[column].width = width
    for row_cells in sheet.iter_rows(min_row=2, min_col=6, max_col=9):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
