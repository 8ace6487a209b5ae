"""PostgreSQL: index the documents' grams as an expression of their text, not a stored column.

The ``grams text[]`` column made each search document about 1 KB (150,000 documents: 156 MB of heap,
26 MB without it), so a frequent term's matches sat on a page each: 166,000 documents of a million
read 103,000 heap pages (outside the default 128 MB ``shared_buffers``) and overflowed the default
4 MB ``work_mem`` into a lossy bitmap. The GIN index is now built on ``daifuku_grams(text)`` — the
same unigrams and bigrams per line as :func:`daifuku.core.search.grams` — and the column is dropped.
``@>`` on an array GIN index needs no recheck, so the function runs when a row is written, not when
it is searched. SQLite (FTS5) is unchanged.
"""

from django.db import migrations

# Unigrams and bigrams of each line of the folded text (a line per field, so no gram spans two),
# sorted by code point and unique: what search.grams() returns for the same parts (tests compare them).
GRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION daifuku_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}')
  FROM regexp_split_to_table(t, E'\n') AS p,
       LATERAL generate_series(1, length(p)) AS i,
       LATERAL (VALUES (substr(p, i, 1) COLLATE "C"),
                       (CASE WHEN i < length(p) THEN substr(p, i, 2) COLLATE "C" END)) AS v(g)
  WHERE g IS NOT NULL AND g <> ''
$$
"""

PG_FORWARD = [
    GRAMS_FUNCTION,
    "DROP INDEX IF EXISTS core_searchdoc_grams_gin",
    "ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS grams",
    # A dropped column keeps its space until the table is rewritten; CLUSTER rewrites it (inside the
    # migration's transaction, unlike VACUUM FULL) in (object type, id) order.
    "CLUSTER core_searchdocument USING searchdoc_unique_object",
    "CREATE INDEX core_searchdoc_grams_gin ON core_searchdocument USING gin (daifuku_grams(text))",
    "ANALYZE core_searchdocument",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS core_searchdoc_grams_gin",
    "ALTER TABLE core_searchdocument ADD COLUMN grams text[] NOT NULL DEFAULT '{}'",
    "UPDATE core_searchdocument SET grams = daifuku_grams(text)",
    "CREATE INDEX core_searchdoc_grams_gin ON core_searchdocument USING gin (grams)",
    "DROP FUNCTION IF EXISTS daifuku_grams(text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0007_search_vocab")]
    operations = [migrations.RunPython(_run(PG_FORWARD), _run(PG_BACKWARD))]
