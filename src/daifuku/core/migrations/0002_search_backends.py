"""Search index backends: FTS5 over gram tokens on SQLite, a GIN-indexed text[] on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS core_search_fts USING fts5("
    "grams, tokenize = \"unicode61 remove_diacritics 0 categories 'L* N* M* P* S* Co'\")"
)
PG_FORWARD = [
    "ALTER TABLE core_searchdocument ADD COLUMN IF NOT EXISTS grams text[] NOT NULL DEFAULT '{}'",
    "CREATE INDEX IF NOT EXISTS core_searchdoc_grams_gin ON core_searchdocument USING gin (grams)",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)
    elif vendor == "postgresql":
        for statement in PG_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS core_search_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS core_searchdoc_grams_gin")
        schema_editor.execute("ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS grams")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
