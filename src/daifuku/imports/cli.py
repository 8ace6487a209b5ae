"""``daifuku import TARGET FILE [--mapping M] [--dedup MODE]``: an import from the terminal.

Runs the same job as the web page (batches, audit, error file, resume) in this process, with a
progress bar on stderr. ``--resume JOB`` carries on an interrupted job.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="import companies or contacts from a CSV or xlsx file (with a progress bar)"
    )
    parser.add_argument("target", nargs="?", help="companies or contacts")
    parser.add_argument("file", nargs="?", help="CSV (UTF-8, UTF-8 with BOM, cp932) or xlsx")
    parser.add_argument("--user", default="", help="act as this user (default: the first administrator)")
    parser.add_argument("--mapping", default="", help="name of a saved column mapping")
    parser.add_argument("--dedup", default="skip", choices=["skip", "fill", "overwrite", "create"])
    parser.add_argument("--encoding", default="", choices=["", "utf-8", "utf-8-sig", "cp932"])
    parser.add_argument("--delimiter", default="", choices=["", ",", "tab"])
    parser.add_argument("--sheet", default="")
    parser.add_argument("--batch-size", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--resume", type=int, default=None, metavar="JOB", help="resume an interrupted job")
    parser.add_argument("--errors", default="", help="write skipped rows to this file")
    parser.set_defaults(func=cmd_import)
    from daifuku.imports import bench

    bench.register(subparsers)


class ProgressBar:
    """A one-line progress bar on stderr: percent, rows, rows per second."""

    def __init__(self, stream: Any = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, job: Any) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and job.status == "running" and job.processed_rows != job.total_rows:
            return
        self.last = now
        total = job.total_rows or 0
        done = job.processed_rows
        filled = self.width * done // total if total else 0
        rate = done / max(now - self.started, 1e-6)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {job.percent:3d}% {done}/{total} rows"
            f"  {rate:,.0f} rows/s"
        )
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _user(name: str) -> Any:
    from daifuku.cli import CliError
    from daifuku.core.models import User

    if name:
        user = User.objects.filter(username=name, is_active=True).first()
    else:
        user = User.objects.filter(is_active=True, role__slug="administrator").order_by("pk").first()
    if user is None:
        raise CliError(f"no active user {name!r}" if name else "no administrator: pass --user NAME")
    return user


def cmd_import(args: argparse.Namespace) -> int:
    from daifuku.cli import CliError, _migrate_if_needed, _setup, _validation_message

    _setup()
    _migrate_if_needed()
    from django.core.exceptions import PermissionDenied, ValidationError

    from daifuku.core import context
    from daifuku.imports import services
    from daifuku.imports.models import ImportJob, ImportMapping

    bar = ProgressBar()
    try:
        with context.acting(via="cli"):
            if args.resume is not None:
                job = ImportJob.objects.filter(pk=args.resume).first()
                if job is None:
                    raise CliError(f"no import job {args.resume}")
            else:
                if not args.target or not args.file:
                    raise CliError("TARGET and FILE are required (or --resume JOB)")
                path = Path(args.file)
                if not path.is_file():
                    raise CliError(f"no such file: {path}")
                user = _user(args.user)
                with path.open("rb") as handle:
                    job = services.job_create(
                        by=user,
                        target=args.target,
                        name=path.name,
                        chunks=iter(lambda: handle.read(1024 * 1024), b""),
                        encoding=args.encoding,
                        delimiter="\t" if args.delimiter == "tab" else args.delimiter,
                        sheet=args.sheet,
                    )
                columns = job.columns
                values: dict[str, Any] = {}
                if args.mapping:
                    mapping = ImportMapping.objects.filter(target=job.target, name=args.mapping).first()
                    if mapping is None:
                        raise CliError(f"no saved mapping {args.mapping!r} for {job.target}")
                    columns, values = services.mapping_apply(job=job, mapping=mapping), mapping.values
                services.job_configure(job=job, by=user, columns=columns, values=values, dedup=args.dedup)
                job.status = "queued"
                job.save(update_fields=["status"])
                mapped = ", ".join(f"{job.headers[int(i)]}→{f}" for i, f in sorted(columns.items()))
                print(f"Import job {job.pk}: {job.encoding or job.file_format}; columns {mapped}")
            job = services.job_run(job_id=job.pk, batch_size=args.batch_size, progress=bar)
    except (ValidationError, PermissionDenied) as exc:
        raise CliError(_validation_message(exc) if isinstance(exc, ValidationError) else str(exc)) from exc
    finally:
        bar.finish()
    print(
        f"Done: {job.created_count} created, {job.updated_count} updated, {job.skipped_count} skipped, "
        f"{job.error_count} errors in {time.monotonic() - bar.started:.1f} s."
    )
    if job.error_count and args.errors:
        from daifuku.imports import exports

        with open(args.errors, "wb") as out:
            for chunk in exports.error_file_chunks(job):
                out.write(chunk)
        print(f"Skipped rows written to {args.errors}")
    return 0
