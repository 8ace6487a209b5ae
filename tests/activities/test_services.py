"""Activity and task services: logging, changes, trash, complaints, completion, audit, timeline rows."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from daifuku.activities import services
from daifuku.activities.models import Activity, Task, TimelineEntry
from daifuku.core import events
from daifuku.core.models import AuditEntry
from daifuku.core.services import VersionConflict
from tests.activities.factories import ActivityFactory, TaskFactory
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_log_a_visit_with_contacts_keywords_and_defaults(rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    seen = []
    events.subscribe("activity.logged")(handler := lambda **kw: seen.append(kw["activity"].pk))
    # when
    activity = services.activity_log(
        by=rep_a,
        data={
            "kind": "visit",
            "subject": " 新商品のご案内 ",
            "company": company_of_rep_a.pk,
            "contacts": [contact_of_rep_a.pk],
            "keywords": "値上げ、納期",
            "duration_minutes": "６０",
        },
    )
    # then
    activity.refresh_from_db()
    assert activity.subject == "新商品のご案内"
    assert activity.owner == rep_a
    assert activity.team == rep_a.team
    assert activity.duration_minutes == 60
    assert abs((timezone.now() - activity.occurred_at).total_seconds()) < 5
    assert list(activity.participants.all()) == [rep_a]
    assert list(activity.contacts.all()) == [contact_of_rep_a]
    assert sorted(activity.keywords.values_list("name", flat=True)) == ["値上げ", "納期"]
    assert activity.status == ""
    assert (
        AuditEntry.objects.filter(
            object_type="activities.activity", object_id=activity.pk, action="create"
        ).count()
        == 1
    )
    assert seen == [activity.pk]
    entry = TimelineEntry.objects.get(source_type="activities.activity", source_id=activity.pk)
    assert (entry.company_id, entry.contact_id, entry.kind) == (
        company_of_rep_a.pk,
        contact_of_rep_a.pk,
        "activity",
    )
    assert entry.data["contacts"] == ["田中 一郎"]
    events._handlers["activity.logged"].remove(handler)


def test_activity_with_two_contacts_shows_once_on_the_company_and_on_each_contact(rep_a, company_of_rep_a):
    # given
    first = ContactFactory(company=company_of_rep_a, owner=rep_a)
    second = ContactFactory(company=company_of_rep_a, owner=rep_a)
    # when
    activity = services.activity_log(
        by=rep_a,
        data={
            "kind": "meeting",
            "subject": "定例",
            "company": company_of_rep_a,
            "contacts": [first.pk, second.pk],
        },
    )
    # then
    rows = TimelineEntry.objects.filter(source_id=activity.pk, source_type="activities.activity")
    assert rows.filter(company=company_of_rep_a).count() == 1
    assert rows.filter(contact=first).count() == 1
    assert rows.filter(contact=second).count() == 1


def test_bad_input_names_each_field(rep_a):
    # when
    with pytest.raises(ValidationError) as caught:
        services.activity_log(
            by=rep_a,
            data={"kind": "tea", "subject": "", "occurred_at": "昨日", "duration_minutes": "abc"},
        )
    # then
    assert set(caught.value.message_dict) == {"kind", "subject", "occurred_at", "duration_minutes"}
    assert Activity.objects.count() == 0


def test_a_company_the_logger_cannot_see_is_reported_as_not_found(rep_a, company_of_team_b):
    # when
    with pytest.raises(ValidationError) as caught:
        services.activity_log(
            by=rep_a, data={"kind": "call_out", "subject": "x", "company": company_of_team_b.pk}
        )
    # then
    assert caught.value.message_dict == {"company": ["指定された取引先が見つかりません。"]}
    assert Activity.objects.count() == 0


def test_complaints_start_open_and_close_with_our_response(rep_a, company_of_rep_a):
    # given
    complaint = services.activity_log(
        by=rep_a, data={"kind": "complaint", "subject": "納品遅延", "company": company_of_rep_a}
    )
    assert complaint.status == "open"
    # when
    services.activity_set_status(activity=complaint, by=rep_a, status="closed", response="再発防止策を説明")
    # then
    complaint.refresh_from_db()
    assert (complaint.status, complaint.response, complaint.version) == ("closed", "再発防止策を説明", 2)
    assert complaint.closed_at is not None
    entry = TimelineEntry.objects.get(source_id=complaint.pk, source_type="activities.activity")
    assert entry.data["status"] == "closed"


def test_status_on_a_plain_visit_is_refused(rep_a):
    # given
    visit = ActivityFactory(owner=rep_a)
    # when
    with pytest.raises(ValidationError):
        services.activity_set_status(activity=visit, by=rep_a, status="closed")
    # then
    visit.refresh_from_db()
    assert visit.status == ""


def test_update_rewrites_the_timeline_and_refuses_a_stale_version(rep_a, company_of_rep_a):
    # given
    activity = services.activity_log(
        by=rep_a, data={"kind": "visit", "subject": "初回", "company": company_of_rep_a}
    )
    # when
    services.activity_update(
        activity=activity, by=rep_a, data={"subject": "初回訪問", "outcome": "好感触"}, seen_version=1
    )
    # then
    entry = TimelineEntry.objects.get(source_id=activity.pk, source_type="activities.activity")
    assert (entry.title, entry.data["outcome"]) == ("初回訪問", "好感触")
    with pytest.raises(VersionConflict) as caught:
        services.activity_update(activity=activity, by=rep_a, data={"subject": "上書き"}, seen_version=1)
    assert caught.value.changed_fields["subject"] == ["初回", "初回訪問"]
    activity.refresh_from_db()
    assert activity.subject == "初回訪問"


def test_a_colleague_cannot_change_or_delete_my_activity(rep_a, rep_a2):
    # given
    activity = ActivityFactory(owner=rep_a, subject="元の件名")
    # when / then
    with pytest.raises(PermissionDenied):
        services.activity_update(activity=activity, by=rep_a2, data={"subject": "書き換え"})
    with pytest.raises(PermissionDenied):
        services.activity_delete(activity=activity, by=rep_a2)
    activity.refresh_from_db()
    assert (activity.subject, activity.deleted_at, activity.version) == ("元の件名", None, 1)


def test_delete_moves_to_trash_and_removes_the_timeline_rows(rep_a, company_of_rep_a):
    # given
    activity = services.activity_log(
        by=rep_a, data={"kind": "note", "subject": "メモ", "company": company_of_rep_a}
    )
    # when
    services.activity_delete(activity=activity, by=rep_a)
    # then
    activity.refresh_from_db()
    assert activity.deleted_at is not None
    assert not TimelineEntry.objects.filter(source_id=activity.pk, source_type="activities.activity").exists()


def test_read_only_users_cannot_log(db, company_of_rep_a):
    # given
    viewer = UserFactory(role="read_only")
    # when
    with pytest.raises(PermissionDenied):
        services.activity_log(by=viewer, data={"kind": "note", "subject": "x"})
    # then
    assert Activity.objects.count() == 0


# Tasks


def test_create_task_derives_the_reminder_time(rep_a, company_of_rep_a):
    # given
    due = timezone.now() + dt.timedelta(days=2)
    # when
    task = services.task_create(
        by=rep_a,
        data={
            "title": "見積送付",
            "due_at": due,
            "remind_minutes_before": 30,
            "company": company_of_rep_a.pk,
        },
    )
    # then
    assert (task.owner, task.team, task.created_by, task.company) == (
        rep_a,
        rep_a.team,
        rep_a,
        company_of_rep_a,
    )
    assert task.remind_at == due - dt.timedelta(minutes=30)
    assert task.reminded_at is None


def test_moving_the_due_time_rearms_a_sent_reminder(rep_a):
    # given
    task = services.task_create(
        by=rep_a,
        data={"title": "電話", "due_at": timezone.now() + dt.timedelta(hours=1), "remind_minutes_before": 10},
    )
    Task.objects.filter(pk=task.pk).update(reminded_at=timezone.now())
    new_due = timezone.now() + dt.timedelta(days=1)
    # when
    task = services.task_update(task=task, by=rep_a, data={"due_at": new_due}, seen_version=1)
    # then
    assert task.remind_at == new_due - dt.timedelta(minutes=10)
    assert task.reminded_at is None


def test_a_rep_cannot_assign_a_task_to_a_colleague_but_a_manager_can(rep_a, rep_a2, manager_a):
    # when
    with pytest.raises(PermissionDenied):
        services.task_create(by=rep_a, data={"title": "代わりに", "owner": rep_a2.pk})
    task = services.task_create(by=manager_a, data={"title": "訪問準備", "owner": rep_a2.pk})
    # then
    assert Task.objects.filter(title="代わりに").count() == 0
    assert (task.owner, task.team) == (rep_a2, rep_a2.team)


def test_completing_a_task_can_log_an_activity(rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    task = TaskFactory(
        owner=rep_a, title="見積のフォロー電話", company=company_of_rep_a, contact=contact_of_rep_a
    )
    # when
    services.task_complete(
        task=task, by=rep_a, log_activity=True, outcome="来週発注", activity_kind="call_out"
    )
    # then
    task.refresh_from_db()
    assert task.status == "done"
    assert task.completed_at is not None
    activity = task.completion_activity
    assert (activity.kind, activity.subject, activity.outcome, activity.company) == (
        "call_out", "見積のフォロー電話", "来週発注", company_of_rep_a,
    )  # fmt: skip
    assert list(activity.contacts.all()) == [contact_of_rep_a]


def test_completing_twice_is_refused(rep_a):
    # given
    task = TaskFactory(owner=rep_a)
    services.task_complete(task=task, by=rep_a)
    # when
    with pytest.raises(ValidationError):
        services.task_complete(task=task, by=rep_a, log_activity=True)
    # then
    assert Activity.objects.count() == 0


def test_handover_status_change_and_new_contact_reach_the_timeline(rep_a, manager_a, rep_a2):
    # given
    from daifuku.customers import services as customer_services

    company = customer_services.company_create(by=manager_a, data={"name": "青空物産", "status": "prospect"})
    # when
    customer_services.company_update(company=company, by=manager_a, data={"status": "customer"})
    customer_services.company_change_owner(company=company, new_owner=rep_a2, by=manager_a, reason="異動")
    customer_services.contact_create(
        by=manager_a, data={"family_name": "鈴木", "given_name": "次郎", "company": company}
    )
    # then
    kinds = list(TimelineEntry.objects.filter(company=company).order_by("id").values_list("kind", flat=True))
    assert kinds == ["company.created", "company.status", "company.handover", "contact.created"]
    handover = TimelineEntry.objects.get(company=company, kind="company.handover")
    assert (handover.data["to"], handover.summary) == (rep_a2.display_name, "異動")
