"""Activities as an import target (活動履歴の取込): kinds, companies and contacts, timeline rows, dedup."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from daifuku.activities.models import Activity, IssueStatus, TimelineEntry
from daifuku.core.models import AuditEntry
from daifuku.imports import services as import_services
from daifuku.imports import targets
from tests.factories import ContactFactory
from tests.imports.helpers import csv_bytes, run

pytestmark = pytest.mark.django_db

HEADER = ["日付", "種別", "取引先", "先方担当者", "件名", "内容", "結果"]


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def _at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


def test_activities_target_guesses_headers():
    # given
    target = targets.get("activities")
    # when
    guessed = targets.guess_columns(target, [*HEADER, "記録者", "法人番号"])
    # then
    assert str(target.label) == "活動"
    assert guessed == {
        "0": "occurred_at",
        "1": "kind",
        "2": "company_name",
        "3": "contact_name",
        "4": "subject",
        "5": "body",
        "6": "outcome",
        "7": "owner_name",
        "8": "company_corporate_number",
    }


def test_activity_history_is_imported_with_kinds_mapped(rep_a, company_of_rep_a, contact_of_rep_a):
    # given: the words of an Excel 活動履歴, the company as written there, the contact by name
    content = csv_bytes(
        [
            HEADER,
            ["2026/04/01 10:30", "電話", "（株）山田商事", "田中 一郎", "価格の相談", "見積の条件", "前向き"],
            ["2026-04-02", "訪問", "株式会社山田商事", "", "定例", "", ""],
            ["2026/04/03 9:00", "打合せ", "山田商事", "", "", "導入スケジュール確認\n次回は来月", ""],
            ["2026/04/04 15:00", "クレーム", "山田商事", "", "納期遅延", "", ""],
            ["2026/04/05 15:00", "ＦＡＸ", "山田商事", "", "送付", "", ""],
            ["2026/04/06 15:00", "メール", "存在しない商事", "", "案内", "", ""],
        ],
        encoding="cp932",
    )
    # when
    job = run(rep_a, "activities", content)
    # then
    assert (job.status, job.created_count, job.error_count) == ("done", 4, 2)
    found = {a.subject: a for a in Activity.objects.filter(company=company_of_rep_a)}
    assert set(found) == {"価格の相談", "定例", "導入スケジュール確認", "納期遅延"}
    call = found["価格の相談"]
    assert (call.kind, call.occurred_at, call.body, call.outcome, call.owner, call.team) == (
        "call_out",
        _at("2026-04-01 10:30"),
        "見積の条件",
        "前向き",
        rep_a,
        rep_a.team,
    )
    assert list(call.contacts.all()) == [contact_of_rep_a]
    assert list(call.participants.all()) == [rep_a]
    assert (found["定例"].kind, found["定例"].occurred_at) == ("visit", _at("2026-04-02 00:00"))
    assert found["導入スケジュール確認"].kind == "meeting"
    assert (found["納期遅延"].kind, found["納期遅延"].status) == ("complaint", IssueStatus.OPEN)
    assert (
        AuditEntry.objects.filter(object_type="activities.activity", action="create", via="import").count()
        == 4
    )
    reasons = [row[-1] for row in list(import_services.error_rows(job))[1:]]
    assert reasons == [
        "6行目: 種類: 種類「ＦＡＸ」はありません"
        "（電話・メール・訪問・打ち合わせ・メモ・クレーム・要望など）。",
        "7行目: 会社名: 会社「存在しない商事」が見つかりません（活動の取込では会社を登録しません）。",
    ]


def test_imported_activities_are_on_the_company_timeline(rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    content = csv_bytes(
        [
            HEADER,
            ["2026/04/01 10:30", "電話", "山田商事", "田中一郎", "価格の相談", "見積の条件", "前向き"],
            ["2026/04/02 11:00", "メモ", "山田商事", "", "社内共有", "", ""],
        ]
    )
    # when
    run(rep_a, "activities", content)
    # then: one row per activity on the company's timeline, like a logged activity's
    rows = list(TimelineEntry.objects.filter(kind="activity").order_by("occurred_at"))
    assert [(r.company_id, r.contact_id, r.title, r.occurred_at) for r in rows] == [
        (company_of_rep_a.pk, contact_of_rep_a.pk, "価格の相談", _at("2026-04-01 10:30")),
        (company_of_rep_a.pk, None, "社内共有", _at("2026-04-02 11:00")),
    ]
    call = Activity.objects.get(subject="価格の相談")
    assert (rows[0].source_type, rows[0].source_id, rows[0].owner_id, rows[0].object_type) == (
        "activities.activity",
        call.pk,
        rep_a.pk,
        "activity",
    )
    assert rows[0].summary == "見積の条件"
    assert rows[0].data["activity_kind"] == "call_out"
    assert rows[0].data["contacts"] == ["田中 一郎"]
    assert rows[0].data["outcome"] == "前向き"


def _run_capturing(user, rows):
    job = import_services.job_create(
        by=user, target="activities", name="a.csv", chunks=iter([csv_bytes(rows)])
    )
    import_services.job_configure(job=job, by=user, columns=job.columns, dedup="skip")
    job.status = "queued"
    job.save(update_fields=["status"])
    with CaptureQueriesContext(connection) as queries:
        import_services.job_run(job_id=job.pk)
    return [q["sql"] for q in queries.captured_queries]


def _writes_timeline(sql):
    return 'INSERT INTO "activities_timelineentry"' in sql or (
        "nextval" in sql and '"activities_timelineentry"' in sql
    )


def test_a_batch_costs_the_same_queries_whatever_its_rows_and_one_timeline_insert(rep_a, company_of_rep_a):
    # given
    few = [HEADER] + [[f"2026/04/01 {h}:00", "電話", "山田商事", "", f"件{h}", "", ""] for h in range(10, 13)]
    many = [HEADER] + [[f"2026/04/02 {h}:00", "訪問", "山田商事", "", f"件{h}", "", ""] for h in range(0, 24)]
    # when
    few_queries = _run_capturing(rep_a, few)
    many_queries = _run_capturing(rep_a, many)
    # then
    assert len(many_queries) == len(few_queries)
    # one multi-row INSERT (SQLite) or one id allocation before its COPY (PostgreSQL)
    assert sum(_writes_timeline(sql) for sql in many_queries) == 1
    assert TimelineEntry.objects.filter(kind="activity", company=company_of_rep_a).count() == 27


@pytest.mark.parametrize(
    ("mode", "created", "skipped", "updated", "total", "outcome"),
    [
        ("skip", 0, 1, 0, 1, ""),
        ("fill", 0, 0, 1, 1, "好感触"),
        ("create", 1, 0, 0, 2, ""),
    ],
)
def test_reimport_is_deduplicated_by_company_time_and_subject(
    rep_a, company_of_rep_a, mode, created, skipped, updated, total, outcome
):
    # given: the first import
    first = csv_bytes([HEADER, ["2026/04/01 10:30", "電話", "山田商事", "", "価格の相談", "", ""]])
    run(rep_a, "activities", first)
    again = csv_bytes([HEADER, ["2026-04-01 10:30", "電話", "山田商事", "", "価格の相談", "", "好感触"]])
    # when
    job = run(rep_a, "activities", again, dedup=mode)
    # then
    assert (job.created_count, job.skipped_count, job.updated_count, job.error_count) == (
        created,
        skipped,
        updated,
        0,
    )
    assert Activity.objects.count() == total
    assert Activity.objects.order_by("pk").first().outcome == outcome
    assert TimelineEntry.objects.filter(kind="activity").count() == total


def test_recorder_outside_the_importers_scope_is_refused(rep_a, rep_b, company_of_rep_a):
    # given
    content = csv_bytes(
        [[*HEADER, "記録者"], ["2026/04/01", "電話", "山田商事", "", "代理", "", "", "rep_b"]]
    )
    # when
    job = run(rep_a, "activities", content)
    # then
    assert (job.created_count, job.error_count) == (0, 1)
    assert not Activity.objects.exists()
    assert job.row_errors.get().reason == "記録者: この記録者の活動は登録できません。"


def test_recorder_by_name_owns_the_activity(manager_a, rep_a, company_of_rep_a):
    # given: a manager imports the history of their team member
    name = f"{rep_a.last_name}{rep_a.first_name}"
    content = csv_bytes([[*HEADER, "記録者"], ["2026/04/01", "訪問", "山田商事", "", "訪問", "", "", name]])
    # when
    job = run(manager_a, "activities", content)
    # then
    assert job.created_count == 1
    activity = Activity.objects.get()
    assert (activity.owner, activity.team, list(activity.participants.all())) == (rep_a, rep_a.team, [rep_a])


def test_unknown_contact_of_the_company_is_a_row_error(rep_a, company_of_rep_a, company_of_team_b):
    # given: 佐藤 is a contact of another company
    ContactFactory(family_name="佐藤", given_name="次郎", company=company_of_team_b)
    content = csv_bytes([HEADER, ["2026/04/01", "電話", "山田商事", "佐藤次郎", "確認", "", ""]])
    # when
    job = run(rep_a, "activities", content)
    # then
    assert (job.created_count, job.error_count) == (0, 1)
    assert (
        job.row_errors.get().reason
        == "担当者（先方）: 「株式会社山田商事」の担当者「佐藤次郎」が見つかりません。"
    )


def test_undoing_an_activities_import_trashes_them_and_clears_their_timeline(rep_a, company_of_rep_a):
    # given
    content = csv_bytes([HEADER, ["2026/04/01 10:30", "訪問", "山田商事", "", "定例訪問", "", ""]])
    job = run(rep_a, "activities", content)
    activity = Activity.objects.get(subject="定例訪問")
    assert TimelineEntry.objects.filter(source_id=activity.pk, kind="activity").count() == 1
    # when
    import_services.job_undo(job=job, by=rep_a)
    # then
    activity.refresh_from_db()
    assert activity.deleted_at is not None
    assert not TimelineEntry.objects.filter(source_id=activity.pk, kind="activity").exists()
    assert AuditEntry.objects.filter(
        object_id=activity.pk, object_type="activities.activity", action="delete"
    ).exists()
