"""The ``daifuku`` command: createuser, token, manage passthrough, errors, and ``serve`` end to end."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from daifuku.cli import main
from daifuku.core.auth import user_for_token
from daifuku.core.models import AuditEntry, Team, User
from tests.factories import UserFactory


def test_createuser_creates_user_with_role_and_new_team(db, capsys):
    # given
    assert not Team.objects.filter(name="福岡営業部").exists()
    # when
    code = main(
        ["createuser", "hakata", "--role", "sales_rep", "--team", "福岡営業部", "--password", "Fukuoka-2026!"]
    )
    # then
    assert code == 0
    user = User.objects.get(username="hakata")
    assert user.role.slug == "sales_rep"
    assert user.team.name == "福岡営業部"
    assert user.check_password("Fukuoka-2026!")
    assert capsys.readouterr().out == "Created user hakata (role sales_rep, team 福岡営業部).\n"
    entry = AuditEntry.objects.get(object_type="core.user", object_id=user.pk, action="create")
    assert entry.via == "cli"


def test_createuser_without_password_prints_a_generated_one(db, capsys):
    # when
    code = main(["createuser", "ops", "--role", "administrator"])
    # then
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Created user ops (role administrator, team -)."
    assert lines[1].startswith("Password: ")
    assert User.objects.get(username="ops").check_password(lines[1].removeprefix("Password: "))


def test_createuser_with_unknown_role_exits_2_and_creates_nothing(db, capsys):
    # given
    users_before, teams_before = User.objects.count(), Team.objects.count()
    # when
    code = main(["createuser", "boss", "--role", "president", "--team", "社長室"])
    # then
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("daifuku: error: ロール「president」はありません")
    assert captured.err.count("\n") == 1
    assert User.objects.count() == users_before
    assert Team.objects.count() == teams_before


def test_createuser_with_existing_name_exits_2(rep_a, capsys):
    # when
    code = main(["createuser", "rep_a", "--role", "manager"])
    # then
    assert code == 2
    assert capsys.readouterr().err == "daifuku: error: ユーザー名「rep_a」は既に使われています。\n"
    rep_a.refresh_from_db()
    assert rep_a.role.slug == "sales_rep"


def test_createuser_rejects_a_weak_password(db, capsys):
    # when
    code = main(["createuser", "weak", "--role", "sales_rep", "--password", "12345"])
    # then
    assert code == 2
    assert capsys.readouterr().err.startswith("daifuku: error: password rejected: ")
    assert not User.objects.filter(username="weak").exists()


def test_token_prints_a_token_that_authenticates(rep_a, capsys):
    # when
    code = main(["token", "rep_a"])
    # then
    assert code == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("dfk_")
    assert user_for_token(token) == rep_a


def test_token_for_unknown_user_exits_2(db, capsys):
    # when
    code = main(["token", "nobody"])
    # then
    assert code == 2
    assert capsys.readouterr().err == "daifuku: error: no user named 'nobody'\n"


def test_token_for_inactive_user_exits_2(db, capsys):
    # given
    UserFactory(username="gone", is_active=False)
    # when
    code = main(["token", "gone"])
    # then
    assert code == 2
    assert capsys.readouterr().err == "daifuku: error: user 'gone' is inactive\n"


def test_manage_passes_through_to_django(db, capsys):
    # when
    code = main(["manage", "check"])
    # then
    assert code == 0
    assert "System check identified no issues" in capsys.readouterr().out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
        return response.status


def _start_serve(data_dir: Path, *args: str) -> subprocess.Popen:
    """``daifuku serve ARGS`` in a fresh data directory (SQLite, Huey queue), output captured."""
    dropped = ("DATABASE_URL", "HUEY_IMMEDIATE", "DAIFUKU_MODE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DAIFUKU_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "daifuku", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_serve_answers_and_stops_cleanly_on_ctrl_c(tmp_path):
    # given: a fresh data directory (SQLite, Huey queue) and a free port
    port = _free_port()
    proc = _start_serve(tmp_path, "--port", str(port))
    try:
        # when (a fresh data directory is migrated first: 20–30 s on a slow, busy 2-core machine)
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = _get(f"http://127.0.0.1:{port}/login/")
                break
            except OSError:
                time.sleep(0.2)
        api_status = _get(f"http://127.0.0.1:{port}/api/v1/openapi.json") if status else None
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # then
    assert status == 200, output
    assert api_status == 200
    assert proc.returncode == 0, output
    assert f"Daifuku is running on http://127.0.0.1:{port}/" in output
    assert "Background worker: 2 threads and the periodic scheduler." in output
    assert output.rstrip().endswith("Daifuku stopped.")
    assert (tmp_path / "daifuku.sqlite3").exists()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def test_serve_with_two_workers_answers_from_two_processes_and_stops_on_sigterm(tmp_path):
    # given
    port = _free_port()
    proc = _start_serve(tmp_path, "--no-worker", "--workers", "2", "--port", str(port))
    try:
        # when
        deadline = time.monotonic() + 40
        statuses: list[int] = []
        while time.monotonic() < deadline and proc.poll() is None and len(statuses) < 4:
            try:
                statuses.append(_get(f"http://127.0.0.1:{port}/login/"))
            except OSError:
                time.sleep(0.2)
        workers = _children(proc.pid)
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # then
    assert statuses == [200, 200, 200, 200], output
    assert len(workers) >= 2, output  # uvicorn's supervisor runs the two worker processes
    assert proc.returncode == 0, output
    assert "Background worker" not in output


@pytest.mark.parametrize("argv", [[], ["serve", "--port", "x"]])
def test_bad_usage_exits_2(argv, capsys):
    # when
    with pytest.raises(SystemExit) as exc:
        main(argv)
    # then
    assert exc.value.code == 2
