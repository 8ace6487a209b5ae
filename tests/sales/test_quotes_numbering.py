"""Quote numbers under concurrent creation: Q-<year>-00001 … N exactly, no duplicates, no gaps."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from daifuku.sales.models import Quote
from daifuku.sales.services import quotes as services
from tests.factories import CompanyFactory, UserFactory
from tests.sales.factories import DealFactory

THREADS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database is one shared-cache connection set: concurrent writers get "
    "'database table is locked' at once instead of waiting, so the race can only be run on PostgreSQL",
)
def test_concurrent_creation_gives_numbers_one_to_n_without_gaps(seeded, team_a):
    # given
    rep = UserFactory(username="numbering_rep", role="sales_rep", team=team_a)
    deal = DealFactory(owner=rep, company=CompanyFactory(owner=rep))
    barrier = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def create():
        try:
            barrier.wait()
            quote = services.quote_create_from_deal(
                deal=deal, by=rep, data={"lines": [{"description": "保守", "unit_price": "105"}]}
            )
            numbers.append(quote.number)
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
    year = timezone.localdate().year
    assert errors == []
    assert sorted(numbers) == [f"Q-{year}-{n:05d}" for n in range(1, THREADS + 1)]
    assert sorted(Quote.objects.values_list("number", flat=True)) == sorted(numbers)
