"""Search grams: 4-digit windows of digit runs (both databases); on PostgreSQL, grams as an expression.

*Digit windows.* Digits have only 100 bigrams, and phone numbers, postal codes and 法人番号 use them
all, so a phone fragment's seven bigrams intersected huge posting lists. Documents now also hold the
4-digit windows of every run of four or more digits (``search.grams``); the stored grams of documents
with such a run are rewritten here (SQLite: their FTS5 rows; PostgreSQL: the index is rebuilt).

*PostgreSQL.* The ``grams text[]`` column made each search document about 1 KB (150,000 documents:
156 MB of heap, 26 MB without it), so a frequent term's matches sat on a page each: 166,000 documents
of a million read 103,000 heap pages (outside the default 128 MB ``shared_buffers``) and overflowed the
default 4 MB ``work_mem`` into a lossy bitmap. The GIN index is now built on ``daifuku_grams(text)``, a
SQL function computing the same grams as :func:`daifuku.core.search.grams`, and the column is dropped.
``@>`` on an array GIN index needs no recheck, so the function runs when a row is written, not when it
is searched.
"""

from django.db import migrations

# Unigrams and bigrams of each line of the folded text (a line per field, so no gram spans two) and
# the 4-digit windows of every run of four or more digits, sorted by code point and unique: what
# search.grams() returns for the same parts (tests compare them).
GRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION daifuku_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}')
  FROM (
    SELECT v.g
    FROM regexp_split_to_table(t, E'\n') AS p,
         LATERAL generate_series(1, length(p)) AS i,
         LATERAL (VALUES (substr(p, i, 1) COLLATE "C"),
                         (CASE WHEN i < length(p) THEN substr(p, i, 2) COLLATE "C" END)) AS v(g)
    UNION ALL
    SELECT substr(r[1], j, 4) COLLATE "C"
    FROM regexp_matches(t, '[0-9]{4,}', 'g') AS r,
         LATERAL generate_series(1, length(r[1]) - 3) AS j
  ) AS s(g)
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


SQLITE_BATCH = 5000


def _sqlite_regram(connection, grams):
    """Rewrite the FTS5 rows of the documents that hold a run of four or more digits, then merge the
    index's segments (the rewrite leaves many: at 1m, 202,206 rows of FTS data → 130,344 in 15 s;
    the ﾔﾏﾀﾞ MATCH 71 → 53 ms)."""
    with connection.cursor() as cursor:
        last = 0
        while True:
            cursor.execute(
                "SELECT id, text FROM core_searchdocument WHERE id > %s AND text GLOB %s ORDER BY id LIMIT %s",
                [last, "*[0-9][0-9][0-9][0-9]*", SQLITE_BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            cursor.executemany("DELETE FROM core_search_fts WHERE rowid = %s", [(i,) for i, _t in rows])
            cursor.executemany(
                "INSERT INTO core_search_fts(rowid, grams) VALUES (%s, %s)",
                [(i, " ".join(grams(text.split("\n")))) for i, text in rows],
            )
        if last:
            cursor.execute("INSERT INTO core_search_fts(core_search_fts) VALUES('optimize')")


def _digit_window_grams(parts):
    from daifuku.core.search import grams

    return grams(parts)


def _without_digit_windows(parts):
    return [g for g in _digit_window_grams(parts) if len(g) <= 2]  # longer grams are digit windows


def _apply(pg_statements, sqlite_grams):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor == "postgresql":
            for statement in pg_statements:
                schema_editor.execute(statement)
        elif connection.vendor == "sqlite":
            _sqlite_regram(connection, sqlite_grams)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0007_search_vocab")]
    operations = [
        migrations.RunPython(
            _apply(PG_FORWARD, _digit_window_grams), _apply(PG_BACKWARD, _without_digit_windows)
        )
    ]
