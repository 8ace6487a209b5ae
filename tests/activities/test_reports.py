"""日報: prefill, draft → submitted rules, team board with missing reports, comments, reads, exports."""

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from openpyxl import load_workbook

from daifuku.activities import reports
from daifuku.activities.models import ActivityKind, DailyReport, DailyReportRead, TaskStatus
from daifuku.core.models import Notification
from tests.activities.factories import ActivityFactory, DailyReportFactory, TaskFactory
from tests.factories import CompanyFactory, UserFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
DAY = dt.date(2026, 4, 1)
pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO)


@pytest.fixture
def rep_day(rep_a, rep_a2):
    """rep_a's 2026-04-01: two activities, one finished task, plus noise that must stay out."""
    company = CompanyFactory(name="山田商事", owner=rep_a)
    call = ActivityFactory(
        owner=rep_a, company=company, kind=ActivityKind.CALL_OUT, subject="日程調整", occurred_at=at(9, 5)
    )
    visit = ActivityFactory(
        owner=rep_a, company=company, kind=ActivityKind.VISIT, subject="新商品の提案", occurred_at=at(14, 30)
    )
    done = TaskFactory(
        owner=rep_a, title="見積書を送る", status=TaskStatus.DONE, completed_at=at(17), due_at=at(18)
    )
    # Noise: yesterday's activity, a colleague's activity, an open task, a task finished the next day.
    ActivityFactory(owner=rep_a, occurred_at=at(23, 59, day=DAY - dt.timedelta(days=1)))
    ActivityFactory(owner=rep_a2, occurred_at=at(11))
    TaskFactory(owner=rep_a, title="未完了", due_at=at(18))
    TaskFactory(owner=rep_a, status=TaskStatus.DONE, completed_at=at(0, 0, day=DAY + dt.timedelta(days=1)))
    return {"call": call, "visit": visit, "task": done}


def test_prefill_lists_exactly_the_days_activities_and_finished_tasks(rep_a, rep_day):
    # when
    prefill = reports.report_prefill(author=rep_a, day=DAY)
    # then
    assert [a.pk for a in prefill.activities] == [rep_day["call"].pk, rep_day["visit"].pk]
    assert [t.pk for t in prefill.tasks] == [rep_day["task"].pk]
    name = rep_day["call"].company.display_name
    assert prefill.summary == (
        f"09:05 [電話（発信）] {name} 日程調整\n14:30 [訪問] {name} 新商品の提案\n[完了] 見積書を送る"
    )


def test_saving_a_draft_links_the_day_and_keeps_the_summary(rep_a, rep_day):
    # when
    report = reports.report_save_draft(by=rep_a, day=DAY, data={"achievements": "受注見込み1件"})
    # then
    assert report.status == "draft"
    assert report.team_id == rep_a.team_id
    assert sorted(report.activities.values_list("pk", flat=True)) == sorted(
        [rep_day["call"].pk, rep_day["visit"].pk]
    )
    assert list(report.tasks_done.values_list("pk", flat=True)) == [rep_day["task"].pk]
    assert report.summary.startswith("09:05 [電話（発信）]")
    assert report.achievements == "受注見込み1件"


def test_submit_freezes_the_report(rep_a, rep_day):
    # given
    report = reports.report_save_draft(by=rep_a, day=DAY, data={"achievements": "受注1件"})
    # when
    reports.report_submit(report=report, by=rep_a)
    # then
    report.refresh_from_db()
    assert report.status == "submitted"
    assert report.submitted_at is not None
    with pytest.raises(ValidationError) as exc:
        reports.report_save_draft(by=rep_a, day=DAY, data={"achievements": "書き換え"})
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError):
        reports.report_submit(report=report, by=rep_a)
    report.refresh_from_db()
    assert report.achievements == "受注1件"


def test_empty_report_cannot_be_submitted(rep_a):
    report = reports.report_save_draft(by=rep_a, day=DAY, data={})
    with pytest.raises(ValidationError) as exc:
        reports.report_submit(report=report, by=rep_a)
    assert "achievements" in exc.value.message_dict
    report.refresh_from_db()
    assert report.status == "draft"


def test_only_the_author_submits(rep_a, manager_a):
    report = reports.report_save_draft(by=rep_a, day=DAY, data={"achievements": "x"})
    with pytest.raises(PermissionDenied):
        reports.report_submit(report=report, by=manager_a)
    report.refresh_from_db()
    assert report.status == "draft"


def test_future_reports_are_refused(rep_a):
    with pytest.raises(ValidationError):
        reports.report_save_draft(by=rep_a, day=dt.date(2100, 1, 1), data={})
    assert not DailyReport.objects.exists()


def test_manager_comment_notifies_the_author(rep_a, manager_a):
    # given
    report = DailyReportFactory(author=rep_a, date=DAY, status="submitted", achievements="受注")
    # when
    reports.report_comment(report=report, by=manager_a, body="よくできました")
    # then
    note = Notification.objects.get(recipient=rep_a)
    assert note.kind == "daily_report.commented"
    assert note.url == reverse("activities:report_detail", args=[report.pk])
    assert note.body == "よくできました"
    assert [c.body for c in report.comments.all()] == ["よくできました"]


def test_own_comment_does_not_notify_and_empty_comment_is_refused(rep_a):
    report = DailyReportFactory(author=rep_a, date=DAY)
    reports.report_comment(report=report, by=rep_a, body="補足")
    with pytest.raises(ValidationError):
        reports.report_comment(report=report, by=rep_a, body="  ")
    assert not Notification.objects.exists()
    assert report.comments.count() == 1


def test_other_team_cannot_comment_or_read(rep_a, rep_b):
    report = DailyReportFactory(author=rep_a, date=DAY, status="submitted")
    with pytest.raises(Http404):
        reports.report_comment(report=report, by=rep_b, body="覗き見")
    with pytest.raises(Http404):
        reports.report_get(user=rep_b, pk=report.pk)
    assert report.comments.count() == 0
    assert not Notification.objects.exists()


def test_mark_read_once_per_reader(rep_a, manager_a):
    report = DailyReportFactory(author=rep_a, date=DAY, status="submitted")
    reports.report_mark_read(report=report, by=manager_a)
    reports.report_mark_read(report=report, by=manager_a)
    assert DailyReportRead.objects.filter(report=report).count() == 1
    with pytest.raises(ValidationError):
        reports.report_mark_read(report=report, by=rep_a)


def test_team_board_shows_missing_reports(manager_a, rep_a, rep_a2, rep_b, team_a):
    # given: rep_a submitted, rep_a2 only a draft, the manager writes none (not expected), rep_b elsewhere
    submitted = DailyReportFactory(author=rep_a, date=DAY, status="submitted")
    DailyReportFactory(author=rep_a2, date=DAY, status="draft")
    reports.report_mark_read(report=submitted, by=manager_a)
    # when
    rows = reports.team_day_board(user=manager_a, team=team_a, day=DAY)
    # then
    by_name = {r.member.username: r for r in rows}
    assert set(by_name) == {"manager_a", "rep_a", "rep_a2"}
    assert by_name["rep_a"].missing is False
    assert by_name["rep_a"].read_by_me is True
    assert by_name["rep_a2"].missing is True
    assert by_name["manager_a"].missing is False
    assert [u.username for u in reports.missing_reports(user=manager_a, team=team_a, day=DAY)] == ["rep_a2"]


def test_rep_cannot_open_another_teams_board(rep_a, team_b):
    with pytest.raises(Http404):
        reports.team_day_board(user=rep_a, team=team_b, day=DAY)


def test_team_board_query_count_is_flat(manager_a, team_a, django_assert_max_num_queries):
    for _ in range(2):
        DailyReportFactory(author=UserFactory(team=team_a), date=DAY, status="submitted")
    with django_assert_max_num_queries(4) as few:
        reports.team_day_board(user=manager_a, team=team_a, day=DAY)
    for _ in range(15):
        DailyReportFactory(author=UserFactory(team=team_a), date=DAY, status="submitted")
    with django_assert_max_num_queries(len(few.captured_queries)):
        reports.team_day_board(user=manager_a, team=team_a, day=DAY)


def _export_fixture(rep_a, rep_a2, rep_b):
    first = DailyReportFactory(
        author=rep_a, date=DAY, status="submitted", achievements="受注①件", summary="訪問\n電話"
    )
    DailyReportFactory(author=rep_a2, date=DAY + dt.timedelta(days=1), plan="㈱髙橋へ訪問")
    DailyReportFactory(author=rep_b, date=DAY)  # other team: never exported to team A
    DailyReportFactory(author=rep_a, date=DAY + dt.timedelta(days=40))  # outside the period
    return first


def test_export_csv_has_a_bom_and_the_visible_reports_of_the_period(manager_a, rep_a, rep_a2, rep_b):
    # given
    _export_fixture(rep_a, rep_a2, rep_b)
    rows = reports.export_rows(user=manager_a, date_from=DAY, date_to=DAY + dt.timedelta(days=30))
    # when
    data = reports.export_csv(rows)
    # then
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0] == [
        "日付",
        "提出者",
        "チーム",
        "状態",
        "提出日時",
        "本日の活動",
        "成果",
        "課題",
        "明日の予定",
        "コメント数",
    ]
    assert [(r[0], r[1], r[3], r[6], r[8]) for r in parsed[1:]] == [
        ("2026-04-01", rep_a.display_name, "提出済み", "受注①件", ""),
        ("2026-04-02", rep_a2.display_name, "下書き", "", "㈱髙橋へ訪問"),
    ]
    assert parsed[1][5] == "訪問\n電話"


def test_export_xlsx_reads_back(manager_a, rep_a, rep_a2, rep_b):
    _export_fixture(rep_a, rep_a2, rep_b)
    rows = reports.export_rows(user=manager_a, date_from=DAY, date_to=DAY + dt.timedelta(days=30))
    book = load_workbook(io.BytesIO(reports.export_xlsx(rows)))
    sheet = book.active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:4] == ["日付", "提出者", "チーム", "状態"]
    assert [(r[0], r[1], r[6], r[8], r[9]) for r in values[1:]] == [
        ("2026-04-01", rep_a.display_name, "受注①件", None, 0),
        ("2026-04-02", rep_a2.display_name, None, "㈱髙橋へ訪問", 0),
    ]


def test_export_view_downloads_csv_and_xlsx(client, manager_a, rep_a, rep_a2, rep_b):
    _export_fixture(rep_a, rep_a2, rep_b)
    client.force_login(manager_a)
    url = reverse("activities:report_export")
    response = client.get(url, {"date_from": "2026-04-01", "date_to": "2026-04-30", "format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="daily_reports_20260401_20260430.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert len(response.content.decode("utf-8-sig").strip().split("\r\n")) >= 3
    response = client.get(url, {"date_from": "2026-04-01", "date_to": "2026-04-30", "format": "xlsx"})
    assert load_workbook(io.BytesIO(response.content)).active.max_row == 3


def test_report_day_page_prefills_saves_and_submits(client, rep_a, rep_day):
    client.force_login(rep_a)
    url = reverse("activities:report_day", args=["2026-04-01"])
    page = client.get(url).content.decode()
    assert "新商品の提案" in page
    assert "見積書を送る" in page
    assert not DailyReport.objects.exists()  # opening the page writes nothing
    response = client.post(url, {"summary": "s", "achievements": "受注", "action": "submit"})
    report = DailyReport.objects.get(author=rep_a, date=DAY)
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:report_detail", args=[report.pk])
    assert report.status == "submitted"
    assert client.get(url).status_code == 302  # a submitted report opens read-only


def test_team_page_lists_missing(client, manager_a, rep_a, rep_a2):
    DailyReportFactory(author=rep_a, date=DAY, status="submitted", achievements="受注")
    client.force_login(manager_a)
    body = client.get(reverse("activities:report_team"), {"date": "2026-04-01"}).content.decode()
    assert "未提出" in body
    assert rep_a2.display_name in body
    client.force_login(rep_a)
    assert client.get(reverse("activities:report_team")).status_code == 200  # reps read their team
