"""Model instances through SQL that Django compiles once per query shape, not once per request.

Compiling a queryset is most of a fast request: reading a page's 51 companies with their parent
company by id costs ~1.5 ms of SQL compilation (select lists of two 40-column tables, the join, the
converters) against ~0.1 ms of SQLite, and every API request also compiled its token lookup (four
joined tables). A :class:`Plan` is such a queryset compiled once, with markers where the values go;
running it only substitutes the values, executes, and builds instances the way Django's
``ModelIterable`` does (``from_db``, the ``select_related`` populators, the same converters).

Plans are kept per database connection (each web thread has its own), so converters bound to a
connection's operations never cross threads and no lock is needed.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.models.base import ModelState
from django.db.models.expressions import Col, RawSQL
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.lookups import Lookup
from django.db.models.query import ModelIterable, ValuesListIterable, prefetch_related_objects
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.where import ExtraWhere, WhereNode

_IDS = "__daifuku_prepared_ids__"
_ARG = "__daifuku_prepared_arg_"
_ATTR = "_daifuku_prepared_plans"


def arg(index: int) -> RawSQL:
    """A placeholder for ``args[index]`` of :meth:`Plan.fetch`."""
    return RawSQL("%s", (f"{_ARG}{index}__",))


def id_list() -> RawSQL:
    """A placeholder for the ``ids`` passed to :meth:`Plan.fetch`, for an ``__in`` lookup."""
    return RawSQL(_IDS, ())  # noqa: S611  (a constant marker, replaced by placeholders)


class Plan:
    """A queryset compiled once: its SQL, where the values go, and how rows become results.

    A model queryset gives instances; a ``values_list()`` queryset gives tuples (converted as
    Django converts them)."""

    def __init__(self, queryset: models.QuerySet[Any]) -> None:
        self.db = queryset.db
        compiler = queryset.query.get_compiler(using=self.db)
        sql, params = compiler.as_sql()
        self.params = list(params)
        self.sql: str = sql
        # Values before the id list, counted in the SQL text (Django escapes a literal % as %%).
        marker = sql.find(_IDS)
        self.ids_at = None if marker < 0 else sql[:marker].replace("%%", "").count("%s")
        self.slots = [
            (position, int(value[len(_ARG) : -2]))
            for position, value in enumerate(self.params)
            if isinstance(value, str) and value.startswith(_ARG)
        ]
        select, klass_info = compiler.select, compiler.klass_info
        iterable = queryset._iterable_class  # type: ignore[attr-defined]
        if iterable is ModelIterable and not compiler.annotation_col_map and klass_info is not None:
            kind = "instances"
        elif iterable is ValuesListIterable and queryset.query.values_select:
            kind = "rows"
        else:
            raise ValueError("a prepared plan reads plain model instances or values_list() rows")
        self.connection = compiler.connection
        found = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        conv = {
            pos: ([_faster(func, self.connection) for func in funcs], expression)
            for pos, (funcs, expression) in found.items()
        }
        self.model: type[models.Model] | None = None
        self.convs: _Convs = [(pos, funcs, expression) for pos, (funcs, expression) in conv.items()]
        if kind == "instances":
            self.model = klass_info["model"]
            fields = klass_info["select_fields"]
            self.start, self.end = fields[0], fields[-1] + 1
            names = [f[0].target.attname for f in select[self.start : self.end]]
            self.make = _factory(klass_info["model"], names, self.db)
            self.convs = [
                (pos - self.start, f, e) for pos, f, e in self.convs if self.start <= pos < self.end
            ]
            self.related = [
                _Related(info, select, self.db, conv, self.connection)
                for info in klass_info.get("related_klass_infos", [])
            ]
        self.prefetch = tuple(queryset._prefetch_related_lookups)  # type: ignore[attr-defined]

    def bind(self, args: Sequence[Any] = ()) -> list[Any]:
        """The plan's parameters with ``args`` where :func:`arg` marked them (for :attr:`sql` used as
        part of a larger statement; plans with an id list are for :meth:`fetch` only)."""
        params = list(self.params)
        for position, index in self.slots:
            params[position] = args[index]
        return params

    def fetch(self, args: Sequence[Any] = (), *, ids: Sequence[Any] = ()) -> list[Any]:
        """The results for these values (``args`` for :func:`arg`, ``ids`` for :func:`id_list`).

        A ``select_related`` record that several rows share (the same owner, team, industry) is built
        once and shared by those rows, where Django builds one per row: results are for reading."""
        params = self.bind(args)
        sql = self.sql
        if self.ids_at is not None:
            if not ids:
                return []
            sql = sql.replace(_IDS, ", ".join(["%s"] * len(ids)))
            params[self.ids_at : self.ids_at] = ids
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if self.model is None:
            return [tuple(_convert(row, self.convs, self.connection)) for row in rows] if self.convs else rows
        seen: dict[tuple[int, Any], Any] = {}
        found = []
        for row in rows:
            values = row[self.start : self.end]
            obj = self.make(_convert(values, self.convs, self.connection) if self.convs else values)
            for related in self.related:
                related.populate(row, obj, seen)
            found.append(obj)
        if self.prefetch and found:
            prefetch_related_objects(found, *self.prefetch)
        return found


_Convs = list[tuple[int, list[Callable[[Any, Any, Any], Any]], Any]]


def _convert(values: Sequence[Any], convs: _Convs, connection: Any) -> list[Any]:
    """``values`` with Django's database converters applied at their positions."""
    out = list(values)
    for pos, funcs, expression in convs:
        value = out[pos]
        for convert in funcs:
            value = convert(value, expression, connection)
        out[pos] = value
    return out


def _faster(func: Any, connection: Any) -> Any:
    """SQLite's datetime converter without its generic steps (a page of companies reads two or three
    datetimes a row): the connection's zone for a naive value, as ``make_aware`` does. The value
    usually arrives as a naive datetime already — the sqlite3 module parses columns declared
    ``datetime`` (Django connects with ``PARSE_DECLTYPES``) — else as text, read by ``fromisoformat``
    as Django's ``parse_datetime`` tries first; anything else (text ``fromisoformat`` refuses) goes
    through Django's own converter."""
    if (
        connection.vendor != "sqlite"
        or not settings.USE_TZ
        or getattr(func, "__func__", None) is not type(connection.ops).convert_datetimefield_value
        or getattr(func, "__self__", None) is not connection.ops
    ):
        return func
    zone = connection.timezone
    parse = dt.datetime.fromisoformat

    datetime_type = dt.datetime

    def convert(value: Any, expression: Any, conn: Any) -> Any:
        if type(value) is datetime_type:
            return value.replace(tzinfo=zone) if value.tzinfo is None else value
        if type(value) is not str:
            return func(value, expression, conn)
        try:
            parsed = parse(value)
        except ValueError:
            return func(value, expression, conn)
        return parsed.replace(tzinfo=zone) if parsed.utcoffset() is None else parsed

    return convert


class _Related:
    """One ``select_related`` model of a row, as Django's ``RelatedPopulator`` reads it (its columns,
    in the model's field order when they come from a parent model), built with :func:`_factory` and
    converted only when the record was not already built for an earlier row of the same fetch."""

    def __init__(
        self,
        klass_info: dict[str, Any],
        select: Sequence[Any],
        db: str,
        conv: dict[int, Any],
        connection: Any,
    ) -> None:
        model = klass_info["model"]
        fields = klass_info["select_fields"]
        if not klass_info["from_parent"]:
            columns = list(range(fields[0], fields[-1] + 1))
            names = [select[i][0].target.attname for i in columns]
        else:
            indexes = {select[i][0].target.attname: i for i in fields}
            names = [f.attname for f in model._meta.concrete_fields if f.attname in indexes]
            columns = [indexes[name] for name in names]
        self.columns = columns
        self.pk_idx = names.index(model._meta.pk.attname)
        self.convs: _Convs = [(i, *conv[col]) for i, col in enumerate(columns) if col in conv]
        self.make = _factory(model, names, db)
        self.children = [
            _Related(info, select, db, conv, connection) for info in klass_info.get("related_klass_infos", [])
        ]
        self.local_setter = klass_info["local_setter"]
        self.remote_setter = klass_info["remote_setter"]
        self.connection = connection

    def populate(self, row: Sequence[Any], from_obj: Any, seen: dict[tuple[int, Any], Any]) -> None:
        pk = row[self.columns[self.pk_idx]]
        if pk is None:
            obj = None
        else:
            obj = seen.get((id(self), pk))
            if obj is None:
                values = [row[i] for i in self.columns]
                obj = self.make(_convert(values, self.convs, self.connection) if self.convs else values)
                for child in self.children:
                    child.populate(row, obj, seen)
                seen[(id(self), pk)] = obj
        self.local_setter(from_obj, obj)
        if obj is not None:
            self.remote_setter(obj, from_obj)


def _factory(model: type[models.Model], names: list[str], db: str) -> Callable[[Sequence[Any]], Any]:
    """values (in ``names``' order) → the instance ``model.from_db(db, names, values)`` gives.

    ``Model.__init__`` sets ~40 attributes one by one through ``setattr``, testing each for a
    descriptor, and sends two signals; for a model that overrides neither ``__init__`` nor
    ``from_db``, has no signal receivers and no loaded field whose class attribute intercepts
    assignment (a foreign key's id descriptor only drops a cached related object, which a new
    instance has not), the same instance is its ``__dict__`` filled at once. A deferred field is
    simply absent, as ``__init__`` leaves it. Anything else goes through ``from_db``.
    """
    concrete = {f.attname for f in model._meta.concrete_fields}

    def slow(values: Sequence[Any]) -> Any:
        return model.from_db(db, names, values)

    if (
        model.__init__ is not models.Model.__init__
        or model.from_db.__func__ is not models.Model.from_db.__func__  # type: ignore[attr-defined]
        or pre_init.has_listeners(model)
        or post_init.has_listeners(model)
        or not set(names) <= concrete
        or len(set(names)) != len(names)
    ):
        return slow
    for name in names:
        descriptor = inspect.getattr_static(model, name, None)
        if hasattr(type(descriptor), "__set__") and not isinstance(descriptor, ForeignKeyDeferredAttribute):
            return slow
    new = object.__new__
    keys = tuple(names)

    def fast(values: Sequence[Any]) -> Any:
        obj = new(model)
        state = ModelState()
        state.adding = False
        state.db = db
        fields = dict(zip(keys, values, strict=True))
        fields["_state"] = state
        obj.__dict__ = fields
        return obj

    return fast


def _plans(db: str) -> dict[Hashable, Plan]:
    connection = connections[db]
    plans: dict[Hashable, Plan] | None = connection.__dict__.get(_ATTR)
    if plans is None:
        plans = connection.__dict__[_ATTR] = {}
    return plans


def plan(key: Hashable, build: Callable[[], models.QuerySet[Any]], *, db: str = "default") -> Plan:
    """The plan for ``key`` on ``db``'s connection, compiled from ``build()`` the first time.

    ``build`` returns the queryset with :func:`arg` where each value goes; everything else in it is
    fixed for the key."""
    plans = _plans(db)
    found = plans.get(key)
    if found is None:
        found = plans[key] = Plan(build().using(db))
    return found


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(value))
    return value


def by_pks(queryset: models.QuerySet[Any], ids: Sequence[Any]) -> dict[Any, Any] | None:
    """``queryset``'s records of ``ids`` by pk — with its ``select_related`` joins, deferred fields and
    prefetches, but NOT its filters: for ids the same queryset has just produced (a list page's ids
    read in list order, which already applied the user's scope and the list's filters).

    None when the queryset is not a plain model query (annotations, extra, values, a combinator…): the
    caller then reads it through the ORM as before."""
    query = queryset.query
    if (
        queryset._iterable_class is not ModelIterable  # type: ignore[attr-defined]
        or queryset._known_related_objects  # type: ignore[attr-defined]
        or query.annotations
        or query.extra
        or query.extra_tables
        or query.combinator
        or query.distinct
        or query.select_for_update
        or query.values_select
        or not all(isinstance(p, str) for p in queryset._prefetch_related_lookups)  # type: ignore[attr-defined]
    ):
        return None
    model = queryset.model
    related = query.select_related
    deferred = query.deferred_loading
    key = ("by_pks", model, _frozen(related), _frozen(deferred[0]), deferred[1],
           tuple(queryset._prefetch_related_lookups))  # type: ignore[attr-defined]  # fmt: skip

    def build() -> models.QuerySet[Any]:
        base = model._base_manager.all()
        base.query.select_related = related
        base.query.deferred_loading = deferred
        base._prefetch_related_lookups = queryset._prefetch_related_lookups  # type: ignore[attr-defined]
        return base.filter(pk__in=id_list()).order_by()

    return {obj.pk: obj for obj in plan(key, build, db=queryset.db).fetch(ids=ids)}


def values_by_pks(
    model: type[models.Model], ids: Sequence[Any], fields: tuple[str, ...], *, db: str = "default"
) -> dict[Any, tuple[Any, ...]]:
    """``(pk, *fields)`` value rows of the records of ``ids``, by pk — fields as ``values_list`` names
    them ("owner__last_name" through a join), converted as Django converts them. Like :func:`by_pks`
    it applies no filters: for ids a scoped queryset has just produced."""

    def build() -> models.QuerySet[Any]:
        return model._base_manager.filter(pk__in=id_list()).order_by().values_list("pk", *fields)

    return {row[0]: row for row in plan(("values_by_pks", model, fields), build, db=db).fetch(ids=ids)}


# Compiled SQL of list queries whose every condition is a plain column compared with plain values


_PLAIN_VALUES = (int, str, bool, float, type(None), Decimal, dt.date, dt.datetime)
_COMPILED: dict[Hashable, tuple[str, tuple[Any, ...]]] = {}
COMPILED_MAX = 1024  # distinct (query, values) kept; the cache starts over when it is full


def query_key(queryset: models.QuerySet[Any]) -> Hashable | None:
    """What ``queryset``'s SQL depends on, values included, when that is easy to tell: one table (no
    joins, annotations, extra selects, DISTINCT or slices) and a WHERE of plain columns compared with
    plain values (=, <, IN, IS NULL …, in AND/OR/NOT groups, and ``extra(where=…)`` text). None
    otherwise — the caller then compiles as usual.

    Two querysets with the same key compile to the same SQL and parameters. A list page without filters
    has the same key for every user (the scope is not part of it: ``visibility._split`` takes it out)."""
    query = queryset.query
    joined = [alias for alias, count in query.alias_refcount.items() if count]  # unused joins count 0
    if (
        len(joined) != 1
        or query.annotations
        or query.extra
        or query.distinct
        or query.combinator
        or query.low_mark
        or query.high_mark is not None
        or query.group_by is not None
        or query.values_select
        or not all(type(item) is str for item in query.order_by)
    ):
        return None
    where = _node_key(query.where)
    if where is None:
        return None
    return (queryset.db, queryset.model, query.order_by, query.default_ordering, where)


def _node_key(node: Any) -> Hashable | None:
    if isinstance(node, WhereNode):
        children = []
        for child in node.children:
            key = _node_key(child)
            if key is None:
                return None
            children.append(key)
        return ("node", node.connector, node.negated, tuple(children))
    if isinstance(node, ExtraWhere):
        if not all(type(p) in _PLAIN_VALUES for p in node.params):
            return None
        return ("extra", tuple(node.sqls), tuple(node.params))
    if isinstance(node, Lookup) and type(node.lhs) is Col:
        rhs = node.rhs
        if type(rhs) in (list, tuple):
            if not all(type(v) in _PLAIN_VALUES for v in rhs):
                return None
            rhs = ("values", tuple(rhs))
        elif type(rhs) not in _PLAIN_VALUES:
            return None
        return (type(node), node.lhs.alias, node.lhs.target.column, type(node.rhs), rhs)
    return None


def compiled(
    key: Hashable, compile_sql: Callable[[], tuple[str, Sequence[Any]]]
) -> tuple[str, tuple[Any, ...]]:
    """``compile_sql()``'s SQL and parameters, compiled once per ``key`` (from :func:`query_key` and
    whatever else the caller added to the query)."""
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) >= COMPILED_MAX:
            _COMPILED.clear()
        sql, params = compile_sql()
        found = _COMPILED[key] = (sql, tuple(params))
    return found
