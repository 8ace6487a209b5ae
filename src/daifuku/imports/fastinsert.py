"""A lean multi-row INSERT for the importer's hot tables (records, audit entries, affiliations, …).

Django's ``bulk_create`` spends most of its time per field and object in the SQL compiler
(``pre_save_val`` / ``prepare_value`` / ``field_as_sql``) and, on SQLite, splits a batch into
statements of 999 parameters (26 contacts each). For the import of 100,000 rows that was the largest
single cost. :func:`insert` writes the same values: plain ``str`` / ``int`` / ``bool`` / ``None`` of
text, number, boolean and foreign-key columns are passed as they are (what ``get_db_prep_save``
returns for them); any other value or column type (dates, decimals, JSON, …) goes through the
field's ``get_db_prep_save``; ``auto_now`` / ``auto_now_add`` columns get the time of the statement (Django's
``pre_save`` takes the time per object, microseconds apart, so no conversion could be shared). The
ids come back with ``RETURNING`` (SQLite ≥ 3.35, PostgreSQL) and the objects are marked saved, as
after ``bulk_create``.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone

_PLAIN = frozenset({str, int, bool, type(None)})
_RAW_TYPES = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.OneToOneField,
)


def _max_params() -> int:
    if connection.vendor == "postgresql":
        return 65_000
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 32, 0):
        return 32_000
    return 999


@dataclass
class _Plan:
    fields: list[Any]
    getter: Callable[[Any], tuple[Any, ...]]  # all column values of an object, one C-level call
    converted: list[int]  # columns whose values always go through get_db_prep_save (dates, JSON, …)
    auto: list[Any]  # auto_now / auto_now_add fields: set to the statement's time
    relations: list[Any]  # foreign keys: the id is taken from an assigned related object


def _plan(model: type[models.Model]) -> _Plan:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    getter = operator.attrgetter(*(f.attname for f in fields))
    return _Plan(
        fields=fields,
        getter=(lambda obj: (getter(obj),)) if len(fields) == 1 else getter,
        converted=[
            i
            for i, f in enumerate(fields)
            if not isinstance(f, _RAW_TYPES) or isinstance(f, models.JSONField)
        ],
        auto=[f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)],
        relations=[f for f in fields if f.is_relation],
    )


_plans: dict[type[models.Model], _Plan] = {}


def _converter(fields: list[Any]) -> Callable[[int, Any], Any]:
    """``fields[i].get_db_prep_save(value)`` for one statement's values, memoized per (column, value).

    A batch repeats the same timestamp, date or choice in every row; converting it once per batch
    instead of once per row is what made these conversions the importer's largest per-field cost.
    JSON values (dicts, lists: unhashable) go straight to the backend's JSON adapter, which is what
    ``JSONField.get_db_prep_save`` calls for a plain value.
    """
    memo: dict[tuple[int, type, Any], Any] = {}
    adapt_json = connection.ops.adapt_json_value

    def convert(i: int, value: Any) -> Any:
        field = fields[i]
        kind = type(value)
        if (kind is dict or kind is list) and isinstance(field, models.JSONField):
            return adapt_json(value, field.encoder)
        key = (i, kind, value)
        try:
            return memo[key]
        except KeyError:
            result = memo[key] = field.get_db_prep_save(value, connection)
            return result
        except TypeError:  # unhashable
            return field.get_db_prep_save(value, connection)

    return convert


def _row(plan: _Plan, obj: Any, convert: Callable[[int, Any], Any], now: Any) -> list[Any]:
    for field in plan.relations:  # as Model._prepare_related_fields_for_save
        if field.is_cached(obj):
            related = field.get_cached_value(obj)
            if related is not None:
                if related.pk is None:
                    raise ValueError(
                        f"bulk insert prohibited to prevent data loss due to unsaved {field.name}"
                    )
                if getattr(obj, field.attname) != related.pk:
                    setattr(obj, field.attname, related.pk)
    for field in plan.auto:  # what ``pre_save`` sets, with one timestamp for the statement
        setattr(obj, field.attname, now if isinstance(field, models.DateTimeField) else now.date())
    values = list(plan.getter(obj))
    for i in plan.converted:
        values[i] = convert(i, values[i])
    if _PLAIN.issuperset(map(type, values)):
        return values
    for i, value in enumerate(values):  # e.g. a Decimal in an integer column: as get_db_prep_save
        if type(value) not in _PLAIN and i not in plan.converted:
            values[i] = convert(i, value)
    return values


def _copy(cursor: Any, table: str, pk_column: str, columns: str, rows: Sequence[Sequence[Any]]) -> list[int]:
    """PostgreSQL: take ids from the table's sequence, then ``COPY`` the rows with them; the ids in order.

    Django's psycopg cursors bind parameters on the client, so a multi-row ``INSERT`` of 2,000 rows
    formatted 40,000 literals in Python and had the server parse them: the importer spent 3–5× more
    time per row on PostgreSQL than on SQLite. ``COPY`` streams the rows in psycopg's C dumpers.
    Taking the ids with ``nextval`` first is what a ``RETURNING`` insert does, one call for the batch.
    """
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [table, pk_column, len(rows)],
    )
    ids = sorted(r[0] for r in cursor.fetchall())
    with cursor.cursor.copy(
        f"COPY {table} ({connection.ops.quote_name(pk_column)}, {columns}) FROM STDIN"
    ) as copy:
        for new_id, values in zip(ids, rows, strict=True):
            copy.write_row((new_id, *values))
    return ids


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT ``objs`` (all of one model, unsaved, auto primary key) and set their ``pk``."""
    if not objs:
        return
    model = type(objs[0])
    plan = _plans.get(model)
    if plan is None:
        plan = _plans[model] = _plan(model)
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in plan.fields)
    pk = model._meta.pk
    assert pk is not None
    per_chunk = max(1, min(2000, _max_params() // len(plan.fields)))
    row_sql = "(" + ", ".join(["%s"] * len(plan.fields)) + ")"
    db = connection.alias
    convert = _converter(plan.fields)
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = _copy(
                cursor, table, str(pk.column), columns, [_row(plan, obj, convert, now) for obj in objs]
            )
            for obj, new_id in zip(objs, ids, strict=True):
                setattr(obj, pk.attname, new_id)
                obj._state.adding = False
                obj._state.db = db
            return
        for start in range(0, len(objs), per_chunk):
            chunk = objs[start : start + per_chunk]
            params: list[Any] = []
            for obj in chunk:
                params += _row(plan, obj, convert, now)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "  # noqa: S608
                f"RETURNING {qn(str(pk.column))}",
                params,
            )
            ids = [r[0] for r in cursor.fetchall()]
            if len(ids) != len(chunk):  # pragma: no cover - the database broke its promise
                raise RuntimeError("INSERT … RETURNING gave a different number of rows")
            for obj, new_id in zip(chunk, ids, strict=True):
                setattr(obj, pk.attname, new_id)
                obj._state.adding = False
                obj._state.db = db


def update(objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """``bulk_update(objs, names)`` as one ``UPDATE … SET <names> WHERE pk = %s`` run for every object
    (``executemany``), with the values :func:`insert` would write.

    Django's ``bulk_update`` writes one statement per batch with a ``CASE WHEN pk = … THEN …`` per field
    and object: for the import's "fill" and "overwrite" modes (2,000 rows a batch, each changing a few
    of a dozen fields) building those expressions was half of the import's time, more than writing the
    new records. Like ``bulk_update`` it writes the fields as they are on the objects (``auto_now`` is
    not applied) and takes a foreign key's id from an assigned related object."""
    if not objs:
        return
    model = type(objs[0])
    fields = [model._meta.get_field(name) for name in names]
    qn = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {assignments} WHERE {qn(str(pk.column))} = %s"  # noqa: S608
    raw = [isinstance(f, _RAW_TYPES) and not isinstance(f, models.JSONField) for f in fields]
    relations = [f for f in fields if f.is_relation]
    convert = _converter(fields)
    params: list[list[Any]] = []
    for obj in objs:
        for field in relations:  # as Model._prepare_related_fields_for_save
            if field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None and getattr(obj, field.attname) != related.pk:
                    setattr(obj, field.attname, related.pk)
        values = [getattr(obj, f.attname) for f in fields]
        for i, value in enumerate(values):
            if not raw[i] or type(value) not in _PLAIN:
                values[i] = convert(i, value)
        values.append(obj.pk)
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def insert_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT rows given as ``{field name or attname: value}`` without building model instances.

    For the side tables an import writes per row (audit entries, import records, affiliations):
    a model instance costs more than the row itself. Missing fields take their default, auto_now
    fields the current time, exactly as a new instance would. Returns the new ids in order.
    """
    if not rows:
        return []
    plan = _plans.get(model)
    if plan is None:
        plan = _plans[model] = _plan(model)
    now = timezone.now()
    defaults: list[Any] = []
    for field in plan.fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults.append(now if isinstance(field, models.DateTimeField) else now.date())
        else:
            defaults.append(field.get_default())
    names = [(f.name, f.attname) for f in plan.fields]
    objs: list[Any] = []
    for row in rows:
        values = [
            row[name] if name in row else row.get(attname, default)
            for (name, attname), default in zip(names, defaults, strict=True)
        ]
        objs.append(values)
    return _insert_lists(model, plan, objs)


def _insert_lists(model: type[models.Model], plan: _Plan, rows: list[list[Any]]) -> list[int]:
    qn = connection.ops.quote_name
    fields = plan.fields
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    pk = model._meta.pk
    assert pk is not None
    per_chunk = max(1, min(2000, _max_params() // len(fields)))
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    converted = set(plan.converted)
    convert = _converter(fields)
    ids: list[int] = []

    def prepared(values: list[Any]) -> list[Any]:
        for i in plan.converted:  # dates, JSON …: always through get_db_prep_save (memoized)
            values[i] = convert(i, values[i])
        if _PLAIN.issuperset(map(type, values)):  # the common row
            return values
        for i, value in enumerate(values):
            if i in converted:
                continue
            if isinstance(value, models.Model):
                values[i] = value.pk
            elif type(value) not in _PLAIN:
                values[i] = convert(i, value)
        return values

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _copy(cursor, table, str(pk.column), columns, [prepared(values) for values in rows])
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            params: list[Any] = []
            for values in chunk:
                params += prepared(values)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "  # noqa: S608
                f"RETURNING {qn(str(pk.column))}",
                params,
            )
            ids += [r[0] for r in cursor.fetchall()]
    return ids
