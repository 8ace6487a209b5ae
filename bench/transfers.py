"""Import and export workloads of ``daifuku bench run``, on the generated data of the scale.

*Exports* are requested as a user requests them — the list's export address through the whole
Django stack in-process, the streamed body read to its end — for the rep's contact list (CSV in UTF-8
with BOM, cp932 and xlsx) and the administrator's whole company list (CSV). Visibility applies as it
does on the page, and each export writes its log row (個人情報の持出し記録) as it does for users.

*The import* is the administrator's: a cp932 CSV of contacts (header guessed, as the import screen
and ``daifuku import`` guess it) in which half the rows are people already in the database — same
name, company and mail address, so 名寄せ finds them and "fill" mode adds the memo column to their
empty fields — and half are new people at existing companies. It runs through the importer's own
services (``job_create`` → ``job_configure`` → ``job_run``, as ``daifuku import`` does): batches,
dedup against every existing contact, audit entries, import records, timeline and search rows.

Everything runs inside one transaction that is rolled back at the end (batches and export logs become
savepoints of it), so the benchmark database stays as generated and the next run measures the same
data (on PostgreSQL a VACUUM then clears the rolled-back rows' dead tuples). Memory is the runner's
peak RSS during each transfer above its RSS before it (the kernel's high-water mark is reset first,
``/proc/self/clear_refs``).
"""

from __future__ import annotations

import contextlib
import csv
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Rows of the import file per scale: half existing people, half new.
IMPORT_ROWS = {"small": 1_000, "100k": 10_000, "1m": 20_000}
IMPORT_HEADER = ["姓", "名", "セイ", "メイ", "会社名", "部署", "携帯電話", "メール", "メモ"]
IMPORT_MEMO = "名刺交換会①（～2026年）より"
# (role, export address, what it is)
EXPORTS = [
    ("rep", "/imports/export/contacts/?format=csv", "contact list, CSV (UTF-8 with BOM)"),
    ("rep", "/imports/export/contacts/?format=cp932", "contact list, CSV (cp932)"),
    ("rep", "/imports/export/contacts/?format=xlsx", "contact list, xlsx"),
    ("administrator", "/imports/export/companies/?format=csv", "company list (all), CSV (UTF-8 with BOM)"),
]


@dataclass
class Transfer:
    kind: str  # "export" or "import"
    name: str
    role: str
    rows: int
    megabytes: float
    seconds: float
    cpu_seconds: float
    rows_per_second: float
    peak_rss_growth_mb: float
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rss_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def _measured() -> Iterator[Callable[[], tuple[float, float, float]]]:
    """Time, CPU time and peak RSS growth (MB) of the block, read by the callable it yields."""
    _reset_peak()
    before = _rss_kb("VmRSS")
    started, cpu = time.perf_counter(), _cpu()
    figures: list[float] = []
    yield lambda: (figures[0], figures[1], figures[2])
    figures += [
        time.perf_counter() - started,
        _cpu() - cpu,
        max(0, _rss_kb("VmHWM") - before) / 1024,
    ]


def run_transfers(users: dict[str, Any], scale: str, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Every export of :data:`EXPORTS` and the import, in one transaction rolled back at the end."""
    from django.db import transaction

    found: list[Transfer] = []
    with transaction.atomic():
        for role, path, name in EXPORTS:
            found.append(_export(users[role], role, path, name))
            log(_line(found[-1]))
        found.append(_import(users["administrator"], IMPORT_ROWS.get(scale, 1_000)))
        log(_line(found[-1]))
        transaction.set_rollback(True)
    _vacuum_after_rollback()
    return [t.as_dict() for t in found]


def _vacuum_after_rollback() -> None:
    """PostgreSQL keeps the rolled-back rows and their index entries as dead tuples until a VACUUM:
    the next run's pages would step over the import's 10,000–20,000 dead contacts. SQLite's rollback
    leaves the file as it was. (Not inside a test's transaction, where VACUUM cannot run.)"""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def _transfer(
    kind: str, name: str, role: str, rows: int, size: int, figures: tuple[float, float, float], detail: str
) -> Transfer:
    """A measured transfer: ``figures`` are (seconds, CPU seconds, peak RSS growth in MB)."""
    seconds, cpu, growth = figures
    return Transfer(
        kind=kind,
        name=name,
        role=role,
        rows=rows,
        megabytes=round(size / 1e6, 2),
        seconds=round(seconds, 3),
        cpu_seconds=round(cpu, 3),
        rows_per_second=round(rows / seconds, 1) if seconds else 0.0,
        peak_rss_growth_mb=round(growth, 1),
        detail=detail,
    )


def _line(t: Transfer) -> str:
    return (
        f"  {t.kind} {t.name} ({t.role}): {t.rows:,} rows, {t.megabytes:.1f} MB in {t.seconds:.2f} s = "
        f"{t.rows_per_second:,.0f} rows/s; peak RSS +{t.peak_rss_growth_mb:.1f} MB {t.detail}"
    )


def _export(user: Any, role: str, path: str, name: str) -> Transfer:
    from django.test import Client

    from daifuku.imports.models import ExportLog

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    size = 0
    with _measured() as figures:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: status {response.status_code}")
        # read to the end: the test client then closes the response as a WSGI server would (without
        # closing the database connection, which would end the transaction)
        for chunk in response.streaming_content:
            size += len(chunk)
    seconds, cpu, growth = figures()
    entry = ExportLog.objects.filter(user=user).order_by("-pk").first()
    rows = entry.row_count if entry is not None else 0
    detail = (
        f"(〓 for {entry.replaced_chars} characters cp932 cannot hold)"
        if entry and entry.replaced_chars
        else ""
    )
    return _transfer("export", name, role, rows, size, (seconds, cpu, growth), detail)


def import_file(path: Path, rows: int) -> tuple[int, int]:
    """Write the cp932 import file: ``rows // 2`` existing contacts (every n-th by id, with a company)
    and new people at those contacts' companies. Returns (existing, new) rows written; a person whose
    name cp932 cannot hold is left out (so the existing half can be a little short)."""
    from daifuku.customers.models import Contact

    half = rows // 2
    live = Contact.objects.filter(deleted_at__isnull=True, company__isnull=False)
    ids = list(live.order_by("pk").values_list("pk", flat=True))
    chosen = ids[:: max(1, len(ids) // max(1, half))][:half]
    found = live.select_related("company").in_bulk(chosen)
    people = [found[pk] for pk in chosen]
    existing = new = 0
    with path.open("w", encoding="cp932", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(IMPORT_HEADER)
        companies: list[str] = []
        for person in people:
            row = [
                person.family_name, person.given_name, person.family_name_kana, person.given_name_kana,
                person.company.display_name, person.department, person.mobile_phone_display, person.email,
                IMPORT_MEMO,
            ]  # fmt: skip
            try:
                writer.writerow(row)
            except UnicodeEncodeError:  # csv writes a whole row or, on this error, none of it
                continue
            existing += 1
            companies.append(person.company.display_name)
        for i in range(rows - existing):
            company = companies[i % len(companies)] if companies else "株式会社ベンチ取込"
            writer.writerow(
                [
                    "髙橋",
                    f"取込{i:05d}",
                    "タカハシ",
                    "トリコミ",
                    company,
                    "営業部",
                    f"090-9{i // 10000 % 1000:03d}-{i % 10000:04d}",
                    f"bench-import-{i}@example.jp",
                    IMPORT_MEMO,
                ]
            )
            new += 1
    return existing, new


def _import(user: Any, rows: int) -> Transfer:
    from daifuku.core import context
    from daifuku.imports import services

    directory = Path(tempfile.mkdtemp(prefix="daifuku-bench-import-"))
    path = directory / "contacts-cp932.csv"
    existing, new = import_file(path, rows)
    size = path.stat().st_size
    job = None
    try:
        with _measured() as figures, context.acting(via="cli"):
            with path.open("rb") as handle:
                job = services.job_create(
                    by=user, target="contacts", name=path.name, chunks=iter(lambda: handle.read(1 << 20), b"")
                )
            services.job_configure(job=job, by=user, columns=job.columns, dedup="fill")
            job.status = "queued"
            job.save(update_fields=["status"])
            job = services.job_run(job_id=job.pk)
        seconds, cpu, growth = figures()
    finally:
        path.unlink(missing_ok=True)
        if job is not None:
            Path(job.file_path).unlink(missing_ok=True)
        directory.rmdir()
    processed = existing + new
    return _transfer(
        "import",
        f"contacts, cp932 CSV, dedup “fill” ({existing:,} existing + {new:,} new people)",
        "administrator",
        processed,
        size,
        (seconds, cpu, growth),
        (
            f"(created {job.created_count:,}, updated {job.updated_count:,}, "
            f"skipped {job.skipped_count:,}, errors {job.error_count:,}; {job.encoding})"
        ),
    )
