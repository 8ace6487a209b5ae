"""/api/v1 activities, tasks and company timelines: CRUD, filters, cursors, versions, visibility, queries."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from daifuku.activities.models import Activity, Task
from daifuku.core.services import token_create
from tests.activities.factories import ActivityFactory, TaskFactory
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def test_log_read_change_and_trash_an_activity(rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    client = bearer(rep_a)
    # when
    created = client.post(
        "/api/v1/activities",
        {
            "kind": "complaint",
            "subject": "納期遅れ",
            "company": company_of_rep_a.pk,
            "contacts": [contact_of_rep_a.pk],
            "keywords": ["納期"],
            "occurred_at": "2026-04-01T10:00:00+09:00",
        },
        content_type=JSON,
    )
    # then
    assert created.status_code == 201
    body = created.json()
    activity = Activity.objects.get()
    assert body["id"] == activity.pk
    assert (body["status"], body["version"], body["keywords"]) == ("open", 1, ["納期"])
    assert body["company"] == {"id": company_of_rep_a.pk, "name": "株式会社山田商事"}
    assert body["contacts"] == [{"id": contact_of_rep_a.pk, "name": "田中 一郎"}]
    assert body["owner"] == {"id": rep_a.pk, "name": rep_a.display_name}
    changed = client.patch(
        f"/api/v1/activities/{activity.pk}",
        {"version": 1, "status": "closed", "response": "謝罪済み"},
        content_type=JSON,
    )
    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["version"]) == ("closed", 2)
    stale = client.patch(
        f"/api/v1/activities/{activity.pk}", {"version": 1, "subject": "x"}, content_type=JSON
    )
    assert stale.status_code == 409
    assert client.delete(f"/api/v1/activities/{activity.pk}").status_code == 204
    assert client.get(f"/api/v1/activities/{activity.pk}").status_code == 404


def test_bad_activity_input_names_the_fields(rep_a):
    # when
    response = bearer(rep_a).post(
        "/api/v1/activities", {"kind": "tea", "subject": "", "duration_minutes": 9999}, content_type=JSON
    )
    # then
    assert response.status_code == 422
    fields = sorted(e["field"] for e in response.json()["errors"])
    assert fields == ["duration_minutes", "kind", "subject"]
    assert Activity.objects.count() == 0


def test_other_teams_activities_answer_404_and_stay_unchanged(rep_a, rep_b):
    # given
    theirs = ActivityFactory(owner=rep_b, subject="大阪の訪問")
    client = bearer(rep_a)
    # when
    got = client.get(f"/api/v1/activities/{theirs.pk}")
    patched = client.patch(
        f"/api/v1/activities/{theirs.pk}", {"version": 1, "subject": "x"}, content_type=JSON
    )
    # then
    assert (got.status_code, patched.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert theirs.subject == "大阪の訪問"


def test_a_colleagues_activity_is_readable_but_not_changeable(rep_a, rep_a2):
    # given
    mine = ActivityFactory(owner=rep_a, subject="元")
    client = bearer(rep_a2)
    # when
    got = client.get(f"/api/v1/activities/{mine.pk}")
    patched = client.patch(f"/api/v1/activities/{mine.pk}", {"version": 1, "subject": "x"}, content_type=JSON)
    # then
    assert (got.status_code, patched.status_code) == (200, 403)
    mine.refresh_from_db()
    assert (mine.subject, mine.version) == ("元", 1)


def test_activity_list_filters_and_pages_with_a_cursor(rep_a, company_of_rep_a):
    # given
    base = timezone.now() - dt.timedelta(days=1)
    visits = [
        ActivityFactory(owner=rep_a, company=company_of_rep_a, occurred_at=base + dt.timedelta(minutes=n))
        for n in range(5)
    ]
    ActivityFactory(owner=rep_a, kind="call_out", company=company_of_rep_a)
    client = bearer(rep_a)
    # when
    first = client.get("/api/v1/activities", {"kind": "visit", "limit": 3})
    second = client.get(
        "/api/v1/activities", {"kind": "visit", "limit": 3, "cursor": first.json()["next_cursor"]}
    )
    bad = client.get("/api/v1/activities", {"cursor": "not-a-cursor"})
    # then
    assert ids(first) == [v.pk for v in reversed(visits)][:3]
    assert ids(second) == [visits[1].pk, visits[0].pk]
    assert second.json()["next_cursor"] is None
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("rows", [3, 25])
def test_activity_list_query_count_does_not_grow(admin, rows, django_assert_max_num_queries):
    # given
    for n in range(rows):
        activity = ActivityFactory(owner=admin, subject=f"訪問{n}")
        activity.participants.add(admin)
    client = bearer(admin)
    client.get("/api/v1/activities")
    # when
    with django_assert_max_num_queries(6) as captured:
        response = client.get("/api/v1/activities", {"limit": 50})
    # then
    assert len(ids(response)) == rows
    assert len(captured) == 6


def test_task_crud_and_completion_with_an_activity(rep_a, company_of_rep_a):
    # given
    client = bearer(rep_a)
    # when
    created = client.post(
        "/api/v1/tasks",
        {"title": "提案書送付", "due_at": "2026-04-02T09:00:00+09:00", "remind_minutes_before": 60,
         "company": company_of_rep_a.pk},
        content_type=JSON,
    )  # fmt: skip
    task = Task.objects.get()
    changed = client.patch(f"/api/v1/tasks/{task.pk}", {"version": 1, "priority": "high"}, content_type=JSON)
    done = client.post(
        f"/api/v1/tasks/{task.pk}/complete", {"log_activity": True, "outcome": "送付済み"}, content_type=JSON
    )
    # then
    assert created.status_code == 201
    assert created.json()["remind_at"] == "2026-04-01T23:00:00Z"
    assert changed.json()["priority"] == "high"
    assert done.json()["status"] == "done"
    activity = Activity.objects.get(pk=done.json()["completion_activity_id"])
    assert (activity.subject, activity.outcome, activity.company) == (
        "提案書送付",
        "送付済み",
        company_of_rep_a,
    )
    assert client.delete(f"/api/v1/tasks/{task.pk}").status_code == 204


def test_task_list_shows_team_tasks_to_a_rep_and_hides_other_teams(rep_a, rep_a2, rep_b):
    # given
    own = TaskFactory(owner=rep_a)
    colleague = TaskFactory(owner=rep_a2)
    TaskFactory(owner=rep_b)
    # when
    response = bearer(rep_a).get("/api/v1/tasks")
    mine_only = bearer(rep_a).get("/api/v1/tasks", {"owner": rep_a.pk})
    # then
    assert ids(response) == [colleague.pk, own.pk]
    assert ids(mine_only) == [own.pk]


@pytest.mark.parametrize("rows", [3, 25])
def test_task_list_query_count_does_not_grow(admin, rows, django_assert_max_num_queries):
    # given
    company = CompanyFactory(owner=admin)
    for _ in range(rows):
        TaskFactory(owner=admin, company=company)
    client = bearer(admin)
    client.get("/api/v1/tasks")
    # when
    with django_assert_max_num_queries(3) as captured:
        response = client.get("/api/v1/tasks")
    # then
    assert len(ids(response)) == rows
    assert len(captured) == 3


def test_company_timeline_over_the_api(rep_a, company_of_rep_a, django_assert_max_num_queries):
    # given
    client = bearer(rep_a)
    for n in range(4):
        client.post(
            "/api/v1/activities",
            {"kind": "visit", "subject": f"訪問{n}", "company": company_of_rep_a.pk,
             "occurred_at": f"2026-04-0{n + 1}T10:00:00+09:00"},
            content_type=JSON,
        )  # fmt: skip
    client.get(f"/api/v1/companies/{company_of_rep_a.pk}/timeline")
    # when
    with django_assert_max_num_queries(6):
        first = client.get(f"/api/v1/companies/{company_of_rep_a.pk}/timeline", {"limit": 3})
    rest = client.get(
        f"/api/v1/companies/{company_of_rep_a.pk}/timeline",
        {"limit": 3, "cursor": first.json()["next_cursor"]},
    )
    hidden = bearer(UserFactory(role="sales_rep")).get(f"/api/v1/companies/{company_of_rep_a.pk}/timeline")
    # then
    assert [e["title"] for e in first.json()["items"]] == ["訪問3", "訪問2", "訪問1"]
    assert [e["title"] for e in rest.json()["items"]] == ["訪問0"]
    assert first.json()["items"][0]["data"]["activity_kind"] == "visit"
    assert hidden.status_code == 404
