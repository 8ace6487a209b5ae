"""sales.selectors.deals: reading one deal."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from daifuku.sales.selectors.deals import deal_get
from daifuku.sales.services.deals import deal_trash
from tests.sales.factories import DealFactory


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
