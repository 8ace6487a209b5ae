"""活動: the communication timeline, tasks (next actions), the shared calendar and daily reports (日報)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from daifuku.core.models import Team, TimeStampedModel, VersionedModel
from daifuku.customers.models import Company, Contact, Tag


class ActivityKind(models.TextChoices):
    CALL_IN = "call_in", _("電話（受信）")
    CALL_OUT = "call_out", _("電話（発信）")
    EMAIL = "email", _("メール")
    VISIT = "visit", _("訪問")
    MEETING = "meeting", _("打ち合わせ")
    WEB_MEETING = "web_meeting", _("Web会議")
    LETTER = "letter", _("DM・郵送")
    NOTE = "note", _("メモ")
    COMPLAINT = "complaint", _("クレーム・トラブル")
    REQUEST = "request", _("要望")
    INQUIRY = "inquiry", _("問い合わせ")


class IssueStatus(models.TextChoices):
    """Status of complaints and requests (shown as open items on the company until closed)."""

    NONE = "", _("—")
    OPEN = "open", _("未対応")
    ANSWERED = "answered", _("回答済み")
    CLOSED = "closed", _("完了")


class Activity(VersionedModel):
    """One contact with a customer: a call, mail, visit, meeting, note, complaint, request or inquiry."""

    kind = models.CharField(_("種類"), max_length=20, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField(_("日時"))
    duration_minutes = models.PositiveIntegerField(_("所要時間（分）"), null=True, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("取引先"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        db_index=False,
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("先方の担当者"), blank=True, related_name="activities"
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("自社の参加者"), blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("記録者"),
        on_delete=models.PROTECT,
        related_name="activities",
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("チーム"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    outcome = models.TextField(_("結果・先方の反応"), blank=True)
    keywords = models.ManyToManyField(
        Tag, verbose_name=_("キーワード"), blank=True, related_name="activities"
    )
    # Complaints and requests: status and our response.
    status = models.CharField(
        _("対応状況"), max_length=10, choices=IssueStatus.choices, blank=True, default=""
    )
    response = models.TextField(_("当社の対応"), blank=True)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    # A link to any other record (deal, ticket, quote …) as "app_label.model" + id.
    related_type = models.CharField(_("関連レコード種別"), max_length=60, blank=True)
    related_id = models.BigIntegerField(_("関連レコードID"), null=True, blank=True)

    class Meta:
        verbose_name = _("活動")
        verbose_name_plural = _("活動")
        indexes = [
            models.Index(
                fields=["company", "deleted_at", "-occurred_at", "-id"], name="activity_company_time_idx"
            ),
            models.Index(fields=["owner", "deleted_at", "-occurred_at"], name="activity_owner_time_idx"),
            models.Index(fields=["team", "deleted_at", "-occurred_at"], name="activity_team_time_idx"),
            models.Index(fields=["status", "company"], name="activity_open_items_idx"),
            models.Index(fields=["related_type", "related_id"], name="activity_related_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class TaskPriority(models.TextChoices):
    LOW = "low", _("低")
    NORMAL = "normal", _("中")
    HIGH = "high", _("高")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("未完了")
    DONE = "done", _("完了")
    CANCELLED = "cancelled", _("中止")


class Task(VersionedModel):
    """A next action (ネクストアクション) with a due time, an assignee and an optional reminder."""

    title = models.CharField(_("件名"), max_length=200)
    description = models.TextField(_("内容"), blank=True)
    due_at = models.DateTimeField(_("期限"), null=True, blank=True)
    priority = models.CharField(
        _("優先度"), max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(_("状態"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者（自社）"),
        on_delete=models.PROTECT,
        related_name="tasks",
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("チーム"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("取引先"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        db_index=False,
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    related_type = models.CharField(_("関連レコード種別"), max_length=60, blank=True)
    related_id = models.BigIntegerField(_("関連レコードID"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    completion_activity = models.ForeignKey(
        Activity,
        verbose_name=_("完了時の活動"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Reminder: minutes before due; ``remind_at`` is derived; ``reminded_at`` set once when sent.
    remind_minutes_before = models.PositiveIntegerField(_("リマインド（分前）"), null=True, blank=True)
    remind_at = models.DateTimeField(_("リマインド日時"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("リマインド送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("タスク")
        verbose_name_plural = _("タスク")
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="task_owner_due_idx"),
            models.Index(fields=["team", "status", "due_at"], name="task_team_due_idx"),
            models.Index(fields=["company", "status"], name="task_company_idx"),
            models.Index(
                fields=["remind_at"], name="task_remind_idx", condition=models.Q(reminded_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EventKind(models.TextChoices):
    VISIT = "visit", _("訪問")
    MEETING = "meeting", _("打ち合わせ")
    WEB_MEETING = "web_meeting", _("Web会議")
    INTERNAL = "internal", _("社内")
    OTHER = "other", _("その他")


class Event(VersionedModel):
    """A calendar event (visit, meeting …) with attendees on both sides."""

    title = models.CharField(_("件名"), max_length=200)
    kind = models.CharField(_("種類"), max_length=20, choices=EventKind.choices, default=EventKind.MEETING)
    start_at = models.DateTimeField(_("開始"))
    end_at = models.DateTimeField(_("終了"))
    all_day = models.BooleanField(_("終日"), default=False)
    location = models.CharField(_("場所"), max_length=300, blank=True)
    description = models.TextField(_("内容"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("主催者"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("チーム"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("自社の参加者"), blank=True, related_name="attending_events"
    )
    attendee_contacts = models.ManyToManyField(
        Contact, verbose_name=_("先方の参加者"), blank=True, related_name="events"
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("取引先"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    related_type = models.CharField(_("関連レコード種別"), max_length=60, blank=True)
    related_id = models.BigIntegerField(_("関連レコードID"), null=True, blank=True)
    # iCalendar UID: kept from imported .ics files so a re-import updates instead of duplicating.
    uid = models.CharField(_("UID"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("予定")
        verbose_name_plural = _("予定")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_at__gte=models.F("start_at")), name="event_end_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "start_at"], name="event_owner_start_idx"),
            models.Index(fields=["team", "start_at"], name="event_team_start_idx"),
            models.Index(fields=["company", "start_at"], name="event_company_idx"),
            models.Index(fields=["uid"], name="event_uid_idx"),
        ]

    def __str__(self) -> str:
        return self.title


def _feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(TimeStampedModel):
    """A secret-token ICS feed of one user's or one team's calendar (for Google Calendar / Outlook)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=_feed_token)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("カレンダー配信")
        verbose_name_plural = _("カレンダー配信")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False) & models.Q(team__isnull=True))
                | (models.Q(user__isnull=True) & models.Q(team__isnull=False)),
                name="calendarfeed_user_xor_team",
            ),
        ]

    def __str__(self) -> str:
        return f"feed {self.user_id or ''}{self.team_id or ''}"


class DailyReportStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SUBMITTED = "submitted", _("提出済み")


class DailyReport(VersionedModel):
    """日報: one per rep and day; prefilled from that day's activities and finished tasks."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出者"),
        on_delete=models.PROTECT,
        related_name="daily_reports",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("チーム"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("日付"))
    summary = models.TextField(_("本日の活動"), blank=True)
    achievements = models.TextField(_("成果"), blank=True)
    issues = models.TextField(_("課題"), blank=True)
    plan = models.TextField(_("明日の予定"), blank=True)
    status = models.CharField(
        _("状態"), max_length=10, choices=DailyReportStatus.choices, default=DailyReportStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("提出日時"), null=True, blank=True)
    activities = models.ManyToManyField(Activity, verbose_name=_("活動"), blank=True, related_name="+")
    tasks_done = models.ManyToManyField(Task, verbose_name=_("完了したタスク"), blank=True, related_name="+")

    class Meta:
        verbose_name = _("日報")
        verbose_name_plural = _("日報")
        constraints = [models.UniqueConstraint(fields=["author", "date"], name="dailyreport_one_per_day")]
        indexes = [models.Index(fields=["team", "date"], name="dailyreport_team_date_idx")]

    def __str__(self) -> str:
        return f"{self.author} {self.date}"

    @property
    def owner_id(self) -> int:
        # Visibility treats the author as the owner.
        return self.author_id


class DailyReportComment(TimeStampedModel):
    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("コメント"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("日報コメント")
        verbose_name_plural = _("日報コメント")

    def __str__(self) -> str:
        return self.body[:40]


class DailyReportRead(models.Model):
    """A manager marked a report as read (既読)."""

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "reader"], name="dailyreportread_once")]

    def __str__(self) -> str:
        return f"{self.report_id} read by {self.reader_id}"


class TimelineEntry(models.Model):
    """One line of a company's / contact's timeline, written by event subscribers.

    Modules add entry types by subscribing to their domain events and writing rows with their own
    ``kind`` and a template registered for that kind (see ``activities/timeline.py``); the timeline
    code itself never changes. ``owner``/``team`` carry the source record's visibility.
    """

    kind = models.CharField(max_length=60)
    occurred_at = models.DateTimeField()
    # No single-column indexes: timeline_company_idx / timeline_contact_idx lead with these columns.
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    object_type = models.CharField(max_length=60, blank=True)  # visibility object type of the source
    source_type = models.CharField(max_length=60, blank=True)  # "app_label.model"
    source_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("タイムライン")
        verbose_name_plural = _("タイムライン")
        indexes = [
            models.Index(fields=["company", "-occurred_at", "-id"], name="timeline_company_idx"),
            models.Index(fields=["contact", "-occurred_at", "-id"], name="timeline_contact_idx"),
            models.Index(fields=["source_type", "source_id"], name="timeline_source_idx"),
        ]

    def __str__(self) -> str:
        return self.title
