"""/api/v1/events and /api/v1/daily-reports: same visibility as the pages, versions, flat query counts."""

import datetime as dt
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from daifuku.activities.models import DailyReport, Event
from daifuku.core.models import Notification
from daifuku.core.services import token_create
from tests.activities.factories import ActivityFactory, DailyReportFactory, EventFactory
from tests.factories import UserFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
pytestmark = pytest.mark.django_db
API = "/api/v1"


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 4, day, hour, tzinfo=TOKYO)


RANGE = {"start": "2026-04-01T00:00:00+09:00", "end": "2026-05-01T00:00:00+09:00"}


def test_event_crud_with_version(client, rep_a, rep_a2, company_of_rep_a):
    headers = auth(rep_a)
    # create
    response = client.post(
        f"{API}/events",
        {
            "title": "API訪問",
            "kind": "visit",
            "start_at": "2026-04-10T10:00:00+09:00",
            "end_at": "2026-04-10T11:00:00+09:00",
            "company_id": company_of_rep_a.pk,
            "attendee_ids": [rep_a2.pk],
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    event_id = body["id"]
    assert body["uid"] == f"event-{event_id}@daifuku"
    assert body["attendees"] == [{"id": rep_a2.pk, "name": rep_a2.display_name}]
    assert body["company"]["id"] == company_of_rep_a.pk
    # update with the right version, then a stale one
    response = client.patch(
        f"{API}/events/{event_id}",
        {"version": 1, "location": "本社"},
        content_type="application/json",
        **headers,
    )
    assert response.json()["version"] == 2
    response = client.patch(
        f"{API}/events/{event_id}",
        {"version": 1, "location": "支店"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 409
    assert response.json()["changed_fields"] == {"location": ["", "本社"]}
    # list by range, get, delete
    assert [e["id"] for e in client.get(f"{API}/events", RANGE, **headers).json()] == [event_id]
    assert client.get(f"{API}/events/{event_id}", **headers).json()["location"] == "本社"
    assert client.delete(f"{API}/events/{event_id}", **headers).status_code == 204
    assert Event.objects.get(pk=event_id).deleted_at is not None


def test_event_errors_name_the_field(client, rep_a):
    response = client.post(
        f"{API}/events",
        {"title": "x", "start_at": "2026-04-10T10:00:00+09:00", "end_at": "2026-04-10T09:00:00+09:00"},
        content_type="application/json",
        **auth(rep_a),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["end_at"]


def test_other_teams_event_is_404_and_unchanged(client, rep_a, rep_b):
    event = EventFactory(owner=rep_b, start_at=at(5), end_at=at(5, 11))
    headers = auth(rep_a)
    assert client.get(f"{API}/events/{event.pk}", **headers).status_code == 404
    assert client.delete(f"{API}/events/{event.pk}", **headers).status_code == 404
    assert client.get(f"{API}/events", RANGE, **headers).json() == []
    event.refresh_from_db()
    assert event.deleted_at is None


def test_event_import_over_api(client, rep_a):
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20260401T010000Z\r\n"
        b"DTEND:20260401T020000Z\r\nSUMMARY:API import\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    response = client.post(f"{API}/events/import", {"file": SimpleUploadedFile("a.ics", ics)}, **auth(rep_a))
    assert response.json() == {"created": 1, "updated": 0, "skipped": []}
    response = client.post(
        f"{API}/events/import", {"file": SimpleUploadedFile("a.ics", b"nope")}, **auth(rep_a)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_event_list_query_count_is_flat(client, rep_a, django_assert_max_num_queries):
    headers = auth(rep_a)
    client.get(f"{API}/events", RANGE, **headers)  # token lookup warm-up is part of every call
    for n in range(2):
        EventFactory(owner=rep_a, start_at=at(2 + n), end_at=at(2 + n, 11))
    with django_assert_max_num_queries(10) as few:
        client.get(f"{API}/events", RANGE, **headers)
    for n in range(25):
        event = EventFactory(owner=rep_a, start_at=at(1 + n), end_at=at(1 + n, 11))
        event.attendees.add(UserFactory(team=rep_a.team))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{API}/events", RANGE, **headers)
    assert len(response.json()) == 27


def test_daily_report_flow_over_api(client, rep_a, manager_a):
    # given
    activity = ActivityFactory(owner=rep_a, occurred_at=dt.datetime(2026, 4, 1, 15, tzinfo=TOKYO))
    rep = auth(rep_a)
    # when: the rep saves a draft and submits it
    response = client.post(
        f"{API}/daily-reports",
        {"date": "2026-04-01", "achievements": "受注1件"},
        content_type="application/json",
        **rep,
    )
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["activity_ids"] == [activity.pk]
    assert report["status"] == "draft"
    response = client.post(
        f"{API}/daily-reports/{report['id']}/submit", {}, content_type="application/json", **rep
    )
    assert response.json()["status"] == "submitted"
    again = client.post(
        f"{API}/daily-reports", {"date": "2026-04-01", "plan": "x"}, content_type="application/json", **rep
    )
    assert again.status_code == 422
    # then: the manager lists, comments and marks read; the rep is notified
    mgr = auth(manager_a)
    listing = client.get(f"{API}/daily-reports", {"date_from": "2026-04-01", "date_to": "2026-04-01"}, **mgr)
    assert [r["id"] for r in listing.json()["items"]] == [report["id"]]
    response = client.post(
        f"{API}/daily-reports/{report['id']}/comments",
        {"body": "了解"},
        content_type="application/json",
        **mgr,
    )
    assert response.status_code == 201
    assert client.post(f"{API}/daily-reports/{report['id']}/read", **mgr).status_code == 204
    detail = client.get(f"{API}/daily-reports/{report['id']}", **rep).json()
    assert [c["body"] for c in detail["comments"]] == ["了解"]
    assert detail["read_by"] == [{"id": manager_a.pk, "name": manager_a.display_name}]
    assert Notification.objects.filter(recipient=rep_a, kind="daily_report.commented").count() == 1
    assert DailyReport.objects.get(pk=report["id"]).achievements == "受注1件"


def test_other_team_report_is_404(client, rep_a, rep_b):
    report = DailyReportFactory(author=rep_a, date=dt.date(2026, 4, 1), status="submitted")
    headers = auth(rep_b)
    assert client.get(f"{API}/daily-reports/{report.pk}", **headers).status_code == 404
    response = client.post(
        f"{API}/daily-reports/{report.pk}/comments", {"body": "x"}, content_type="application/json", **headers
    )
    assert response.status_code == 404
    assert client.get(f"{API}/daily-reports", **headers).json() == {"items": [], "count": 0}
    assert report.comments.count() == 0


def test_report_list_query_count_is_flat(client, manager_a, team_a, django_assert_max_num_queries):
    headers = auth(manager_a)
    client.get(f"{API}/daily-reports", **headers)
    for n in range(2):
        DailyReportFactory(author=UserFactory(team=team_a), date=dt.date(2026, 4, 1 + n))
    with django_assert_max_num_queries(8) as few:
        client.get(f"{API}/daily-reports", **headers)
    for n in range(20):
        DailyReportFactory(author=UserFactory(team=team_a), date=dt.date(2026, 3, 1 + n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{API}/daily-reports", **headers)
    assert response.json()["count"] == 22
