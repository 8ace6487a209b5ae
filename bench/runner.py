"""``daifuku bench run``: measure every workload on one database and scale, save, render the page.

Results of each (database, scale) are kept as JSON in bench/results/ — the last run of each wins —
and docs/performance.md is rendered from all of them plus the hand-written analysis in
bench/notes.md, so the page always shows figures from real runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.scales import REPO_ROOT
from bench.transfers import run_transfers
from bench.workloads import Measurement, Workload, measure, percentile

RESULTS_DIR = REPO_ROOT / "bench" / "results"
NOTES = REPO_ROOT / "bench" / "notes.md"
DOC = REPO_ROOT / "docs" / "performance.md"
SCHEMA = 1
NOT_YET = [
    "contracts (not generated yet: their pages and timeline rows are not in these figures)",
    "the activity list, calendar and my-day pages (activities and tasks are generated; only the company "
    "timeline and the deal detail are workloads so far)",
]
KIND_TITLES = {"list": "List", "search": "Search", "detail": "Detail", "board": "Deal board and forecast"}
GOALS = {
    "page_p50_ms": 50.0,
    "board_p50_ms": 100.0,
    "ratio": 3.0,
    "api_rps": 500.0,
    "api_p99_ms": 100.0,
}


# Machine and database


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    memory_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gb": memory_gb,
        "cpu": cpu,
        "python_speed_us": python_speed_us(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def python_speed_us() -> float:
    """Microseconds for ``sum(range(1000))``, best of 5: one figure to compare the CPUs of two runs.

    Machines of the same nominal size differ: a run on an EPYC took 2.4× as long per Python step as
    one on a Xeon (24 µs against 9–10 µs here), and every page cost follows that."""
    import timeit

    return round(min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6, 1)


def database_info() -> dict[str, Any]:
    from django.db import connection

    from daifuku.activities.models import Activity, Task, TimelineEntry
    from daifuku.core.models import SearchDocument
    from daifuku.customers.models import Company, Contact
    from daifuku.sales.models import Deal, Quote, QuoteLine

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]}"
    return {
        "vendor": connection.vendor,
        "version": version,
        "companies": Company.objects.count(),
        "contacts": Contact.objects.count(),
        "search_documents": SearchDocument.objects.count(),
        "deals": Deal.objects.count(),
        "activities": Activity.objects.count(),
        "timeline_entries": TimelineEntry.objects.count(),
        "tasks": Task.objects.count(),
        "quotes": Quote.objects.count(),
        "quote_lines": QuoteLine.objects.count(),
    }


# Who and what


def choose_users() -> dict[str, Any]:
    """The busiest rep, the manager of that rep's team, and an administrator."""
    from django.db.models import Count

    from daifuku.core.models import User

    busiest = (
        User.objects.filter(role__slug="sales_rep", username__startswith="bench_")
        .annotate(n=Count("owned_companies"))
        .order_by("-n", "pk")
        .first()
    )
    if busiest is None:
        raise RuntimeError("no benchmark users: run `daifuku bench generate` first")
    manager = User.objects.filter(role__slug="manager", team_id=busiest.team_id).order_by("pk").first()
    admin = User.objects.get(username="bench_admin")
    return {"rep": busiest, "manager": manager, "administrator": admin}


def _deep_page(count: int, page_size: int) -> tuple[int, str]:
    """80 % into the list, or the last page lists offer when they count only up to a cap."""
    from daifuku.customers import views

    pages = max(1, -(-count // page_size))
    deep = max(1, int(pages * 0.8))
    cap = getattr(views, "LIST_COUNT_CAP", None)
    if cap is not None and count > cap:
        last = cap // page_size
        return min(deep, last), f"page {min(deep, last)}: the last page under the {cap:,}-row count cap"
    return deep, f"page {deep} of {pages}"


def build_workloads(users: dict[str, Any]) -> tuple[list[Workload], dict[str, Any]]:
    from django.conf import settings
    from django.db.models import Count

    from daifuku.activities.models import Activity
    from daifuku.core import jp
    from daifuku.customers import selectors
    from daifuku.sales.selectors import deals as deal_selectors
    from daifuku.sales.selectors import quotes as quote_selectors

    size = settings.DAIFUKU_PAGE_SIZE
    workloads: list[Workload] = []
    facts: dict[str, Any] = {}
    for role, user in users.items():
        companies = selectors.company_list(user=user)
        contacts = selectors.contact_list(user=user)
        n_companies, n_contacts = companies.count(), contacts.count()
        heavy = (
            selectors.company_queryset(user=user)
            .annotate(n=Count("contacts"))
            .order_by("-n", "pk")
            .values_list("pk", "n", "phone", "prefecture")
            .first()
        )
        assert heavy is not None
        pk, n, phone, prefecture = heavy
        digits = jp.phone_search_text(phone)
        fragment = f"{digits[-8:-4]}-{digits[-4:]}"
        facts[role] = {
            "username": user.username,
            "visible_companies": n_companies,
            "visible_contacts": n_contacts,
            "detail_company_contacts": n,
        }
        base_c, base_p = "/customers/companies/", "/customers/contacts/"

        def add(name: str, kind: str, url: str, table: str, note: str = "", role: str = role) -> None:
            workloads.append(Workload(name, kind, role, url, table, note))

        add("company list, first page (フリガナ順)", "list", base_c, "customers_company")
        add(
            "company list, filtered (status + prefecture), newest first",
            "list",
            base_c + "?" + urlencode({"status": "customer", "prefecture": prefecture, "sort": "-updated"}),
            "customers_company",
        )
        deep_c, note_c = _deep_page(n_companies, size)
        add("company list, deep page", "list", base_c + f"?page={deep_c}", "customers_company", note_c)
        add("contact list, first page (フリガナ順)", "list", base_p, "customers_contact")
        add(
            "contact list, filtered (opted in + prefecture), フリガナ逆順",
            "list",
            base_p + "?" + urlencode({"mail_consent": "opted_in", "prefecture": prefecture, "sort": "-kana"}),
            "customers_contact",
        )
        deep_p, note_p = _deep_page(n_contacts, size)
        add("contact list, deep page", "list", base_p + f"?page={deep_p}", "customers_contact", note_p)
        add("search companies: 商事 (2 kanji)", "search", base_c + "?" + urlencode({"q": "商事"}),
            "customers_company")  # fmt: skip
        add("search contacts: ﾔﾏﾀﾞ (half-width katakana)", "search", base_p + "?" + urlencode({"q": "ﾔﾏﾀﾞ"}),
            "customers_contact")  # fmt: skip
        add(f"search companies: phone fragment {fragment}", "search",
            base_c + "?" + urlencode({"q": fragment}), "customers_company")  # fmt: skip
        add("company detail (most contacts)", "detail", f"/customers/companies/{pk}/", "customers_company",
            f"{n} contacts")  # fmt: skip
        busiest = (
            Activity.objects.filter(
                deleted_at__isnull=True, company__in=selectors.company_queryset(user=user).values("pk")
            )
            .values("company_id")
            .annotate(n=Count("id"))
            .order_by("-n", "company_id")
            .first()
        )
        if busiest is not None:
            facts[role]["timeline_company_activities"] = busiest["n"]
            add("company timeline, first page (most activities)", "detail",
                f"/activities/timeline/company/{busiest['company_id']}/", "activities_timelineentry",
                f"{busiest['n']:,} activities; the fragment the company page loads over htmx")  # fmt: skip
        if deal_selectors.deal_queryset(user=user).exists():
            facts[role]["visible_deals"] = deal_selectors.deal_queryset(user=user).count()
            add("deal board (default pipeline, all stages)", "board", "/sales/deals/board/",
                "sales_deal sales_dealtotal",
                "≤ 50 cards per column, totals over every visible deal")  # fmt: skip
            add("deal list, first page (close date)", "list", "/sales/deals/", "sales_deal")
            add("forecast, this fiscal year by rep", "board", "/sales/forecast/", "sales_dealtotal",
                "won, weighted pipeline and best case per month, converted to yen")  # fmt: skip
            deal_busiest = (
                Activity.objects.filter(
                    deleted_at__isnull=True,
                    related_type=deal_selectors.DEAL_RELATED_TYPE,
                    related_id__in=deal_selectors.deal_queryset(user=user).values("pk"),
                )
                .values("related_id")
                .annotate(n=Count("id"))
                .order_by("-n", "related_id")
                .first()
            )
            if deal_busiest is not None:
                facts[role]["detail_deal_activities"] = deal_busiest["n"]
                add("deal detail (most activities)", "detail", f"/sales/deals/{deal_busiest['related_id']}/",
                    "activities_activity",
                    f"{deal_busiest['n']} activities; floor = the deal's activity list")  # fmt: skip
        quotes = quote_selectors.quote_queryset(user=user)
        most_lines = quotes.annotate(n=Count("lines")).order_by("-n", "pk").values_list("pk", "n").first()
        if most_lines is not None:
            facts[role]["visible_quotes"] = quotes.count()
            add("quote list, first page (newest first)", "list", "/sales/quotes/", "sales_quote")
            add("quote detail (most lines)", "detail", f"/sales/quotes/{most_lines[0]}/", "sales_quote",
                f"{most_lines[1]} lines; floor = the quote with its deal, company and contact")  # fmt: skip
    return workloads, facts


def run_pages(
    workloads: list[Workload],
    users: dict[str, Any],
    repeat: int,
    profile: bool,
    log: Callable[[str], None],
    warmup: int = 3,
) -> list[Measurement]:
    from django.test import Client

    clients: dict[str, Client] = {}
    for role, user in users.items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        clients[role] = client
    results = []
    for workload in workloads:
        m = measure(clients[workload.role], workload, repeat, warmup=warmup, profile=profile)
        log(f"  {workload.role:<13} {workload.name:<62} p50 {m.p50_ms:8.1f} ms  "
            f"floor {m.floor_p50_ms:7.1f} ms"
            f"  ×{m.ratio:<5} q={m.queries} status={m.status}")  # fmt: skip
        results.append(m)
    return results


# API under load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int, key: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's worker processes), from /proc."""
    found = [pid]
    for current in found:
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                found += [int(child) for child in task.read_text().split()]
    return found


def _tree_rss_mb(pid: int, key: str = "VmRSS") -> float:
    """Memory of the server: the supervisor plus its worker processes."""
    return round(sum(_rss_mb(p, key) for p in _process_tree(pid)), 1)


def run_api(
    user: Any, seconds: float, clients: int, log: Callable[[str], None], workers: int = 1
) -> dict[str, Any]:
    """Start ``daifuku serve --no-worker --workers N`` on a loopback port and load its list endpoint.

    The clients are threads of this process, on the same machine: on a 2-core machine they compete
    with the server's processes for the CPU (the figures say so)."""
    from daifuku.core import context
    from daifuku.core.services import token_create

    with context.acting(via="cli"):
        token = token_create(user=user, name="bench")
    port = _free_port()
    path = "/api/v1/companies?limit=50"
    env = {**os.environ, "UVICORN_LOG_LEVEL": "warning"}
    code = "import sys; from daifuku.cli import main; sys.exit(main())"
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and CLI, loopback only)
        [
            sys.executable,
            "-c",
            code,
            "serve",
            "--no-worker",
            "--workers",
            str(workers),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=str(REPO_ROOT),
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        _wait_ready(port, path, headers, server)
        rss_idle = _tree_rss_mb(server.pid)
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds
        peak = [rss_idle]

        def client_loop() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine: list[float] = []
            bad = 0
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200:
                        bad += 1
                except (OSError, http.client.HTTPException):
                    bad += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    continue
                mine.append(time.perf_counter() - started)
            conn.close()
            with lock:
                latencies.extend(mine)
                errors[0] += bad

        threads = [threading.Thread(target=client_loop) for _ in range(clients)]
        started = time.monotonic()
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            peak[0] = max(peak[0], _tree_rss_mb(server.pid))
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        hwm = _tree_rss_mb(server.pid, "VmHWM")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    result = {
        "endpoint": "GET " + path,
        "user": user.username,
        "clients": clients,
        "server_workers": workers,
        "server_stack": "uvicorn + daifuku.asgi thread-pool bridge, "
        f"{os.environ.get('DAIFUKU_WEB_THREADS', '10')} threads a process",
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "errors": errors[0],
        "rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
        "p99_ms": round(percentile(latencies, 99) * 1000, 1) if latencies else 0.0,
        "server_rss_idle_mb": rss_idle,
        "server_rss_peak_mb": max(peak[0], hwm),
    }
    log(f"  API {result['endpoint']}: {result['rps']} req/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms, errors {result['errors']}, "
        f"peak RSS {result['server_rss_peak_mb']} MB")  # fmt: skip
    return result


def _wait_ready(port: int, path: str, headers: dict[str, str], server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            err = server.stderr.read().decode(errors="replace") if server.stderr else ""
            raise RuntimeError(f"the server exited early: {err[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
            raise RuntimeError(f"the API answered {response.status}")
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not start within 120 s")


# The run


def run(
    *,
    db: str,
    scale: str,
    repeat: int = 20,
    api_seconds: float = 30.0,
    api_clients: int = 10,
    api_workers: int = 1,
    profile: bool = False,
    warmup: int = 3,
    transfers: bool = True,
    log: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Measure every workload; returns the results (also what ``save`` writes)."""
    started = time.monotonic()
    info = database_info()
    log(f"{info['version']}: {info['companies']:,} companies, {info['contacts']:,} contacts")
    users = choose_users()
    workloads, facts = build_workloads(users)
    pages = run_pages(workloads, users, repeat, profile, log, warmup=warmup)
    moved = run_transfers(users, scale, log) if transfers else None
    api = run_api(users["rep"], api_seconds, api_clients, log, api_workers) if api_seconds > 0 else None
    return {
        "schema": SCHEMA,
        "db": db,
        "scale": scale,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "database": info,
        "users": facts,
        "repeat": repeat,
        "warmup": warmup,
        "pages": [m.as_dict() for m in pages],
        "api": api,
        "transfers": moved,
        "not_measured": NOT_YET,
        "runner_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "goals": GOALS,
    }


def save(results: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{results['db']}-{results['scale']}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


# The page


_SCALE_ORDER = {"1m": 0, "100k": 1, "small": 2}


def load_results(directory: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    found = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") == SCHEMA:
            found.append(data)
    return sorted(found, key=lambda r: (_SCALE_ORDER.get(r["scale"], 9), r["db"]))


def _data_extras(info: dict[str, Any]) -> str:
    """Deals, activities and tasks of a run; runs older than those steps say they had none."""
    if "activities" not in info:
        return f"{info.get('deals', 0):,} deals (activities and tasks were not generated yet), "
    quotes = (
        f"{info['quotes']:,} quotes ({info.get('quote_lines', 0):,} lines), "
        if "quotes" in info
        else "(quotes were not generated yet), "
    )
    return (
        f"{info.get('deals', 0):,} deals, {info['activities']:,} activities "
        f"({info.get('timeline_entries', 0):,} timeline rows), {info.get('tasks', 0):,} tasks, {quotes}"
    )


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def render(results: list[dict[str, Any]], notes: str = "") -> str:
    lines = ["# Performance", ""]
    lines += [
        "Figures below are written by `daifuku bench run` (bench/runner.py) from its last run on each",
        "database and scale; the analysis sections come from bench/notes.md. Reproduce with:",
        "",
        "```",
        "daifuku bench generate --scale 100k [--db postgres]   # emptied and refilled, same seed same data",
        "daifuku bench run --scale 100k [--db postgres]",
        "```",
        "",
        "## Goals",
        "",
        f"- list, search and detail pages: p50 ≤ {GOALS['page_p50_ms']:.0f} ms at the 1m scale "
        f"(≤ {GOALS['board_p50_ms']:.0f} ms for the deal board and the forecast);",
        f"- server time ≤ {GOALS['ratio']:.0f}× the raw SQL that fetches the same rows;",
        f"- API list endpoint: ≥ {GOALS['api_rps']:.0f} requests/s with p99 ≤ {GOALS['api_p99_ms']:.0f} ms "
        "under 10 concurrent clients.",
        "",
    ]
    if notes.strip():
        lines += [notes.strip(), ""]
    if not results:
        lines += ["No results yet: run `daifuku bench run`.", ""]
    for r in results:
        info, m = r["database"], r["machine"]
        lines += [
            f"## {info['version']}, scale {r['scale']}",
            "",
            f"Run finished {r['finished_at']} in {r['seconds']} s. Machine: {m['nproc']} CPUs ({m['cpu']}"
            + (f"; `sum(range(1000))` {m['python_speed_us']} µs" if m.get("python_speed_us") else "")
            + f"), {m['memory_gb']} GB RAM, {m['os']}, Python {m['python']}; load average at the end "
            f"{', '.join(str(x) for x in m['load_average'])}.",
            f"Data: {info['companies']:,} companies, {info['contacts']:,} contacts, {_data_extras(info)}"
            f"{info['search_documents']:,} search rows.",
            "",
            "| role | user | visible companies | visible contacts |",
            "| --- | --- | ---: | ---: |",
        ]
        for role, fact in r["users"].items():
            lines.append(f"| {role} | {fact['username']} | {fact['visible_companies']:,} | "
                         f"{fact['visible_contacts']:,} |")  # fmt: skip
        lines += [
            "",
            f"Page workloads ({r['repeat']} timed runs after {r.get('warmup', 3)} warm-ups; "
            "5 when a run takes "
            "over 1 s). "
            "*server* = request through the whole Django stack in-process; *floor* = the SQL that fetches "
            "the page's rows (lists: the page's ids query and the query that loads those rows; board and "
            "forecast: every SELECT of the request that reads the deals or their totals, `sales_dealtotal`), "
            "re-run raw on the same connection; *db* = every SELECT of the request re-run "
            "once; ✓/✗ = p50 goal and ratio goal.",
            "",
        ]
        for kind in ("list", "search", "detail", "board"):
            rows = [p for p in r["pages"] if p["kind"] == kind]
            if not rows:
                continue
            lines += [
                f"### {KIND_TITLES[kind]} ({info['vendor']}, {r['scale']})",
                "",
                "| workload | role | server p50 ms | p95 ms | floor p50 ms | ratio | db ms | queries "
                "| goal |",
                "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
            ]
            for p in rows:
                ok_time = p["p50_ms"] <= GOALS["board_p50_ms" if kind == "board" else "page_p50_ms"]
                ok_ratio = bool(p["ratio"]) and p["ratio"] <= GOALS["ratio"]
                name = p["name"] + (f" ({p['note']})" if p["note"] else "")
                lines.append(
                    f"| {name} | {p['role']} | {p['p50_ms']:.1f} | {p['p95_ms']:.1f} "
                    f"| {p['floor_p50_ms']:.1f} | {p['ratio']} | {p['db_ms']:.1f} | {p['queries']} "
                    f"| {_mark(ok_time)}{_mark(ok_ratio)} |"
                )
            lines.append("")
        api = r.get("api")
        lines += [f"### API under load ({info['vendor']}, {r['scale']})", ""]
        if api:
            ok = api["rps"] >= GOALS["api_rps"] and api["p99_ms"] <= GOALS["api_p99_ms"]
            lines += [
                "| endpoint | user | clients | seconds | requests | errors | req/s | p50 ms | p99 ms | "
                "server RSS idle → peak MB | goal |",
                "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | :---: |",
                f"| {api['endpoint']} | {api['user']} | {api['clients']} | {api['seconds']} "
                f"| {api['requests']:,}"
                f" | {api['errors']} | {api['rps']} | {api['p50_ms']} | {api['p99_ms']} | "
                f"{api['server_rss_idle_mb']} → {api['server_rss_peak_mb']} | {_mark(ok)} |",
                "",
                f"The server is `daifuku serve --no-worker --workers {api.get('server_workers', 1)}` "
                f"({api.get('server_stack', 'uvicorn, Django ASGI handler')}, "
                f"{api.get('server_workers', 1)} process(es); RSS summed over them) on 127.0.0.1; "
                "the clients are threads of the runner on the same machine, so they take CPU from the "
                "server.",
                "",
            ]
        else:
            lines += ["Not run in this run (`--no-api`).", ""]
        lines += _transfer_lines(r, info)
        what = "page workloads, exports and import" if r.get("transfers") else "page workloads"
        lines += [f"Runner process peak RSS (in-process {what}): {r['runner_peak_rss_mb']} MB.", ""]
        lines += ["Not measured yet: " + "; ".join(r["not_measured"]) + ".", ""]
    return "\n".join(lines).rstrip() + "\n"


def _transfer_lines(r: dict[str, Any], info: dict[str, Any]) -> list[str]:
    """The import and export table of one run (runs from before it existed say so)."""
    lines = [f"### Import and export ({info['vendor']}, {r['scale']})", ""]
    moved = r.get("transfers")
    if not moved:
        lines += [
            "Not run in this run." if "transfers" in r else "Not measured in this run (it predates them).",
            "",
        ]
        return lines
    lines += [
        "| transfer | role | rows | MB | seconds | CPU s | rows/s | peak RSS growth MB | outcome |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for t in moved:
        outcome = t["detail"].strip("()") or "—"
        lines.append(
            f"| {t['kind']}: {t['name']} | {t['role']} | {t['rows']:,} | {t['megabytes']:.1f} | "
            f"{t['seconds']:.2f} | {t['cpu_seconds']:.2f} | {t['rows_per_second']:,.0f} | "
            f"{t['peak_rss_growth_mb']:.1f} | {outcome} |"
        )
    lines += [
        "",
        "Exports are the list's export address requested in-process and read to the end (visibility and "
        "the export log as for users); the import runs the importer's services on a generated cp932 file "
        "(bench/transfers.py). All of it inside one transaction rolled back at the end, so the data stays "
        "as generated. Peak RSS growth: the runner's high-water mark during the transfer above its RSS "
        "before it.",
        "",
    ]
    return lines


def write_markdown(directory: Path = RESULTS_DIR, doc: Path = DOC, notes_path: Path = NOTES) -> Path:
    notes = notes_path.read_text(encoding="utf-8") if notes_path.exists() else ""
    doc.write_text(render(load_results(directory), notes), encoding="utf-8")
    return doc
