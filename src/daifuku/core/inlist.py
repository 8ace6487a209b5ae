"""A long ``IN`` list as one SQL parameter: ``qs.filter(email__in=inlist.param(values))``.

Django binds ``field__in=[…]`` value by value: for the importer's batches (2,000–5,000 keys per
lookup) preparing and compiling the parameters cost more than the indexed lookup itself. Here the
list travels as one JSON text (SQLite: ``IN (SELECT value FROM json_each(%s))``) or one array
(PostgreSQL: ``IN (SELECT unnest(%s::text[]))``); both databases still look the values up in the
column's index. Other values (dates, tuples, a mix of types) are returned as the plain list, which
Django binds the usual way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL


def param(values: Iterable[Any]) -> RawSQL | list[Any]:
    """The right-hand side of an ``__in`` lookup holding ``values`` (all ``str`` or all ``int``) as one
    parameter; any other list as it is."""
    items = list(values)
    numeric = all(type(v) is int for v in items)
    if not items or (not numeric and not all(type(v) is str for v in items)):
        return items  # an empty list: Django knows the lookup matches nothing
    if connection.vendor == "postgresql":
        # The SQL text is one of two constants; the values are a bound parameter.
        return RawSQL(f"SELECT unnest(%s::{'bigint' if numeric else 'text'}[])", [items])  # noqa: S611
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(items, ensure_ascii=False)])
