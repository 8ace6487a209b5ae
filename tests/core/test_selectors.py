"""Reads of the shared kernel (daifuku.core.selectors)."""

import pytest

from daifuku.core import selectors, services

pytestmark = pytest.mark.django_db


def test_unread_notification_count_counts_only_the_users_unread(rep_a, rep_b):
    # given
    assert selectors.unread_notification_count(user=rep_a) == 0
    services.notify(recipient=rep_a, kind="test", title="一件目")
    services.notify(recipient=rep_a, kind="test", title="二件目")
    read = services.notify(recipient=rep_a, kind="test", title="既読")
    services.notifications_mark_read(user=rep_a, ids=[read.pk])
    services.notify(recipient=rep_b, kind="test", title="他人宛")
    # when
    counts = tuple(selectors.unread_notification_count(user=user) for user in (rep_a, rep_b))
    # then
    assert counts == (2, 1)
