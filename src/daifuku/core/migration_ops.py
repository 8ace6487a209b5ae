"""Operations shared by migrations."""

from __future__ import annotations

from typing import Any

from django.db import migrations


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
    for a million contacts); the index is dropped by the name Django gave it instead, on both
    databases, and created again on the way back.
    """

    def index(apps: Any, schema_editor: Any) -> tuple[str, str, str]:
        model = apps.get_model(app_label, alter.model_name)
        table = model._meta.db_table
        column = model._meta.get_field(alter.name).column
        name = schema_editor._create_index_name(table, [column], suffix="")
        return (
            schema_editor.quote_name(name),
            schema_editor.quote_name(table),
            schema_editor.quote_name(column),
        )

    def drop(apps: Any, schema_editor: Any) -> None:
        name, _table, _column = index(apps, schema_editor)
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    def create(apps: Any, schema_editor: Any) -> None:
        name, table, column = index(apps, schema_editor)
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})")

    return migrations.SeparateDatabaseAndState(
        state_operations=[alter], database_operations=[migrations.RunPython(drop, create)]
    )
