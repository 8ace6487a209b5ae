"""Notifications: always in-app; by e-mail only for the kinds the recipient chose, and only after commit."""

import pytest
from django.core import mail
from django.db import transaction

from daifuku.core import services as core_services
from daifuku.core.models import Notification, NotificationPreference
from daifuku.customers import services as customer_services

pytestmark = pytest.mark.django_db


def test_handover_mails_the_new_owner_who_asked_for_it(
    manager_a, rep_a, rep_a2, django_capture_on_commit_callbacks
):
    # given
    core_services.notification_preference_update(user=rep_a2, email_kinds=["company.owner_changed"])
    company = customer_services.company_create(by=manager_a, data={"name": "引継商事", "owner": rep_a.pk})
    # when
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.company_change_owner(company=company, new_owner=rep_a2, by=manager_a, reason="異動")
    # then
    assert Notification.objects.filter(recipient=rep_a2, kind="company.owner_changed").count() == 1
    assert [m.to for m in mail.outbox] == [[rep_a2.email]]
    assert "引継商事" in mail.outbox[0].subject
    assert f"/customers/companies/{company.pk}/" in mail.outbox[0].body


def test_kinds_not_chosen_stay_in_app_only(rep_a, django_capture_on_commit_callbacks):
    # given
    core_services.notification_preference_update(user=rep_a, email_kinds=["task.reminder"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        core_services.notify(recipient=rep_a, kind="company.owner_changed", title="引き継ぎ")
    # then
    assert Notification.objects.filter(recipient=rep_a).count() == 1
    assert mail.outbox == []


def test_a_rolled_back_write_mails_nothing(rep_a, django_capture_on_commit_callbacks):
    # given
    NotificationPreference.objects.create(user=rep_a, email_kinds=["task.reminder"])
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                core_services.notify(recipient=rep_a, kind="task.reminder", title="取り消される")
                raise RuntimeError("write failed")
        except RuntimeError:
            pass
    # then
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.filter(recipient=rep_a).exists()
