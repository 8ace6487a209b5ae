"""Company and contact search documents start with their kana sort key as a *sort part* instead of
holding the reading as one of their texts (``search.register``, core 0009).

Each document is rewritten from its stored text and its record's columns as they are at this point of
the history (raw SQL, so later model changes cannot break it): the reading's line is taken out and
``U+0001 + kana_key`` put first — what ``search.folded_parts`` now gives for the same record. SQLite's
FTS5 rows are written again; PostgreSQL's index follows the updated text.
"""

from django.db import migrations

BATCH = 5000
TYPES = [
    ("company", "customers_company", "c.name_kana, ''"),
    ("contact", "customers_contact", "c.family_name_kana, c.given_name_kana"),
]


def _new_text(text, kana_key, reading):
    from daifuku.core import jp
    from daifuku.core.search import _NO_READING, SORT_MARK

    lines = [line for line in text.split("\n") if line]
    if lines and lines[0].startswith(SORT_MARK):
        return text  # written by the current code already
    folded = jp.fold(reading)
    if folded in lines:
        lines.remove(folded)
    if kana_key and not kana_key.startswith(_NO_READING):
        lines.insert(0, SORT_MARK + kana_key)
    return "\n".join(lines)


def _rewrite(apps, schema_editor):
    from daifuku.core.search import grams

    connection = schema_editor.connection
    sqlite = connection.vendor == "sqlite"
    wrote = False
    with connection.cursor() as cursor:
        for object_type, table, reading_columns in TYPES:
            last = 0
            while True:
                cursor.execute(
                    f"SELECT c.id, d.id, d.text, c.kana_key, {reading_columns} FROM {table} c "  # noqa: S608
                    "JOIN core_searchdocument d ON d.object_type = %s AND d.object_id = c.id "
                    "WHERE c.id > %s ORDER BY c.id LIMIT %s",
                    [object_type, last, BATCH],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                changed = []
                for _pk, doc_id, text, kana_key, kana_a, kana_b in rows:
                    new = _new_text(text, kana_key, f"{kana_a or ''}{kana_b or ''}")
                    if new != text:
                        changed.append((doc_id, new))
                if not changed:
                    continue
                cursor.executemany(
                    "UPDATE core_searchdocument SET text = %s WHERE id = %s", [(t, i) for i, t in changed]
                )
                wrote = True
                if sqlite:
                    cursor.executemany(
                        "DELETE FROM core_search_fts WHERE rowid = %s", [(i,) for i, _t in changed]
                    )
                    cursor.executemany(
                        "INSERT INTO core_search_fts(rowid, grams) VALUES (%s, %s)",
                        [(i, " ".join(grams(t.split("\n")))) for i, t in changed],
                    )
        if sqlite and wrote:
            cursor.execute("INSERT INTO core_search_fts(core_search_fts) VALUES('optimize')")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_search_sort_part"),
        ("customers", "0008_contact_company_kana_index"),
    ]
    operations = [migrations.RunPython(_rewrite, migrations.RunPython.noop)]
