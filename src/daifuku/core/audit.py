"""The audit trail: every change to a record, field by field, old → new.

Services call :func:`snapshot` before a change and :func:`record` after it; ``record`` takes the
actor from the argument and the IP address / channel from :mod:`daifuku.core.context`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models

from daifuku.core import context
from daifuku.core.models import AuditEntry

Changes = dict[str, list[Any]]


def object_type_of(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return sorted(_plain(v) for v in value)
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Field values of ``obj`` as JSON-safe plain values (FKs as ids, M2M as sorted id lists)."""
    values: dict[str, Any] = {}
    for field in obj._meta.get_fields():
        if not field.concrete and not field.many_to_many:
            continue
        if field.auto_created and not field.concrete:
            continue
        name = field.name
        if fields is not None and name not in fields:
            continue
        if not getattr(field, "editable", True) or name in {"id", "created_at", "updated_at", "version"}:
            continue
        if field.many_to_many:
            if obj.pk is None:
                values[name] = []
            else:
                values[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
        elif field.is_relation:
            values[name] = getattr(obj, field.attname)
        else:
            values[name] = _plain(getattr(obj, name))
    return values


def snapshotter(model: type[models.Model], fields: list[str]) -> Callable[[models.Model], dict[str, Any]]:
    """A fast :func:`snapshot` of ``fields`` for many records of one model (imports).

    The field list is resolved once instead of walking ``_meta`` per record; the result is the same
    as ``snapshot(obj, fields)`` for concrete, non-M2M fields (M2M fields are refused: they query).
    """
    plan: list[tuple[str, str, bool]] = []
    for field in model._meta.concrete_fields:
        name = field.name
        if name not in fields:
            continue
        if not getattr(field, "editable", True) or name in {"id", "created_at", "updated_at", "version"}:
            continue
        plan.append((name, field.attname, field.is_relation))
    if any(model._meta.get_field(name).many_to_many for name in fields):
        raise ValueError("snapshotter() does not take many-to-many fields")
    plain = (str, int, bool, type(None))

    def take(obj: models.Model) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, attname, is_relation in plan:
            value = getattr(obj, attname)
            values[name] = value if is_relation or type(value) in plain else _plain(value)
        return values

    return take


_CONTAINERS = (str, list, dict)  # a tuple: ``str | list | dict`` built a union object on every call


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, _CONTAINERS) and not value)


def plain(value: Any) -> Any:
    """A field value as it appears in a snapshot (dates as ISO text, decimals as text, records as ids)."""
    return _plain(value)


def created_changes(after: dict[str, Any]) -> Changes:
    """``diff({}, after)`` — the changes of a created record — without comparing every field to None."""
    return {name: [None, after[name]] for name in sorted(after) if not _is_empty(after[name])}


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """Fields whose value changed, as ``{name: [old, new]}``. Empty to empty (None → "") is no change."""
    changes: Changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new and not (_is_empty(old) and _is_empty(new)):
            changes[name] = [old, new]
    return changes


def record(
    obj: models.Model,
    *,
    by: Any,
    action: str,
    changes: Changes | None = None,
    note: str = "",
    version: int | None = None,
) -> AuditEntry:
    """Append one audit entry for ``obj``. ``by`` is the acting user or None (system)."""
    ctx = context.current()
    actor = by if getattr(by, "pk", None) else None
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=(actor.get_username() if actor else "system")[:150],
        ip_address=ctx.ip_address,
        via=ctx.via,
        object_type=object_type_of(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:300],
        action=action,
        changes=changes or {},
        version=version if version is not None else getattr(obj, "version", None),
        note=note,
    )


def entry_values(
    obj: models.Model,
    *,
    by: Any,
    action: str,
    changes: Changes,
    note: str = "",
    version: int | None = None,
    via: str | None = None,
) -> dict[str, Any]:
    """The field values of the entry :func:`record` would write, for inserting many at once (imports).

    A dict rather than an unsaved ``AuditEntry``: building 100,000 model instances cost more than
    writing the rows.
    """
    ctx = context.current()
    actor = by if getattr(by, "pk", None) else None
    return {
        "actor": actor,
        "actor_name": (actor.get_username() if actor else "system")[:150],
        "ip_address": ctx.ip_address,
        "via": via or ctx.via,
        "object_type": object_type_of(obj),
        "object_id": obj.pk,
        "object_repr": str(obj)[:300],
        "action": action,
        "changes": changes or {},
        "version": version if version is not None else getattr(obj, "version", None),
        "note": note,
    }


def entries_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type_of(obj), object_id=obj.pk).select_related(
        "actor"
    )
