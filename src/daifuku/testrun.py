"""The whole test suite, as CI runs it: ``python -m daifuku.testrun`` from the repository root.

Steps: ruff (lint and format), mypy, ``makemigrations --check``, pytest on SQLite, pytest on
PostgreSQL (``postgres://postgres@127.0.0.1:5432/daifuku_ci``; required when ``CI=true``, else run
when reachable). Browser tests need Debian's /usr/bin/chromium: installed with apt-get when missing
and we are root. Every step runs; the exit status is non-zero if any failed.

Loaded as a pytest plugin (``-p daifuku.testrun``) it turns a skipped browser test into a failure
under ``CI=true``: in CI the browser tests must run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PG_URL = "postgres://postgres@127.0.0.1:5432/daifuku_ci"
_SUMMARY_RE = re.compile(r"^=*\s*(\d+ \w+(, \d+ \w+)*|no tests ran) in [\d.]+s")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# pytest plugin part


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and item.get_closest_marker("browser") is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"browser test skipped in CI (CI=true), where it must run: {reason}"


# runner part


class Runner:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.results: list[tuple[str, bool, str]] = []
        self.data_dir = Path(tempfile.mkdtemp(prefix="daifuku-test-"))

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.update({"DAIFUKU_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1", **extra})
        return env

    def step(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> bool:
        print(f"\n==> {name}: {' '.join(cmd)}", flush=True)
        started = time.monotonic()
        summary = ""
        proc = subprocess.Popen(  # noqa: S603
            cmd,
            cwd=self.root,
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            if _SUMMARY_RE.match(line.strip()):
                summary = line.strip().strip("= ")
        ok = proc.wait() == 0
        took = time.monotonic() - started
        self.results.append((name, ok, f"{summary} ({took:.0f} s)" if summary else f"{took:.0f} s"))
        return ok

    def skip(self, name: str, why: str) -> None:
        print(f"\n==> {name}: skipped ({why})", flush=True)
        self.results.append((name, True, f"skipped: {why}"))

    def fail(self, name: str, why: str) -> None:
        print(f"\n==> {name}: FAILED ({why})", flush=True)
        self.results.append((name, False, why))

    def report(self) -> int:
        print("\n" + "=" * 30 + " daifuku test summary " + "=" * 30)
        for name, ok, detail in self.results:
            print(f"{'ok    ' if ok else 'FAILED'}  {name}: {detail}")
        failed = [name for name, ok, _detail in self.results if not ok]
        print("ALL PASSED" if not failed else f"FAILED: {', '.join(failed)}", flush=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return 1 if failed else 0


def ensure_chromium() -> str:
    """Install chromium and CJK fonts when missing (as root, with apt-get); return the problem or ''."""
    if CHROMIUM.exists():
        return ""
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        return f"{CHROMIUM} is missing (install: apt-get install chromium fonts-noto-cjk)"
    print("==> installing chromium and fonts-noto-cjk with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update"], check=False, env=env)  # noqa: S603
    subprocess.run(  # noqa: S603
        [apt, "install", "-y", "--no-install-recommends", "chromium", "fonts-noto-cjk"], check=False, env=env
    )
    return "" if CHROMIUM.exists() else "apt-get could not install chromium"


def _pg_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def ensure_postgres() -> bool:
    """True when PostgreSQL answers on 127.0.0.1:5432; as root, try to start the local cluster first."""
    if _pg_reachable():
        return True
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if os.geteuid() == 0 and versions and shutil.which("pg_ctlcluster"):
        version = versions[-1].name
        print(f"==> starting PostgreSQL {version} (pg_ctlcluster)", flush=True)
        subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],  # noqa: S607
            check=False,
        )
        for _ in range(20):
            if _pg_reachable():
                return True
            time.sleep(0.5)
    return False


def main() -> int:
    root = Path.cwd()
    if not (root / "pyproject.toml").exists() or not (root / "tests").is_dir():
        print("Run from the repository root (where pyproject.toml and tests/ are).", file=sys.stderr)
        return 2
    py = sys.executable
    runner = Runner(root)
    problem = ensure_chromium()
    if problem:
        if in_ci():
            runner.fail("chromium", problem)
        else:
            print(f"==> warning: {problem}; browser tests will be skipped", flush=True)
    runner.step("ruff check", [py, "-m", "ruff", "check", "src", "tests"])
    runner.step("ruff format", [py, "-m", "ruff", "format", "--check", "src", "tests"])
    runner.step("mypy", [py, "-m", "mypy"])
    runner.step(
        "makemigrations --check",
        [py, "-m", "daifuku", "manage", "makemigrations", "--check", "--dry-run", "--noinput"],
    )
    pytest_cmd = [py, "-m", "pytest", "-p", "daifuku.testrun"]
    runner.step("pytest (SQLite)", pytest_cmd)
    if ensure_postgres():
        runner.step("pytest (PostgreSQL)", pytest_cmd, env=runner.env(DATABASE_URL=PG_URL))
    elif in_ci():
        runner.fail("pytest (PostgreSQL)", "PostgreSQL is not reachable on 127.0.0.1:5432")
    else:
        runner.skip("pytest (PostgreSQL)", "PostgreSQL is not reachable on 127.0.0.1:5432")
    return runner.report()


if __name__ == "__main__":
    sys.exit(main())
