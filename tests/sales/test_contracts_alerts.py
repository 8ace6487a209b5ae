"""Contract expiry alerts: once per contract, threshold and end date — run twice, or concurrently."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import translation

from daifuku.core.models import Notification, NotificationPreference
from daifuku.sales.models import ContractAlert, ContractStatus
from daifuku.sales.services import contracts as services
from daifuku.sales.tasks_contracts import contracts_daily
from tests.factories import UserFactory
from tests.sales.factories import ContractFactory


@pytest.fixture(autouse=True)
def japanese():
    """Messages are asserted in Japanese, whatever language an earlier test's request left active."""
    with translation.override("ja"):
        yield


TODAY = dt.date(2026, 6, 1)


def _alerts(contract):
    return sorted(ContractAlert.objects.filter(contract=contract).values_list("days_before", "ends_on"))


def _titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", "title"))


@pytest.mark.django_db
def test_running_twice_sends_one_notification(rep_a, django_capture_on_commit_callbacks):
    # given
    ends_on = TODAY + dt.timedelta(days=85)
    contract = ContractFactory(owner=rep_a, title="会計クラウド", number="C-2026-00007", ends_on=ends_on)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = services.contract_alerts_send(today=TODAY)
        second = services.contract_alerts_send(today=TODAY)
    # then
    assert (first, second) == (1, 0)
    assert _titles(rep_a) == [
        ("contract.expiring", "契約「会計クラウド」（C-2026-00007）は85日後の2026-08-25に満了します")
    ]
    assert _alerts(contract) == [(90, ends_on)]
    assert mail.outbox == []


@pytest.mark.django_db
def test_crossing_90_then_30_days_sends_two(rep_a):
    # given
    ends_on = TODAY + dt.timedelta(days=85)
    contract = ContractFactory(owner=rep_a, ends_on=ends_on)
    # when
    services.contract_alerts_send(today=TODAY)
    services.contract_alerts_send(today=TODAY + dt.timedelta(days=1))
    services.contract_alerts_send(today=ends_on - dt.timedelta(days=28))
    services.contract_alerts_send(today=ends_on - dt.timedelta(days=27))
    # then
    assert Notification.objects.filter(recipient=rep_a, kind="contract.expiring").count() == 2
    assert _alerts(contract) == [(30, ends_on), (90, ends_on)]


@pytest.mark.django_db
def test_a_contract_inside_several_thresholds_gets_one_notification_and_all_are_recorded(rep_a):
    # given: entered late, 5 days before its end
    contract = ContractFactory(owner=rep_a, ends_on=TODAY + dt.timedelta(days=5))
    # when
    sent = services.contract_alerts_send(today=TODAY)
    later = services.contract_alerts_send(today=TODAY + dt.timedelta(days=2))
    # then
    assert (sent, later) == (1, 0)
    assert [days for days, _ends in _alerts(contract)] == [7, 30, 90]


@pytest.mark.django_db
def test_a_changed_end_date_alerts_again(rep_a):
    # given
    contract = ContractFactory(owner=rep_a, ends_on=TODAY + dt.timedelta(days=20))
    services.contract_alerts_send(today=TODAY)
    new_end = TODAY + dt.timedelta(days=25)
    services.contract_update(contract=contract, by=rep_a, data={"ends_on": new_end})
    # when
    sent = services.contract_alerts_send(today=TODAY)
    # then
    assert sent == 1
    assert Notification.objects.filter(recipient=rep_a, kind="contract.expiring").count() == 2


@pytest.mark.django_db
def test_no_alert_outside_thresholds_or_for_closed_contracts(rep_a):
    # given
    ContractFactory(owner=rep_a, ends_on=TODAY + dt.timedelta(days=91))
    ContractFactory(
        owner=rep_a, ends_on=TODAY - dt.timedelta(days=1), starts_on=TODAY - dt.timedelta(days=365)
    )
    ContractFactory(owner=rep_a, ends_on=TODAY + dt.timedelta(days=10), status=ContractStatus.CANCELLED)
    ContractFactory(owner=rep_a, ends_on=TODAY + dt.timedelta(days=10), status=ContractStatus.DRAFT)
    trashed = ContractFactory(owner=rep_a, ends_on=TODAY + dt.timedelta(days=10))
    services.contract_trash(contract=trashed, by=rep_a)
    # when
    sent = services.contract_alerts_send(today=TODAY)
    # then
    assert sent == 0
    assert not ContractAlert.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_thresholds_are_read_from_settings_at_call_time(rep_a, settings):
    # given
    settings.DAIFUKU_CONTRACT_ALERT_DAYS = (14,)
    contract = ContractFactory(owner=rep_a, ends_on=TODAY + dt.timedelta(days=20))
    # when
    before = services.contract_alerts_send(today=TODAY)
    after = services.contract_alerts_send(today=TODAY + dt.timedelta(days=6))
    # then
    assert (before, after) == (0, 1)
    assert [days for days, _ends in _alerts(contract)] == [14]


@pytest.mark.django_db
def test_mail_when_the_owner_chose_it_in_the_owners_language(django_capture_on_commit_callbacks, team_a):
    # given
    owner = UserFactory(
        username="ellen", role="sales_rep", team=team_a, language="en", email="ellen@example.com"
    )
    NotificationPreference.objects.create(user=owner, email_kinds=["contract.expiring"])
    ContractFactory(owner=owner, title="Cloud", number="C-2026-00009", ends_on=TODAY + dt.timedelta(days=30))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.contract_alerts_send(today=TODAY)
    # then
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ellen@example.com"]
    assert "Contract “Cloud” (C-2026-00009) ends in 30 days, on 2026-07-01" in mail.outbox[0].subject


@pytest.mark.django_db
def test_the_daily_task_expires_then_alerts(rep_a, monkeypatch):
    # given
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    ended = ContractFactory(owner=rep_a, starts_on=dt.date(2025, 6, 1), ends_on=dt.date(2026, 5, 31))
    ending = ContractFactory(owner=rep_a, ends_on=TODAY + dt.timedelta(days=7))
    # when
    result = contracts_daily.call_local()
    # then
    assert result == {"renewed": 0, "expired": 1, "alerts": 1}
    ended.refresh_from_db()
    assert ended.status == ContractStatus.EXPIRED
    assert [days for days, _ends in _alerts(ending)] == [7, 30, 90]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serializes writers (IMMEDIATE transactions), so two runs cannot overlap there",
)
def test_two_concurrent_runs_on_postgresql_alert_once(seeded, team_a):
    # given
    owner = UserFactory(username="racer", role="sales_rep", team=team_a)
    contracts = [ContractFactory(owner=owner, ends_on=TODAY + dt.timedelta(days=10 + n)) for n in range(15)]
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(services.contract_alerts_send(today=TODAY))
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then
    assert sum(results) == 15
    assert Notification.objects.filter(recipient=owner, kind="contract.expiring").count() == 15
    assert ContractAlert.objects.filter(contract__in=contracts).count() == 30  # 90 and 30 days for each
