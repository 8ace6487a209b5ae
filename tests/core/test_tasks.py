"""Background tasks: take ids, call services, safe to retry."""

import datetime as dt

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from daifuku.core import search, tasks
from daifuku.core.models import SearchDocument
from daifuku.customers.models import Company
from tests.factories import CompanyFactory, UserFactory


@pytest.fixture(autouse=True)
def immediate_huey():
    # Run tasks in-process with in-memory storage, never on the real queue.
    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


def test_clear_expired_login_locks_clears_only_expired(db):
    # given
    now = timezone.now()
    expired = UserFactory(
        username="expired", locked_until=now - dt.timedelta(minutes=1), failed_login_count=2
    )
    locked = UserFactory(username="locked", locked_until=now + dt.timedelta(minutes=10), failed_login_count=0)
    # when
    cleared = tasks.clear_expired_login_locks.call_local()
    # then
    assert cleared == 1
    expired.refresh_from_db()
    locked.refresh_from_db()
    assert (expired.locked_until, expired.failed_login_count) == (None, 0)
    assert locked.locked_until is not None


def test_reindex_object_rewrites_the_search_row(db):
    # given
    company = CompanyFactory(name="浪速精機")
    Company.objects.filter(pk=company.pk).update(name="難波精機")
    # when
    done = tasks.reindex_object("company", company.pk)
    # then
    assert done.get() is True
    assert Company.objects.filter(search.matches("company", "難波")).get() == company


def test_reindex_object_removes_the_row_of_a_trashed_record(db):
    # given
    company = CompanyFactory(name="浪速精機")
    Company.objects.filter(pk=company.pk).update(deleted_at=timezone.now())
    # when
    done = tasks.reindex_object("company", company.pk)
    # then
    assert done.get() is False
    assert not SearchDocument.objects.filter(object_type="company", object_id=company.pk).exists()


def test_refresh_query_statistics_runs_the_databases_statement(db):
    # given
    from django.db import connection

    CompanyFactory()
    expected = "PRAGMA optimize" if connection.vendor == "sqlite" else "ANALYZE"
    # when
    result = tasks.refresh_query_statistics.call_local()
    # then
    assert result == expected
