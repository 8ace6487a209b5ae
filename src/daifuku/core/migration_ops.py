"""Operations shared by migrations."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.utils import names_digest
from django.db.migrations.operations.base import Operation


def analyze(*tables: str) -> migrations.RunPython:
    """Refresh the planner statistics of ``tables`` after a migration adds indexes to them.

    Where a database keeps statistics, new indexes have none until the next ANALYZE: SQLite then took
    an index without statistics for the most selective one and used it where another index gives the
    list's order, sorting 10,000 rows a page (measured at 1m). A SQLite database never analyzed is
    left alone (every index is judged alike there); PostgreSQL is analyzed (autovacuum would later).
    """

    def run(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
                if cursor.fetchone() is None:
                    return
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    return migrations.RunPython(run, migrations.RunPython.noop, elidable=True)


def drop_fk_index(app_label: str, alter: migrations.AlterField) -> migrations.SeparateDatabaseAndState:
    """``alter`` (a foreign key set to ``db_index=False``) as one ``DROP INDEX`` of the key's own index.

    For a foreign key whose column leads a composite index the single-column index only costs
    writes. Django's SQLite backend would rebuild the whole table for this ``AlterField`` (minutes
    for a million contacts); the index is dropped by the name Django gave it instead (its
    ``_create_index_name``: table, column and an 8-character digest — the same on both databases
    while it fits in 63 characters), and created again on the way back. Plain SQL, not RunPython:
    a RunPython step renders every model of the project state first (a second or so each here),
    which made a fresh database's migrations slow.
    """
    table = f"{app_label}_{alter.model_name}".lower()
    column = alter.field.db_column or f"{alter.name}_id"
    name = f"{table}_{column}_{names_digest(table, column, length=8)}"
    if len(name) > 63:  # pragma: no cover - Django would have shortened it
        raise ValueError(f"index name of {table}.{column} is too long to guess: {name}")
    return migrations.SeparateDatabaseAndState(
        state_operations=[alter],
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{name}"',
                reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
            )
        ],
    )


class PostgreSQLOnly(Operation):
    """SQL run on PostgreSQL only (an index only its planner needs); nothing on other databases.

    Not ``RunPython``: that renders every model of the project state first. The project state does
    not change: indexes made this way are not in the models' ``Meta.indexes`` (their migration says
    where they are used).
    """

    reduces_to_sql = True
    reversible = True
    vendor = "postgresql"
    label = "PostgreSQL"

    def __init__(self, sql: str, reverse_sql: str) -> None:
        self.sql, self.reverse_sql = sql, reverse_sql

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__qualname__, [], {"sql": self.sql, "reverse_sql": self.reverse_sql}

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Nothing: the models do not change (the index is the database's business alone)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == self.vendor:
            schema_editor.execute(self.sql)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == self.vendor:
            schema_editor.execute(self.reverse_sql)

    def describe(self) -> str:
        return f"{self.label} only: " + self.sql[:60]


class SQLiteOnly(PostgreSQLOnly):
    """:class:`PostgreSQLOnly` for SQLite: SQL run on SQLite only (an index PostgreSQL already has)."""

    vendor = "sqlite"
    label = "SQLite"


def owner_team_index(table: str, name: str, *, only: type[PostgreSQLOnly] = PostgreSQLOnly) -> PostgreSQLOnly:
    """An (owner, team, id) index of the live rows, for ``visibility._owner_outside_ids``, on the
    database of ``only`` (PostgreSQL got it first; SQLite in a later migration).

    The id makes the ranges index-only scans: without it the planner, which takes owner and team for
    independent (a rep's 13,075 companies × the share of teams below theirs = 4,741 rows expected,
    0 found), preferred an (owner, sort key, id, team) index that holds the id, and sorted."""
    return only(
        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("owner_id", "team_id", "id") '
        'WHERE "deleted_at" IS NULL',
        f'DROP INDEX IF EXISTS "{name}"',
    )
