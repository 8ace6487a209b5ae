"""営業活動管理: figures against hand-computed numbers, who sees whom, periods, flat query counts."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from daifuku.activities import dashboard
from daifuku.activities.models import ActivityKind, TaskStatus
from daifuku.customers.models import Contact
from tests.activities.factories import ActivityFactory, TaskFactory
from tests.factories import CompanyFactory, ContactFactory, UserFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
WEEK = dashboard.Period(dt.date(2026, 4, 6), dt.date(2026, 4, 12))  # Monday – Sunday
NOW = dt.datetime(2026, 4, 10, 12, tzinfo=TOKYO)  # Friday noon
pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 4, day, hour, tzinfo=TOKYO)


@pytest.fixture
def week_of_work(rep_a, rep_a2, rep_b):
    """Hand-counted week: rep_a 3 visits + 1 call, rep_a2 1 email, rep_b (other team) 2 visits."""
    company = CompanyFactory(owner=rep_a)
    for day in (6, 7, 12):
        ActivityFactory(owner=rep_a, company=company, kind=ActivityKind.VISIT, occurred_at=at(day))
    ActivityFactory(owner=rep_a, company=company, kind=ActivityKind.CALL_OUT, occurred_at=at(8))
    ActivityFactory(owner=rep_a, company=company, kind=ActivityKind.VISIT, occurred_at=at(5, 23))  # before
    ActivityFactory(owner=rep_a, company=company, kind=ActivityKind.VISIT, occurred_at=at(13, 0))  # after
    ActivityFactory(owner=rep_a2, kind=ActivityKind.EMAIL, occurred_at=at(9))
    for day in (6, 7):
        ActivityFactory(owner=rep_b, kind=ActivityKind.VISIT, occurred_at=at(day))
    # New contacts: rep_a 2 in the week, 1 the week before.
    for day in (6, 11, 1):
        contact = ContactFactory(owner=rep_a, company=company)
        Contact.objects.filter(pk=contact.pk).update(created_at=at(day))
    # Tasks of rep_a: 2 done in the week, 1 done before; overdue = open, due in the week, before NOW.
    TaskFactory(owner=rep_a, status=TaskStatus.DONE, completed_at=at(7), due_at=at(7))
    TaskFactory(owner=rep_a, status=TaskStatus.DONE, completed_at=at(10, 9), due_at=at(11))
    TaskFactory(owner=rep_a, status=TaskStatus.DONE, completed_at=at(3), due_at=at(3))
    TaskFactory(owner=rep_a, due_at=at(8))  # overdue
    TaskFactory(owner=rep_a, due_at=at(11))  # due later this week: not overdue yet
    TaskFactory(owner=rep_a2, due_at=at(9))  # overdue
    TaskFactory(owner=rep_a2, status=TaskStatus.CANCELLED, due_at=at(9))  # cancelled: never overdue


def test_manager_sees_the_team_with_hand_computed_figures(manager_a, rep_a, rep_a2, week_of_work):
    # when
    data = dashboard.dashboard(user=manager_a, period=WEEK, now=NOW)
    # then
    rows = {row.rep.username: row for row in data.rows}
    assert set(rows) == {"manager_a", "rep_a", "rep_a2"}
    a = rows["rep_a"]
    assert (a.activities, a.visits, a.new_contacts, a.tasks_done, a.tasks_overdue) == (4, 3, 2, 2, 1)
    assert a.by_kind == {"visit": 3, "call_out": 1}
    a2 = rows["rep_a2"]
    assert (a2.activities, a2.visits, a2.new_contacts, a2.tasks_done, a2.tasks_overdue) == (1, 0, 0, 0, 1)
    assert (data.totals.activities, data.totals.visits, data.totals.tasks_overdue) == (5, 3, 2)
    assert data.totals.by_kind == {"visit": 3, "call_out": 1, "email": 1}


def test_rep_sees_only_themselves(rep_a, week_of_work):
    data = dashboard.dashboard(user=rep_a, period=WEEK, now=NOW)
    assert [row.rep.username for row in data.rows] == ["rep_a"]
    assert data.totals.activities == 4


def test_admin_sees_everyone_and_filters_by_team(admin, team_b, week_of_work):
    everyone = dashboard.dashboard(user=admin, period=WEEK, now=NOW)
    assert everyone.totals.visits == 5
    only_b = dashboard.dashboard(user=admin, period=WEEK, team_id=team_b.pk, now=NOW)
    assert [(row.rep.username, row.visits) for row in only_b.rows] == [("rep_b", 2)]


def test_manager_cannot_widen_to_another_team(manager_a, team_b, week_of_work):
    data = dashboard.dashboard(user=manager_a, period=WEEK, team_id=team_b.pk, now=NOW)
    assert "rep_b" not in [row.rep.username for row in data.rows]


def test_periods():
    today = dt.date(2026, 4, 9)  # Thursday
    assert dashboard.period_for("week", today=today) == dashboard.Period(
        dt.date(2026, 4, 6), dt.date(2026, 4, 12)
    )
    assert dashboard.period_for("month", today=today) == dashboard.Period(
        dt.date(2026, 4, 1), dt.date(2026, 4, 30)
    )
    custom = dashboard.period_for("custom", start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    assert custom == dashboard.Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    with pytest.raises(ValidationError):
        dashboard.period_for("custom", start=dt.date(2026, 3, 1), end=dt.date(2026, 2, 1))


def test_query_count_is_flat_in_the_number_of_reps(admin, team_a, django_assert_max_num_queries):
    for _ in range(2):
        ActivityFactory(owner=UserFactory(team=team_a), occurred_at=at(7))
    with django_assert_max_num_queries(6) as few:
        dashboard.dashboard(user=admin, period=WEEK, now=NOW)
    for _ in range(20):
        rep = UserFactory(team=team_a)
        ActivityFactory(owner=rep, occurred_at=at(7))
        TaskFactory(owner=rep, due_at=at(8))
    with django_assert_max_num_queries(len(few.captured_queries)):
        dashboard.dashboard(user=admin, period=WEEK, now=NOW)


def test_page_and_chart_json(client, manager_a, week_of_work):
    client.force_login(manager_a)
    params = {"period": "custom", "start": "2026-04-06", "end": "2026-04-12"}
    page = client.get(reverse("activities:dashboard"), params)
    assert page.status_code == 200
    assert "vendor/chartjs/chart.umd.min.js" in page.content.decode()
    data = client.get(reverse("activities:dashboard_data"), params).json()
    assert data["period"] == {"start": "2026-04-06", "end": "2026-04-12"}
    assert sum(data["reps"]["visits"]) == 3
    assert dict(zip(data["kinds"]["labels"], data["kinds"]["values"], strict=True))["訪問"] == 3
