"""SQLite: the FTS5 vocabulary of the gram index, for the document count of a gram (search.gram_stats)."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS core_search_vocab USING fts5vocab(core_search_fts, 'row')"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS core_search_vocab")


class Migration(migrations.Migration):
    dependencies = [("core", "0006_seed_currencies_and_tax_rates")]
    operations = [migrations.RunPython(forward, backward)]
