"""Calendar events: services, visibility (scope + attendees), range lists, feeds and pages."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from daifuku.activities import calendar
from daifuku.activities.models import CalendarFeed, Event
from daifuku.core.models import AuditEntry
from daifuku.core.services import VersionConflict
from tests.activities.factories import EventFactory
from tests.factories import UserFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 4, day, hour, minute, tzinfo=TOKYO)


def test_rep_creates_an_event_with_attendees_and_company(rep_a, rep_a2, company_of_rep_a, contact_of_rep_a):
    # when
    event = calendar.event_create(
        by=rep_a,
        data={
            "title": "山田商事 定例",
            "kind": "visit",
            "start_at": at(1, 10),
            "end_at": at(1, 11, 30),
            "location": "大手町",
            "company": company_of_rep_a,
            "attendees": [rep_a2],
            "attendee_contacts": [contact_of_rep_a],
        },
    )
    # then
    event.refresh_from_db()
    assert event.owner_id == rep_a.pk
    assert event.team_id == rep_a.team_id
    assert event.start_at == at(1, 10)
    assert event.end_at == at(1, 11, 30)
    assert [u.pk for u in event.attendees.all()] == [rep_a2.pk]
    assert [c.pk for c in event.attendee_contacts.all()] == [contact_of_rep_a.pk]
    entry = AuditEntry.objects.get(object_type="activities.event", object_id=event.pk)
    assert entry.action == "create"
    assert entry.changes["title"] == [None, "山田商事 定例"]


def test_end_before_start_is_refused_naming_the_field(rep_a):
    # when
    with pytest.raises(ValidationError) as exc:
        calendar.event_create(by=rep_a, data={"title": "x", "start_at": at(2, 10), "end_at": at(2, 9)})
    # then
    assert set(exc.value.message_dict) == {"end_at"}
    assert not Event.objects.exists()


def test_missing_title_is_refused(rep_a):
    with pytest.raises(ValidationError) as exc:
        calendar.event_create(by=rep_a, data={"title": " ", "start_at": at(2, 10)})
    assert "title" in exc.value.message_dict


def test_all_day_event_is_stored_as_tokyo_midnights_with_exclusive_end(rep_a):
    # when
    event = calendar.event_create(
        by=rep_a, data={"title": "展示会", "all_day": True, "start_at": at(3, 15), "end_at": at(4, 9)}
    )
    # then
    assert event.start_at == dt.datetime(2026, 4, 3, tzinfo=TOKYO)
    assert event.end_at == dt.datetime(2026, 4, 5, tzinfo=TOKYO)


def test_update_with_stale_version_is_refused_and_nothing_changes(rep_a):
    # given
    event = calendar.event_create(by=rep_a, data={"title": "打合せ", "start_at": at(6)})
    calendar.event_update(event=event, by=rep_a, data={"title": "打合せ（変更）"}, seen_version=1)
    # when
    with pytest.raises(VersionConflict) as exc:
        calendar.event_update(event=event, by=rep_a, data={"location": "本社"}, seen_version=1)
    # then
    event.refresh_from_db()
    assert event.version == 2
    assert event.location == ""
    assert exc.value.changed_fields == {"title": ["打合せ", "打合せ（変更）"]}


def test_attendee_sees_but_cannot_edit_another_teams_event(rep_a, rep_b):
    # given: rep_b (other team) organizes and invites rep_a
    event = EventFactory(owner=rep_b, start_at=at(7, 10), end_at=at(7, 11))
    event.attendees.add(rep_a)
    # when / then
    assert calendar.event_get(user=rep_a, pk=event.pk).pk == event.pk
    with pytest.raises(PermissionDenied):
        calendar.event_update(event=event, by=rep_a, data={"title": "乗っ取り"}, seen_version=None)
    event.refresh_from_db()
    assert event.title != "乗っ取り"


def test_other_teams_event_is_invisible(rep_a, rep_b):
    event = EventFactory(owner=rep_b, start_at=at(7, 10), end_at=at(7, 11))
    with pytest.raises(Http404):
        calendar.event_get(user=rep_a, pk=event.pk)
    assert list(calendar.event_list(user=rep_a, start=at(1, 0), end=at(30, 0))) == []


def test_teammate_may_read_but_not_delete(rep_a, rep_a2):
    event = EventFactory(owner=rep_a2, start_at=at(8), end_at=at(8, 11))
    assert calendar.event_get(user=rep_a, pk=event.pk) == event
    with pytest.raises(PermissionDenied):
        calendar.event_delete(event=event, by=rep_a)
    event.refresh_from_db()
    assert event.deleted_at is None


def test_delete_moves_to_trash_and_hides(rep_a):
    event = EventFactory(owner=rep_a, start_at=at(8), end_at=at(8, 11))
    calendar.event_delete(event=event, by=rep_a)
    event.refresh_from_db()
    assert event.deleted_by_id == rep_a.pk
    with pytest.raises(Http404):
        calendar.event_get(user=rep_a, pk=event.pk)


def test_range_list_returns_overlapping_events_of_chosen_people(rep_a, rep_a2, manager_a):
    # given
    before = EventFactory(owner=rep_a, start_at=at(1, 9), end_at=at(1, 10))
    spanning = EventFactory(owner=rep_a, start_at=at(1, 23), end_at=at(2, 1))
    inside = EventFactory(owner=rep_a2, start_at=at(2, 10), end_at=at(2, 11))
    attended = EventFactory(owner=manager_a, start_at=at(2, 12), end_at=at(2, 13))
    attended.attendees.add(rep_a)
    EventFactory(owner=rep_a, start_at=at(3, 0), end_at=at(3, 1))  # starts at the range end
    # when
    mine = calendar.event_list(user=rep_a, start=at(2, 0), end=at(3, 0), user_ids=[rep_a.pk])
    both = calendar.event_list(user=rep_a, start=at(2, 0), end=at(3, 0), user_ids=[rep_a.pk, rep_a2.pk])
    # then
    assert [e.pk for e in mine] == [spanning.pk, attended.pk]
    assert [e.pk for e in both] == [spanning.pk, inside.pk, attended.pk]
    assert before.pk not in [e.pk for e in both]


def test_range_longer_than_the_limit_is_refused(rep_a):
    with pytest.raises(ValidationError):
        calendar.event_list(user=rep_a, start=at(1), end=at(1) + dt.timedelta(days=100))


def test_feed_regenerate_revokes_the_old_token(rep_a):
    # given
    first = calendar.feed_create(by=rep_a)
    # when
    second = calendar.feed_create(by=rep_a)
    # then
    assert first.token != second.token
    assert len(second.token) >= 40
    with pytest.raises(Http404):
        calendar.feed_by_token(first.token)
    assert calendar.feed_by_token(second.token).pk == second.pk


def test_rep_cannot_create_another_teams_feed(rep_a, team_b):
    with pytest.raises(PermissionDenied):
        calendar.feed_create(by=rep_a, team=team_b)
    assert not CalendarFeed.objects.exists()


def test_calendar_pages_render_month_week_day(client, rep_a):
    # given
    EventFactory(owner=rep_a, title="月次会議", start_at=at(15, 10), end_at=at(15, 11))
    client.force_login(rep_a)
    # when / then
    for view in ("month", "week", "day"):
        response = client.get(reverse("activities:calendar"), {"view": view, "date": "2026-04-15"})
        assert response.status_code == 200
        assert "月次会議" in response.content.decode()


def test_calendar_htmx_navigation_returns_the_grid_only(client, rep_a):
    client.force_login(rep_a)
    response = client.get(
        reverse("activities:calendar"), {"view": "week", "date": "2026-04-15"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "data-calendar-nav" in body


def test_shared_calendar_colours_each_chosen_person(client, rep_a, rep_a2):
    EventFactory(owner=rep_a2, title="鈴木の訪問", start_at=at(15, 10), end_at=at(15, 11))
    client.force_login(rep_a)
    response = client.get(
        reverse("activities:calendar"),
        {"mode": "people", "users": [rep_a.pk, rep_a2.pk], "date": "2026-04-15", "view": "week"},
    )
    body = response.content.decode()
    assert "鈴木の訪問" in body
    assert "border-left-color: #198754" in body  # the second person's colour


def test_calendar_page_query_count_does_not_grow_with_events(client, rep_a, django_assert_max_num_queries):
    client.force_login(rep_a)
    for n in range(3):
        EventFactory(owner=rep_a, start_at=at(10 + n), end_at=at(10 + n, 11))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("activities:calendar"), {"date": "2026-04-15"})
    for n in range(30):
        event = EventFactory(owner=rep_a, start_at=at(1 + n % 28), end_at=at(1 + n % 28, 11))
        event.attendees.add(rep_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("activities:calendar"), {"date": "2026-04-15"})


def test_event_form_creates_and_edits(client, rep_a):
    client.force_login(rep_a)
    response = client.post(
        reverse("activities:event_create"),
        {"title": "新規訪問", "kind": "visit", "start_at": "2026-04-20T14:00", "end_at": "2026-04-20T15:00"},
    )
    event = Event.objects.get(title="新規訪問")
    assert response.status_code == 302
    assert event.start_at == at(20, 14)
    response = client.post(
        reverse("activities:event_edit", args=[event.pk]),
        {
            "title": "新規訪問",
            "kind": "visit",
            "start_at": "2026-04-20T14:00",
            "end_at": "2026-04-20T16:00",
            "version": 1,
        },
    )
    event.refresh_from_db()
    assert response.status_code == 302
    assert event.end_at == at(20, 16)
    assert event.version == 2


def test_nobody_else_may_open_the_edit_page(client, rep_a, rep_a2):
    event = EventFactory(owner=rep_a2, start_at=at(9), end_at=at(9, 11))
    client.force_login(rep_a)
    assert client.get(reverse("activities:event_edit", args=[event.pk])).status_code == 403
    other = UserFactory(role="sales_rep")
    client.force_login(other)
    assert client.get(reverse("activities:event_detail", args=[event.pk])).status_code == 404
