"""``daifuku import-bench``: import N contacts from a cp932 CSV with dedup against N existing; export N.

Run it on an empty database (e.g. ``DAIFUKU_DATA_DIR=/tmp/ib daifuku import-bench --rows 100000``).
It prints rows per second and the process's peak memory after each phase, the time spent in database
statements, and for the dedup phase a *floor*: those statements plus the search grams of the contacts
it created (computed again apart from the import) — work every imported contact needs (its row and
indexes, audit entry, import record, timeline entry, affiliation, search document and FTS5 postings)
before any row is read, decoded, cleaned, validated or matched. No import can beat that rate on the
machine without dropping some of that work.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("import-bench", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.set_defaults(func=cmd_bench)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process: on a shared machine wall-clock rates depend on the other jobs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _write_csv(path: Path, rows: int, offset: int) -> None:
    import csv

    with path.open("w", encoding="cp932", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["姓", "名", "セイ", "メイ", "会社名", "部署", "携帯電話", "メール", "メモ"])
        for i in range(offset, offset + rows):
            writer.writerow(
                [
                    f"髙橋{i % 997}",
                    f"太郎{i}",
                    "タカハシ",
                    "タロウ",
                    f"㈱サンプル商事{i % 500}",
                    "営業部",
                    f"090-{i // 10000 % 10000:04d}-{i % 10000:04d}",
                    f"user{i}@example.jp",
                    "①～",
                ]
            )


def cmd_bench(args: argparse.Namespace) -> int:
    from daifuku.cli import _migrate_if_needed, _setup

    _setup()
    _migrate_if_needed()
    from django.db import connection

    from daifuku.core.models import Role, User
    from daifuku.imports import exports, services
    from daifuku.imports.models import ImportJob

    user = User.objects.filter(username="import-bench").first() or User.objects.create_user(
        username="import-bench", role=Role.objects.get(slug="administrator")
    )
    tmp = Path(tempfile.mkdtemp())
    n = args.rows
    for label, offset, dedup in (("existing", 0, "create"), ("dedup import", n // 2, "fill")):
        path = tmp / f"{label}.csv"
        _write_csv(path, n, offset)
        with path.open("rb") as handle:
            job = services.job_create(
                by=user, target="contacts", name=path.name, chunks=iter(lambda: handle.read(1 << 20), b"")
            )
        services.job_configure(job=job, by=user, columns=job.columns, dedup=dedup)
        ImportJob.objects.filter(pk=job.pk).update(status="queued")
        in_database = _StatementClock()
        started, cpu = time.perf_counter(), _cpu_seconds()
        with connection.execute_wrapper(in_database):
            job = services.job_run(job_id=job.pk)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(
            f"{label}: {n} rows ({job.encoding}, dedup {dedup}) in {seconds:.1f} s "
            f"= {n / seconds:,.0f} rows/s ({cpu:.1f} CPU s = {n / cpu:,.0f} rows per CPU s); "
            f"created {job.created_count}, updated {job.updated_count}, skipped {job.skipped_count}, "
            f"errors {job.error_count}; peak RSS {_peak_mb():.0f} MB",
            flush=True,
        )
        print(
            f"  database statements: {in_database.seconds:.1f} s = "
            f"{in_database.seconds * 1e6 / n:.1f} µs per row "
            f"({in_database.calls:,} calls, {100 * in_database.seconds / seconds:.0f} % of the phase)",
            flush=True,
        )
        if dedup == "fill":
            _print_index_floor(job, user, n, in_database.seconds)
    from daifuku.customers.selectors import contact_list

    for file_format in ("csv", "cp932", "xlsx"):
        started, cpu = time.perf_counter(), _cpu_seconds()
        export = exports.export_list(
            user=user,
            target="contacts",
            queryset=contact_list(user=user),
            file_format=file_format,
            filters={},
        )
        size = sum(len(chunk) for chunk in export.chunks)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(
            f"export {file_format}: {export.log.row_count} rows, {size / 1e6:.1f} MB in {seconds:.1f} s = "
            f"{export.log.row_count / seconds:,.0f} rows/s "
            f"({export.log.row_count / cpu:,.0f} rows per CPU s); "
            f"peak RSS {_peak_mb():.0f} MB",
            flush=True,
        )
    return 0


class _StatementClock:
    """A ``connection.execute_wrapper`` adding up the time spent in database calls: the database's own
    work (the rows, their indexes, the FTS5 postings) plus Django's cursor wrapper around each call."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


def _print_index_floor(job: Any, user: Any, rows: int, statement_seconds: float) -> None:
    """Time the search index work of the contacts ``job`` created, apart from the import: their grams
    (``search.grams`` over ``search.folded_parts``) and an FTS5 insert of them into a scratch table of
    the same tokenizer (in memory, no other index). Folding the texts is not counted.

    On PostgreSQL the grams are computed by the server inside the statements (an index expression),
    so the floor is the statements alone."""
    import sqlite3

    from django.db import connection

    from daifuku.core import search

    if connection.vendor != "sqlite":
        floor = statement_seconds / rows
        print(
            f"  floor: database statements (the grams computed by the server's index) = "
            f"{floor * 1e6:.1f} µs per file row, at most {1 / floor:,.0f} rows/s before reading, decoding, "
            "cleaning, validating and matching a single row",
            flush=True,
        )
        return
    from daifuku.customers.selectors import contact_queryset
    from daifuku.imports.models import ImportRecord

    ids = list(
        ImportRecord.objects.filter(job=job, object_type="contact", action=ImportRecord.CREATED).values_list(
            "object_id", flat=True
        )
    )
    parts = [
        search.folded_parts("contact", c)
        for c in contact_queryset(user=user)
        .filter(pk__in=ids)
        .select_related("company")
        .iterator(chunk_size=2000)
    ]
    if not parts:
        return
    started = time.perf_counter()
    texts = [" ".join(search.grams(p)) for p in parts]
    gram_seconds = time.perf_counter() - started
    scratch = sqlite3.connect(":memory:")
    scratch.execute(
        "CREATE VIRTUAL TABLE f USING fts5(grams, tokenize = "
        "\"unicode61 remove_diacritics 0 categories 'L* N* M* P* S* Co'\")"
    )
    started = time.perf_counter()
    scratch.executemany("INSERT INTO f(rowid, grams) VALUES (?, ?)", enumerate(texts, start=1))
    scratch.commit()
    fts_seconds = time.perf_counter() - started
    scratch.close()
    per_row = (gram_seconds + fts_seconds) / rows
    floor = (statement_seconds + gram_seconds) / rows
    print(
        f"  search index alone: {len(parts)} new contacts, grams {gram_seconds * 1e6 / len(parts):.1f} µs + "
        f"FTS5 insert {fts_seconds * 1e6 / len(parts):.1f} µs each = {per_row * 1e6:.1f} µs per file row "
        f"(at most {1 / per_row:,.0f} rows/s)",
        flush=True,
    )
    print(
        f"  floor: database statements + grams = {floor * 1e6:.1f} µs per file row, at most {1 / floor:,.0f} "
        "rows/s before reading, decoding, cleaning, validating and matching a single row",
        flush=True,
    )
