"""The authentication backend's session user (daifuku.core.auth.LockoutModelBackend.get_user)."""

import pytest

from daifuku.core.auth import LockoutModelBackend

pytestmark = pytest.mark.django_db


def test_get_user_reads_the_user_with_role_and_team(rep_a, django_assert_num_queries):
    # given
    backend = LockoutModelBackend()
    # when
    with django_assert_num_queries(1):
        user = backend.get_user(str(rep_a.pk))  # the session keeps the id as text
        role, team = user.role, user.team
    # then
    assert user == rep_a
    assert (role, team) == (rep_a.role, rep_a.team)
    assert user.is_administrator is False
    assert user.display_name == rep_a.display_name


def test_get_user_refuses_inactive_missing_and_malformed_ids(rep_a):
    # given
    backend = LockoutModelBackend()
    type(rep_a).objects.filter(pk=rep_a.pk).update(is_active=False)
    # when / then
    assert backend.get_user(rep_a.pk) is None
    assert backend.get_user(rep_a.pk + 1000) is None
    assert backend.get_user("not-a-number") is None


def test_a_user_read_for_the_session_saves_like_any_other(rep_a):
    # given
    user = LockoutModelBackend().get_user(rep_a.pk)
    # when
    user.first_name = "変更"
    user.save(update_fields=["first_name"])
    # then
    rep_a.refresh_from_db()
    assert rep_a.first_name == "変更"
