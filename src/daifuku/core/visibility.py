"""Who may see and edit what: role scopes (none / own / team / all) per object type.

Every selector that reads customer data filters with :func:`visible`; every service that writes
checks :func:`check_can_edit`. A record outside the read scope is reported as missing (404), so its
existence never leaks through a detail page, a count or a search.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import connections, models
from django.db.models.lookups import Exact, In
from django.db.models.sql.where import WhereNode

from daifuku.core import prepared
from daifuku.core.models import RoleScope, Scope

M = TypeVar("M", bound=models.Model)

# Defaults an administrator can change in the UI (role slug → object type → (read, edit)).
_CUSTOMER_DEFAULTS = {
    "administrator": (Scope.ALL, Scope.ALL),
    "manager": (Scope.TEAM, Scope.TEAM),
    "sales_rep": (Scope.TEAM, Scope.OWN),
    "support_agent": (Scope.ALL, Scope.NONE),
    "marketing": (Scope.ALL, Scope.NONE),
    "read_only": (Scope.ALL, Scope.NONE),
}
# Activities, tasks, events and daily reports: everyone who reads customers may log their own work.
_WORK_DEFAULTS = {
    "administrator": (Scope.ALL, Scope.ALL),
    "manager": (Scope.TEAM, Scope.TEAM),
    "sales_rep": (Scope.TEAM, Scope.OWN),
    "support_agent": (Scope.ALL, Scope.OWN),
    "marketing": (Scope.ALL, Scope.OWN),
    "read_only": (Scope.ALL, Scope.NONE),
}
DEFAULT_SCOPES: dict[str, dict[str, tuple[str, str]]] = {
    slug: {
        "company": scopes,
        "contact": scopes,
        "activity": _WORK_DEFAULTS[slug],
        "task": _WORK_DEFAULTS[slug],
        "event": _WORK_DEFAULTS[slug],
        "daily_report": _WORK_DEFAULTS[slug],
        "lead": _WORK_DEFAULTS[slug],
        "deal": scopes,
        "quote": scopes,
        "contract": scopes,
    }
    for slug, scopes in _CUSTOMER_DEFAULTS.items()
}

_CACHE_ATTR = "_daifuku_scopes"


def _role_scopes() -> models.QuerySet[RoleScope]:
    return RoleScope.objects.filter(role_id=prepared.arg(0)).values_list(
        "object_type", "read_scope", "edit_scope"
    )


def _scopes(user: Any) -> dict[str, tuple[str, str]]:
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    scopes: dict[str, tuple[str, str]] = {}
    if getattr(user, "is_authenticated", False) and user.is_active and user.role_id:
        for object_type, read, edit in prepared.plan("role_scopes", _role_scopes).fetch([user.role_id]):
            scopes[object_type] = (read, edit)
    setattr(user, _CACHE_ATTR, scopes)
    return scopes


def forget(user: Any) -> None:
    """Drop the scopes cached on this user object (after a role change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def scope_for(user: Any, object_type: str, action: str = "read") -> str:
    if getattr(user, "is_superuser", False) and user.is_active:
        return Scope.ALL
    read, edit = _scopes(user).get(object_type, (Scope.NONE, Scope.NONE))
    return read if action == "read" else edit


def _scope_q(user: Any, scope: str, owner_field: str, team_field: str) -> models.Q | None:
    """The filter for a scope; None means everything, an impossible Q means nothing."""
    if scope == Scope.ALL:
        return None
    if scope == Scope.OWN:
        return models.Q(**{f"{owner_field}_id": user.pk})
    if scope == Scope.TEAM:
        if user.team_id is None:
            return models.Q(**{f"{owner_field}_id": user.pk})
        return models.Q(**{f"{team_field}_id": user.team_id}) | models.Q(**{f"{owner_field}_id": user.pk})
    return models.Q(pk__in=[])


def visible(
    queryset: models.QuerySet[M],
    user: Any,
    object_type: str,
    *,
    action: str = "read",
    owner_field: str = "owner",
    team_field: str = "team",
) -> models.QuerySet[M]:
    """Restrict ``queryset`` to the rows ``user`` may read (or edit, with ``action="edit"``)."""
    scope = scope_for(user, object_type, action)
    if scope == Scope.NONE:
        return queryset.none()
    q = _scope_q(user, scope, owner_field, team_field)
    if action == "edit":
        read_q = _scope_q(user, scope_for(user, object_type, "read"), owner_field, team_field)
        if read_q is not None:
            queryset = queryset.filter(read_q)
    if q is None:
        return queryset
    queryset = queryset.filter(q)
    if action == "read" and scope == Scope.TEAM and user.team_id is not None:
        # Remember the two halves of "team OR owner", and the condition itself, for page_ids(). Hints
        # travel with every clone of the queryset; a new dict, because clones share (and managers hand
        # out) the same one.
        hints: dict[str, Any] = getattr(queryset, "_hints", {})
        scope_node = queryset.query.where.children[-1]
        queryset._hints = {  # type: ignore[attr-defined]
            **hints,
            _SCOPE_HINT: ((f"{team_field}_id", user.team_id), (f"{owner_field}_id", user.pk), scope_node),
        }
    return queryset


_SCOPE_HINT = "daifuku_team_scope"


def _bounding_scope(queryset: models.QuerySet[Any]) -> Any:
    """The team scope :func:`visible` remembered on ``queryset``, when it still bounds the queryset
    (see :func:`scope_halves`); else None."""
    scope = getattr(queryset, "_hints", {}).get(_SCOPE_HINT)
    if scope is None:
        return None
    query = queryset.query
    where = query.where
    if (
        where.connector != "AND"
        or where.negated
        or scope[2] not in where.children
        or query.combinator
        or query.is_sliced
        or query.distinct_fields
    ):
        return None
    pk_field = queryset.model._meta.pk
    if any(isinstance(c, In) and getattr(c.lhs, "target", None) == pk_field for c in where.children):
        return None
    return scope


def scope_halves(queryset: models.QuerySet[M]) -> tuple[models.QuerySet[M], models.QuerySet[M]] | None:
    """A team-scoped queryset ("team = T OR owner = me") as two disjoint halves: "team = T" and
    "owner = me AND team ≠ T", each with the queryset's other filters but without the OR (which no
    single index serves, and which made PostgreSQL misjudge each half's rows). None when the queryset
    is not team-scoped, or the scope no longer bounds it: widened by "| other queryset" (leads add the
    unassigned ones), a union, a slice, DISTINCT ON, or driven by an id list ("pk IN …": splitting
    would read it twice; a search filter is handled by :func:`page_ids` before the halves)."""
    scope = _bounding_scope(queryset)
    if scope is None:
        return None
    (team_col, team_id), (owner_col, owner_id), scope_node = scope
    base = queryset.all()
    base.query.where.children.remove(scope_node)  # a clone's own copy of the condition
    return (
        base.filter(**{team_col: team_id}),
        base.filter(**{owner_col: owner_id}).exclude(**{team_col: team_id}),
    )


def page_ids(queryset: models.QuerySet[Any], offset: int, limit: int) -> list[Any] | None:
    """The pks of ``queryset[offset:offset + limit]`` read as a union of two ordered index walks.

    A team-scoped list is "team = T OR owner = me". No single index gives that in list order, so the
    database collects every visible row and sorts them all — 180 ms for a rep's contact list at a
    million contacts on SQLite, whatever the page. Read instead as the first ``offset + limit`` rows of
    each of :func:`scope_halves` — "team = T" on (team, sort key, id), "owner = me AND team ≠ T" on
    (owner, sort key, id, team), the team last so that it is tested in the index — merged and cut by
    the database in the same order: the cost follows the page's depth, not the table's size. None when
    there are no halves or the order is not plain fields (the caller then reads the queryset directly).

    A searched list (a ``search.Matches`` filter) is read by :func:`_walk_search_ids` when its term is
    frequent; otherwise, sorted by its type's sort column (フリガナ), by :func:`_branch_search_ids`;
    otherwise directly (the gram index's candidates, sorted).
    """
    match = _search_match(queryset)
    if match is not None:
        # The list without its search, and its scope halves: split once for both ways of reading it
        # (on PostgreSQL the split reads my records under another team).
        unsearched = _replace_match(queryset, match, None)
        split_once = functools.cache(lambda: _split(unsearched))
        ids = _walk_search_ids(queryset, match, offset, limit, unsearched, split_once)
        if ids is None:
            ids = _branch_search_ids(queryset, match, offset, limit, unsearched, split_once)
        return ids
    split = _split(queryset)
    if split is None:
        return None
    ordered = _ordered_sql(split[0], split[1], offset, limit)
    if ordered is None:
        return None
    sql, params, _order = ordered
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


OWNER_HALF_IDS = 1000  # at most this many of "my records under another team" are read as an id list
_HALF = "__daifuku_page_half__"
# The halves of a team-scoped list as SQL conditions on its base table, each with its values.
_Halves = list[tuple[str, list[Any]]]
# :func:`_split` of a searched list without its search, computed at most once (see :func:`page_ids`).
_SplitOnce = Callable[[], "tuple[models.QuerySet[Any], _Halves] | None"]


def _split(queryset: models.QuerySet[Any]) -> tuple[models.QuerySet[Any], _Halves] | None:
    """:func:`scope_halves` as the queryset without its scope condition and the two conditions that
    replace it — "team = T" and "owner = me AND NOT (team = T AND team IS NOT NULL)", the SQL of
    Django's ``exclude`` — written on the base table's columns. None when the scope is not on the
    model's own columns or :func:`scope_halves` would give none.

    The owner half is narrowed to an id list when it is small. Its walk reads every one of my records
    when few or none pass ``team ≠ T``: PostgreSQL reads each row before testing the team and the
    list's other filters (a rep with 51,793 contacts, all in their own team, waited 145 ms for the
    half of a filtered list that had no rows); SQLite tests the team inside the index but still steps
    through all of my entries (0.83 ms a page for the busiest rep's 13,075 companies at 1m). Its ids
    without the list's filters come from three ranges of an (owner, team, id) index
    (:func:`_owner_outside_ids`: my live records outside the team — usually none, or a handful); the
    half is then dropped or read by those ids, with every filter still applied. More than
    :data:`OWNER_HALF_IDS` keeps the walk.
    """
    scope = _bounding_scope(queryset)
    if scope is None:
        return None
    (team_col, team_id), (owner_col, owner_id), scope_node = scope
    model = queryset.model
    try:  # a column across a relation ("company__team_id") is no field of the model
        team_field, owner_field = model._meta.get_field(team_col), model._meta.get_field(owner_col)
    except FieldDoesNotExist:
        return None
    if team_field.model is not model or owner_field.model is not model:  # a parent model's column
        return None
    connection = connections[queryset.db]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    team, owner = f"{table}.{qn(team_field.column)}", f"{table}.{qn(owner_field.column)}"
    base = queryset.all()
    base.query.where.children.remove(scope_node)  # a clone's own copy of the condition
    halves: _Halves = [(f"{team} = %s", [team_id])]
    owner_half = (f"{owner} = %s AND NOT ({team} = %s AND {team} IS NOT NULL)", [owner_id, team_id])
    ids = _owner_outside_ids(model, queryset.db, owner_col, owner_id, team_col, team_id)
    if len(ids) > OWNER_HALF_IDS:
        return base, [*halves, owner_half]
    if ids:
        pk = f"{table}.{qn(model._meta.pk.column)}"
        halves.append(
            (f"{owner_half[0]} AND {pk} IN ({', '.join(['%s'] * len(ids))})", [*owner_half[1], *ids])
        )
    return base, halves


def _owner_outside_ids(
    model: type[models.Model], db: str, owner_col: str, owner_id: Any, team_col: str, team_id: Any
) -> list[Any]:
    """Up to ``OWNER_HALF_IDS + 1`` ids of my live records whose team is not ``team_id``.

    "team ≠ T" is no range of an index, so a query with it read every one of my records (PostgreSQL:
    7 ms for a rep with 51,793 contacts, on every page of every list). Written as its three ranges —
    team < T, team > T, team IS NULL — each in the order of an (owner, team, id) index, it reads only
    the records it returns. Tables with many records per owner carry such an index (customers 0010 and
    0011, sales 0015 and 0016); elsewhere each range is still a correct, if slower, query.
    """
    limit = OWNER_HALF_IDS + 1

    def build(lookup: str) -> models.QuerySet[Any]:
        mine = model._base_manager.filter(**{owner_col: prepared.arg(0)})
        if any(f.name == "deleted_at" for f in model._meta.concrete_fields):
            mine = mine.filter(deleted_at__isnull=True)  # the partial indexes hold live rows only
        value = True if lookup == "isnull" else prepared.arg(1)
        ranged = mine.filter(**{f"{team_col}__{lookup}": value}).order_by(owner_col, team_col)
        return ranged.values_list("pk")[:limit]

    parts, params = [], []
    for lookup in ("lt", "gt", "isnull"):
        # Compiled once per connection (compiling the three took 0.7 ms; running them 4 µs). Each range
        # is a subquery of its own: SQLite allows no LIMIT on a compound statement's member.
        key = ("owner_outside", model, owner_col, team_col, limit, lookup)
        plan = prepared.plan(key, lambda lookup=lookup: build(lookup), db=db)
        parts.append(f"SELECT * FROM ({plan.sql}) AS owner_range_{len(parts)}")  # noqa: S608
        params += plan.bind([owner_id, team_id])
    with connections[db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [row[0] for row in cursor.fetchall()]


def _search_match(queryset: models.QuerySet[Any]) -> Any:
    """The list's search filter (``search.Matches``) when it is one of the query's AND-ed conditions."""
    if queryset.query.combinator:
        return None
    found = _and_matches(queryset.query.where)
    return found[0][2] if len(found) == 1 else None


def _and_matches(node: Any) -> list[tuple[Any, Any, Any]]:
    """(parent node, child, ``Matches``) of the search filters AND-ed into a WHERE tree. ``filter(expr)``
    stores a boolean expression as ``Exact(expr, True)``, in a node of its own or squashed into the
    parent's children."""
    from daifuku.core.search import Matches

    if not isinstance(node, WhereNode) or node.connector != "AND" or node.negated:
        return []
    found: list[tuple[Any, Any, Any]] = []
    for child in node.children:
        if isinstance(child, Matches):
            found.append((node, child, child))
        elif isinstance(child, Exact) and isinstance(child.lhs, Matches) and child.rhs is True:
            found.append((node, child, child.lhs))
        else:
            found += _and_matches(child)
    return found


def _replace_match(queryset: models.QuerySet[M], match: Any, by: Any) -> models.QuerySet[M]:
    """A clone of ``queryset`` with its search filter replaced by ``by`` (None: removed)."""
    clone = queryset.all()
    for parent, child, found in _and_matches(clone.query.where):
        if found != match:
            continue
        index = parent.children.index(child)
        if by is None:
            del parent.children[index]
        elif child is found:
            parent.children[index] = by
        else:
            parent.children[index] = Exact(by, True)
    return clone


def _walk_search_ids(
    queryset: models.QuerySet[Any],
    match: Any,
    offset: int,
    limit: int,
    base: models.QuerySet[Any],
    split_once: _SplitOnce,
) -> list[Any] | None:
    """A searched list's page read by walking the list in its order, when the term is frequent.

    The first rows of the list without the search (read as :func:`page_ids` reads any list, per scope
    half, keys only) are checked one by one against their search documents; if ``offset + limit`` of
    them match, those are the page — the rows the index path would give, without reading every
    match. A scout of a quarter of the estimated budget goes first: enough matches end it there; none
    (matches clustered further down the order, as ﾔﾏﾀﾞ in フリガナ order) or a rate that would need
    more than ``search.WALK_MAX_ROWS`` rows gives up (None: the caller reads the page through the gram
    index), at a quarter of the budget's cost; otherwise the walk goes on from the scout's last row
    for twice the rows the scout's hit rate says the missing matches need. The scout's rows are not
    checked again (checking a row's document is most of a walk's cost: 商事 for a rep at 1m read
    1,031 rows, then 2,768 from the start).

    ``base`` is the list without its search filter and ``split_once`` gives its scope halves
    (:func:`_split`), computed once for this and :func:`_branch_search_ids`.
    """
    from daifuku.core import search

    wanted = offset + limit
    budget = match.walk_budget(wanted, queryset.db)
    if budget is None:
        return None
    split = split_once()
    base, halves = split if split is not None else (base, None)
    scout = max(search.WALK_MIN_ROWS, budget // 4)
    ids = _walked_ids(base, halves, match, scout, wanted)
    if ids is not None and 0 < len(ids) < wanted:
        rows = scout + math.ceil(2 * (wanted - len(ids)) * scout / len(ids))
        more = (
            _walked_ids(base, halves, match, rows, wanted - len(ids), skip=scout)
            if rows <= search.WALK_MAX_ROWS
            else None
        )
        # Two statements: a row written between them shifts the rows after it, so the continuation
        # may start at a row the scout already checked. Such a repeat is dropped; a page left short
        # is then read the other way (below).
        seen = set(ids)
        ids = None if more is None else ids + [pk for pk in more if pk not in seen]
    if ids is None or len(ids) < wanted:
        return None
    return ids[offset:]


def _branch_search_ids(
    queryset: models.QuerySet[Any],
    match: Any,
    offset: int,
    limit: int,
    base: models.QuerySet[Any],
    split_once: _SplitOnce,
) -> list[Any] | None:
    """A searched list sorted by its type's sort column, read as the union of the match's branches
    (``search.Matches.branches``): the gram index's matches, and per term the rows whose sort key starts
    with it — a range of the list's own (scope, sort key, id) index, read from where the term's
    readings begin. Each branch gives its first ``offset + limit`` rows in list order (per scope half,
    as :func:`page_ids` reads any list); the database merges them and cuts the page. One statement.

    ﾔﾏﾀﾞ matches 164,439 of a million contacts through their readings; sorting them all was the page's
    cost (368 ms). Their readings start with やまだ, so that branch is a seek and 51 rows, and the gram
    index only holds the few documents with やまだ elsewhere. None when the list is not sorted by the
    sort column first or the database does not compare text by code point (see
    ``search.code_point_order``): the caller reads the queryset, whose filter holds the same union.
    """
    from daifuku.core import search

    branches = match.branches()
    if len(branches) < 2 or _first_order_field(queryset) != branches[1][0]:
        return None
    if any(bounds is None for _f, bounds, _m in branches[1:]) or not search.code_point_order(queryset.db):
        return None
    split = split_once()  # the range branches' filters go on the list without its scope
    unscoped, halves = split if split is not None else (base, None)
    parts: list[str] = []
    params: list[Any] = []
    order_sql = ""
    for sort_field, bounds, gram_match in branches:
        if bounds is None:  # the gram index's matches are read and sorted whole: once, not per half
            branch = base
        else:
            branch = unscoped.filter(**{f"{sort_field}__gte": bounds[0], f"{sort_field}__lt": bounds[1]})
        if gram_match is not None:
            branch = branch.filter(gram_match)
        ordered = _ordered_sql(branch, None if bounds is None else halves, 0, offset + limit, keys=True)
        if ordered is None:
            return None
        sql, branch_params, order_sql = ordered
        parts.append(f"SELECT * FROM ({sql}) AS page_branch_{len(parts)}")  # noqa: S608
        params += branch_params
    connection = connections[queryset.db]
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {qn('_page_pk')} FROM ({' UNION '.join(parts)}) AS page_branches "  # noqa: S608
        f"ORDER BY {order_sql} LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _first_order_field(queryset: models.QuerySet[Any]) -> str | None:
    """The field a queryset is sorted by first (``order_by("kana_key", "id")`` → ``kana_key``)."""
    terms = _order_terms(queryset)
    if terms and isinstance(terms[0][0], models.F):
        return str(terms[0][0].name)
    return None


def _order_terms(queryset: models.QuerySet[Any]) -> list[tuple[Any, bool, bool | None, bool | None]] | None:
    """The queryset's ORDER BY as (expression, descending, nulls first, nulls last); None when an item
    is not a plain field or expression (a random order, an unknown form)."""
    terms: list[tuple[Any, bool, bool | None, bool | None]] = []
    for item in queryset.query.order_by:
        if isinstance(item, str) and item and item != "?":
            name = item.lstrip("-")
            terms.append((models.F(queryset.model._meta.pk.name if name == "pk" else name), item[0] == "-",
                          None, None))  # fmt: skip
        elif isinstance(item, models.OrderBy):
            terms.append((item.expression, item.descending, item.nulls_first, item.nulls_last))
        else:
            return None
    return terms


def _walked_ids(
    base: models.QuerySet[Any], halves: _Halves | None, match: Any, rows: int, wanted: int, *, skip: int = 0
) -> list[Any] | None:
    """The first ``wanted`` ids among rows ``skip`` to ``rows`` of ``base`` (in its order) that ``match``.

    The rows before ``skip`` are read from the index (their keys) but not checked against the match."""
    inner = _ordered_sql(base, halves, skip, rows - skip, keys=True)
    if inner is None:
        return None
    sql, params, order_sql = inner
    connection = connections[base.db]
    qn = connection.ops.quote_name
    probe_sql, probe_params = match.walk_sql(f"page_walk.{qn('_page_pk')}", connection.vendor)
    sql = (
        f"SELECT {qn('_page_pk')} FROM ({sql}) AS page_walk WHERE {probe_sql} "  # noqa: S608
        f"ORDER BY {order_sql} LIMIT {int(wanted)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *probe_params])
        return [row[0] for row in cursor.fetchall()]


def _ordered_sql(
    queryset: models.QuerySet[Any],
    halves: _Halves | None,
    offset: int,
    limit: int,
    *,
    keys: bool = False,
) -> tuple[str, list[Any], str] | None:
    """SQL of ``queryset[offset:offset + limit]``'s pks — read per half when ``halves`` are given (the
    conditions :func:`_split` adds to ``queryset``, see :func:`page_ids`) — with the sort keys too when
    ``keys``; and its ORDER BY over those keys. None when the order is not plain fields.

    The halves differ only in their condition, so the query is compiled once, with a marker where
    the condition goes (compiling was most of a small page's time)."""
    terms = _order_terms(queryset)
    if not terms:
        return None
    aliases = {f"_page_s{i}": expr for i, (expr, *_rest) in enumerate(terms)}
    ordering = [
        models.OrderBy(models.F(alias), descending=d, nulls_first=nf, nulls_last=nl)
        for alias, (_e, d, nf, nl) in zip(aliases, terms, strict=True)
    ]
    wanted = offset + limit

    def compile_sql() -> tuple[str, tuple[Any, ...]]:
        marked = queryset if halves is None else queryset.extra(where=[_HALF])  # noqa: S610  (a constant marker)
        return (
            marked.annotate(_page_pk=models.F("pk"), **aliases)
            .order_by(*ordering)
            .values_list("_page_pk", *aliases)[:wanted]
            .query.sql_with_params()
        )

    # Compiling was 0.2 ms of every list page; the same list (filters and their values, order, depth)
    # compiles to the same SQL, for every user when the scope is split into halves.
    key = prepared.query_key(queryset)
    if key is None:
        sql, compiled_params = compile_sql()
    else:
        sql, compiled_params = prepared.compiled(("page", key, halves is None, wanted), compile_sql)
    parts: list[str] = []
    params: list[Any] = []
    if halves is None:
        parts.append(f"SELECT * FROM ({sql}) AS page_half_0")  # noqa: S608
        params += list(compiled_params)
    else:
        at = sql.index(_HALF)
        before = sql[:at].replace("%%", "").count("%s")  # the values that come before the marker
        for condition, condition_params in halves:
            half_sql = sql[:at] + condition + sql[at + len(_HALF) :]
            parts.append(f"SELECT * FROM ({half_sql}) AS page_half_{len(parts)}")  # noqa: S608
            params += [*compiled_params[:before], *condition_params, *compiled_params[before:]]
    qn = connections[queryset.db].ops.quote_name
    order_sql = ", ".join(
        f"{qn(alias)} {'DESC' if d else 'ASC'}" + (" NULLS FIRST" if nf else " NULLS LAST" if nl else "")
        for alias, (_e, d, nf, nl) in zip(aliases, terms, strict=True)
    )
    columns = "*" if keys else qn("_page_pk")
    sql = (
        f"SELECT {columns} FROM ({' UNION ALL '.join(parts)}) AS page_union "  # noqa: S608
        f"ORDER BY {order_sql} LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    return sql, params, order_sql


def _in_scope(user: Any, scope: str, owner_id: int | None, team_id: int | None) -> bool:
    if scope == Scope.ALL:
        return True
    if scope == Scope.OWN:
        return owner_id == user.pk
    if scope == Scope.TEAM:
        return owner_id == user.pk or (user.team_id is not None and team_id == user.team_id)
    return False


def can_read(user: Any, obj: Any, object_type: str) -> bool:
    return can_read_owned(user, object_type, obj.owner_id, obj.team_id)


def can_read_owned(user: Any, object_type: str, owner_id: int | None, team_id: int | None) -> bool:
    """:func:`can_read` of a record known by its owner and team (a list that reads values)."""
    return _in_scope(user, scope_for(user, object_type, "read"), owner_id, team_id)


def can_edit(user: Any, obj: Any, object_type: str) -> bool:
    """May ``user`` change ``obj`` as it is now (owner/team as stored)."""
    return can_read(user, obj, object_type) and _in_scope(
        user, scope_for(user, object_type, "edit"), obj.owner_id, obj.team_id
    )


def can_create(user: Any, object_type: str) -> bool:
    return scope_for(user, object_type, "edit") != Scope.NONE


def check_can_edit(user: Any, obj: Any, object_type: str) -> None:
    if not can_edit(user, obj, object_type):
        raise PermissionDenied(f"{user} may not change this {object_type}")


def check_can_assign(user: Any, object_type: str, owner_id: int | None, team_id: int | None) -> None:
    """Refuse saving a record whose owner/team would put it outside the user's edit scope."""
    scope = scope_for(user, object_type, "edit")
    if not _in_scope(user, scope, owner_id, team_id):
        raise PermissionDenied(f"{user} may not assign this {object_type} to that owner or team")


def values_in_order(
    queryset: models.QuerySet[Any], ids: list[Any], fields: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """``(pk, *fields)`` value rows of ``ids``, in ``ids``' order — for ids read from ``queryset`` itself,
    as :func:`rows_in_order` (one prepared statement; fields as ``values_list`` names them)."""
    if not ids:
        return []
    found = prepared.values_by_pks(queryset.model, ids, fields, db=queryset.db)
    return [found[pk] for pk in ids if pk in found]


def rows_in_order(queryset: models.QuerySet[M], ids: list[Any]) -> list[M]:
    """The records of ``ids`` (its joins and prefetches applied), in ``ids``' order.

    ``ids`` must have been read from ``queryset`` itself (as :func:`page_ids` reads them): they are
    fetched through a prepared plan that applies its ``select_related`` and prefetches but not its
    filters again (see :mod:`daifuku.core.prepared`); a queryset the plan cannot take (annotations,
    values…) is read through the ORM with its filters."""
    if not ids:
        return []
    found = prepared.by_pks(queryset, ids)
    if found is None:
        found = queryset.filter(pk__in=ids).order_by().in_bulk()
    return [found[pk] for pk in ids if pk in found]
