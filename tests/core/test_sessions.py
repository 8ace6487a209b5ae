"""Database sessions read by a prepared statement (daifuku.core.sessions)."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from daifuku.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_loads_its_data():
    # given
    store = SessionStore()
    store["answer"] = 42
    store.save()
    # when
    loaded = SessionStore(store.session_key)
    # then
    assert loaded["answer"] == 42
    assert loaded.session_key == store.session_key


def test_an_expired_session_loads_empty_and_gets_a_new_key_when_saved():
    # given
    store = SessionStore()
    store["answer"] = 42
    store.save()
    past = timezone.now() - dt.timedelta(seconds=1)
    Session.objects.filter(session_key=store.session_key).update(expire_date=past)
    # when
    loaded = SessionStore(store.session_key)
    data = dict(loaded.items())
    loaded["again"] = 1
    loaded.save()
    # then
    assert data == {}
    assert loaded.session_key != store.session_key
    assert Session.objects.filter(session_key=store.session_key).count() == 1  # the old row is left as it was


def test_an_unknown_key_loads_empty():
    # given
    store = SessionStore("x" * 32)
    # when
    data = dict(store.items())
    # then
    assert data == {}
    assert store.session_key is None


def test_a_signed_in_page_reads_the_session_and_the_user_with_role_and_team_in_two_statements(client, rep_a):
    # given
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(rep_a)
    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("core:notifications"))
    # then
    assert response.status_code == 200
    sqls = [q["sql"] for q in captured.captured_queries]
    assert 'FROM "django_session"' in sqls[0]
    assert 'FROM "core_user"' in sqls[1]
    assert '"core_role"' in sqls[1] and '"core_team"' in sqls[1]
    assert not any('FROM "core_role"' in sql for sql in sqls)
    assert response.wsgi_request.user == rep_a
