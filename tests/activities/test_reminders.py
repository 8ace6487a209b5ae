"""Task reminders: due ones are sent once (in-app + e-mail per preference), never twice.

Checked three ways: Huey in immediate mode, two threads racing on PostgreSQL, and a real
``run_huey`` consumer with two worker threads, two queued runs and a real SMTP server on loopback.
"""

import datetime as dt
import email
import email.policy
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from daifuku.activities import services
from daifuku.activities.models import Task
from daifuku.activities.tasks import send_due_reminders
from daifuku.core.models import Notification, NotificationPreference
from tests.activities.factories import TaskFactory

ROOT = Path(__file__).resolve().parents[2]
ENQUEUE_TWICE = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daifuku.settings")
import django
django.setup()
from daifuku.activities.tasks import send_due_reminders
send_due_reminders()
send_due_reminders()
"""


def _due_task(owner, **kwargs):
    now = timezone.now()
    values = {
        "title": "見積書の提出",
        "due_at": now + dt.timedelta(minutes=10),
        "remind_minutes_before": 30,
        "remind_at": now - dt.timedelta(minutes=20),
        **kwargs,
    }
    return TaskFactory(owner=owner, **values)


@pytest.mark.django_db
def test_immediate_mode_sends_one_notification_and_one_mail(rep_a, django_capture_on_commit_callbacks):
    # given
    NotificationPreference.objects.create(user=rep_a, email_kinds=["task.reminder"])
    task = _due_task(rep_a)
    later = _due_task(rep_a, title="まだ先")
    Task.objects.filter(pk=later.pk).update(remind_at=timezone.now() + dt.timedelta(hours=1))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders()
        send_due_reminders()
    # then
    notifications = list(Notification.objects.filter(recipient=rep_a))
    assert [(n.kind, n.title) for n in notifications] == [
        (
            "task.reminder",
            f"リマインド: 見積書の提出（期限 {timezone.localtime(task.due_at):%Y-%m-%d %H:%M}）",
        )
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [rep_a.email]
    assert mail.outbox[0].subject.startswith("[Daifuku] リマインド: 見積書の提出")
    task.refresh_from_db()
    assert task.reminded_at is not None


@pytest.mark.django_db
def test_no_mail_without_the_preference_and_nothing_for_done_tasks(rep_a, django_capture_on_commit_callbacks):
    # given
    _due_task(rep_a)
    _due_task(rep_a, title="完了済み", status="done")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.reminders_send_due()
    # then
    assert sent == 1
    assert Notification.objects.filter(recipient=rep_a).count() == 1
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks race only on PostgreSQL")
def test_two_threads_racing_on_postgresql_send_once(seeded, team_a):
    # given
    from tests.factories import UserFactory

    rep = UserFactory(username="racer", role="sales_rep", team=team_a)
    tasks = [_due_task(rep, title=f"競合{n}") for n in range(20)]
    ids = [t.pk for t in tasks]
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(services.reminders_send_due(ids=ids))
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then
    assert sum(results) == 20
    assert Notification.objects.filter(recipient=rep, kind="task.reminder").count() == 20


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker_env(data_dir: Path, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user, password = settings["USER"], settings["PASSWORD"] or ""
        env["DATABASE_URL"] = (
            f"postgres://{user}:{password}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        )
    env.update(
        DAIFUKU_DATA_DIR=str(data_dir),
        HUEY_IMMEDIATE="0",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def _notification_count(data_dir: Path, user_id: int) -> int:
    if connection.vendor == "postgresql":
        return Notification.objects.filter(recipient_id=user_id, kind="task.reminder").count()
    with sqlite3.connect(data_dir / "daifuku.sqlite3") as db:
        query = "SELECT count(*) FROM core_notification WHERE recipient_id = ? AND kind = 'task.reminder'"
        return db.execute(query, (user_id,)).fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_with_two_threads_and_two_queued_runs_sends_once(seeded, team_a, tmp_path):
    # given: a due reminder, committed where the worker will read it
    from aiosmtpd.controller import Controller

    from tests.factories import UserFactory

    rep = UserFactory(username="worker_rep", role="sales_rep", team=team_a, email="worker@example.jp")
    NotificationPreference.objects.create(user=rep, email_kinds=["task.reminder"])
    _due_task(rep)
    if connection.vendor == "sqlite":
        # The test database lives in memory; hand the worker a file copy of it.
        connection.ensure_connection()
        with sqlite3.connect(tmp_path / "daifuku.sqlite3") as target:
            connection.connection.backup(target)
    inbox = _Inbox()
    port = _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    env = _worker_env(tmp_path, port)
    worker = None
    try:
        # when: two runs are queued (as after a restart), then a consumer with two threads works them off
        subprocess.run(  # noqa: S603  (fixed arguments: this interpreter and a constant script)
            [sys.executable, "-c", ENQUEUE_TWICE], env=env, check=True, timeout=60, cwd=tmp_path
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "daifuku", "manage", "run_huey", "-w", "2", "-k", "thread"],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not inbox.messages:
            time.sleep(0.2)
        time.sleep(1.5)  # room for a wrong second mail to arrive
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
        smtp.stop()
    # then
    assert _notification_count(tmp_path, rep.pk) == 1
    assert len(inbox.messages) == 1
    recipients, content = inbox.messages[0]
    assert recipients == ["worker@example.jp"]
    message = email.message_from_string(content, policy=email.policy.default)
    assert str(message["Subject"]).strip().startswith("[Daifuku] リマインド: 見積書の提出")
