"""Imports: create a job from an uploaded file, map its columns, preview, run in batches, undo.

A job runs in batches of ``BATCH_SIZE`` rows. Each batch is one transaction that writes the records,
their audit entries, the skipped rows and the job's ``processed_rows``; a crash or kill loses at
most the open batch, which is rolled back, and the next run starts after the last committed row, so
resuming never creates duplicates and never loses a row.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daifuku.core import audit, context, events, search
from daifuku.core import services as core_services
from daifuku.core.models import AuditEntry, User
from daifuku.imports import fastinsert, sources, targets
from daifuku.imports.models import (
    DedupMode,
    ImportJob,
    ImportMapping,
    ImportRecord,
    ImportRowError,
    JobStatus,
)

BATCH_SIZE = 2000
PREVIEW_ROWS = 20
MAX_UPLOAD_BYTES = 2 * 1024**3
ProgressFn = Callable[[ImportJob], None]


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _options(job: ImportJob) -> sources.SourceOptions:
    return sources.SourceOptions(job.file_format, job.encoding, job.delimiter, job.sheet)


def _read_header(job: ImportJob) -> list[str]:
    try:
        rows = sources.read_rows(Path(job.file_path), _options(job))
        header = next(rows, [])
        if hasattr(rows, "close"):
            rows.close()
    except UnicodeDecodeError:
        raise ValidationError(
            {
                "encoding": _("文字コード %(enc)s として読めません。別の文字コードを選んでください。")
                % {"enc": job.encoding}
            }
        ) from None
    except ValueError:
        raise ValidationError({"sheet": _("指定されたシートがありません。")}) from None
    except Exception:
        raise ValidationError(
            {"file": _("ファイルを読み取れません。CSV か xlsx を選んでください。")}
        ) from None
    return [h.strip() for h in header]


@transaction.atomic
def job_create(
    *,
    by: User,
    target: str,
    name: str,
    chunks: Iterator[bytes],
    encoding: str = "",
    delimiter: str = "",
    sheet: str = "",
) -> ImportJob:
    """Store an uploaded file and start a job in the 設定中 state with guessed columns."""
    chosen = targets.get(target)
    chosen.check_permission(by)
    if encoding and encoding not in sources.ENCODINGS:
        raise ValidationError({"encoding": _("文字コードが不正です。")})
    if delimiter not in ("", ",", "\t"):
        raise ValidationError({"delimiter": _("区切り文字が不正です。")})
    file_format = sources.detect_format(name)
    path = upload_dir() / f"{uuid.uuid4().hex}.{file_format}"
    size = 0
    with path.open("wb") as handle:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise ValidationError({"file": _("ファイルが大きすぎます（2 GB まで）。")})
            handle.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise ValidationError({"file": _("ファイルが空です。")})
    options = sources.resolve_options(path, sources.SourceOptions(file_format, encoding, delimiter, sheet))
    job = ImportJob(
        created_by=by,
        target=chosen.key,
        file_path=str(path),
        original_name=name[:255],
        file_format=file_format,
        encoding=options.encoding,
        delimiter=options.delimiter,
        sheet=sheet,
    )
    try:
        job.headers = _read_header(job)
    except ValidationError:
        path.unlink(missing_ok=True)
        raise
    if not any(job.headers):
        path.unlink(missing_ok=True)
        raise ValidationError({"file": _("1行目に見出しがありません。")})
    job.columns = targets.guess_columns(chosen, job.headers)
    job.save()
    return job


def _check_owner(job: ImportJob, by: User) -> None:
    if job.created_by_id != by.pk and not by.is_administrator:
        raise PermissionDenied(_("この取込を操作する権限がありません。"))


@transaction.atomic
def job_configure(
    *,
    job: ImportJob,
    by: User,
    columns: dict[str, str],
    values: dict[str, dict[str, str]] | None = None,
    dedup: str = DedupMode.SKIP,
    save_mapping_as: str = "",
) -> ImportJob:
    """Set the column and value mappings and the dedup mode; optionally save them as a named mapping."""
    _check_owner(job, by)
    if job.status != JobStatus.DRAFT:
        raise ValidationError({"__all__": _("開始した取込の設定は変更できません。")})
    target = targets.get(job.target)
    known = target.field_map()
    clean_columns: dict[str, str] = {}
    used: set[str] = set()
    for index, name in columns.items():
        if not name:
            continue
        if name not in known or not index.isdigit() or int(index) >= len(job.headers):
            raise ValidationError({"columns": _("列の対応が不正です。")})
        if name in used:
            raise ValidationError(
                {"columns": _("「%(field)s」に複数の列が対応しています。") % {"field": known[name].label}}
            )
        used.add(name)
        clean_columns[index] = name
    if not clean_columns:
        raise ValidationError({"columns": _("取り込む列を1つ以上選んでください。")})
    if dedup not in DedupMode.values:
        raise ValidationError({"dedup": _("重複の扱いが不正です。")})
    job.columns = clean_columns
    job.values = {k: v for k, v in (values or {}).items() if k in known and v}
    job.dedup = dedup
    job.save(update_fields=["columns", "values", "dedup"])
    if save_mapping_as.strip():
        mapping_save(
            by=by,
            target=job.target,
            name=save_mapping_as,
            columns={job.headers[int(i)]: f for i, f in clean_columns.items()},
            values=job.values,
        )
    return job


@transaction.atomic
def mapping_save(
    *, by: User, target: str, name: str, columns: dict[str, str], values: dict[str, Any]
) -> ImportMapping:
    """Save (or replace) a named mapping: header text → field, so the next file with the same headers maps."""
    mapping, _created = ImportMapping.objects.update_or_create(
        target=target,
        name=name.strip()[:100],
        defaults={"columns": columns, "values": values, "created_by": by},
    )
    return mapping


def mapping_apply(*, job: ImportJob, mapping: ImportMapping) -> dict[str, str]:
    """Columns of ``job`` by a saved mapping's header names; unknown headers are left out."""
    return {str(i): mapping.columns[h] for i, h in enumerate(job.headers) if mapping.columns.get(h)}


def _row_inputs(
    job: ImportJob, target: targets.Target, rows: Iterator[list[str]], first_number: int
) -> Iterator[targets.RowInput | None]:
    """RowInputs for data rows; None for a blank row (counted as processed, neither saved nor an error)."""
    specs = target.field_map()
    columns = [(int(i), name) for i, name in job.columns.items()]
    value_maps = {name: job.values.get(name, {}) for _i, name in columns}
    for number, cells in enumerate(rows, start=first_number):
        if sources.is_blank(cells):
            yield None
            continue
        data: dict[str, str] = {}
        for index, name in columns:
            raw = cells[index].strip() if index < len(cells) else ""
            spec = specs[name]
            data[name] = targets.map_choice(spec, raw, value_maps[name]) if spec.choices else raw
        yield targets.RowInput(row_number=number, cells=cells, data=data)


@dataclass
class Preview:
    headers: list[str]
    fields: list[targets.FieldSpec]
    results: list[targets.RowResult]


def job_preview(*, job: ImportJob, by: User, limit: int = PREVIEW_ROWS) -> Preview:
    """The first rows as they would be saved, with per-field errors and the dedup decision; writes nothing."""
    _check_owner(job, by)
    target = targets.get(job.target)
    rows = sources.read_rows(Path(job.file_path), _options(job))
    next(rows, None)
    inputs = [r for r in itertools.islice(_row_inputs(job, target, rows, 2), limit) if r is not None]
    with transaction.atomic():
        outcome = target.process(inputs, by=by, dedup=job.dedup, write=False)
        transaction.set_rollback(True)
    specs = target.field_map()
    shown = [specs[name] for _i, name in sorted(job.columns.items(), key=lambda kv: int(kv[0]))]
    return Preview(job.headers, shown, outcome.results)


@transaction.atomic
def job_start(*, job: ImportJob, by: User) -> ImportJob:
    """Queue the job; the worker picks it up once this transaction commits."""
    from daifuku.imports import tasks

    _check_owner(job, by)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (JobStatus.DRAFT, JobStatus.FAILED):
        raise ValidationError({"__all__": _("この取込は開始できません。")})
    if not job.columns:
        raise ValidationError({"columns": _("取り込む列を1つ以上選んでください。")})
    job.status = JobStatus.QUEUED
    job.message = ""
    job.save(update_fields=["status", "message"])
    transaction.on_commit(lambda: tasks.run_import(job.pk))
    return job


class JobBusy(Exception):
    """Another worker has committed rows of this job since we looked: stop, it carries on."""


def job_run(*, job_id: int, batch_size: int = BATCH_SIZE, progress: ProgressFn | None = None) -> ImportJob:
    """Run (or resume) a job from its last committed row to the end of the file. Safe to call again."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED):
        return job
    target = targets.get(job.target)
    options = _options(job)
    path = Path(job.file_path)
    if job.total_rows is None:
        job.total_rows = sources.count_rows(path, options)
    job.status = JobStatus.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.save(update_fields=["total_rows", "status", "started_at"])
    if progress:
        progress(job)
    rows = sources.read_rows(path, options)
    try:
        next(rows, None)
        done = job.processed_rows
        remaining = itertools.islice(rows, done, None)  # rows committed by an earlier run are skipped
        inputs = _row_inputs(job, target, remaining, done + 2)
        with context.acting(via="import"):
            while True:
                chunk = list(itertools.islice(inputs, batch_size))
                if not chunk:
                    break
                job = _commit_batch(job, target, chunk, offset=done)
                done = job.processed_rows
                if progress:
                    progress(job)
    except JobBusy:
        return ImportJob.objects.get(pk=job_id)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, message=str(exc)[:2000])
        raise
    finally:
        with contextlib.suppress(Exception):
            rows.close()  # type: ignore[attr-defined]
    job.status = JobStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    _refresh_statistics()
    events.emit("import.finished", job=job)
    if progress:
        progress(job)
    return job


def _refresh_statistics() -> None:
    """SQLite: the planner's statistics refreshed after an import (``PRAGMA optimize``, as SQLite advises
    after large changes: it analyzes the tables whose statistics are missing or stale). Without them
    SQLite walked the company index for the next import's name+company duplicates and read every
    contact of a batch's companies (import-bench: statements 60 → 132 µs a row). PostgreSQL's
    autovacuum analyzes by itself; the nightly job covers both."""
    if connection.vendor == "sqlite":
        core_services.database_statistics_refresh()


@transaction.atomic
def _commit_batch(
    job: ImportJob, target: targets.Target, chunk: list[targets.RowInput | None], *, offset: int
) -> ImportJob:
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.processed_rows != offset:
        raise JobBusy
    rows = [r for r in chunk if r is not None]
    outcome = target.process(rows, by=job.created_by, dedup=job.dedup, write=True)
    fastinsert.insert_values(
        ImportRecord,
        [
            {
                "job": job.pk,
                "row_number": w.row_number,
                "object_type": w.object_type,
                "object_id": w.object_id,
                "action": w.action,
                "audit_entry_id": w.audit_entry_id,
            }
            for w in outcome.written
        ],
    )
    errors = [r for r in outcome.results if r.decision == "error"]
    fastinsert.insert(
        [ImportRowError(job=job, row_number=r.row_number, cells=r.cells, reason=r.reason) for r in errors]
    )
    counts = {"create": 0, "update": 0, "skip": 0}
    for r in outcome.results:
        if r.decision in counts:
            counts[r.decision] += 1
    locked.processed_rows = offset + len(chunk)
    locked.created_count += counts["create"]
    locked.updated_count += counts["update"]
    locked.skipped_count += counts["skip"]
    locked.error_count += len(errors)
    locked.save(
        update_fields=["processed_rows", "created_count", "updated_count", "skipped_count", "error_count"]
    )
    locked.created_by = job.created_by
    _emit_imported(locked, outcome.written)
    return locked


def _emit_imported(job: ImportJob, written: list[targets.WrittenRecord]) -> None:
    """One ``<object_type>.imported`` event per object type and committed batch, inside its transaction.

    Bulk writes emit no per-record ``*.created`` / ``*.updated`` events. Payload: ``ids`` (records the
    batch created), ``updated`` (id → audit changes ``{field: [old, new]}`` of records it changed),
    ``by`` (the importing user) and ``job`` (the ``ImportJob``). Subscribers that want imported rows
    (e.g. the activities timeline) subscribe to this event; it is emitted in the batch's transaction,
    so a failed batch leaves no trace of them either.
    """
    by_type: dict[str, tuple[list[int], dict[int, dict[str, Any]]]] = {}
    for w in written:
        created, updated = by_type.setdefault(w.object_type, ([], {}))
        if w.action == ImportRecord.CREATED:
            created.append(w.object_id)
        else:
            updated[w.object_id] = w.changes or {}
    for object_type, (created, updated) in by_type.items():
        events.emit(f"{object_type}.imported", ids=created, updated=updated, by=job.created_by, job=job)


# Undo


@transaction.atomic
def job_undo(*, job: ImportJob, by: User) -> ImportJob:
    """Undo a whole import: records it created go to the trash, records it updated get their old values.

    A field changed again by someone after the import keeps the newer value (undo restores only fields
    that still hold what the import wrote); those fields are listed in the job's message.
    """
    _check_owner(job, by)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (JobStatus.DONE, JobStatus.FAILED):
        raise ValidationError({"__all__": _("この取込は取り消せません。")})
    now = timezone.now()
    kept: list[str] = []
    with context.acting(via="import"):
        for object_type in {r for r in job.records.values_list("object_type", flat=True).distinct()}:
            model = targets.model_for(object_type)
            created = job.records.filter(object_type=object_type, action=ImportRecord.CREATED)
            for chunk in _chunks(created.values_list("object_id", flat=True).order_by("object_id")):
                _trash_many(model, object_type, chunk, by=by, now=now)
            updated = job.records.filter(object_type=object_type, action=ImportRecord.UPDATED).order_by("-id")
            for record in updated:
                kept += _restore_one(model, object_type, record, by=by)
    job.status = JobStatus.UNDONE
    job.message = (_("後から変更されていたため元に戻さなかった項目: ") + ", ".join(kept)) if kept else ""
    job.save(update_fields=["status", "message"])
    return job


def _chunks(values: Any, size: int = 1000) -> Iterator[list[Any]]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _trash_many(model: Any, object_type: str, ids: list[int], *, by: User, now: Any) -> None:
    objs = list(model._default_manager.filter(pk__in=ids, deleted_at__isnull=True))
    if not objs:
        return
    model._default_manager.filter(pk__in=[o.pk for o in objs]).update(
        deleted_at=now, deleted_by=by, version=models.F("version") + 1, updated_at=now
    )
    ctx = context.current()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=by,
                actor_name=by.get_username()[:150],
                ip_address=ctx.ip_address,
                via=ctx.via,
                object_type=audit.object_type_of(o),
                object_id=o.pk,
                object_repr=str(o)[:300],
                action="delete",
                changes={"deleted_at": [None, now.isoformat()]},
                version=o.version + 1,
                note=_("取込の取り消し"),
            )
            for o in objs
        ]
    )
    for o in objs:
        search.remove(object_type, o.pk)
        events.emit(f"{object_type}.deleted", **{object_type: o, "by": by})


def _restore_one(model: Any, object_type: str, record: ImportRecord, *, by: User) -> list[str]:
    if record.audit_entry_id is None:
        return []
    entry = AuditEntry.objects.filter(pk=record.audit_entry_id).first()
    obj = model._default_manager.select_for_update().filter(pk=record.object_id).first()
    if entry is None or obj is None:
        return []
    current = audit.snapshot(obj, list(entry.changes))
    restore: dict[str, Any] = {}
    kept: list[str] = []
    for name, (old, new) in entry.changes.items():
        if current.get(name) == new:
            restore[name] = old
        else:
            kept.append(f"{obj}: {model._meta.get_field(name).verbose_name}")
    if not restore:
        return kept
    before = audit.snapshot(obj, list(restore))
    for name, old in restore.items():
        field = model._meta.get_field(name)
        setattr(obj, field.attname, None if old is None else field.to_python(old))
    keys_fn = {"company": "_company_keys", "contact": "_contact_keys"}.get(object_type)
    if keys_fn:
        from daifuku.customers import services as customer_services

        getattr(customer_services, keys_fn)(obj)
    obj.version += 1  # type: ignore[attr-defined]
    obj.save()
    audit.record(
        obj,
        by=by,
        action="update",
        changes=audit.diff(before, audit.snapshot(obj, list(restore))),
        note=_("取込の取り消し"),
    )
    search.reindex(object_type, obj)
    return kept


# Error file


def error_file_name(job: ImportJob) -> str:
    stem = Path(job.original_name).stem or "import"
    return f"{stem}_errors.{'xlsx' if job.file_format == 'xlsx' else 'csv'}"


def error_rows(job: ImportJob) -> Iterator[list[str]]:
    """The error file's rows: the original header and cells, and a last column with the reason."""
    yield [*job.headers, _("エラー理由")]
    width = len(job.headers)
    for error in job.row_errors.order_by("row_number").iterator(chunk_size=2000):
        cells = list(error.cells) + [""] * max(0, width - len(error.cells))
        yield [*cells, _("%(row)s行目: %(reason)s") % {"row": error.row_number, "reason": error.reason}]
