"""Imports (取込), their saved column mappings, exports' log (エクスポート記録) and merges (名寄せ)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DedupMode(models.TextChoices):
    SKIP = "skip", _("重複はスキップ")
    FILL = "fill", _("重複は空欄だけ更新")
    OVERWRITE = "overwrite", _("重複は上書き")
    CREATE = "create", _("常に新規作成")


class JobStatus(models.TextChoices):
    DRAFT = "draft", _("設定中")
    QUEUED = "queued", _("待機中")
    RUNNING = "running", _("実行中")
    DONE = "done", _("完了")
    FAILED = "failed", _("中断")
    UNDONE = "undone", _("取り消し済み")


class ImportMapping(models.Model):
    """A reusable column mapping: file header → field, plus value mappings for choice fields."""

    name = models.CharField(_("名前"), max_length=100)
    target = models.CharField(_("取込先"), max_length=40)
    columns = models.JSONField(_("列の対応"), default=dict)  # header → field name ("" = ignore)
    values = models.JSONField(_("値の対応"), default=dict)  # field → {raw: value}
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target", "name"]
        verbose_name = _("取込の対応設定")
        verbose_name_plural = _("取込の対応設定")
        constraints = [models.UniqueConstraint(fields=["target", "name"], name="import_mapping_unique_name")]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One import of one file. ``processed_rows`` moves forward in the same transaction as each batch."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    target = models.CharField(_("取込先"), max_length=40)
    file_path = models.CharField(max_length=500)
    original_name = models.CharField(_("ファイル名"), max_length=255)
    file_format = models.CharField(max_length=10, default="csv")  # csv / xlsx
    encoding = models.CharField(_("文字コード"), max_length=20, blank=True)
    delimiter = models.CharField(_("区切り文字"), max_length=2, blank=True)
    sheet = models.CharField(_("シート"), max_length=100, blank=True)
    headers = models.JSONField(default=list)
    columns = models.JSONField(default=dict)  # header index (str) → field name
    values = models.JSONField(default=dict)
    dedup = models.CharField(
        _("重複の扱い"), max_length=10, choices=DedupMode.choices, default=DedupMode.SKIP
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=JobStatus.choices, default=JobStatus.DRAFT, db_index=True
    )
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("取込")
        verbose_name_plural = _("取込")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.target})"

    def get_absolute_url(self) -> str:
        return reverse("imports:job_detail", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.status in (JobStatus.DONE, JobStatus.UNDONE):
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class ImportRecord(models.Model):
    """A record an import created or updated, for undo (the update's old values are in its audit entry)."""

    CREATED = "created"
    UPDATED = "updated"

    # db_index=False: import_record_job_idx (job, action) serves every lookup by job
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="records", db_index=False)
    row_number = models.PositiveIntegerField()
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10)
    audit_entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["job", "action"], name="import_record_job_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number} {self.action} {self.object_type}#{self.object_id}"


class ImportRowError(models.Model):
    """A skipped row: its original cells and why, for the downloadable error file."""

    # db_index=False: import_error_job_idx (job, row_number) serves every lookup by job
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors", db_index=False)
    row_number = models.PositiveIntegerField()
    cells = models.JSONField(default=list)
    reason = models.TextField()

    class Meta:
        ordering = ["row_number"]
        indexes = [models.Index(fields=["job", "row_number"], name="import_error_job_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number} {self.reason[:40]}"


class ExportLog(models.Model):
    """Who exported which personal data, when, with what filter and how many rows (個人情報保護法)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_name = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    target = models.CharField(_("対象"), max_length=40)
    file_format = models.CharField(_("形式"), max_length=20)
    filters = models.JSONField(_("絞り込み条件"), default=dict)
    row_count = models.PositiveIntegerField(_("件数"), default=0)
    replaced_chars = models.PositiveIntegerField(_("置換した文字数"), default=0)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("エクスポート記録")
        verbose_name_plural = _("エクスポート記録")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_name} {self.target} {self.row_count}"


class MergeRecord(models.Model):
    """One 名寄せ merge: what moved from the merged record to the survivor, so it can be undone."""

    object_type = models.CharField(max_length=40)
    survivor_id = models.BigIntegerField()
    merged_id = models.BigIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    moved = models.JSONField(default=dict)  # "app.model.field" → [ids of rows moved]
    m2m_added = models.JSONField(default=dict)  # "app.model.field" → [through ids added]
    m2m_removed = models.JSONField(default=list)  # [through model label, {field: id, …}] rows dropped
    survivor_before = models.JSONField(default=dict)  # survivor field values changed by the merge
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "merged_id"], name="merge_merged_idx")]

    def __str__(self) -> str:
        return f"{self.object_type} {self.merged_id} → {self.survivor_id}"
