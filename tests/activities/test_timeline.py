"""The timeline: time order, keyset paging, filters, visibility per source type, query counts, 10,000 rows."""

import datetime as dt
import time

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from daifuku.activities import selectors, services, timeline
from daifuku.activities.models import TimelineEntry
from daifuku.customers import selectors as customer_selectors
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def _entries(company, count, *, start=None, actor=None, kind="company.status", object_type=""):
    start = start or timezone.now() - dt.timedelta(days=count)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            kind=kind,
            occurred_at=start + dt.timedelta(minutes=n),
            company=company,
            actor=actor,
            owner=actor,
            object_type=object_type,
            title=f"記録{n}",
        )
        for n in range(count)
    )


def _titles(entries):
    return [e.title for e in entries]


def test_newest_first_and_pages_follow_each_other_without_gaps(rep_a, company_of_rep_a):
    # given
    same_time = timezone.now() - dt.timedelta(hours=1)
    _entries(company_of_rep_a, 5)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            kind="company.status", occurred_at=same_time, company=company_of_rep_a, title=f"同時{n}"
        )
        for n in range(3)
    )
    # when
    first, cursor = selectors.timeline_page(user=rep_a, company=company_of_rep_a, limit=4)
    second, cursor2 = selectors.timeline_page(user=rep_a, company=company_of_rep_a, cursor=cursor, limit=4)
    # then
    assert _titles(first) == ["同時2", "同時1", "同時0", "記録4"]
    assert _titles(second) == ["記録3", "記録2", "記録1", "記録0"]
    assert cursor2 is None


def test_an_activity_logged_in_the_past_slots_into_its_time(rep_a, company_of_rep_a):
    # given
    _entries(company_of_rep_a, 3, start=timezone.now() - dt.timedelta(days=3))
    # when
    services.activity_log(
        by=rep_a,
        data={
            "kind": "visit",
            "subject": "先週の訪問",
            "company": company_of_rep_a,
            "occurred_at": timezone.now() - dt.timedelta(days=3, minutes=-1, seconds=30),
        },
    )
    # then
    entries, _cursor = selectors.timeline_page(user=rep_a, company=company_of_rep_a)
    assert _titles(entries) == ["記録2", "記録1", "先週の訪問", "記録0"]


def test_filter_by_activity_kind_and_by_person(rep_a, rep_a2, company_of_rep_a):
    # given
    services.activity_log(by=rep_a, data={"kind": "visit", "subject": "訪問A", "company": company_of_rep_a})
    services.activity_log(
        by=rep_a, data={"kind": "call_out", "subject": "電話A", "company": company_of_rep_a}
    )
    services.activity_log(by=rep_a2, data={"kind": "visit", "subject": "訪問B", "company": company_of_rep_a})
    # when
    visits, _c = selectors.timeline_page(
        user=rep_a, company=company_of_rep_a, filters=selectors.TimelineFilters(kind="activity:visit")
    )
    by_a2, _c = selectors.timeline_page(
        user=rep_a, company=company_of_rep_a, filters=selectors.TimelineFilters(person=rep_a2.pk)
    )
    # then
    assert _titles(visits) == ["訪問B", "訪問A"]
    assert _titles(by_a2) == ["訪問B"]


def test_entries_follow_the_scope_of_their_source(db, team_a, team_b):
    # given: a team-A company that a team-B support agent (who reads all) also works on
    rep = UserFactory(role="sales_rep", team=team_a)
    manager = UserFactory(role="manager", team=team_a)
    admin = UserFactory(role="administrator", team=team_a)
    agent = UserFactory(role="support_agent", team=team_b)
    other_rep = UserFactory(role="sales_rep", team=team_b)
    company = CompanyFactory(owner=rep)
    services.activity_log(by=rep, data={"kind": "visit", "subject": "営業の訪問", "company": company})
    services.activity_log(
        by=agent, data={"kind": "inquiry", "subject": "サポート問い合わせ", "company": company}
    )
    # when
    seen = {
        user.username: _titles(selectors.timeline_page(user=user, company=company)[0])
        for user in (rep, manager, admin, agent)
    }
    # then
    assert seen[rep.username] == ["営業の訪問"]
    assert seen[manager.username] == ["営業の訪問"]
    assert seen[admin.username] == ["サポート問い合わせ", "営業の訪問"]
    assert seen[agent.username] == ["サポート問い合わせ", "営業の訪問"]
    with pytest.raises(Http404):
        customer_selectors.company_get(user=other_rep, pk=company.pk)
    client = Client()
    client.force_login(other_rep)
    assert client.get(reverse("activities:company_timeline", args=[company.pk])).status_code == 404


def test_contact_timeline_shows_activities_with_that_contact(rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    other = ContactFactory(company=company_of_rep_a, owner=rep_a)
    services.activity_log(
        by=rep_a, data={"kind": "meeting", "subject": "二人と", "contacts": [contact_of_rep_a.pk, other.pk]}
    )
    services.activity_log(by=rep_a, data={"kind": "email", "subject": "別の人", "contacts": [other.pk]})
    # when
    entries, _cursor = selectors.timeline_page(user=rep_a, contact=contact_of_rep_a)
    # then
    assert _titles(entries) == ["二人と"]


def test_a_new_module_adds_a_kind_without_touching_the_timeline(rep_a, client, company_of_rep_a):
    # given: what a future "deals" module would do in its ready() and its subscriber
    timeline.register("deal.won", label="受注", icon="★")
    timeline.write(
        kind="deal.won",
        occurred_at=timezone.now(),
        title="基幹システム更改 受注",
        company_id=company_of_rep_a.pk,
        owner_id=rep_a.pk,
        team_id=rep_a.team_id,
        object_type="company",
    )
    client.force_login(rep_a)
    # when
    response = client.get(reverse("activities:company_timeline", args=[company_of_rep_a.pk]))
    # then
    html = response.content.decode()
    assert 'data-kind="deal.won"' in html
    assert "基幹システム更改 受注" in html
    assert ("deal.won", "受注") in selectors.timeline_kind_choices()


@pytest.mark.parametrize("rows", [5, 40])
def test_timeline_fragment_query_count_does_not_grow(
    client, rep_a, company_of_rep_a, rows, django_assert_max_num_queries
):
    # given
    for n in range(rows):
        services.activity_log(
            by=rep_a, data={"kind": "visit", "subject": f"訪問{n}", "company": company_of_rep_a}
        )
    client.force_login(rep_a)
    url = reverse("activities:company_timeline", args=[company_of_rep_a.pk])
    client.get(url)
    # when
    with django_assert_max_num_queries(9) as captured:
        response = client.get(url)
    # then
    assert response.content.decode().count("data-timeline-entry") == min(rows, 20)
    assert len(captured) == 8


def test_ten_thousand_entries_page_fast_with_a_constant_number_of_queries(
    rep_a, company_of_rep_a, django_assert_num_queries
):
    # given
    _entries(company_of_rep_a, 10_000, actor=rep_a, object_type="activity")
    _entries(CompanyFactory(owner=rep_a), 2_000, actor=rep_a)
    _first, cursor = selectors.timeline_page(user=rep_a, company=company_of_rep_a, limit=20)
    for _ in range(3):
        _rows, cursor = selectors.timeline_page(user=rep_a, company=company_of_rep_a, cursor=cursor, limit=20)
    # when
    started = time.perf_counter()
    with django_assert_num_queries(1):
        deep, _next = selectors.timeline_page(user=rep_a, company=company_of_rep_a, cursor=cursor, limit=20)
    elapsed = time.perf_counter() - started
    # then
    assert _titles(deep) == [f"記録{n}" for n in range(9919, 9899, -1)]
    assert elapsed < 0.5
