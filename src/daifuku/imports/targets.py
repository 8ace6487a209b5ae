"""Import targets: what a file's rows become. A module registers its own target; the importer is generic.

A target knows its fields (with the header words that guess them), how to clean a row, how to find
an existing duplicate (名寄せ keys, strongest first) and how to write a batch. ``ModelTarget`` does
the work for a model whose service module offers a ``*_clean`` function: it writes in bulk (one
INSERT/UPDATE per batch, not one service call per row) but applies the same normalization, keys,
audit entries and search index as the services do.

Events: a bulk write emits no per-record ``*.created`` / ``*.updated`` events (one subscriber row per
record made imports ~40× too slow). The importer emits one ``<object_type>.imported`` event per
committed batch instead (see ``services._commit_batch`` and docs/imports.md); every written record
carries its audit ``changes`` so that subscribers can react to what changed.

Register a new target from the module's ``AppConfig.ready()``::

    from daifuku.imports.targets import register
    register(ProductTarget)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import signals
from django.db.models.base import DatabaseDefault, ModelState
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daifuku.core import audit, inlist, jp, search, visibility
from daifuku.core.models import AuditEntry, User
from daifuku.imports import fastinsert
from daifuku.imports.models import DedupMode


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Any
    aliases: tuple[str, ...] = ()
    choices: tuple[tuple[str, Any], ...] = ()
    required: bool = False


@dataclass
class RowInput:
    row_number: int
    cells: list[str]
    data: dict[str, str]  # field → raw text after value mapping


@dataclass
class RowResult:
    row_number: int
    cells: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    decision: str = "create"  # create / update / skip / error
    match_id: int | None = None
    note: str = ""

    @property
    def reason(self) -> str:
        return " / ".join(f"{label}: {message}" for label, message in self.errors.items())


@dataclass
class WrittenRecord:
    row_number: int
    object_type: str
    object_id: int
    action: str  # created / updated
    audit_entry_id: int | None
    changes: dict[str, Any] | None = None  # audit delta of an update (for the batch event)


@dataclass
class BatchOutcome:
    results: list[RowResult]
    written: list[WrittenRecord] = field(default_factory=list)


class Target:
    """The interface the importer uses. Subclass ``ModelTarget`` for a model with a clean function."""

    key: str = ""
    label: Any = ""
    object_type: str = ""
    fields: tuple[FieldSpec, ...] = ()

    def field_map(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}

    def check_permission(self, by: User) -> None:
        if not visibility.can_create(by, self.object_type):
            raise PermissionDenied(_("このデータを取り込む権限がありません。"))

    def process(self, rows: list[RowInput], *, by: User, dedup: str, write: bool) -> BatchOutcome:
        raise NotImplementedError


# Headers that name the company a row belongs to (deals, activities …), Japanese and English.
COMPANY_REFERENCE_ALIASES = (
    "取引先", "取引先名", "社名", "企業名", "顧客名", "account", "accountname", "company", "companyname",
)  # fmt: skip

_registry: dict[str, type[Target]] = {}


def register(target: type[Target]) -> None:
    """Add an import target class; a fresh instance serves each job (targets keep per-job caches)."""
    _registry[target.key] = target


def get(key: str) -> Target:
    try:
        return _registry[key]()
    except KeyError:
        raise ValidationError({"target": _("取込先が不正です。")}) from None


def all_targets() -> list[Target]:
    return [cls() for cls in _registry.values()]


def model_for(object_type: str) -> type[models.Model]:
    """The model a registered target writes records of ``object_type`` to (for undo)."""
    for cls in _registry.values():
        if cls.object_type != object_type:
            continue
        model = getattr(cls(), "model", None)  # some targets set their model when instantiated
        if model is not None:
            return model
    if search.is_registered(object_type):
        return search.registration(object_type).model
    raise LookupError(f"no import target writes {object_type!r}")


# Header guessing


def _fold_header(text: str) -> str:
    return jp.fold(text).replace("_", "").replace("-", "").replace("（", "(").replace("）", ")")


def guess_columns(target: Target, headers: list[str]) -> dict[str, str]:
    """Header index (as str) → field name, by exact folded match on the label, the name or an alias."""
    lookup: dict[str, str] = {}
    # Japanese headers are guessed whatever the importing user's language (and English ones too).
    with translation.override("ja"):
        japanese = {spec.name: str(spec.label) for spec in target.fields}
    for spec in target.fields:
        for word in (spec.name, str(spec.label), japanese[spec.name], *spec.aliases):
            lookup.setdefault(_fold_header(word), spec.name)
    guessed: dict[str, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        name = lookup.get(_fold_header(header))
        if name and name not in used:
            guessed[str(index)] = name
            used.add(name)
    return guessed


def map_choice(spec: FieldSpec, raw: str, value_map: dict[str, str]) -> str:
    """A cell of a choice field → the stored value: user's value mapping, then the value, then the label."""
    if not raw:
        return raw
    if raw in value_map:
        return value_map[raw]
    folded = jp.fold(raw)
    for value, label in spec.choices:
        with translation.override("ja"):
            japanese = str(label)
        if folded in (jp.fold(str(value)), jp.fold(str(label)), jp.fold(japanese)):
            return str(value)
    return raw


# Bulk writing shared by model targets


def _snapshot_fields(model: type[models.Model]) -> list[str]:
    skip = {"id", "created_at", "updated_at", "version"}
    return [
        f.name
        for f in model._meta.concrete_fields
        if getattr(f, "editable", True) and f.name not in skip and not f.many_to_many
    ]


VALID_MEMO_MAX = 50_000  # entries of ModelTarget._valid_values before it starts over (memory stays flat)
_PURE_TYPES = frozenset({str, int})
WRITE_BATCH = 2000  # rows per search upsert call; Django lowers it to the backend's limit


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


@dataclass
class _Pending:
    obj: Any
    row_numbers: list[int]
    is_new: bool
    # Of a matched existing record: the value each field held before the import changed it (attname →
    # value; the first change wins); None until a row matches it, {} while nothing changed.
    old: dict[str, Any] | None = None


class ModelTarget(Target):
    """A target backed by a model and its service module's ``clean`` function (see module docstring)."""

    model: type[models.Model]
    virtual_fields: frozenset[str] = frozenset()
    # Derived columns ``set_keys`` maintains, saved with every bulk update (none for e.g. products).
    key_fields: tuple[str, ...] = ("name_key", "kana_key")
    side_written: list[WrittenRecord]

    def __init__(self) -> None:
        self.side_written = []
        self._checked_cache: dict[tuple[bool, frozenset[str]], list[Any]] = {}
        self._prototype: Any = None
        self._fresh_defaults: list[tuple[str, Any]] = []
        self._attname_names: dict[str, str] = {}
        # (attname, value) pairs ``Field.clean`` accepted unchanged: a department, a reading or a
        # company name repeats over thousands of rows, and its validators need not run again.
        self._valid_values: set[tuple[str, Any]] = set()

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def set_keys(self, obj: Any) -> None:
        raise NotImplementedError

    def dedup_keys(self, obj: Any) -> list[tuple[str, Any]]:
        """(lookup, value) pairs, strongest first, e.g. ("corporate_number", "7…")."""
        raise NotImplementedError

    def visible_queryset(self, by: User) -> models.QuerySet[Any]:
        raise NotImplementedError

    def find_existing(
        self, base: models.QuerySet[Any], lookup: str, values: set[Any]
    ) -> Iterable[tuple[Any, int]]:
        """(key value, pk) of the visible records whose ``lookup`` is one of ``values``; oldest first.

        Only the key column and the id are read (an indexed ``IN`` per batch and key kind), so memory
        stays at one batch's keys whatever the table's size; the matched records are then loaded
        once by id. Rows written by earlier batches are committed, so they are found like any other.
        """
        rows = base.filter(**{f"{lookup}__in": inlist.param(values)}).order_by("pk").values_list(lookup, "pk")
        yield from rows.iterator(chunk_size=5000)

    def resolve_virtual(self, rows: list[tuple[RowResult, dict[str, Any]]], *, by: User, write: bool) -> None:
        """Turn virtual fields (e.g. a contact's company name) into real ones; may add row errors."""

    def after_create(self, objs: list[Any]) -> None:
        """Extra rows a new record needs (e.g. a contact's affiliation)."""

    def search_objects(self, objs: list[Any]) -> Iterable[Any]:
        return objs

    def can_edit_existing(self, by: User, obj: Any) -> bool:
        """May ``by`` change the matched record ``obj`` (owned records: owner/team scope)?"""
        return visibility.can_edit(by, obj, self.object_type)

    # The batch

    def process(self, rows: list[RowInput], *, by: User, dedup: str, write: bool) -> BatchOutcome:
        labels = {spec.name: str(spec.label) for spec in self.fields}
        results: list[RowResult] = []
        cleaned_rows: list[tuple[RowResult, dict[str, Any]]] = []
        required = {spec.name for spec in self.fields if spec.required}
        for row in rows:
            result = RowResult(row_number=row.row_number, cells=row.cells)
            results.append(result)
            data = {k: v for k, v in row.data.items() if v != "" or k in required}
            try:
                cleaned = self.clean(data)
            except ValidationError as exc:
                result.errors = {labels.get(k, k): " ".join(v) for k, v in exc.message_dict.items()}
                result.decision = "error"
                continue
            cleaned_rows.append((result, cleaned))
        self.resolve_virtual(cleaned_rows, by=by, write=write)
        pending = self._match_and_apply(
            [(r, d) for r, d in cleaned_rows if not r.errors], by=by, dedup=dedup, labels=labels
        )
        for result in results:
            if result.errors:
                result.decision = "error"
        if not write:
            return BatchOutcome(results)
        written = self.side_written + self._write(pending, results, by=by)
        self.side_written = []
        return BatchOutcome(results, written)

    def _new_instance(self) -> Any:
        """``self.model()`` without its per-field default work: a copy of one fresh instance per target.

        Callable defaults (``dict``, ``timezone.now`` …) are called again for every copy, so no two
        records share a mutable default. Models with ``post_init`` receivers are built normally.
        """
        proto = self._prototype
        if proto is None:
            model = self.model
            if signals.post_init.has_listeners(model):
                return model()
            proto = self._prototype = model()
            self._fresh_defaults = [
                (f.attname, f)
                for f in model._meta.concrete_fields
                if f.has_default() and callable(f.default)  # NOT_PROVIDED is a class: callable too
            ]
        obj = self.model.__new__(self.model)
        values = obj.__dict__
        values.update(proto.__dict__)
        values["_state"] = ModelState()
        for attname, f in self._fresh_defaults:
            values[attname] = f.get_default()
        return obj

    def _build(self, data: dict[str, Any], by: User) -> Any:
        obj = self._new_instance()
        for name, value in data.items():
            setattr(obj, name, value)
        values = obj.__dict__
        if "owner_id" in values and values["owner_id"] is None:
            # ``obj.owner = by; obj.team_id = by.team_id`` without the descriptors' per-call checks
            values["owner_id"] = by.pk
            values["team_id"] = by.team_id
            obj._state.fields_cache["owner"] = by
            obj._state.fields_cache.pop("team", None)
        return obj

    def _validate(self, obj: Any, data: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
        """``obj.clean_fields()`` over the fields the row sets (and, for a new record, its required ones).

        Relations were resolved by the clean function; validating them again would query per row.
        The fields to check depend only on which fields a row has, so they are listed once per shape
        and the loop is ``Model.clean_fields``' own over that list (it tests ``name in exclude`` on a
        list for each of the model's fields, which cost more than the validation itself).
        """
        shape = (obj.pk is None, frozenset(data))
        checked = self._checked_cache.get(shape)
        if checked is None:
            present = set(data)
            if obj.pk is None:
                present |= {
                    f.name for f in self.model._meta.concrete_fields if not f.blank and not f.has_default()
                }
            checked = self._checked_cache[shape] = [
                f
                for f in self.model._meta.fields
                if f.name in present and not f.is_relation and not f.generated
            ]
        errors: dict[str, Any] = {}
        valid = self._valid_values
        if len(valid) > VALID_MEMO_MAX:
            valid.clear()
        values = obj.__dict__
        for f in checked:
            raw_value = getattr(obj, f.attname)
            if (f.blank and raw_value in f.empty_values) or isinstance(raw_value, DatabaseDefault):
                continue
            memo_key = (f.attname, raw_value) if type(raw_value) in _PURE_TYPES else None
            if memo_key is not None and memo_key in valid:
                continue
            try:
                cleaned = f.clean(raw_value, obj)
            except ValidationError as exc:
                errors[f.name] = exc.error_list
                continue
            values[f.attname] = cleaned
            if (
                memo_key is not None
                and type(cleaned) is type(raw_value)
                and cleaned == raw_value
                and type(f).validate is models.Field.validate  # pure: depends on the value alone
            ):
                valid.add(memo_key)
        if not errors:
            return {}
        message_dict = ValidationError(errors).message_dict
        return {labels.get(k, k): " ".join(v) for k, v in message_dict.items()}

    def _match_and_apply(
        self, rows: list[tuple[RowResult, dict[str, Any]]], *, by: User, dedup: str, labels: dict[str, str]
    ) -> list[_Pending]:
        probes: list[tuple[RowResult, dict[str, Any], Any, list[tuple[str, Any]]]] = []
        wanted: dict[str, set[Any]] = {}
        for result, data in rows:
            probe = self._build(data, by)
            self.set_keys(probe)
            keys = self.dedup_keys(probe) if dedup != DedupMode.CREATE else []
            for lookup, value in keys:
                wanted.setdefault(lookup, set()).add(value)
            probes.append((result, data, probe, keys))
        existing: dict[tuple[str, Any], Any] = {}
        if wanted:
            base = self.visible_queryset(by)
            matched: dict[tuple[str, Any], int] = {}
            for lookup, values in wanted.items():
                for value, pk in self.find_existing(base, lookup, values):
                    matched.setdefault((lookup, value), pk)
            if matched:
                objs = base.filter(pk__in=inlist.param(set(matched.values()))).in_bulk()
                existing = {key: objs[pk] for key, pk in matched.items() if pk in objs}
        in_file: dict[tuple[str, Any], _Pending] = {}
        pending: list[_Pending] = []
        touched: dict[int, _Pending] = {}
        for result, data, probe, keys in probes:
            errors = self._validate(probe, data, labels)
            if errors:
                result.errors = errors
                continue
            target: _Pending | None = None
            for key in keys:
                if key in in_file:
                    target = in_file[key]
                    break
                if key in existing:
                    obj = existing[key]
                    target = touched.get(obj.pk)
                    if target is None:
                        target = _Pending(obj, [], is_new=False)
                    break
            if target is None:
                target = _Pending(probe, [result.row_number], is_new=True)
                pending.append(target)
                result.decision = "create"
                result.data = data
            else:
                result.match_id = None if target.is_new else target.obj.pk
                if not target.is_new and not self.can_edit_existing(by, target.obj):
                    if dedup == DedupMode.SKIP:
                        result.decision = "skip"
                        result.note = _("既存のデータと重複")
                        continue
                    result.errors = {"": _("重複する既存データを変更する権限がありません。")}
                    continue
                if dedup == DedupMode.SKIP:
                    result.decision = "skip"
                    result.note = (
                        _("ファイル内の %(row)s 行目と重複") % {"row": target.row_numbers[0]}
                        if target.is_new
                        else _("既存のデータと重複")
                    )
                    continue
                if target.old is None and not target.is_new:
                    target.old = {}
                    touched[target.obj.pk] = target
                    pending.append(target)
                changed = self._apply_update(
                    target.obj, data, overwrite=dedup == DedupMode.OVERWRITE, old=target.old
                )
                self.set_keys(target.obj)
                target.row_numbers.append(result.row_number)
                result.decision = "update" if changed or not target.is_new else "skip"
                result.data = data
                if target.is_new:
                    result.note = _("ファイル内の %(row)s 行目に統合") % {"row": target.row_numbers[0]}
            for key in keys:
                in_file.setdefault(key, target)
        return pending

    def _snapshot(self, obj: Any) -> dict[str, Any]:
        take = getattr(self, "_snapshotter", None)
        if take is None:
            take = self._snapshotter = audit.snapshotter(self.model, _snapshot_fields(self.model))
        return take(obj)

    def _update_delta(self, obj: Any, old: dict[str, Any]) -> dict[str, Any]:
        """``audit.diff(snapshot before, snapshot after)`` of a record whose changed fields' old values
        are ``old`` (attname → value): the other fields are equal in both snapshots."""
        if not self._attname_names:
            self._attname_names = {f.attname: f.name for f in self.model._meta.concrete_fields}
        after = self._snapshot(obj)
        before = dict(after)
        for attname, value in old.items():
            name = self._attname_names.get(attname, attname)
            if name in before:
                before[name] = audit.plain(value)
        return audit.diff(before, after)

    def _apply_update(
        self, obj: Any, data: dict[str, Any], *, overwrite: bool, old: dict[str, Any] | None
    ) -> list[str]:
        """Copy ``data`` onto ``obj`` (empty fields only unless ``overwrite``); the names it changed.

        ``old`` (of an existing record) collects each changed field's value before the first change,
        so that the audit delta needs no full snapshot of records the import leaves as they were."""
        changed: list[str] = []
        for name, value in data.items():
            if _is_empty(value):
                continue
            f = self.model._meta.get_field(name)
            if f.is_relation:  # compare ids: reading the relation would query once per record
                current, value = getattr(obj, f.attname), getattr(value, "pk", value)
                name = f.attname
            else:
                current = getattr(obj, name)
            if (overwrite or _is_empty(current)) and current != value:
                if old is not None:
                    old.setdefault(name, current)
                setattr(obj, name, value)
                changed.append(name)
        return changed

    def _write(self, pending: list[_Pending], results: list[RowResult], *, by: User) -> list[WrittenRecord]:
        now = timezone.now()
        new_pending = [p for p in pending if p.is_new]
        new_objs = [p.obj for p in new_pending]
        fastinsert.insert(new_objs)
        self.after_create(new_objs)
        updated: list[tuple[_Pending, dict[str, Any]]] = []
        for p in pending:
            if p.is_new or not p.old:
                continue
            delta = self._update_delta(p.obj, p.old)
            if delta:
                p.obj.version += 1
                p.obj.updated_at = now
                updated.append((p, delta))
        if updated:
            changed_fields = sorted({name for _p, delta in updated for name in delta})
            update_fields = [self.model._meta.get_field(n).name for n in changed_fields]
            fastinsert.update(
                [p.obj for p, _d in updated], [*update_fields, "version", "updated_at", *self.key_fields]
            )
        entries = [
            audit.entry_values(
                obj, by=by, action="create", changes=audit.created_changes(self._snapshot(obj)), via="import"
            )
            for obj in new_objs
        ]
        entries += [
            audit.entry_values(p.obj, by=by, action="update", changes=delta, via="import")
            for p, delta in updated
        ]
        entry_ids = fastinsert.insert_values(AuditEntry, entries)
        if search.is_registered(self.object_type):  # records outside the global search have no documents
            search.reindex_many(
                self.object_type,
                self.search_objects([*new_objs, *(p.obj for p, _d in updated)]),
                batch_size=WRITE_BATCH,
            )
        written = [
            WrittenRecord(p.row_numbers[0], self.object_type, p.obj.pk, "created", entry_id)
            for p, entry_id in zip(new_pending, entry_ids, strict=False)
        ]
        written += [
            WrittenRecord(p.row_numbers[0], self.object_type, p.obj.pk, "updated", entry_id, delta)
            for (p, delta), entry_id in zip(updated, entry_ids[len(new_objs) :], strict=True)
        ]
        unchanged = {id(p.obj) for p in pending if not p.is_new and p.old is not None} - {
            id(p.obj) for p, _d in updated
        }
        if unchanged:
            rows_unchanged = {n for p in pending if id(p.obj) in unchanged for n in p.row_numbers}
            for result in results:
                if result.row_number in rows_unchanged and result.decision == "update":
                    result.decision = "skip"
                    result.note = _("変更なし")
        return written


# Companies and contacts


def _choices(choices: Iterable[tuple[Any, Any]]) -> tuple[tuple[str, Any], ...]:
    return tuple((str(v), label) for v, label in choices if v != "")


def _company_fields() -> tuple[FieldSpec, ...]:
    from daifuku.customers.models import CompanyRank, CompanyStatus, LegalFormPosition

    g = gettext_lazy
    return (
        FieldSpec(
            "name",
            g("会社名"),
            ("社名", "企業名", "取引先名", "法人名", "company", "companyname", "会社", "取引先", "name"),
            required=True,
        ),
        FieldSpec(
            "name_kana",
            g("フリガナ"),
            ("会社名フリガナ", "会社名カナ", "カナ", "ふりがな", "よみ", "読み", "kana", "furigana"),
        ),
        FieldSpec("legal_form_position", g("法人格の位置"), (), _choices(LegalFormPosition.choices)),
        FieldSpec("corporate_number", g("法人番号"), ("corporatenumber",)),
        FieldSpec(
            "invoice_registration_number",
            g("適格請求書発行事業者登録番号"),
            ("登録番号", "インボイス登録番号", "適格請求書登録番号", "T番号"),
        ),
        FieldSpec("postal_code", g("郵便番号"), ("〒", "郵便", "zip", "zipcode", "postalcode", "postcode")),
        FieldSpec("prefecture", g("都道府県"), ("県", "prefecture")),
        FieldSpec("city", g("市区町村"), ("市区郡", "city")),
        FieldSpec("street", g("町名・番地"), ("住所", "番地", "住所1", "所在地", "address", "street")),
        FieldSpec("building", g("建物名"), ("住所2", "ビル名", "building")),
        FieldSpec("phone", g("電話番号"), ("TEL", "電話", "代表電話", "電話番号(代表)", "phone", "tel")),
        FieldSpec("fax", g("FAX"), ("ファックス", "FAX番号", "fax")),
        FieldSpec("email", g("メール"), ("メールアドレス", "Eメール", "E-mail", "email", "mail")),
        FieldSpec("website", g("ウェブサイト"), ("URL", "ホームページ", "HP", "web", "website")),
        FieldSpec("representative", g("代表者"), ("代表者名", "代表")),
        FieldSpec("capital", g("資本金（円）"), ("資本金", "capital")),
        FieldSpec("employees", g("従業員数"), ("社員数", "employees")),
        FieldSpec("fiscal_month", g("決算月"), ("決算期",)),
        FieldSpec("description", g("事業内容"), ("業務内容",)),
        FieldSpec("rank", g("ランク"), ("rank",), _choices(CompanyRank.choices)),
        FieldSpec("status", g("ステータス"), ("状態", "status"), _choices(CompanyStatus.choices)),
        FieldSpec("notes", g("メモ"), ("備考", "notes", "memo")),
    )


class CompanyTarget(ModelTarget):
    key = "companies"
    label = gettext_lazy("取引先")
    object_type = "company"

    def __init__(self) -> None:
        from daifuku.customers.models import Company

        super().__init__()
        self.model = Company
        self.fields = _company_fields()

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        from daifuku.customers.services import company_clean

        cleaned, _warnings = company_clean(data)
        return cleaned

    def set_keys(self, obj: Any) -> None:
        from daifuku.customers.services import _company_keys

        _company_keys(obj)

    def dedup_keys(self, obj: Any) -> list[tuple[str, Any]]:
        keys: list[tuple[str, Any]] = []
        if obj.corporate_number:
            keys.append(("corporate_number", obj.corporate_number))
        if obj.name_key:
            keys.append(("name_key", obj.name_key))
        if obj.phone:
            keys.append(("phone", obj.phone))
        return keys

    def visible_queryset(self, by: User) -> models.QuerySet[Any]:
        from daifuku.customers.selectors import company_queryset

        return company_queryset(user=by)

    def new_company_error(self, by: User) -> str:
        """Why ``by`` may not create the company a contact row names ("" if allowed), as company_create."""
        if not hasattr(self, "_new_company_error"):
            self._new_company_error = ""
            try:
                if not visibility.can_create(by, self.object_type):
                    raise PermissionDenied
                visibility.check_can_assign(by, self.object_type, by.pk, by.team_id)
            except PermissionDenied:
                self._new_company_error = _("会社を登録する権限がありません。")
        return self._new_company_error

    def build_company(self, name: str, number: str, by: User) -> Any:
        """An unsaved company as ``company_create(data={"name", "corporate_number"})`` would save it, or
        the error message (all messages joined) when it would refuse the input."""
        data = {"name": name, "corporate_number": number}
        labels = {spec.name: str(spec.label) for spec in self.fields}
        try:
            cleaned = self.clean(data)
        except ValidationError as exc:
            return " ".join(m for ms in exc.message_dict.values() for m in ms)
        company = self._build(cleaned, by)
        self.set_keys(company)
        errors = self._validate(company, cleaned, labels)
        if errors:
            return " ".join(errors.values())
        return company


def _contact_fields() -> tuple[FieldSpec, ...]:
    from daifuku.customers.models import Gender, MailConsent

    g = gettext_lazy
    return (
        FieldSpec("full_name", g("氏名"), ("名前", "お名前", "担当者名", "フルネーム", "fullname", "name")),
        FieldSpec(
            "family_name", g("姓"), ("苗字", "名字", "lastname", "familyname", "surname"), required=True
        ),
        FieldSpec("given_name", g("名"), ("firstname", "givenname")),
        FieldSpec("full_name_kana", g("氏名フリガナ"), ("フリガナ", "ふりがな", "氏名カナ", "カナ", "よみ")),
        FieldSpec("family_name_kana", g("セイ"), ("姓フリガナ", "姓カナ", "せい")),
        FieldSpec("given_name_kana", g("メイ"), ("名フリガナ", "名カナ", "めい")),
        FieldSpec(
            "company_name",
            g("会社名"),
            (
                "社名",
                "企業名",
                "取引先",
                "取引先名",
                "会社",
                "所属",
                "company",
                "companyname",
                "organization",
            ),
        ),
        FieldSpec("company_corporate_number", g("会社の法人番号"), ("法人番号",)),
        FieldSpec("department", g("部署"), ("部署名", "所属部署", "部門", "department")),
        FieldSpec("title", g("役職"), ("役職名", "肩書", "title", "jobtitle")),
        FieldSpec("mobile_phone", g("携帯電話"), ("携帯", "携帯番号", "携帯電話番号", "mobile", "cell")),
        FieldSpec("office_phone", g("会社電話"), ("電話番号", "TEL", "電話", "会社電話番号", "phone", "tel")),
        FieldSpec("email", g("メール"), ("メールアドレス", "Eメール", "E-mail", "email", "mail")),
        FieldSpec("email_alt", g("メール（予備）"), ("メール2", "メールアドレス2", "email2")),
        FieldSpec("postal_code", g("郵便番号"), ("〒", "郵便", "zip", "zipcode", "postalcode")),
        FieldSpec("prefecture", g("都道府県"), ("県",)),
        FieldSpec("city", g("市区町村"), ("市区郡",)),
        FieldSpec("street", g("町名・番地"), ("住所", "番地", "住所1", "address")),
        FieldSpec("building", g("建物名"), ("住所2", "ビル名")),
        FieldSpec("birthday", g("誕生日"), ("生年月日", "birthday")),
        FieldSpec("gender", g("性別"), ("gender", "sex"), _choices(Gender.choices)),
        FieldSpec(
            "mail_consent", g("メール配信同意"), ("メール配信", "配信同意"), _choices(MailConsent.choices)
        ),
        FieldSpec("notes", g("メモ"), ("備考", "notes", "memo")),
    )


class ContactTarget(ModelTarget):
    key = "contacts"
    label = gettext_lazy("担当者")
    object_type = "contact"
    virtual_fields = frozenset({"full_name", "full_name_kana", "company_name", "company_corporate_number"})

    def __init__(self) -> None:
        from daifuku.customers.models import Contact

        super().__init__()
        self.model = Contact
        self.fields = _contact_fields()
        self._companies: dict[tuple[str, str], Any] = {}

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        from daifuku.customers.services import contact_clean

        data = dict(data)
        for whole, family, given in (
            ("full_name", "family_name", "given_name"),
            ("full_name_kana", "family_name_kana", "given_name_kana"),
        ):
            value = jp.nfkc(data.pop(whole, "")).strip()
            if value and not data.get(family):
                parts = value.split(None, 1)
                data[family] = parts[0]
                if len(parts) > 1 and not data.get(given):
                    data[given] = parts[1]
        company_name = data.pop("company_name", "")
        company_number = data.pop("company_corporate_number", "")
        if data.get("mail_consent") == "opted_in" and not data.get("mail_consent_method"):
            data["mail_consent_method"] = "import"
        cleaned, _warnings = contact_clean(data)
        if company_name or company_number:
            cleaned["_company"] = (str(company_name).strip(), jp.clean_digits(str(company_number)))
        return cleaned

    def set_keys(self, obj: Any) -> None:
        from daifuku.customers.services import _contact_keys

        _contact_keys(obj)

    def dedup_keys(self, obj: Any) -> list[tuple[str, Any]]:
        keys: list[tuple[str, Any]] = []
        if obj.email:
            keys.append(("email", obj.email))
        if obj.mobile_phone:
            keys.append(("mobile_phone", obj.mobile_phone))
        if obj.name_key and obj.company_id:
            keys.append(("name_company", (obj.name_key, obj.company_id)))
        elif obj.name_key and obj.office_phone:
            keys.append(("name_phone", (obj.name_key, obj.office_phone)))
        return keys

    def visible_queryset(self, by: User) -> models.QuerySet[Any]:
        from daifuku.customers.selectors import contact_queryset

        # Matched contacts are loaded without their company: only the ones the import changes need it
        # (for their search text), and ``search_objects`` loads those companies in one query.
        return contact_queryset(user=by)

    def search_objects(self, objs: list[Any]) -> Iterable[Any]:
        from daifuku.customers.models import Company, Contact

        missing = [o for o in objs if o.company_id and not Contact.company.is_cached(o)]
        if missing:
            # By id, not prefetch_related_objects(missing, "company"): Django 5.2 prefetches a foreign
            # key with a tuple IN that SQLite reads as one OR per company, and a batch naming more
            # than about 1,000 companies failed ("Expression tree is too large"). in_bulk splits the
            # ids to the database's parameter limit.
            companies = Company._base_manager.in_bulk({o.company_id for o in missing})
            for obj in missing:
                obj.company = companies[obj.company_id]
        return objs

    def find_existing(
        self, base: models.QuerySet[Any], lookup: str, values: set[Any]
    ) -> Iterable[tuple[Any, Any]]:
        if lookup not in ("name_company", "name_phone"):
            yield from super().find_existing(base, lookup, values)
            return
        other = "company_id" if lookup == "name_company" else "office_phone"
        # Both halves of the pair narrow the read: a common name (田中 太郎) alone matched hundreds of
        # people per row at a million contacts; the pair itself is checked below. Which index serves it
        # is the planner's choice — SQLite needs statistics for it, which an import refreshes when it
        # ends (services.job_run).
        rows = base.filter(
            name_key__in=inlist.param({v[0] for v in values}),
            **{f"{other}__in": inlist.param({v[1] for v in values})},
        ).order_by("pk")
        for name_key, other_value, pk in rows.values_list("name_key", other, "pk").iterator(chunk_size=5000):
            value = (name_key, other_value)
            if value in values:
                yield value, pk

    def resolve_virtual(self, rows: list[tuple[RowResult, dict[str, Any]]], *, by: User, write: bool) -> None:
        from daifuku.customers.selectors import company_queryset

        wanted_numbers: set[str] = set()
        wanted_keys: set[str] = set()
        for _result, data in rows:
            spec = data.get("_company")
            if spec:
                name, number = spec
                if number:
                    wanted_numbers.add(number)
                if name:
                    wanted_keys.add(jp.company_name_key(name))
        found_by_number: dict[str, Any] = {}
        found_by_key: dict[str, Any] = {}
        if wanted_numbers or wanted_keys:
            # The first company (lowest id) the user may see per 法人番号 and per name key — only those
            # are built: common names are shared by many companies (at a million contacts a batch's
            # 2,000 names matched ~65,000 companies, half of the import's time).
            visible = company_queryset(user=by)
            firsts: dict[tuple[str, str], int] = {}
            for column, wanted in (("corporate_number", wanted_numbers), ("name_key", wanted_keys)):
                if wanted:
                    first_ids = (
                        visible.filter(**{f"{column}__in": inlist.param(wanted)})
                        .order_by()
                        .values_list(column)
                        .annotate(first=models.Min("pk"))
                    )
                    firsts.update(((column, value), first) for value, first in first_ids)
            companies = visible.in_bulk(set(firsts.values()))
            for (column, value), pk in firsts.items():
                (found_by_number if column == "corporate_number" else found_by_key)[value] = companies[pk]
        # Companies not found are created in bulk after the loop (one per (法人番号, name key); the first
        # row that names it validly wins), audited like company_create, without per-record events.
        new_companies: dict[tuple[str, str], _Pending] = {}
        new_by_number: dict[str, _Pending] = {}
        new_by_key: dict[str, _Pending] = {}
        waiting: list[tuple[_Pending, dict[str, Any]]] = []
        company_target: CompanyTarget | None = None
        for result, data in rows:
            spec = data.pop("_company", None)
            if not spec:
                continue
            name, number = spec
            key = jp.company_name_key(name) if name else ""
            company = found_by_number.get(number) if number else None
            company = company or (found_by_key.get(key) if key else None)
            company = company or self._companies.get((number, key))
            if company is not None:
                data["company"] = company
                continue
            if not name:
                result.errors[str(gettext_lazy("会社の法人番号"))] = _("該当する会社がありません。")
                continue
            if not write:
                result.note = _("会社「%(name)s」を新規登録") % {"name": name}
                continue
            group = (number, key)
            new = new_by_number.get(number) if number else None
            new = new or (new_by_key.get(key) if key else None) or new_companies.get(group)
            if new is None:
                if company_target is None:
                    company_target = CompanyTarget()
                error = company_target.new_company_error(by)
                if error:
                    result.errors[str(gettext_lazy("会社名"))] = error
                    continue
                built = company_target.build_company(name, number, by)
                if isinstance(built, str):
                    result.errors[str(gettext_lazy("会社名"))] = built
                    continue
                new = new_companies[group] = _Pending(built, [result.row_number], is_new=True)
                if number:
                    new_by_number[number] = new
                new_by_key[built.name_key] = new
            waiting.append((new, data))
        if not new_companies or company_target is None:
            return
        self.side_written += company_target._write(list(new_companies.values()), [], by=by)
        for group, p in new_companies.items():
            self._companies[group] = p.obj
        for p, data in waiting:
            data["company"] = p.obj

    def after_create(self, objs: list[Any]) -> None:
        from daifuku.customers.models import ContactAffiliation

        today = timezone.localdate()
        names: dict[int, str] = {}  # a batch names a few hundred companies for thousands of contacts
        fastinsert.insert_values(
            ContactAffiliation,
            [
                {
                    "contact": c.pk,
                    "company": c.company_id,
                    "company_name": names.get(c.company_id)
                    or names.setdefault(c.company_id, c.company.display_name),
                    "department": c.department,
                    "title": c.title,
                    "started_on": today,
                }
                for c in objs
                if c.company_id
            ],
        )


register(CompanyTarget)
register(ContactTarget)


# Lookups shared by targets whose rows name a company or a user (deals, activities …)


def match_companies(by: User, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """(会社名, 法人番号) pairs → the company ``by`` can see: by 法人番号 first, then by the normalized
    name key (``jp.company_name_key``), oldest first. Pairs that match nothing are left out; one query."""
    pairs = {(str(name).strip(), jp.clean_digits(str(number))) for name, number in wanted}
    numbers = {number for _name, number in pairs if number}
    keys = {jp.company_name_key(name) for name, _number in pairs if name}
    if not numbers and not keys:
        return {}
    from daifuku.customers.selectors import company_queryset

    by_number: dict[str, Any] = {}
    by_key: dict[str, Any] = {}
    qs = company_queryset(user=by).filter(
        models.Q(corporate_number__in=numbers) | models.Q(name_key__in=keys)
    )
    for company in qs.order_by("pk"):
        if company.corporate_number:
            by_number.setdefault(company.corporate_number, company)
        by_key.setdefault(company.name_key, company)
    found: dict[tuple[str, str], Any] = {}
    for name, number in pairs:
        company: Any = by_number.get(number) if number else None
        company = company or (by_key.get(jp.company_name_key(name)) if name else None)
        if company is not None:
            found[(name, number)] = company
    return found


def user_name_key(text: str) -> str:
    return jp.fold(text).replace(" ", "")


def match_users(names: Iterable[str]) -> dict[str, User]:
    """Cell text → the active user whose ユーザー名 it is, else whose 姓名 (spaces ignored); one query."""
    wanted = {str(n).strip() for n in names if str(n).strip()}
    if not wanted:
        return {}
    users = list(User.objects.filter(is_active=True).select_related("team").order_by("pk"))
    by_username = {u.username: u for u in users}
    by_name: dict[str, User] = {}
    for u in users:
        full = user_name_key(f"{u.last_name}{u.first_name}")
        if full:
            by_name.setdefault(full, u)
    found: dict[str, User] = {}
    for name in wanted:
        user = by_username.get(name) or by_name.get(user_name_key(name))
        if user is not None:
            found[name] = user
    return found
