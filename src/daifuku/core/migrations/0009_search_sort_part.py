"""Search documents may start with a *sort part*: the reading their lists sort by (kana_key), marked by
a leading U+0001, whose first character is not indexed (``search.register``, ``search.grams``).

PostgreSQL computes the grams in SQL (``daifuku_grams``, migration 0008): the function now leaves out
the mark and the character after it. A text without the mark gives the grams it gave before, so the
index entries of existing documents stay right and the index is not rebuilt here; the documents that
get a sort part are rewritten by ``customers`` 0009. SQLite's FTS5 rows are written from
``search.grams``, which does the same.
"""

from django.db import migrations

# 0008's function over ``u``: the text without a sort part's mark and first character. Written out
# whole, not as a call of 0008's body under another name: an index's function must call built-ins
# only (PostgreSQL 17 runs ANALYZE, VACUUM and REINDEX with search_path = pg_catalog, pg_temp).
GRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION daifuku_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}')
  FROM (
    SELECT v.g
    FROM (SELECT CASE WHEN left(t, 1) = chr(1) THEN substr(t, 3) ELSE t END AS u) AS src,
         LATERAL regexp_split_to_table(src.u, E'\n') AS p,
         LATERAL generate_series(1, length(p)) AS i,
         LATERAL (VALUES (substr(p, i, 1) COLLATE "C"),
                         (CASE WHEN i < length(p) THEN substr(p, i, 2) COLLATE "C" END)) AS v(g)
    UNION ALL
    SELECT substr(r[1], j, 4) COLLATE "C"
    FROM (SELECT CASE WHEN left(t, 1) = chr(1) THEN substr(t, 3) ELSE t END AS u) AS src,
         LATERAL regexp_matches(src.u, '[0-9]{4,}', 'g') AS r,
         LATERAL generate_series(1, length(r[1]) - 3) AS j
  ) AS s(g)
  WHERE g IS NOT NULL AND g <> ''
$$
"""


def _replace_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GRAMS_FUNCTION)


def _restore_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        schema_editor.execute(
            import_module("daifuku.core.migrations.0008_search_grams_expression").GRAMS_FUNCTION
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0008_search_grams_expression")]
    operations = [migrations.RunPython(_replace_function, _restore_function)]
