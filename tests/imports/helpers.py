"""Build import files in memory and run jobs the way the web flow does."""

from __future__ import annotations

import csv
import io

from django.test import TestCase

from daifuku.imports import services


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], sheet: str = "Sheet1") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def new_job(user, target: str, content: bytes, name: str = "data.csv", **kwargs):
    return services.job_create(by=user, target=target, name=name, chunks=iter([content]), **kwargs)


def run(user, target: str, content: bytes, *, dedup: str = "skip", name: str = "data.csv", **kwargs):
    job = new_job(user, target, content, name=name, **kwargs)
    services.job_configure(job=job, by=user, columns=job.columns, dedup=dedup)
    start(job, user)
    job.refresh_from_db()
    return job


def start(job, user):
    """Start a job and run the on-commit enqueue (Huey is immediate in tests)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.job_start(job=job, by=user)
