"""``inlist.param``: a long IN list as one parameter finds what the plain list finds, on both databases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daifuku.core import inlist
from daifuku.customers.models import Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts():
    return [ContactFactory(email=f"髙橋{i}@例え.jp" if i % 2 else f"user{i}@example.jp") for i in range(6)]


def _ids(qs):
    return sorted(qs.values_list("pk", flat=True))


def test_text_values_find_what_the_plain_list_finds(contacts):
    # given Japanese and ASCII e-mail addresses, one of them unknown
    wanted = [contacts[1].email, contacts[2].email, "nobody@example.jp"]
    # when
    found = _ids(Contact.objects.filter(email__in=inlist.param(wanted)))
    # then
    assert found == _ids(Contact.objects.filter(email__in=wanted)) == sorted([contacts[1].pk, contacts[2].pk])


def test_ids_travel_as_one_parameter(contacts):
    # given 3,000 ids, three of which exist
    wanted = [c.pk for c in contacts[:3]] + list(range(10**6, 10**6 + 2997))
    # when
    with CaptureQueriesContext(connection) as queries:
        found = _ids(Contact.objects.filter(pk__in=inlist.param(wanted)))
    # then
    assert found == sorted(c.pk for c in contacts[:3])
    assert len(queries) == 1
    assert ("json_each(" if connection.vendor == "sqlite" else "unnest(") in queries[0]["sql"]


def test_an_empty_list_matches_nothing_without_a_query(contacts):
    with CaptureQueriesContext(connection) as queries:
        assert list(Contact.objects.filter(pk__in=inlist.param([]))) == []
    assert len(queries) == 0


def test_other_values_are_returned_as_the_plain_list():
    assert inlist.param([1, "a"]) == [1, "a"]
    assert inlist.param([(1, 2)]) == [(1, 2)]
    assert inlist.param([True]) == [True]
