"""System checks of the database (run by ``migrate`` and ``check --database``)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import connections


@checks.register(checks.Tags.database)
def database_collation(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """PostgreSQL should compare text by code point (collation C): lists in フリガナ order then match
    SQLite's, and a search finds the readings starting with a term as a range of the kana index
    (``search.code_point_order``); with another collation it reads the whole table for them."""
    from daifuku.core import search

    found: list[checks.CheckMessage] = []
    for alias in databases or []:
        if connections[alias].vendor == "postgresql" and not search.code_point_order(alias):
            found.append(
                checks.Warning(
                    f"database {alias!r} does not compare text by code point (its collation is not C)",
                    hint="Create it with LC_COLLATE C (createdb --locale=C.UTF-8 --template=template0): "
                    "searches by reading read the whole table otherwise.",
                    id="daifuku.W001",
                )
            )
    return found
