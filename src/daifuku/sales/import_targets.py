"""The deals import target (商談一覧の取込): registered from ``SalesConfig.ready()``.

A row names its company (会社名 and/or 法人番号), matched among the companies the importer can see by
法人番号, then by the normalized name key. An unknown company is a row error: a deals file never
creates companies (import the companies first). 担当者 is a user's ユーザー名 or 姓名; パイプライン and
ステージ are found by name (the default pipeline when none is given).

Rows are written one by one through ``deal_create`` / ``deal_update`` — not in bulk — so every rule of
a deal holds for imported ones too: the stage belongs to the pipeline, a lost stage needs a reason,
the probability defaults to the stage's, ``closed_on`` is set for won/lost, the team follows the owner,
the importer may assign the owner (``visibility.check_can_assign``), and each deal gets its audit entry,
search document and ``DealStageChange`` row and its ``deal.*`` events (the timeline's rows). The names
in the batch (companies, users, pipelines, existing deals) are looked up once per batch.

Dedup: an existing deal the importer can see, of the same company, whose name is the same after
``jp.fold`` (full/half width, case, spaces), is the match.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daifuku.catalog.models import BillingType
from daifuku.core import audit, jp, visibility
from daifuku.core.models import AuditEntry, User
from daifuku.imports.models import DedupMode
from daifuku.imports.targets import (
    COMPANY_REFERENCE_ALIASES,
    BatchOutcome,
    FieldSpec,
    RowInput,
    RowResult,
    Target,
    WrittenRecord,
    match_companies,
    match_users,
    register,
)
from daifuku.sales.models import Deal, LostReason, Pipeline, Stage
from daifuku.sales.selectors.deals import deal_queryset
from daifuku.sales.services import deals as deal_services

# Columns passed to the deal services as they are (the services clean them and name the bad field).
PLAIN = (
    "probability", "amount", "currency", "cost", "expected_close_date", "next_action", "next_action_date",
    "billing_type", "lost_reason", "notes",
)  # fmt: skip
# Columns ``fill`` mode sets on a matched deal only when the deal's value is empty (0 for amounts).
FILLABLE = (
    "amount",
    "cost",
    "expected_close_date",
    "next_action",
    "next_action_date",
    "lost_reason",
    "notes",
)


def _choices(choices: Any) -> tuple[tuple[str, Any], ...]:
    return tuple((str(v), label) for v, label in choices if v != "")


def _deal_fields() -> tuple[FieldSpec, ...]:
    g = gettext_lazy
    return (
        FieldSpec(
            "name",
            g("商談名"),
            ("案件名", "商談", "案件", "opportunity", "opportunityname", "dealname", "deal"),
            required=True,
        ),
        FieldSpec(
            "company_name",
            g("会社名"),
            COMPANY_REFERENCE_ALIASES,
        ),
        FieldSpec("company_corporate_number", g("法人番号"), ("会社の法人番号", "corporatenumber")),
        FieldSpec(
            "owner", g("担当者"), ("営業担当", "担当営業", "所有者", "商談所有者", "owner", "ownername")
        ),
        FieldSpec("pipeline", g("パイプライン"), ("pipeline",)),
        FieldSpec("stage", g("ステージ"), ("フェーズ", "段階", "stage", "stagename", "phase")),
        FieldSpec("probability", g("確度"), ("確度（％）", "確度(%)", "受注確度", "確率", "probability")),
        FieldSpec("amount", g("金額"), ("商談金額", "受注金額", "見込金額", "amount")),
        FieldSpec("currency", g("通貨"), ("通貨コード", "currency", "currencycode")),
        FieldSpec("cost", g("仕入原価"), ("原価", "cost")),
        FieldSpec(
            "expected_close_date",
            g("受注予定日"),
            ("完了予定日", "クローズ予定日", "closedate", "expectedclosedate"),
        ),
        FieldSpec(
            "next_action",
            g("次のアクション"),
            ("次回アクション", "ネクストアクション", "nextstep", "nextaction"),
        ),
        FieldSpec("next_action_date", g("次のアクション日"), ("次回アクション日", "nextactiondate")),
        FieldSpec("billing_type", g("請求区分"), ("billing", "billingtype"), _choices(BillingType.choices)),
        FieldSpec("lost_reason", g("失注理由"), ("lostreason",), _choices(LostReason.choices)),
        FieldSpec("notes", g("メモ"), ("備考", "説明", "description", "notes", "memo")),
    )


def _dedup_key(company_id: int, name: str) -> tuple[int, str]:
    return (company_id, jp.fold(name))


def _money_text(text: str) -> str:
    """A valid amount with its two stored decimals ("1,200,000" → "1200000.00"); anything else as given.

    The deal services audit the parsed value; with the stored scale the import's audit entry holds what
    the database holds, which the import's undo compares with. Invalid text is left for the service's
    message naming the column.
    """
    try:
        number = Decimal(jp.nfkc(text).replace(",", "").replace("¥", "").replace("円", "").strip())
    except InvalidOperation:
        return text
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        return text
    return f"{number:.2f}"


def _is_empty(value: Any) -> bool:
    return value in (None, "") or (isinstance(value, Decimal) and value == 0)


class DealTarget(Target):
    key = "deals"
    label = gettext_lazy("商談")
    object_type = deal_services.DEAL

    def __init__(self) -> None:
        self.fields = _deal_fields()
        self.labels = {spec.name: str(spec.label) for spec in self.fields}
        self.labels["company"] = self.labels["company_name"]
        self._pipelines: dict[str, Pipeline] | None = None
        self._stages: dict[tuple[int, str], Stage] = {}
        self._default: Pipeline | None = None
        # (company id, folded name) → (first row number in the file, deal id); deals this job created.
        self._in_file: dict[tuple[int, str], tuple[int, int]] = {}
        self._created: set[int] = set()

    # Names → records, once per job (pipelines, stages) or per batch (companies, users, deals)

    def _load_pipelines(self) -> dict[str, Pipeline]:
        if self._pipelines is None:
            self._pipelines = {}
            for pipeline in Pipeline.objects.filter(is_active=True).order_by("sort_order", "pk"):
                self._pipelines.setdefault(jp.fold(pipeline.name), pipeline)
                if pipeline.is_default:
                    self._default = pipeline
            for stage in Stage.objects.filter(pipeline__is_active=True).order_by("sort_order", "pk"):
                self._stages.setdefault((stage.pipeline_id, jp.fold(stage.name)), stage)
            if self._default is None and self._pipelines:
                self._default = next(iter(self._pipelines.values()))
        return self._pipelines

    def _service_data(
        self, row: RowInput, companies: dict[tuple[str, str], Any], users: dict[str, User]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The row as a ``deal_create`` / ``deal_update`` input (names resolved to ids) and the errors
        of the columns only the importer understands (company, owner, pipeline and stage by name)."""
        raw = row.data
        labels = self.labels
        errors: dict[str, str] = {}
        data: dict[str, Any] = {name: raw[name].strip() for name in PLAIN if raw.get(name, "").strip()}
        data["name"] = jp.nfkc(raw.get("name", "")).strip()
        for money in ("amount", "cost"):
            if money in data:
                data[money] = _money_text(data[money])
        name, number = (
            raw.get("company_name", "").strip(),
            jp.clean_digits(raw.get("company_corporate_number", "")),
        )
        company = companies.get((name, number))
        if company is not None:
            data["company"] = company
        elif not name and not number:
            errors[labels["company_name"]] = _("会社名を入力してください。")
        else:
            shown = name or number
            errors[labels["company_name"]] = _(
                "会社「%(name)s」が見つかりません（商談の取込では会社を登録しません。先に取引先を取り込んでください）。"
            ) % {"name": shown}
        owner_name = raw.get("owner", "").strip()
        if owner_name:
            owner = users.get(owner_name)
            if owner is None:
                errors[labels["owner"]] = _("ユーザー「%(name)s」が見つかりません。") % {"name": owner_name}
            else:
                data["owner"] = owner.pk
        pipelines = self._load_pipelines()
        pipeline = self._default
        pipeline_name = raw.get("pipeline", "").strip()
        if pipeline_name:
            pipeline = pipelines.get(jp.fold(pipeline_name))
            if pipeline is None:
                errors[labels["pipeline"]] = _("パイプライン「%(name)s」が見つかりません。") % {
                    "name": pipeline_name
                }
            else:
                data["pipeline"] = pipeline.pk
        stage_name = raw.get("stage", "").strip()
        if stage_name and not pipeline_name:
            data["_stage"] = stage_name  # in the matched deal's pipeline, else the default one
        elif stage_name and pipeline is not None:
            error = self._resolve_stage(data, pipeline, stage_name)
            if error:
                errors[labels["stage"]] = error
        return data, errors

    def _resolve_stage(self, data: dict[str, Any], pipeline: Pipeline | None, name: str) -> str:
        """Put the stage named ``name`` of ``pipeline`` into ``data``; the error message if it has none."""
        stage = self._stages.get((pipeline.pk, jp.fold(name))) if pipeline is not None else None
        if stage is None:
            return _("ステージ「%(stage)s」はパイプライン「%(pipeline)s」にありません。") % {
                "stage": name,
                "pipeline": pipeline.name if pipeline is not None else "—",
            }
        data["stage"] = stage.pk
        return ""

    def _errors(self, exc: Exception) -> dict[str, str]:
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            return {
                self.labels.get(k, "" if k == "__all__" else k): " ".join(v)
                for k, v in exc.message_dict.items()
            }
        if isinstance(exc, PermissionDenied):
            # ``check_can_assign``'s message is for developers; the file's reader gets the reason.
            return {self.labels["owner"]: _("この担当者の商談は登録できません。")}
        return {"": " ".join(getattr(exc, "messages", [str(exc)]))}

    @staticmethod
    def _shown(deal: Deal) -> dict[str, Any]:
        """What the preview shows of a saved deal (the row's values as they were stored)."""
        return {
            "name": deal.name,
            "company_name": deal.company.display_name,
            "company_corporate_number": deal.company.corporate_number,
            "owner": deal.owner.display_name,
            "pipeline": deal.pipeline.name,
            "stage": deal.stage.name,
            "probability": deal.probability,
            "amount": deal.amount,
            "currency": deal.currency_id,
            "cost": deal.cost,
            "expected_close_date": deal.expected_close_date,
            "next_action": deal.next_action,
            "next_action_date": deal.next_action_date,
            "billing_type": deal.get_billing_type_display(),
            "lost_reason": deal.get_lost_reason_display(),
            "notes": deal.notes,
        }

    def _update_data(self, deal: Deal, data: dict[str, Any], *, overwrite: bool) -> dict[str, Any]:
        """The part of a row that changes the matched deal: every given column (``overwrite``) or the
        columns empty on the deal (``fill``). Company and name are the match itself."""
        if overwrite:
            return {k: v for k, v in data.items() if k not in ("company", "name")}
        return {k: v for k, v in data.items() if k in FILLABLE and _is_empty(getattr(deal, k))}

    # The batch

    def process(self, rows: list[RowInput], *, by: User, dedup: str, write: bool) -> BatchOutcome:
        companies = match_companies(
            by,
            (
                (
                    r.data.get("company_name", "").strip(),
                    jp.clean_digits(r.data.get("company_corporate_number", "")),
                )
                for r in rows
            ),
        )
        users = match_users(r.data.get("owner", "") for r in rows)
        existing: dict[tuple[int, str], int] = {}
        if dedup != DedupMode.CREATE:
            company_ids = {c.pk for c in companies.values()}
            found = (
                deal_queryset(user=by)
                .filter(company_id__in=company_ids)
                .order_by("pk")
                .values_list("company_id", "name", "pk")
            )
            for company_id, name, pk in found:
                existing.setdefault(_dedup_key(company_id, name), pk)
        results: list[RowResult] = []
        written: list[WrittenRecord] = []
        for row in rows:
            result = RowResult(row_number=row.row_number, cells=row.cells)
            results.append(result)
            data, errors = self._service_data(row, companies, users)
            if not data["name"]:
                errors[self.labels["name"]] = _("商談名を入力してください。")
            if errors:
                result.errors, result.decision = errors, "error"
                continue
            key = _dedup_key(data["company"].pk, data["name"])
            first_row, match = self._in_file.get(key, (0, existing.get(key)))
            if dedup == DedupMode.CREATE or match is None:
                self._create(result, data, by=by, key=key, written=written)
            else:
                self._match(result, data, by=by, dedup=dedup, first_row=first_row, pk=match, written=written)
        self._audit_ids(written)
        return BatchOutcome(results, written if write else [])

    def _create(
        self,
        result: RowResult,
        data: dict[str, Any],
        *,
        by: User,
        key: tuple[int, str],
        written: list[WrittenRecord],
    ) -> None:
        stage_name = data.pop("_stage", "")
        error = self._resolve_stage(data, self._default, stage_name) if stage_name else ""
        if error:
            result.errors, result.decision = {self.labels["stage"]: error}, "error"
            return
        try:
            deal = deal_services.deal_create(by=by, data=data)
        except (ValidationError, PermissionDenied) as exc:
            result.errors, result.decision = self._errors(exc), "error"
            return
        self._created.add(deal.pk)
        self._in_file.setdefault(key, (result.row_number, deal.pk))
        result.decision, result.data = "create", self._shown(deal)
        written.append(WrittenRecord(result.row_number, self.object_type, deal.pk, "created", None))

    def _match(
        self,
        result: RowResult,
        data: dict[str, Any],
        *,
        by: User,
        dedup: str,
        first_row: int,
        pk: int,
        written: list[WrittenRecord],
    ) -> None:
        in_file = pk in self._created
        result.match_id = None if in_file else pk
        deal = Deal.objects.select_related("company", "owner", "pipeline", "stage").get(pk=pk)
        may_edit = visibility.can_edit(by, deal, self.object_type)
        if dedup == DedupMode.SKIP:
            result.decision = "skip"
            result.note = (
                _("ファイル内の %(row)s 行目と重複") % {"row": first_row}
                if in_file and first_row
                else _("既存のデータと重複")
            )
            return
        if not may_edit:
            result.errors, result.decision = (
                {"": _("重複する既存データを変更する権限がありません。")},
                "error",
            )
            return
        stage_name = data.pop("_stage", "")
        if stage_name and dedup == DedupMode.OVERWRITE:
            error = self._resolve_stage(data, deal.pipeline, stage_name)
            if error:
                result.errors, result.decision = {self.labels["stage"]: error}, "error"
                return
        change = self._update_data(deal, data, overwrite=dedup == DedupMode.OVERWRITE)
        version = deal.version
        if change:
            try:
                deal = deal_services.deal_update(deal=deal, by=by, data=change)
            except (ValidationError, PermissionDenied) as exc:
                result.errors, result.decision = self._errors(exc), "error"
                return
        result.data = self._shown(deal)
        if in_file:
            result.decision = "update" if deal.version != version else "skip"
            if first_row:
                result.note = _("ファイル内の %(row)s 行目に統合") % {"row": first_row}
            return
        if deal.version == version:
            result.decision, result.note = "skip", _("変更なし")
            return
        result.decision = "update"
        written.append(WrittenRecord(result.row_number, self.object_type, deal.pk, "updated", None))

    def _audit_ids(self, written: list[WrittenRecord]) -> None:
        """Attach each written deal's audit entry (the import's undo reads it): one query per batch."""
        if not written:
            return
        entries: dict[tuple[int, str], list[tuple[int, dict[str, Any]]]] = {}
        found = (
            AuditEntry.objects.filter(
                object_type=audit.object_type_of(Deal()),
                object_id__in={w.object_id for w in written},
                action__in=("create", "update"),
            )
            .order_by("pk")
            .values_list("object_id", "action", "pk", "changes")
        )
        for object_id, action, pk, changes in found:
            entries.setdefault((object_id, action), []).append((pk, changes))
        # Updates of one deal in a batch are in row order, as are its audit entries (the last ones).
        counts: dict[tuple[int, str], int] = {}
        for w in written:
            key = (w.object_id, "create" if w.action == "created" else "update")
            counts[key] = counts.get(key, 0) + 1
        taken: dict[tuple[int, str], int] = {}
        for w in written:
            key = (w.object_id, "create" if w.action == "created" else "update")
            group = entries.get(key, [])
            index = len(group) - counts[key] + taken.get(key, 0)
            taken[key] = taken.get(key, 0) + 1
            if 0 <= index < len(group):
                w.audit_entry_id, changes = group[index]
                if w.action == "updated":
                    w.changes = changes


register(DealTarget)
