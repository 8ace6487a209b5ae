"""Production settings: ``check --deploy`` passes cleanly; a missing SECRET_KEY refuses to start."""

import json
import os
import subprocess
import sys

SECRET = "x7Q!v9#pL2m$Rk8@wZ4n&Ty6^Bc1*Hd5(Jf3)Gs0_Ua-Ve+Wi=Xo"  # 50+ characters, not the dev key


def _run(tmp_path, **env_changes):
    # The test process's own settings (and DJANGO_ALLOW_ASYNC_UNSAFE set for browser tests) must not leak in.
    dropped = ("SECRET_KEY", "DAIFUKU_MODE", "ALLOWED_HOSTS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DAIFUKU_DATA_DIR"] = str(tmp_path)
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-m", "daifuku", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_mode_passes_check_deploy_without_warnings(tmp_path):
    # when
    result = _run(tmp_path, DAIFUKU_MODE="production", SECRET_KEY=SECRET, ALLOWED_HOSTS="example.jp")
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_mode_without_secret_key_refuses_to_start(tmp_path):
    # when
    result = _run(tmp_path, DAIFUKU_MODE="production", ALLOWED_HOSTS="example.jp")
    # then
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "daifuku: error: SECRET_KEY must be set to a random string of 50+ characters in production\n"
    )


def test_production_mode_refuses_a_short_secret_key(tmp_path):
    # when
    result = _run(tmp_path, DAIFUKU_MODE="production", SECRET_KEY="short", ALLOWED_HOSTS="example.jp")
    # then
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr


def test_local_mode_is_not_deployable(tmp_path):
    # when: the development defaults are flagged by check --deploy
    result = _run(tmp_path)
    # then
    assert result.returncode == 1
    assert "security.W004" in result.stderr or "security.W004" in result.stdout


def _database_settings(tmp_path, url, **env_changes):
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(json.dumps([d['ENGINE'], d['CONN_MAX_AGE'], d['OPTIONS']]))"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DAIFUKU_DB_POOL_MAX", "DAIFUKU_DB_PREPARE")
    }
    env.update(DAIFUKU_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="daifuku.settings", **env_changes)
    if url:
        env["DATABASE_URL"] = url
    command = [sys.executable, "-c", code]  # our interpreter and a fixed snippet
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_postgresql_connections_come_from_a_pool_sqlite_keeps_one_per_web_thread(tmp_path):
    # when
    pg = _database_settings(tmp_path, "postgres://u@db.example:5432/crm", DAIFUKU_DB_POOL_MAX="30")
    lite = _database_settings(tmp_path, "")
    # then: PostgreSQL lends pooled connections per request; SQLite's stay open in the web threads
    assert pg == [
        "django.db.backends.postgresql",
        0,
        {
            "pool": {"min_size": 2, "max_size": 30, "timeout": 20},
            "server_side_binding": True,
            "prepare_threshold": 5,
        },
    ]
    assert lite[:2] == ["django.db.backends.sqlite3", 600]
    assert "pool" not in lite[2] and "server_side_binding" not in lite[2]


def test_postgresql_prepared_statements_can_be_turned_off_for_a_pooler(tmp_path):
    # when: behind PgBouncer in transaction mode
    pg = _database_settings(tmp_path, "postgres://u@db.example:5432/crm", DAIFUKU_DB_PREPARE="0")
    # then: Django's defaults (values written into the SQL, nothing prepared)
    assert pg[2] == {"pool": {"min_size": 2, "max_size": 20, "timeout": 20}}
