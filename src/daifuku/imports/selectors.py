"""Reads of imports, exports' log and merges, with the acting user's rights applied."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from daifuku.core.models import User
from daifuku.imports.models import ExportLog, ImportJob, ImportMapping, MergeRecord


def job_list(*, user: User) -> QuerySet[ImportJob]:
    """Imports the user started; administrators see everyone's."""
    qs = ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")
    return qs if user.is_administrator else qs.filter(created_by=user)


def job_get(*, user: User, pk: Any) -> ImportJob:
    job = job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def mapping_list(*, target: str) -> QuerySet[ImportMapping]:
    return ImportMapping.objects.filter(target=target).order_by("name")


def export_log_list(*, user: User) -> QuerySet[ExportLog]:
    if not user.is_administrator:
        return ExportLog.objects.none()
    return ExportLog.objects.select_related("user").order_by("-at", "-id")


def merge_list(*, user: User, object_type: str) -> QuerySet[MergeRecord]:
    qs = MergeRecord.objects.filter(object_type=object_type).select_related("by").order_by("-at", "-id")
    return qs if user.is_administrator else qs.filter(by=user)


def merge_get(*, user: User, pk: Any) -> MergeRecord:
    record = MergeRecord.objects.filter(pk=pk).first()
    if record is None or not (user.is_administrator or record.by_id == user.pk):
        raise Http404
    return record
