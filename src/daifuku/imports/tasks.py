"""Background jobs of imports (Huey). Tasks take ids and call services; running one twice is harmless."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from daifuku.imports import services


@db_task()
def run_import(job_id: int) -> int:
    """Run or resume an import job; returns the rows processed so far."""
    return services.job_run(job_id=job_id).processed_rows
