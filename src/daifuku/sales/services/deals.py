"""Writes of the sales module: deals (商談), their lines and stage moves, and pipeline settings.

Deals take a plain ``dict`` like every service (see ``services.common.Cleaner``). A stage move —
from the board, the won/lost buttons, the API or an edit form — goes through :func:`_move`, so each
one writes a ``DealStageChange`` row, sets ``stage_changed_at`` and ``closed_on``, is audited and
emits ``deal.stage_changed`` (plus ``deal.won`` / ``deal.lost``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Min, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from daifuku.catalog.models import BillingType, Product
from daifuku.core import audit, events, search, visibility
from daifuku.core.models import Currency, TaxCategory, User
from daifuku.core.services import check_version, restore_record, trash_record
from daifuku.sales.models import Deal, DealLine, DealStageChange, LostReason, Pipeline, Stage
from daifuku.sales.services.common import Cleaner, pk_of

DEAL = "deal"

DEAL_FIELDS = [
    "name", "company", "contacts", "owner", "pipeline", "stage", "probability", "amount", "currency",
    "quantity", "cost", "billing_type", "expected_close_date", "next_action", "next_action_date", "notes",
    "lines", "lost_reason", "lost_note",
]  # fmt: skip
LINE_FIELDS = ["product", "description", "quantity", "unit", "unit_price", "unit_cost", "tax_category"]
# Fields of the audit snapshot (lines are audited as their own summary, contacts as ids).
AUDITED = [f for f in DEAL_FIELDS if f != "lines"] + ["team", "closed_on"]


# Search text


def deal_search_parts(deal: Deal) -> list[str]:
    company = deal.company.display_name if deal.company_id and deal.company else ""
    return [deal.name, company, deal.next_action]


search.register(DEAL, Deal, deal_search_parts)


# Input


@dataclass
class _LineInput:
    product: Product | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    unit_cost: Decimal
    tax_category: str


@dataclass
class _DealInput:
    values: dict[str, Any] = field(default_factory=dict)
    contacts: list[Any] | None = None
    lines: list[_LineInput] | None = None


def _pipeline(cleaner: Cleaner) -> Pipeline | None:
    raw = pk_of(cleaner.data.get("pipeline"))
    if raw in (None, ""):
        return None
    try:
        found = Pipeline.objects.filter(pk=int(raw), is_active=True).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        cleaner.error("pipeline", _("指定されたパイプラインが見つかりません。"))
    return found


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_default=True, is_active=True).first()
    pipeline = pipeline or Pipeline.objects.filter(is_active=True).order_by("sort_order", "id").first()
    if pipeline is None:
        raise ValidationError({"pipeline": _("有効なパイプラインがありません。設定で作成してください。")})
    return pipeline


def first_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(is_active=True).order_by("sort_order", "id").first()
    if stage is None:
        raise ValidationError({"stage": _("パイプラインにステージがありません。")})
    return stage


def _stage_of(cleaner: Cleaner, pipeline: Pipeline) -> Stage | None:
    raw = pk_of(cleaner.data.get("stage"))
    if raw in (None, ""):
        return None
    try:
        found = Stage.objects.filter(pk=int(raw)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        cleaner.error("stage", _("指定されたステージが見つかりません。"))
    elif found.pipeline_id != pipeline.pk:
        cleaner.error(
            "stage",
            _("ステージ「%(stage)s」はパイプライン「%(pipeline)s」のものではありません。")
            % {"stage": found.name, "pipeline": pipeline.name},
        )
        return None
    return found


def _lines(cleaner: Cleaner) -> list[_LineInput] | None:
    raw = cleaner.data.get("lines")
    if raw is None:
        return None
    if not isinstance(raw, list | tuple):
        cleaner.error("lines", _("明細の形式が不正です。"))
        return None
    result: list[_LineInput] = []
    products = {
        p.pk: p
        for p in Product.objects.filter(
            pk__in=[
                int(r["product"])
                for r in raw
                if isinstance(r, dict) and str(pk_of(r.get("product")) or "").isdigit()
            ]
        )
    }
    for number, row in enumerate(raw, start=1):
        prefix = f"lines.{number}."
        if not isinstance(row, dict):
            cleaner.error(f"lines.{number}", _("明細%(n)s行目の形式が不正です。") % {"n": number})
            continue
        unknown = set(row) - set(LINE_FIELDS)
        for name in sorted(unknown):
            cleaner.error(prefix + name, _("明細%(n)s行目: この項目はありません。") % {"n": number})
        line = Cleaner({k: v for k, v in row.items() if k in LINE_FIELDS}, LINE_FIELDS)
        product = None
        product_raw = pk_of(row.get("product"))
        if product_raw not in (None, ""):
            product = products.get(int(product_raw)) if str(product_raw).isdigit() else None
            if product is None:
                line.error("product", _("指定された商品が見つかりません。"))
        description = line.text("description", max_length=200) or (product.name if product else "")
        if not description:
            line.error("description", _("品名を入力してください。"))
        quantity = line.decimal("quantity", places=3, default=Decimal(1))
        unit = line.text("unit", max_length=20) or (product.unit if product else "")
        unit_price = line.decimal("unit_price", default=product.unit_price if product else Decimal(0))
        unit_cost = line.decimal("unit_cost", default=product.cost if product else Decimal(0))
        tax_category = line.choice(
            "tax_category",
            TaxCategory.values,
            default=product.tax_category if product else TaxCategory.STANDARD,
        )
        for name, message in line.errors.items():
            cleaner.error(prefix + name, _("明細%(n)s行目: %(message)s") % {"n": number, "message": message})
        if not line.errors:
            result.append(
                _LineInput(
                    product=product,
                    description=description,
                    quantity=quantity or Decimal(0),
                    unit=unit,
                    unit_price=unit_price or Decimal(0),
                    unit_cost=unit_cost or Decimal(0),
                    tax_category=tax_category,
                )
            )
    return result


def _clean(*, by: User, data: dict[str, Any], deal: Deal | None) -> _DealInput:
    """Parse ``data`` into field values (only the keys given; all required ones on create)."""
    cleaner = Cleaner(data, DEAL_FIELDS)
    creating = deal is None
    out = _DealInput()
    v = out.values
    if creating or "name" in cleaner:
        v["name"] = cleaner.text("name", required=True, max_length=200)
        if not v["name"]:
            cleaner.errors["name"] = _("商談名を入力してください。")
    if creating or "company" in cleaner:
        v["company"] = cleaner.company(by, required=True)
    if "contacts" in cleaner:
        out.contacts = cleaner.contacts(by)
    if "owner" in cleaner and pk_of(cleaner.data.get("owner")) not in (None, ""):
        v["owner"] = cleaner.user("owner")
    elif creating:
        v["owner"] = by
    pipeline: Pipeline | None = deal.pipeline if deal is not None else None
    if "pipeline" in cleaner and pk_of(cleaner.data.get("pipeline")) not in (None, ""):
        pipeline = _pipeline(cleaner) or pipeline
    elif creating:
        pipeline = default_pipeline()
    if pipeline is not None:
        v["pipeline"] = pipeline
        stage = _stage_of(cleaner, pipeline) if "stage" in cleaner else None
        moved = creating or (deal is not None and pipeline.pk != deal.pipeline_id)
        if stage is None and "stage" not in cleaner.errors and moved:
            stage = first_stage(pipeline)
        if stage is not None:
            v["stage"] = stage
    if "probability" in cleaner and cleaner.data.get("probability") not in (None, ""):
        v["probability"] = cleaner.integer("probability", lo=0, hi=100)
    for name in ("amount", "cost"):
        if creating or name in cleaner:
            v[name] = cleaner.decimal(name, hi=Decimal("99999999999999"), default=Decimal(0))
    if creating or "currency" in cleaner:
        v["currency"] = cleaner.currency()
    if creating or "quantity" in cleaner:
        v["quantity"] = cleaner.integer("quantity", lo=0, hi=10_000_000, default=1)
    if creating or "billing_type" in cleaner:
        v["billing_type"] = cleaner.choice("billing_type", BillingType.values, default=BillingType.LUMP_SUM)
    for name in ("expected_close_date", "next_action_date"):
        if name in cleaner:
            v[name] = cleaner.date(name)
    if "next_action" in cleaner:
        v["next_action"] = cleaner.text("next_action", max_length=200)
    if "notes" in cleaner:
        v["notes"] = cleaner.text("notes")
    if "lost_reason" in cleaner:
        v["lost_reason"] = cleaner.choice("lost_reason", LostReason.values)
    if "lost_note" in cleaner:
        v["lost_note"] = cleaner.text("lost_note", max_length=300)
    out.lines = _lines(cleaner)
    cleaner.raise_errors()
    return out


def _line_amount(quantity: Decimal, price: Decimal, decimals: int) -> Decimal:
    return (quantity * price).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _apply_lines_totals(deal: Deal, lines: list[_LineInput]) -> None:
    """Amount and cost of a deal with lines are the sums of its lines (rounded per line)."""
    decimals = Currency.objects.filter(pk=deal.currency_id).values_list("decimals", flat=True).first() or 0
    deal.amount = sum((_line_amount(ln.quantity, ln.unit_price, decimals) for ln in lines), Decimal(0))
    deal.cost = sum((_line_amount(ln.quantity, ln.unit_cost, decimals) for ln in lines), Decimal(0))


def _save_lines(deal: Deal, lines: list[_LineInput]) -> None:
    deal.lines.all().delete()
    DealLine.objects.bulk_create(
        [
            DealLine(
                deal=deal,
                sort_order=order,
                product=ln.product,
                description=ln.description,
                quantity=ln.quantity,
                unit=ln.unit,
                unit_price=ln.unit_price,
                unit_cost=ln.unit_cost,
                tax_category=ln.tax_category,
            )
            for order, ln in enumerate(lines, start=1)
        ]
    )


def _lines_summary(lines: list[Any]) -> list[str]:
    return [f"{ln.description} × {ln.quantity} @ {ln.unit_price}" for ln in lines]


def _check_amounts(deal: Deal) -> None:
    limit = Decimal("99999999999999")
    if deal.amount > limit:
        raise ValidationError({"amount": _("金額が大きすぎます。")})
    if deal.cost > limit:
        raise ValidationError({"cost": _("仕入原価が大きすぎます。")})


# Stage moves


@dataclass
class _Move:
    from_stage: Stage | None
    to_stage: Stage
    reason: str = ""
    note: str = ""


def _move(deal: Deal, stage: Stage, *, by: User, lost_reason: str = "", lost_note: str = "") -> _Move:
    """Put ``deal`` (locked, unsaved changes allowed) into ``stage`` and record the move.

    Checks that the stage belongs to the deal's pipeline and that a lost stage has a reason. Sets
    ``stage_changed_at``, ``closed_on``, the stage's default probability and the lost reason;
    the caller saves the deal and emits the events of the returned move with :func:`_emit_move`.
    """
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError(
            {"stage": _("このステージは商談のパイプライン「%(pipeline)s」のものではありません。")
             % {"pipeline": deal.pipeline.name}}
        )  # fmt: skip
    if not stage.is_active:
        raise ValidationError({"stage": _("無効なステージには移動できません。")})
    reason = (lost_reason or "").strip()
    if stage.is_lost:
        if not reason:
            raise ValidationError({"lost_reason": _("失注理由を選んでください。")})
        if reason not in LostReason.values:
            raise ValidationError({"lost_reason": _("選択肢にない値です。")})
    from_stage = Stage.objects.filter(pk=deal.stage_id).first() if deal.stage_id else None
    deal.stage = stage
    deal.stage_changed_at = timezone.now()
    deal.probability = stage.probability
    if stage.is_closed:
        deal.closed_on = timezone.localdate()
    else:
        deal.closed_on = None
    if stage.is_lost:
        deal.lost_reason = reason
        deal.lost_note = (lost_note or "").strip()[:300]
    else:
        deal.lost_reason = ""
        deal.lost_note = ""
    return _Move(from_stage=from_stage, to_stage=stage, reason=deal.lost_reason, note=deal.lost_note)


def _record_move(deal: Deal, move: _Move, *, by: User) -> None:
    DealStageChange.objects.create(deal=deal, from_stage=move.from_stage, to_stage=move.to_stage, by=by)


def _emit_move(deal: Deal, move: _Move, *, by: User) -> None:
    events.emit("deal.stage_changed", deal=deal, by=by, from_stage=move.from_stage, to_stage=move.to_stage)
    if move.to_stage.is_won:
        events.emit("deal.won", deal=deal, by=by)
    elif move.to_stage.is_lost:
        events.emit("deal.lost", deal=deal, by=by, reason=move.reason, note=move.note)


def _top_of_column(stage: Stage, exclude_pk: int | None = None) -> float:
    qs = Deal.objects.filter(stage=stage, deleted_at__isnull=True)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    lowest = qs.aggregate(low=Min("board_order"))["low"]
    return 0.0 if lowest is None else float(lowest) - 1.0


def _locked(deal: Deal, by: User) -> Deal:
    """The deal locked for writing; refused if ``by`` may not see it (404) or change it (403)."""
    locked = Deal.objects.select_for_update().filter(pk=deal.pk).first()
    if locked is None or not visibility.can_read(by, locked, DEAL):
        raise Http404
    visibility.check_can_edit(by, locked, DEAL)
    if locked.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の商談は変更できません。先に復元してください。")})
    return locked


def _sync(target: Deal, source: Deal) -> Deal:
    """Copy the saved state into the caller's instance too (views keep using their object)."""
    target.__dict__.update({k: v for k, v in source.__dict__.items() if k != "_state"})
    target._state.fields_cache = dict(source._state.fields_cache)
    return target


# Deals


@transaction.atomic
def deal_create(*, by: User, data: dict[str, Any]) -> Deal:
    """Create a deal. Owner defaults to ``by``, team to the owner's team, pipeline to the default one,
    stage to its first stage, probability to the stage's. Lines, when given, make the amount and cost.
    """
    if not visibility.can_create(by, DEAL):
        raise PermissionDenied(_("商談を登録する権限がありません。"))
    parsed = _clean(by=by, data=data, deal=None)
    values = parsed.values
    stage: Stage = values.pop("stage")
    probability = values.pop("probability", None)
    reason, note = values.pop("lost_reason", ""), values.pop("lost_note", "")
    deal = Deal(**values)
    deal.team_id = deal.owner.team_id
    visibility.check_can_assign(by, DEAL, deal.owner_id, deal.team_id)
    move = _move(deal, stage, by=by, lost_reason=reason, lost_note=note)
    move.from_stage = None
    if probability is not None:
        deal.probability = probability
    if parsed.lines:
        _apply_lines_totals(deal, parsed.lines)
    _check_amounts(deal)
    deal.board_order = _top_of_column(stage)
    deal.save()
    if parsed.contacts:
        deal.contacts.set(parsed.contacts)
    if parsed.lines:
        _save_lines(deal, parsed.lines)
    _record_move(deal, move, by=by)
    changes = audit.diff({}, audit.snapshot(deal, AUDITED))
    if parsed.lines:
        changes["lines"] = [[], _lines_summary(parsed.lines)]
    audit.record(deal, by=by, action="create", changes=changes)
    search.reindex(DEAL, deal)
    events.emit("deal.created", deal=deal, by=by)
    if stage.is_closed:
        _emit_move(deal, move, by=by)
    return deal


@transaction.atomic
def deal_update(*, deal: Deal, by: User, data: dict[str, Any], seen_version: int | None = None) -> Deal:
    """Change a deal. Refused with ``VersionConflict`` if someone saved since ``seen_version``.

    A new stage in ``data`` is a stage move (history row, events); a new owner brings the owner's team.
    """
    locked = _locked(deal, by)
    check_version(locked, seen_version)
    parsed = _clean(by=by, data=data, deal=locked)
    values = dict(parsed.values)
    before = audit.snapshot(locked, AUDITED)
    old_lines = list(locked.lines.all()) if parsed.lines is not None else []
    stage = values.pop("stage", None)
    probability = values.pop("probability", None)
    reason = values.pop("lost_reason", locked.lost_reason)
    note = values.pop("lost_note", locked.lost_note)
    for name, value in values.items():
        setattr(locked, name, value)
    if locked.owner_id != before["owner"]:
        locked.team_id = locked.owner.team_id
    if locked.owner_id != before["owner"] or locked.team_id != before["team"]:
        visibility.check_can_assign(by, DEAL, locked.owner_id, locked.team_id)
    move = None
    if stage is not None and stage.pk != before["stage"]:
        move = _move(locked, stage, by=by, lost_reason=reason, lost_note=note)
    elif locked.stage.is_lost:
        if "lost_reason" in data and not reason:
            raise ValidationError({"lost_reason": _("失注理由を選んでください。")})
        locked.lost_reason, locked.lost_note = reason, note
    if probability is not None:
        locked.probability = probability
    if parsed.lines:
        _apply_lines_totals(locked, parsed.lines)
    _check_amounts(locked)
    if parsed.contacts is not None:
        locked.contacts.set(parsed.contacts)
    delta = audit.diff(before, audit.snapshot(locked, AUDITED))
    if parsed.lines is not None:
        old_summary, new_summary = _lines_summary(old_lines), _lines_summary(parsed.lines)
        if old_summary != new_summary:
            delta["lines"] = [old_summary, new_summary]
            _save_lines(locked, parsed.lines)
    if not delta:
        return _sync(deal, locked)
    if move is not None:
        locked.board_order = _top_of_column(stage, exclude_pk=locked.pk)  # type: ignore[arg-type]
    locked.version += 1
    locked.save()
    if move is not None:
        _record_move(locked, move, by=by)
    audit.record(locked, by=by, action="update", changes=delta)
    search.reindex(DEAL, locked)
    events.emit("deal.updated", deal=locked, by=by, changes=delta)
    if move is not None:
        _emit_move(locked, move, by=by)
    return _sync(deal, locked)


def _change_stage(
    *,
    deal: Deal,
    stage: Stage,
    by: User,
    seen_version: int | None,
    lost_reason: str,
    lost_note: str,
    board_order: float | None = None,
) -> Deal:
    locked = _locked(deal, by)
    check_version(locked, seen_version)
    if stage.pk == locked.stage_id:
        if board_order is not None and board_order != locked.board_order:
            locked.board_order = board_order
            locked.save(update_fields=["board_order", "updated_at"])
            return _sync(deal, locked)
        raise ValidationError({"stage": _("商談は既にこのステージにあります。")})
    before = audit.snapshot(locked, AUDITED)
    move = _move(locked, stage, by=by, lost_reason=lost_reason, lost_note=lost_note)
    locked.board_order = board_order if board_order is not None else _top_of_column(stage, locked.pk)
    locked.version += 1
    locked.save()
    _record_move(locked, move, by=by)
    audit.record(locked, by=by, action="stage", changes=audit.diff(before, audit.snapshot(locked, AUDITED)))
    search.reindex(DEAL, locked)
    _emit_move(locked, move, by=by)
    return _sync(deal, locked)


@transaction.atomic
def deal_change_stage(
    *,
    deal: Deal,
    stage: Stage,
    by: User,
    seen_version: int | None = None,
    lost_reason: str = "",
    lost_note: str = "",
) -> Deal:
    """Move a deal to another stage of its pipeline (audited; ``deal.stage_changed`` and won/lost events).

    Entering a lost stage needs a ``lost_reason`` (a ``LostReason`` value); entering a won or lost
    stage sets ``closed_on`` to today, leaving one clears it. The probability becomes the stage's.
    """
    return _change_stage(
        deal=deal, stage=stage, by=by, seen_version=seen_version, lost_reason=lost_reason, lost_note=lost_note
    )


@transaction.atomic
def deal_board_move(
    *,
    deal: Deal,
    stage: Stage,
    by: User,
    before_id: int | None = None,
    after_id: int | None = None,
    seen_version: int | None = None,
    lost_reason: str = "",
    lost_note: str = "",
) -> Deal:
    """Drop a card on the board: into ``stage``, between the cards ``after_id`` (above) and ``before_id``
    (below). A move within the same column only reorders (no version bump, no audit: it is layout).
    """
    neighbours = {
        d.pk: d.board_order
        for d in Deal.objects.filter(
            pk__in=[i for i in (before_id, after_id) if i], stage=stage, deleted_at__isnull=True
        ).exclude(pk=deal.pk)
    }
    above = neighbours.get(after_id) if after_id else None
    below = neighbours.get(before_id) if before_id else None
    if above is not None and below is not None:
        order = (above + below) / 2
    elif above is not None:
        order = above + 1.0
    elif below is not None:
        order = below - 1.0
    else:
        order = _top_of_column(stage, deal.pk)
    return _change_stage(
        deal=deal,
        stage=stage,
        by=by,
        seen_version=seen_version,
        lost_reason=lost_reason,
        lost_note=lost_note,
        board_order=order,
    )


@transaction.atomic
def deal_mark_won(*, deal: Deal, by: User) -> Deal:
    """Move a deal to its pipeline's won stage (受注); ``closed_on`` becomes today."""
    stage = Stage.objects.filter(pipeline_id=deal.pipeline_id, is_won=True, is_active=True).first()
    if stage is None:
        raise ValidationError({"stage": _("このパイプラインには受注のステージがありません。")})
    if deal.stage_id == stage.pk:
        raise ValidationError({"stage": _("この商談は既に受注です。")})
    return _change_stage(deal=deal, stage=stage, by=by, seen_version=None, lost_reason="", lost_note="")


@transaction.atomic
def deal_mark_lost(*, deal: Deal, by: User, reason: str, note: str = "") -> Deal:
    """Move a deal to its pipeline's (first) lost stage (失注) with a reason; ``closed_on`` becomes today."""
    stage = (
        Stage.objects.filter(pipeline_id=deal.pipeline_id, is_lost=True, is_active=True)
        .order_by("sort_order", "id")
        .first()
    )
    if stage is None:
        raise ValidationError({"stage": _("このパイプラインには失注のステージがありません。")})
    if deal.stage_id == stage.pk:
        raise ValidationError({"stage": _("この商談は既に失注です。")})
    return _change_stage(deal=deal, stage=stage, by=by, seen_version=None, lost_reason=reason, lost_note=note)


@transaction.atomic
def deal_trash(*, deal: Deal, by: User) -> Deal:
    """Move a deal to the trash (ごみ箱); an administrator restores it."""
    locked = _locked(deal, by)
    trash_record(locked, by=by, object_type=DEAL)
    return _sync(deal, locked)


@transaction.atomic
def deal_restore(*, deal: Deal, by: User) -> Deal:
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    restore_record(locked, by=by, object_type=DEAL)
    return _sync(deal, locked)


@transaction.atomic
def deal_touch_activity(*, deal_id: int, at: Any) -> None:
    """Note that an activity about a deal happened at ``at`` (kept if a later one is already known).

    Bookkeeping of the subscriber, not a change a user made: no version bump, no audit.
    """
    Deal.objects.filter(pk=deal_id).filter(
        Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=at)
    ).update(last_activity_at=at)


# Pipelines and stages (administrators)


def _check_admin(by: User) -> None:
    if not by.is_administrator:
        raise PermissionDenied(_("管理者のみが実行できます。"))


PIPELINE_FIELDS = ["name", "sort_order", "is_default", "is_active", "stale_days"]
STAGE_FIELDS = ["name", "sort_order", "probability", "is_won", "is_lost", "is_active"]


def _clean_pipeline(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    cleaner = Cleaner(data, PIPELINE_FIELDS)
    values: dict[str, Any] = {}
    if creating or "name" in cleaner:
        values["name"] = cleaner.text("name", required=True, max_length=100)
    if "sort_order" in cleaner:
        values["sort_order"] = cleaner.integer("sort_order", lo=0, hi=10_000, default=0)
    if "stale_days" in cleaner:
        values["stale_days"] = cleaner.integer("stale_days", lo=1, hi=3650, default=14)
    for name in ("is_default", "is_active"):
        if name in cleaner:
            values[name] = cleaner.boolean(name)
    cleaner.raise_errors()
    return values


def _check_pipeline_name(name: str | None, pk: int | None) -> None:
    if name and Pipeline.objects.filter(name=name).exclude(pk=pk or 0).exists():
        raise ValidationError({"name": _("パイプライン「%(name)s」は既にあります。") % {"name": name}})


def _set_default(pipeline: Pipeline) -> None:
    Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)


@transaction.atomic
def pipeline_create(*, by: User, data: dict[str, Any]) -> Pipeline:
    """Create a pipeline with a won (受注) and a lost (失注) stage, the two every pipeline needs."""
    _check_admin(by)
    values = _clean_pipeline(data, creating=True)
    _check_pipeline_name(values["name"], None)
    if "sort_order" not in values:
        values["sort_order"] = (Pipeline.objects.aggregate(m=Max("sort_order"))["m"] or 0) + 1
    is_default = values.pop("is_default", False)
    pipeline = Pipeline.objects.create(**values)
    if is_default:
        _set_default(pipeline)
        pipeline.is_default = True
        pipeline.save(update_fields=["is_default", "updated_at"])
    Stage.objects.create(pipeline=pipeline, name=_("受注"), sort_order=1, probability=100, is_won=True)
    Stage.objects.create(pipeline=pipeline, name=_("失注"), sort_order=2, probability=0, is_lost=True)
    audit.record(pipeline, by=by, action="create", changes=audit.diff({}, audit.snapshot(pipeline)))
    return pipeline


@transaction.atomic
def pipeline_update(*, pipeline: Pipeline, by: User, data: dict[str, Any]) -> Pipeline:
    _check_admin(by)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    values = _clean_pipeline(data, creating=False)
    _check_pipeline_name(values.get("name"), pipeline.pk)
    if values.get("is_active") is False and (values.get("is_default") or pipeline.is_default):
        raise ValidationError({"is_active": _("既定のパイプラインは無効にできません。")})
    if values.get("is_default") is False and pipeline.is_default:
        raise ValidationError({"is_default": _("別のパイプラインを既定にしてください。")})
    before = audit.snapshot(pipeline)
    for name, value in values.items():
        setattr(pipeline, name, value)
    if pipeline.is_default:
        _set_default(pipeline)
    delta = audit.diff(before, audit.snapshot(pipeline))
    if delta:
        pipeline.save()
        audit.record(pipeline, by=by, action="update", changes=delta)
    return pipeline


def _clean_stage(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    cleaner = Cleaner(data, STAGE_FIELDS)
    values: dict[str, Any] = {}
    if creating or "name" in cleaner:
        values["name"] = cleaner.text("name", required=True, max_length=100)
    if "sort_order" in cleaner:
        values["sort_order"] = cleaner.integer("sort_order", lo=0, hi=10_000, default=0)
    if creating or "probability" in cleaner:
        values["probability"] = cleaner.integer("probability", lo=0, hi=100, default=0)
    for name in ("is_won", "is_lost", "is_active"):
        if name in cleaner:
            values[name] = cleaner.boolean(name, default=name == "is_active")
    if values.get("is_won") and values.get("is_lost"):
        cleaner.error("is_lost", _("受注と失注の両方にはできません。"))
    cleaner.raise_errors()
    return values


def _check_stage_rules(pipeline: Pipeline) -> None:
    """A pipeline has exactly one (active) won stage and at least one (active) lost stage."""
    stages = list(Stage.objects.filter(pipeline=pipeline, is_active=True))
    won = sum(1 for s in stages if s.is_won)
    if won != 1:
        raise ValidationError({"is_won": _("パイプラインには受注のステージがちょうど1つ必要です。")})
    if not any(s.is_lost for s in stages):
        raise ValidationError({"is_lost": _("パイプラインには失注のステージが1つ以上必要です。")})


def _check_stage_name(pipeline: Pipeline, name: str | None, pk: int | None) -> None:
    if name and Stage.objects.filter(pipeline=pipeline, name=name).exclude(pk=pk or 0).exists():
        raise ValidationError({"name": _("ステージ「%(name)s」は既にあります。") % {"name": name}})


@transaction.atomic
def stage_create(*, pipeline: Pipeline, by: User, data: dict[str, Any]) -> Stage:
    """Add a stage; by default it goes before the pipeline's won/lost stages."""
    _check_admin(by)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    values = _clean_stage(data, creating=True)
    _check_stage_name(pipeline, values["name"], None)
    if "sort_order" not in values:
        closed = pipeline.stages.filter(is_won=False, is_lost=False).aggregate(m=Max("sort_order"))["m"] or 0
        values["sort_order"] = closed + 1
        pipeline.stages.filter(sort_order__gte=values["sort_order"]).update(sort_order=F("sort_order") + 1)
    stage = Stage.objects.create(pipeline=pipeline, **values)
    _check_stage_rules(pipeline)
    audit.record(stage, by=by, action="create", changes=audit.diff({}, audit.snapshot(stage)))
    return stage


@transaction.atomic
def stage_update(*, stage: Stage, by: User, data: dict[str, Any]) -> Stage:
    """Rename a stage or change its probability and flags (open deals keep their own probability)."""
    _check_admin(by)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    values = _clean_stage(data, creating=False)
    _check_stage_name(stage.pipeline, values.get("name"), stage.pk)
    before = audit.snapshot(stage)
    for name, value in values.items():
        setattr(stage, name, value)
    if stage.is_won and stage.is_lost:
        raise ValidationError({"is_lost": _("受注と失注の両方にはできません。")})
    delta = audit.diff(before, audit.snapshot(stage))
    if not delta:
        return stage
    if not stage.is_active and stage.deals.filter(deleted_at__isnull=True).exists():
        raise ValidationError({"is_active": _("商談があるステージは無効にできません。")})
    stage.save()
    _check_stage_rules(stage.pipeline)
    audit.record(stage, by=by, action="update", changes=delta)
    return stage


@transaction.atomic
def stage_delete(*, stage: Stage, by: User) -> None:
    """Delete a stage that no deal (not even a trashed one) or stage history uses."""
    _check_admin(by)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    count = stage.deals.count()
    if count:
        raise ValidationError(
            {"stage": _("ステージ「%(name)s」には商談が%(n)s件あるため削除できません。")
             % {"name": stage.name, "n": count}}
        )  # fmt: skip
    if (
        DealStageChange.objects.filter(from_stage=stage).exists()
        or DealStageChange.objects.filter(to_stage=stage).exists()
    ):
        message = _("ステージ「%(name)s」は商談の履歴に残っているため削除できません。無効にしてください。")
        raise ValidationError({"stage": message % {"name": stage.name}})
    pipeline = stage.pipeline
    audit.record(stage, by=by, action="delete", changes=audit.diff(audit.snapshot(stage), {}))
    stage.delete()
    _check_stage_rules(pipeline)


@transaction.atomic
def stage_reorder(*, pipeline: Pipeline, by: User, stage_ids: list[int]) -> None:
    """Put the pipeline's stages in the given order (every stage of the pipeline, once)."""
    _check_admin(by)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    current = {s.pk: s for s in pipeline.stages.all()}
    try:
        wanted = [int(i) for i in stage_ids]
    except (TypeError, ValueError):
        wanted = []
    if sorted(wanted) != sorted(current):
        raise ValidationError({"stages": _("パイプラインのステージをすべて1回ずつ指定してください。")})
    changes: dict[str, list[Any]] = {}
    for order, pk in enumerate(wanted, start=1):
        stage = current[pk]
        if stage.sort_order != order:
            changes[stage.name] = [stage.sort_order, order]
            stage.sort_order = order
            stage.save(update_fields=["sort_order", "updated_at"])
    if changes:
        audit.record(pipeline, by=by, action="reorder", changes=changes)
