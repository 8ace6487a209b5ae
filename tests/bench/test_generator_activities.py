"""The generator's activities and tasks steps: counts, determinism, skew, and timeline rows that equal
what ``activities.subscribers`` writes for the same activity."""

from collections import Counter

import pytest
from bench.scales import SCALES, Scale
from django.db.models import Max

from bench import generator
from daifuku.activities import subscribers
from daifuku.activities.models import Activity, Task, TimelineEntry
from daifuku.customers.models import Company
from daifuku.sales.models import Deal
from tests.bench.helpers import generated_then_read

TINY = Scale("tiny-activities", teams=2, reps_per_team=3, companies=40, contacts=200, deals=60,
             activities=800, tasks=120)  # fmt: skip
ROW_FIELDS = [
    "kind", "occurred_at", "company_id", "contact_id", "actor_id", "owner_id", "team_id", "object_type",
    "source_type", "source_id", "title", "summary", "data",
]  # fmt: skip


def _rows_of(activity_pk: int) -> list[dict]:
    return list(
        TimelineEntry.objects.filter(source_type="activities.activity", source_id=activity_pk)
        .order_by("pk")
        .values(*ROW_FIELDS)
    )


@pytest.mark.django_db
def test_activities_tasks_and_timeline_rows_are_counted():
    # when
    result = generator.generate(scale=TINY, seed=4)
    # then
    extra_contact_rows = sum(max(0, a.contacts.count() - 1) for a in Activity.objects.all())
    assert Activity.objects.count() == result.activities == 800
    assert Activity.participants.through.objects.count() == 800
    assert TimelineEntry.objects.count() == result.timeline_entries == 800 + extra_contact_rows
    assert extra_contact_rows > 0  # some activities name two contacts: one more row each
    assert Activity.objects.filter(contacts__isnull=True).exists()  # and some name none
    assert Task.objects.count() == result.tasks == 120
    assert set(Task.objects.values_list("status", flat=True)) == {"open", "done"}
    assert not Task.objects.filter(status="done", completed_at__isnull=True).exists()
    assert set(Activity.objects.values_list("kind", flat=True)) >= {"call_out", "email", "visit", "note"}


@pytest.mark.django_db
def test_same_seed_same_activities_other_seed_other_activities():
    # given
    def read() -> list[tuple]:
        found = list(
            Activity.objects.order_by("pk").values_list(
                "kind", "occurred_at", "company__name", "owner__username", "subject", "related_id"
            )
        )
        return found + list(
            Task.objects.order_by("pk").values_list("title", "due_at", "owner__username", "contact_id")
        )

    # when
    first, again, other = (generated_then_read(TINY, seed, read) for seed in (21, 21, 22))
    # then
    assert len(first) == 920
    assert first == again
    assert first != other


@pytest.mark.django_db
def test_generated_timeline_rows_equal_what_the_subscriber_writes():
    # given
    generator.generate(scale=TINY, seed=8)
    with_two = Activity.objects.filter(pk__in=_with_contacts(2)).order_by("pk").first()
    with_none = Activity.objects.filter(contacts__isnull=True).order_by("pk").first()
    issues = Activity.objects.filter(kind__in=["complaint", "request"]).exclude(status="")
    issue = issues.order_by("pk").first()
    about_deal = Activity.objects.filter(related_type="sales.deal").order_by("pk").first()
    samples = [a for a in (with_two, with_none, issue, about_deal) if a is not None]
    samples += list(Activity.objects.order_by("pk")[:5])
    assert with_two is not None and with_none is not None and about_deal is not None
    for activity in samples:
        generated = _rows_of(activity.pk)
        TimelineEntry.objects.filter(source_type="activities.activity", source_id=activity.pk).delete()
        # when
        subscribers.activity_logged(activity=activity)
        # then
        written = _rows_of(activity.pk)
        assert generated == written
        assert len(written) == max(1, activity.contacts.count())
    assert _rows_of(with_two.pk)[1]["company_id"] is None  # the second contact's row carries no company


def _with_contacts(n: int) -> list[int]:
    counts = Counter(Activity.contacts.through.objects.values_list("activity_id", flat=True))
    return [pk for pk, count in counts.items() if count == n]


@pytest.mark.django_db
def test_activities_belong_to_the_company_owner_or_a_colleague_and_touch_their_deals():
    # given
    generator.generate(scale=TINY, seed=9)
    # when
    activities = list(Activity.objects.select_related("company", "owner"))
    deal_last = dict(
        Activity.objects.filter(related_type="sales.deal")
        .values("related_id")
        .annotate(last=Max("occurred_at"))
        .values_list("related_id", "last")
    )
    deals = {d.pk: d for d in Deal.objects.filter(pk__in=list(deal_last))}
    # then
    assert all(a.team_id == a.owner.team_id == a.company.team_id for a in activities)
    assert 0 < sum(a.owner_id != a.company.owner_id for a in activities) < len(activities) / 4
    assert deal_last, "some activities are about deals"
    for deal_id, last in deal_last.items():
        deal = deals[deal_id]
        assert deal.last_activity_at >= last
        linked = Activity.objects.filter(related_type="sales.deal", related_id=deal_id)
        assert all(a.company_id == deal.company_id and a.occurred_at >= deal.created_at for a in linked)
    assert all(p == [a.owner_id] for a, p in _participants(activities))


def _participants(activities):
    through = Activity.participants.through.objects
    by_activity: dict[int, list[int]] = {}
    for activity_id, user_id in through.order_by("pk").values_list("activity_id", "user_id"):
        by_activity.setdefault(activity_id, []).append(user_id)
    return [(a, by_activity[a.pk]) for a in activities]


def test_the_heaviest_company_gets_a_three_hundredth_of_the_activities():
    import random

    # when
    weights = generator._skewed_weights(random.Random(1), SCALES["100k"].companies, top_share=1 / 300)
    # then
    share = max(weights) / sum(weights)
    assert abs(share * SCALES["100k"].activities - 1_000) < 5  # 10,000 at 1m, 1,000 at 100k
    assert sorted(weights)[-2] < max(weights)
    assert SCALES["1m"].activities == 3_000_000 and SCALES["100k"].activities == 300_000


@pytest.mark.django_db
def test_scales_without_activities_write_none():
    # given
    scale = Scale("none", teams=1, reps_per_team=1, companies=5, contacts=5)
    # when
    result = generator.generate(scale=scale, seed=1)
    # then
    assert result.activities == result.timeline_entries == result.tasks == 0
    assert not TimelineEntry.objects.exists()
    assert Company.objects.count() == 5


@pytest.mark.django_db
def test_indexes_dropped_for_the_bulk_load_are_all_back():
    # given
    from django.db import connection

    def indexes() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                )
            else:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            return sorted(cursor.fetchall())

    before = indexes()
    # when
    generator.generate(scale=TINY, seed=2)
    # then
    assert indexes() == before
    assert any(name == "timeline_company_idx" for name, _sql in before)
