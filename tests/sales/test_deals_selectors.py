"""sales.selectors.deals: reading one deal, and the rows of a list page."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from daifuku.sales.models import Deal
from daifuku.sales.selectors.deals import deal_get, deal_list, deal_list_rows
from daifuku.sales.services.deals import deal_trash
from tests.sales.factories import DealFactory, PipelineFactory, stage_named


def test_deal_get_joins_the_trashing_user_only_for_a_trashed_deal(rep_a, admin, django_assert_num_queries):
    # given: PostgreSQL plans every join of the detail's one query (8 tables took 4–10 ms to plan)
    deal = DealFactory(owner=rep_a)
    # when: a live deal
    with CaptureQueriesContext(connection) as live:
        found = deal_get(user=rep_a, pk=deal.pk)
    # then: no join on the trashing user, and none needed
    deal_sql = next(q["sql"] for q in live.captured_queries if 'FROM "sales_deal"' in q["sql"])
    assert 'ON ("sales_deal"."deleted_by_id"' not in deal_sql
    with django_assert_num_queries(0):
        assert found.deleted_by is None
    # when: an administrator opens it from the trash
    deal_trash(deal=found, by=admin)
    with CaptureQueriesContext(connection) as trashed:
        found = deal_get(user=admin, pk=deal.pk, include_deleted=True)
    # then
    deal_sql = next(q["sql"] for q in trashed.captured_queries if 'FROM "sales_deal"' in q["sql"])
    assert 'ON ("sales_deal"."deleted_by_id"' in deal_sql
    with django_assert_num_queries(0):
        assert found.deleted_by == admin


def test_deal_list_rows_are_the_lists_deals_with_the_same_stale_flags(rep_a, django_assert_num_queries):
    # given: stale by silence, by an overdue next action, by an old creation; fresh; won; a short pipeline
    now, today = timezone.now(), timezone.localdate()
    DealFactory(owner=rep_a, name="放置", last_activity_at=now - dt.timedelta(days=15))
    DealFactory(owner=rep_a, name="期限切れ", next_action_date=today - dt.timedelta(days=1))
    DealFactory(owner=rep_a, name="活動あり", last_activity_at=now - dt.timedelta(days=13))
    old = DealFactory(owner=rep_a, name="古い登録")
    Deal.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=20))
    long_ago = now - dt.timedelta(days=90)
    DealFactory(owner=rep_a, name="受注", stage=stage_named("受注"), last_activity_at=long_ago)
    short = PipelineFactory(name="短期", stale_days=3)
    DealFactory(owner=rep_a, name="短期", pipeline=short, stage=short.stages.get(name="リード"),
                last_activity_at=now - dt.timedelta(days=4))  # fmt: skip
    listed = list(deal_list(user=rep_a))
    # when
    with django_assert_num_queries(1):
        rows = deal_list_rows([d.pk for d in listed])
        related = [_related(d) for d in rows]
    # then
    assert [(d.pk, d.name, d.is_stale) for d in rows] == [(d.pk, d.name, d.is_stale) for d in listed]
    assert {d.name for d in rows if d.is_stale} == {"放置", "期限切れ", "古い登録", "短期"}
    assert related == [_related(d) for d in listed]


def _related(deal):
    return (deal.company.pk, deal.owner.pk, deal.stage.name, deal.pipeline.name, deal.currency.code)
