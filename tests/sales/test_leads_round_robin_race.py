"""Round robin under concurrent lead creation: the locked rule row makes the turns alternate exactly."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from daifuku.sales.services import leads as services
from tests.factories import TeamFactory, UserFactory
from tests.sales.factories import LeadAssignmentRuleFactory

THREADS = 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database is one shared-cache connection set: concurrent writers get "
    "'database table is locked' at once instead of waiting, so the race can only be run on PostgreSQL",
)
def test_concurrent_leads_are_spread_evenly(seeded):
    # given
    team = TeamFactory(name="インサイドセールス")
    members = [UserFactory(username=f"rr{i}", role="sales_rep", team=team) for i in range(3)]
    LeadAssignmentRuleFactory(team=team)
    barrier = threading.Barrier(THREADS)
    owners: list[int] = []
    errors: list[BaseException] = []

    def create():
        try:
            barrier.wait()
            lead = services.lead_create(by=None, data={"company_name": "並行商事", "email": "a@example.jp"})
            owners.append(lead.owner_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=create) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then
    assert errors == []
    assert Counter(owners) == {member.pk: 2 for member in members}
