"""名寄せ: find duplicate companies and contacts, merge them into one, undo a merge.

Related rows are found generically through the model's reverse relations (``_meta``), so records
of modules added later (activities, deals, …) move to the survivor without registering anything.
The merged record stays as a tombstone: in the trash, with ``merged_into`` pointing at the survivor,
so old links and API ids resolve (:func:`survivor_pk`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from daifuku.core import audit, events, search, visibility
from daifuku.core.models import User
from daifuku.customers import services as customer_services
from daifuku.customers.models import Company, Contact

MODELS: dict[str, type[models.Model]] = {"company": Company, "contact": Contact}
FUZZY_THRESHOLD = 88
FUZZY_LIMIT = 2000  # records compared by name similarity (the newest); exact keys cover all records


def _model(object_type: str) -> type[models.Model]:
    try:
        return MODELS[object_type]
    except KeyError:
        raise ValidationError({"object_type": _("対象が不正です。")}) from None


def survivor_pk(object_type: str, pk: int) -> int | None:
    """The record a merged (tombstone) id now lives in, following chains; None if ``pk`` was not merged."""
    model = _model(object_type)
    seen: set[int] = set()
    current = pk
    while current not in seen:
        seen.add(current)
        target = model._default_manager.filter(pk=current).values_list("merged_into_id", flat=True).first()
        if target is None:
            return None if current == pk else current
        current = target
    return None


def get_resolved(object_type: str, *, user: User, pk: int) -> Any:
    """The record ``pk`` the user may see, or the visible survivor it was merged into; else Http404."""
    from daifuku.customers import selectors

    getter = selectors.company_get if object_type == "company" else selectors.contact_get
    try:
        return getter(user=user, pk=pk)
    except Http404:
        survivor = survivor_pk(object_type, pk)
        if survivor is None:
            raise
        return getter(user=user, pk=survivor)


def mergeable_fields(object_type: str) -> list[models.Field]:  # type: ignore[type-arg]
    fields = (
        customer_services.COMPANY_FIELDS if object_type == "company" else customer_services.CONTACT_FIELDS
    )
    model = _model(object_type)
    return [model._meta.get_field(n) for n in fields if not model._meta.get_field(n).many_to_many]


# Finding duplicates


@dataclass
class Candidate:
    reason: str
    score: int
    records: list[Any] = field(default_factory=list)


def _visible(object_type: str, user: User) -> models.QuerySet[Any]:
    from daifuku.customers.selectors import company_queryset, contact_queryset

    if object_type == "company":
        return company_queryset(user=user, action="edit")
    return contact_queryset(user=user, action="edit")


def find_duplicates(*, user: User, object_type: str, limit: int = 50) -> list[Candidate]:
    """Groups of likely duplicates among the records the user may edit, strongest reason first.

    Exact keys (法人番号, normalized name, phone, email/domain) are grouped in the database; fuzzy
    name similarity (rapidfuzz, token-set ratio ≥ ``FUZZY_THRESHOLD``) compares the newest records.
    """
    from rapidfuzz import fuzz, process

    qs = _visible(object_type, user)
    keys = (
        [
            ("corporate_number", _("法人番号が同じ"), 100),
            ("name_key", _("会社名（正規化）が同じ"), 95),
            ("phone", _("電話番号が同じ"), 85),
            ("email", _("メールが同じ"), 85),
        ]
        if object_type == "company"
        else [
            ("email", _("メールが同じ"), 100),
            ("mobile_phone", _("携帯電話が同じ"), 95),
            ("name_key", _("氏名（正規化）が同じ"), 80),
        ]
    )
    groups: list[tuple[str, int, list[int]]] = []
    seen_sets: set[frozenset[int]] = set()
    for name, reason, score in keys:
        dup_values = (
            qs.exclude(**{name: ""})
            .values(name)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by("-n")[:limit]
        )
        values = [row[name] for row in dup_values]
        if not values:
            continue
        by_value: dict[Any, list[int]] = defaultdict(list)
        for pk, value in qs.filter(**{f"{name}__in": values}).values_list("pk", name).order_by("pk"):
            by_value[value].append(pk)
        for ids in by_value.values():
            key = frozenset(ids)
            if key not in seen_sets:
                seen_sets.add(key)
                groups.append((reason, score, ids))
    recent = list(qs.order_by("-pk").values_list("pk", "name_key")[:FUZZY_LIMIT])
    names = [n for _pk, n in recent]
    for i, name_i in enumerate(names[:-1]):
        if not name_i:
            continue
        for _choice, score_ij, j in process.extract(
            name_i, names[i + 1 :], scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=None
        ):
            if names[i + 1 + j] and names[i + 1 + j] != name_i:
                ids = sorted([recent[i][0], recent[i + 1 + j][0]])
                key = frozenset(ids)
                if key not in seen_sets:
                    seen_sets.add(key)
                    groups.append((_("名前が似ている"), int(score_ij), ids))
    groups.sort(key=lambda g: (-g[1], g[2]))
    groups = groups[:limit]
    wanted = {pk for _r, _s, ids in groups for pk in ids}
    related = ("company", "owner") if object_type == "contact" else ("owner",)
    objects = qs.filter(pk__in=wanted).select_related(*related).in_bulk()
    result = []
    for reason, score, ids in groups:
        records = [objects[pk] for pk in ids if pk in objects]
        if len(records) > 1:
            result.append(Candidate(reason, score, records))
    return result


# Merging


def _relations(model: type[models.Model]) -> list[Any]:
    """Every reverse FK / one-to-one and every M2M pointing at ``model``, hidden ones (``+``) included."""
    found = []
    for rel in model._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        if rel.related_model is None:
            continue
        if getattr(rel, "field", None) is not None and rel.field.name == "merged_into":
            continue  # tombstones already pointing here stay valid through the chain
        found.append(rel)
    return found


@transaction.atomic
def merge(
    *,
    object_type: str,
    survivor: Any,
    merged: Any,
    by: User,
    values: dict[str, str] | None = None,
) -> Any:
    """Merge ``merged`` into ``survivor``: chosen field values, all related rows, a tombstone left behind.

    ``values`` maps a field name to ``"survivor"`` or ``"merged"`` (which record's value to keep);
    fields not named keep the survivor's value, or the merged one's where the survivor's is empty.
    """
    from daifuku.imports.models import MergeRecord

    model = _model(object_type)
    survivor = model._default_manager.select_for_update().get(pk=survivor.pk)
    merged = model._default_manager.select_for_update().get(pk=merged.pk)
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": _("同じレコードは統合できません。")})
    if survivor.is_deleted or merged.is_deleted:
        raise ValidationError({"merged": _("ごみ箱のレコードは統合できません。")})
    visibility.check_can_edit(by, survivor, object_type)
    visibility.check_can_edit(by, merged, object_type)
    values = values or {}
    field_names = [f.name for f in mergeable_fields(object_type)]
    before = audit.snapshot(survivor)
    for name in field_names:
        choice = values.get(name, "")
        f = model._meta.get_field(name)
        mine, theirs = getattr(survivor, f.attname), getattr(merged, f.attname)
        if choice == "merged" or (choice != "survivor" and _empty(mine) and not _empty(theirs)):
            setattr(survivor, f.attname, theirs)
    if object_type == "company" and survivor.parent_id == merged.pk:
        survivor.parent_id = merged.parent_id if merged.parent_id != survivor.pk else None
    record = MergeRecord(object_type=object_type, survivor_id=survivor.pk, merged_id=merged.pk, by=by)
    moved: dict[str, list[int]] = {}
    m2m_added: dict[str, list[int]] = {}
    m2m_removed: list[Any] = []
    for rel in _relations(model):
        if rel.many_to_many:
            _move_m2m(rel, survivor, merged, m2m_added, m2m_removed)
            continue
        fk = rel.field
        qs = rel.related_model._base_manager.filter(**{fk.attname: merged.pk})
        if rel.related_model is model:
            qs = qs.exclude(pk=survivor.pk)
        ids = list(qs.values_list("pk", flat=True))
        if ids:
            rel.related_model._base_manager.filter(pk__in=ids).update(**{fk.attname: survivor.pk})
            moved[f"{rel.related_model._meta.label}.{fk.name}"] = ids
    for f in model._meta.many_to_many:
        through = getattr(model, f.name).through
        src, dst = f.m2m_field_name(), f.m2m_reverse_field_name()
        have = set(through.objects.filter(**{src: survivor.pk}).values_list(f"{dst}_id", flat=True))
        add = [
            through(**{f"{src}_id": survivor.pk, f"{dst}_id": other})
            for other in through.objects.filter(**{src: merged.pk}).values_list(f"{dst}_id", flat=True)
            if other not in have
        ]
        created = through.objects.bulk_create(add)
        if created:
            m2m_added[f"{through._meta.label}"] = [t.pk for t in created]
    customer_keys = (
        customer_services._company_keys if object_type == "company" else customer_services._contact_keys
    )
    customer_keys(survivor)
    after = audit.snapshot(survivor)
    delta = audit.diff(before, after)
    record.survivor_before = {name: old for name, (old, _new) in delta.items()}
    record.moved, record.m2m_added, record.m2m_removed = moved, m2m_added, m2m_removed
    survivor.version += 1
    survivor.save()
    now = timezone.now()
    merged.merged_into = survivor
    merged.deleted_at = now
    merged.deleted_by = by
    merged.version += 1
    merged.save(update_fields=["merged_into", "deleted_at", "deleted_by", "version", "updated_at"])
    record.save()
    note = _("%(merged)s（ID %(id)s）を統合") % {"merged": merged, "id": merged.pk}
    audit.record(survivor, by=by, action="merge", changes=delta, note=note)
    audit.record(
        merged,
        by=by,
        action="merged",
        changes={"deleted_at": [None, now.isoformat()], "merged_into": [None, survivor.pk]},
        note=_("%(survivor)s（ID %(id)s）へ統合") % {"survivor": survivor, "id": survivor.pk},
    )
    search.remove(object_type, merged.pk)
    search.reindex(object_type, survivor)
    if object_type == "company":
        search.reindex_many("contact", Contact.objects.filter(company=survivor).select_related("company"))
    events.emit(f"{object_type}.merged", survivor=survivor, merged=merged, by=by, record=record)
    return survivor


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _move_m2m(rel: Any, survivor: Any, merged: Any, added: dict[str, list[int]], removed: list[Any]) -> None:
    """Rows of another model's M2M that point at ``merged``: point them at the survivor (no doubles)."""
    f = rel.field
    through = f.remote_field.through
    mine, other = f.m2m_reverse_field_name(), f.m2m_field_name()
    have = set(through.objects.filter(**{f"{mine}_id": survivor.pk}).values_list(f"{other}_id", flat=True))
    for row in through.objects.filter(**{f"{mine}_id": merged.pk}):
        owner = getattr(row, f"{other}_id")
        if owner in have:
            removed.append([through._meta.label, {f"{mine}_id": merged.pk, f"{other}_id": owner}])
            row.delete()
        else:
            through.objects.filter(pk=row.pk).update(**{f"{mine}_id": survivor.pk})
            added.setdefault(f"{through._meta.label}.{mine}", []).append(row.pk)


@transaction.atomic
def merge_undo(*, record: Any, by: User) -> Any:
    """Undo a merge: the tombstone comes back, moved rows go back, the survivor's old values return."""
    from django.apps import apps

    if record.undone_at is not None:
        raise ValidationError({"__all__": _("この統合はすでに取り消されています。")})
    model = _model(record.object_type)
    survivor = model._default_manager.select_for_update().get(pk=record.survivor_id)
    merged = model._default_manager.select_for_update().get(pk=record.merged_id)
    visibility.check_can_edit(by, survivor, record.object_type)
    if merged.merged_into_id != survivor.pk:
        raise ValidationError({"__all__": _("統合後に変更があったため取り消せません。")})
    for label, ids in record.moved.items():
        model_label, field_name = label.rsplit(".", 1)
        related = apps.get_model(model_label)
        attname = related._meta.get_field(field_name).attname
        related._base_manager.filter(pk__in=ids, **{attname: survivor.pk}).update(**{attname: merged.pk})
    for label, ids in record.m2m_added.items():
        parts = label.split(".")
        through = apps.get_model(".".join(parts[:2]))
        if len(parts) == 3:  # another model's M2M row re-pointed: point it back
            through.objects.filter(pk__in=ids).update(**{f"{parts[2]}_id": merged.pk})
        else:  # survivor's own M2M rows added from the merged record
            through.objects.filter(pk__in=ids).delete()
    for label, values in record.m2m_removed:
        apps.get_model(label).objects.get_or_create(**values)
    before = audit.snapshot(survivor)
    for name, old in record.survivor_before.items():
        f = model._meta.get_field(name)
        if f.many_to_many:
            continue
        setattr(survivor, f.attname, None if old is None else f.to_python(old))
    keys = (
        customer_services._company_keys
        if record.object_type == "company"
        else customer_services._contact_keys
    )
    keys(survivor)
    survivor.version += 1
    survivor.save()
    merged.merged_into = None
    merged.deleted_at = None
    merged.deleted_by = None
    merged.version += 1
    merged.save(update_fields=["merged_into", "deleted_at", "deleted_by", "version", "updated_at"])
    record.undone_at = timezone.now()
    record.save(update_fields=["undone_at"])
    audit.record(survivor, by=by, action="unmerge", changes=audit.diff(before, audit.snapshot(survivor)))
    audit.record(merged, by=by, action="unmerge", changes={"merged_into": [survivor.pk, None]})
    search.reindex(record.object_type, survivor)
    search.reindex(record.object_type, merged)
    if record.object_type == "company":
        search.reindex_many(
            "contact", Contact.objects.filter(company__in=[survivor, merged]).select_related("company")
        )
    events.emit(f"{record.object_type}.unmerged", survivor=survivor, merged=merged, by=by)
    return merged


def check_can_merge(user: User, object_type: str) -> None:
    if not visibility.can_create(user, object_type):
        raise PermissionDenied(_("統合する権限がありません。"))
