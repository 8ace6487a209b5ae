"""ICS: secret-token feeds parsed back by ``icalendar``; .ics import (create, update by UID, bad files)."""

import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from daifuku.activities import calendar
from daifuku.activities.models import Event
from tests.activities.factories import EventFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
pytestmark = pytest.mark.django_db


def _soon(days: int, hour: int) -> dt.datetime:
    base = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(base, dt.time(hour), tzinfo=TOKYO)


def _parse(body: bytes) -> list:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_user_feed_serves_own_and_attended_events_without_login(client, rep_a, rep_a2, rep_b):
    # given
    own = EventFactory(
        owner=rep_a, title="山田商事 訪問", start_at=_soon(1, 10), end_at=_soon(1, 11), location="大手町"
    )
    own.description = "見積の説明"
    own.save()
    attended = EventFactory(owner=rep_b, title="合同会議", start_at=_soon(2, 13), end_at=_soon(2, 14))
    attended.attendees.add(rep_a)
    all_day = EventFactory(
        owner=rep_a,
        title="展示会",
        all_day=True,
        start_at=_soon(3, 0),
        end_at=_soon(5, 0),
    )
    EventFactory(owner=rep_a2, title="他人の予定", start_at=_soon(1, 15), end_at=_soon(1, 16))
    feed = calendar.feed_create(by=rep_a)
    # when: no session (calendar apps cannot sign in)
    response = client.get(reverse("activities:calendar_ics", args=[feed.token]))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    items = {str(item["summary"]): item for item in _parse(response.content)}
    assert set(items) == {"山田商事 訪問", "合同会議", "展示会"}
    visit = items["山田商事 訪問"]
    assert str(visit["uid"]) == f"event-{own.pk}@daifuku"
    assert visit["dtstart"].dt == _soon(1, 10)
    assert visit["dtstart"].dt.utcoffset() == dt.timedelta(0)
    assert b"DTSTART:" in response.content  # UTC "Z" form, no TZID needed by subscribers
    assert visit["dtend"].dt == _soon(1, 11)
    assert str(visit["location"]) == "大手町"
    assert str(visit["description"]) == "見積の説明"
    assert str(items["合同会議"]["uid"]) == f"event-{attended.pk}@daifuku"
    assert items["展示会"]["dtstart"].dt == all_day.start_at.date()
    assert items["展示会"]["dtend"].dt == (timezone.localdate() + dt.timedelta(days=5))
    assert not isinstance(items["展示会"]["dtstart"].dt, dt.datetime)


def test_team_feed_serves_the_teams_events(client, rep_a, rep_a2, rep_b):
    EventFactory(owner=rep_a, title="A", start_at=_soon(1, 10), end_at=_soon(1, 11))
    EventFactory(owner=rep_a2, title="B", start_at=_soon(1, 12), end_at=_soon(1, 13))
    EventFactory(owner=rep_b, title="C", start_at=_soon(1, 12), end_at=_soon(1, 13))
    feed = calendar.feed_create(by=rep_a, team=rep_a.team)
    response = client.get(reverse("activities:calendar_ics", args=[feed.token]))
    assert sorted(str(i["summary"]) for i in _parse(response.content)) == ["A", "B"]


def test_revoked_or_unknown_token_is_404(client, rep_a):
    feed = calendar.feed_create(by=rep_a)
    calendar.feed_revoke(feed=feed, by=rep_a)
    assert client.get(reverse("activities:calendar_ics", args=[feed.token])).status_code == 404
    assert client.get(reverse("activities:calendar_ics", args=["guess"])).status_code == 404


def test_deleted_events_leave_the_feed(client, rep_a):
    event = EventFactory(owner=rep_a, title="消える", start_at=_soon(1, 10), end_at=_soon(1, 11))
    calendar.event_delete(event=event, by=rep_a)
    feed = calendar.feed_create(by=rep_a)
    assert _parse(client.get(reverse("activities:calendar_ics", args=[feed.token])).content) == []


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
BEGIN:VTIMEZONE
TZID:Asia/Tokyo
BEGIN:STANDARD
TZOFFSETFROM:+0900
TZOFFSETTO:+0900
TZNAME:JST
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:abc-123@google.com
DTSTART;TZID=Asia/Tokyo:20260410T100000
DTEND;TZID=Asia/Tokyo:20260410T113000
SUMMARY:{summary}
LOCATION:大阪支店
DESCRIPTION:新商品の説明
END:VEVENT
BEGIN:VEVENT
UID:day-1@google.com
DTSTART;VALUE=DATE:20260412
DTEND;VALUE=DATE:20260413
SUMMARY:棚卸し
END:VEVENT
BEGIN:VEVENT
UID:utc-1@example.com
DTSTART:20260415T010000Z
DTEND:20260415T020000Z
SUMMARY:UTC予定
END:VEVENT
END:VCALENDAR
"""


def test_import_creates_events_and_reimport_updates_by_uid(rep_a):
    # when
    first = calendar.events_import_ics(by=rep_a, content=ICS.format(summary="商談").encode())
    # then
    assert (first.created, first.updated, first.skipped) == (3, 0, [])
    visit = Event.objects.get(uid="abc-123@google.com")
    assert visit.title == "商談"
    assert visit.owner_id == rep_a.pk
    assert visit.start_at == dt.datetime(2026, 4, 10, 10, tzinfo=TOKYO)
    assert visit.end_at == dt.datetime(2026, 4, 10, 11, 30, tzinfo=TOKYO)
    assert visit.location == "大阪支店"
    day = Event.objects.get(uid="day-1@google.com")
    assert day.all_day is True
    assert day.start_at == dt.datetime(2026, 4, 12, tzinfo=TOKYO)
    assert day.end_at == dt.datetime(2026, 4, 13, tzinfo=TOKYO)
    assert Event.objects.get(uid="utc-1@example.com").start_at == dt.datetime(2026, 4, 15, 10, tzinfo=TOKYO)

    # when: the same file again with a changed title
    second = calendar.events_import_ics(by=rep_a, content=ICS.format(summary="商談（変更）").encode())
    # then: updated, not duplicated
    assert (second.created, second.updated) == (0, 3)
    assert Event.objects.count() == 3
    visit.refresh_from_db()
    assert visit.title == "商談（変更）"
    assert visit.version == 2


def test_bad_file_gives_a_clear_message_and_creates_nothing(rep_a):
    with pytest.raises(ValidationError) as exc:
        calendar.events_import_ics(by=rep_a, content="これはカレンダーではありません".encode())
    assert set(exc.value.message_dict) == {"file"}
    assert (
        "iCalendar" in exc.value.message_dict["file"][0] or "VCALENDAR" in exc.value.message_dict["file"][0]
    )
    assert not Event.objects.exists()


def test_calendar_without_events_is_refused(rep_a):
    with pytest.raises(ValidationError) as exc:
        calendar.events_import_ics(by=rep_a, content=b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    assert "VEVENT" in exc.value.message_dict["file"][0]


def test_event_without_start_is_skipped_with_its_number(rep_a):
    content = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:no start\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:y\r\nDTSTART:20260401T010000Z\r\nSUMMARY:ok\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = calendar.events_import_ics(by=rep_a, content=content)
    assert result.created == 1
    assert len(result.skipped) == 1
    assert result.skipped[0].startswith("1件目「no start」")


def test_import_page_shows_counts(client, rep_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(rep_a)
    upload = SimpleUploadedFile("cal.ics", ICS.format(summary="商談").encode(), content_type="text/calendar")
    response = client.post(reverse("activities:calendar_import"), {"file": upload})
    assert response.status_code == 200
    assert "3件を登録、0件を更新しました。" in response.content.decode()
    bad = SimpleUploadedFile("cal.ics", b"garbage", content_type="text/calendar")
    response = client.post(reverse("activities:calendar_import"), {"file": bad})
    assert response.status_code == 422
    assert Event.objects.count() == 3
