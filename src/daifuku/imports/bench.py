"""``daifuku import-bench``: import N contacts from a cp932 CSV with dedup against N existing; export N.

Run it on an empty database (e.g. ``DAIFUKU_DATA_DIR=/tmp/ib daifuku import-bench --rows 100000``).
It prints rows per second and the process's peak memory after each phase.
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
        started, cpu = time.perf_counter(), _cpu_seconds()
        job = services.job_run(job_id=job.pk)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(
            f"{label}: {n} rows ({job.encoding}, dedup {dedup}) in {seconds:.1f} s "
            f"= {n / seconds:,.0f} rows/s ({cpu:.1f} CPU s = {n / cpu:,.0f} rows per CPU s); "
            f"created {job.created_count}, updated {job.updated_count}, skipped {job.skipped_count}, "
            f"errors {job.error_count}; peak RSS {_peak_mb():.0f} MB",
            flush=True,
        )
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
