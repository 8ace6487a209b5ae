"""Page workloads: who asks for which page, timed in-process against the raw SQL behind it.

A workload is one URL requested by one user (a rep, a manager, an administrator: their visibility
differs). It is timed with Django's test client in the same process — middleware, session, view,
selectors, template — after warm-up. Its *floor* is the SQL that fetches the page's rows (captured
from the view, parameters and all: for list pages the ids query and the query that loads those rows)
re-run on the same connection and fetched to the last row; the ratio of the two is what the
application adds on top of the database.
"""

from __future__ import annotations

import cProfile
import io
import math
import pstats
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection
from django.test import Client

SLOW_RUN_SECONDS = 1.0  # a workload slower than this gets fewer timed runs, so 1m finishes
SLOW_REPEAT = 5


@dataclass
class Workload:
    name: str  # e.g. "company list, first page"
    kind: str  # list / search / detail
    role: str  # rep / manager / administrator
    url: str
    floor_table: str  # the main table of the page's row query (a board: its tables, space-separated)
    note: str = ""


@dataclass
class Measurement:
    name: str
    kind: str
    role: str
    url: str
    status: int
    runs: int
    p50_ms: float
    p95_ms: float
    floor_p50_ms: float
    ratio: float
    db_ms: float
    queries: int
    floor_sql: str
    note: str = ""
    profile: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


class _Recorder:
    """Execute wrapper that keeps every statement with its parameters, to re-run them raw."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not many:
            self.statements.append((sql, params))
        return execute(sql, params, many, context)


def _run_raw(sql: str, params: Any) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()
    return time.perf_counter() - started


def _table_selects(statements: list[tuple[str, Any]], tables: str) -> list[tuple[str, Any]]:
    """Every SELECT of the request that reads one of ``tables`` (space-separated)."""
    names = "|".join(re.escape(t) for t in tables.split())
    pattern = re.compile(rf'FROM\s+"(?:{names})"', re.IGNORECASE)
    return [
        (sql, p) for sql, p in statements if sql.lstrip().upper().startswith("SELECT") and pattern.search(sql)
    ]


def _pick_floor(statements: list[tuple[str, Any]], table: str) -> list[tuple[str, Any]]:
    """The statements that fetch the page's rows: the SELECT from ``table`` with a LIMIT (not a COUNT)
    that gave the page's ids and, when list pages read their ids first (``ListPage._fetch``), the next
    SELECT from ``table`` that loads those ids' rows (``"id" IN (…)``); run back to back.

    Of several LIMIT queries before the rows (a searched list's walk that found too few matches, then
    the gram index), the last is the one whose ids were used: the earlier attempts are the page's
    overhead, not its floor."""
    pattern = re.compile(rf'FROM\s+"{re.escape(table)}"', re.IGNORECASE)
    by_ids = re.compile(rf'"{re.escape(table)}"\."id" IN \(', re.IGNORECASE)
    limited: list[tuple[str, Any]] = []
    for sql, params in statements:
        if not sql.lstrip().upper().startswith("SELECT") or not pattern.search(sql):
            continue
        if limited and by_ids.search(sql) and "LIMIT" not in sql.upper():
            return [limited[-1], (sql, params)]
        if "LIMIT" in sql.upper() and "COUNT(" not in sql.upper():
            limited.append((sql, params))
    return limited[:1]  # no rows query (a detail page): its first limited read


def measure(
    client: Client, workload: Workload, repeat: int, warmup: int = 3, profile: bool = False
) -> Measurement:
    """Warm up, time ``repeat`` requests, then time the floor query as often on the same connection."""
    first = time.perf_counter()
    for _ in range(warmup):
        client.get(workload.url)
    if (time.perf_counter() - first) / max(warmup, 1) > SLOW_RUN_SECONDS:
        repeat = min(repeat, SLOW_REPEAT)
    recorder = _Recorder()
    with connection.execute_wrapper(recorder):
        status = client.get(workload.url).status_code
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(workload.url)
        times.append(time.perf_counter() - started)
    if workload.kind == "board":
        # A board or report fetches per-column rows and grouped totals: its floor is every SELECT that
        # reads the table, run back to back.
        floors = _table_selects(recorder.statements, workload.floor_table)
        floor = floors[0] if floors else None
        floor_times = [sum(_run_raw(*f) for f in floors) for _ in range(repeat)] if floors else []
    else:
        floors = _pick_floor(recorder.statements, workload.floor_table)
        floor = floors[0] if floors else None
        floor_times = [sum(_run_raw(*f) for f in floors) for _ in range(repeat)] if floors else []
    db_total = sum(_run_raw(sql, params) for sql, params in recorder.statements if _is_select(sql))
    p50 = statistics.median(times) * 1000
    floor_p50 = statistics.median(floor_times) * 1000 if floor_times else 0.0
    text = ""
    if profile:
        text = _profile(client, workload.url)
    return Measurement(
        name=workload.name,
        kind=workload.kind,
        role=workload.role,
        url=workload.url,
        status=status,
        runs=repeat,
        p50_ms=round(p50, 2),
        p95_ms=round(percentile(times, 95) * 1000, 2),
        floor_p50_ms=round(floor_p50, 2),
        ratio=round(p50 / floor_p50, 1) if floor_p50 else 0.0,
        db_ms=round(db_total * 1000, 2),
        queries=len(recorder.statements),
        floor_sql=_shorten(floor[0]) if floor else "",
        note=workload.note,
        profile=text,
    )


def _is_select(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT")


def _shorten(sql: str, limit: int = 600) -> str:
    sql = re.sub(r"\s+", " ", sql)
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def _profile(client: Client, url: str, runs: int = 3) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    return "\n".join(lines[:40])
