"""One search interface over SQLite FTS5 and a PostgreSQL GIN-indexed gram array.

Text is folded (:func:`daifuku.core.jp.fold`) and indexed as character unigrams and bigrams, so
one- and two-character Japanese queries (田, 田中, 商事) are served by the index — trigram indexes
cannot do that. A query term matches when all its grams are present (index) and the folded term
is a substring of the folded text (exact check on the few candidate rows).

Modules register how to turn a record into text with :func:`register`; services call
:func:`reindex` after a change and :func:`remove` on delete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL

from daifuku.core import jp
from daifuku.core.models import SearchDocument

TextFn = Callable[[Any], Sequence[str]]


@dataclass(frozen=True)
class Registration:
    object_type: str
    model: type[models.Model]
    text_parts: TextFn


_registry: dict[str, Registration] = {}


def register(object_type: str, model: type[models.Model], text_parts: TextFn) -> None:
    _registry[object_type] = Registration(object_type, model, text_parts)


def is_registered(object_type: str) -> bool:
    return object_type in _registry


def registration(object_type: str) -> Registration:
    return _registry[object_type]


def grams(folded_parts: Iterable[str]) -> list[str]:
    """Unigrams and bigrams of each part (grams never span two fields), sorted and unique."""
    found: set[str] = set()
    for part in folded_parts:
        found.update(part)
        found.update(part[i : i + 2] for i in range(len(part) - 1))
    found.discard("")
    return sorted(found)


def query_terms(query: str) -> list[str]:
    """Split a user query on spaces and fold each term; a phone number becomes its national digits."""
    terms: list[str] = []
    for raw in jp.nfkc(query).split():
        term = jp.fold(raw)
        if re.fullmatch(r"\+?[\d()\-]{6,}", raw):
            e164 = jp.parse_phone(raw)
            if e164 and e164.startswith("+81"):
                term = jp.phone_search_text(e164)
        if term:
            terms.append(term)
    return terms


def _term_grams(term: str) -> list[str]:
    if len(term) == 1:
        return [term]
    return sorted({term[i : i + 2] for i in range(len(term) - 1)})


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _fts_phrase(gram: str) -> str:
    return '"' + gram.replace('"', '""') + '"'


def _write(doc_ids_and_parts: list[tuple[int, list[str]]]) -> None:
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.executemany(
                "UPDATE core_searchdocument SET grams = %s WHERE id = %s",
                [(grams(parts), doc_id) for doc_id, parts in doc_ids_and_parts],
            )
        else:
            cursor.executemany(
                "DELETE FROM core_search_fts WHERE rowid = %s",
                [(doc_id,) for doc_id, _p in doc_ids_and_parts],
            )
            cursor.executemany(
                "INSERT INTO core_search_fts(rowid, grams) VALUES (%s, %s)",
                [(doc_id, " ".join(grams(parts))) for doc_id, parts in doc_ids_and_parts],
            )


def _folded_parts(object_type: str, obj: Any) -> list[str]:
    parts = [jp.fold(p) for p in registration(object_type).text_parts(obj) if p]
    return [p for p in parts if p]


def reindex(object_type: str, obj: Any) -> None:
    """(Re)write the search row of one record."""
    parts = _folded_parts(object_type, obj)
    doc, _created = SearchDocument.objects.update_or_create(
        object_type=object_type, object_id=obj.pk, defaults={"text": "\n".join(parts)}
    )
    _write([(doc.pk, parts)])


def reindex_many(object_type: str, objects: Iterable[Any], batch_size: int = 2000) -> int:
    """Index many records in batches (import, demo data, rebuild). Returns how many were written."""
    count = 0
    batch: list[Any] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= batch_size:
            count += _reindex_batch(object_type, batch)
            batch = []
    if batch:
        count += _reindex_batch(object_type, batch)
    return count


def _reindex_batch(object_type: str, objects: list[Any]) -> int:
    """Upsert the documents of a batch, then their grams.

    SQLite: ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per chunk (≥ 3.35), then the FTS rows
    replaced with two ``executemany`` calls. PostgreSQL: :func:`_upsert_copied` (grams in the row).
    """
    parts_by_id = {obj.pk: _folded_parts(object_type, obj) for obj in objects}
    items = list(parts_by_id.items())
    if _is_postgres():
        _upsert_copied(object_type, items)
        return len(objects)
    chunk_size = 300  # stays under SQLite's 999 bound parameters
    written: list[tuple[int, list[str]]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(items), chunk_size):
            chunk = items[start : start + chunk_size]
            params: list[Any] = []
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            for oid, parts in chunk:
                params += [object_type, oid, "\n".join(parts)]
            cursor.execute(
                "INSERT INTO core_searchdocument (object_type, object_id, text) "  # noqa: S608
                f"VALUES {values} ON CONFLICT (object_type, object_id) "
                "DO UPDATE SET text = excluded.text RETURNING id, object_id",
                params,
            )
            written += [(doc_id, parts_by_id[oid]) for doc_id, oid in cursor.fetchall()]
    if written:
        _write(written)
    return len(objects)


def _upsert_copied(object_type: str, items: list[tuple[int, list[str]]]) -> None:
    """PostgreSQL: ``COPY`` the documents into a session-local staging table, then one upsert.

    Django's psycopg cursors bind parameters on the client: a multi-row upsert with gram arrays was
    formatted literal by literal in Python, the largest cost of indexing an import on PostgreSQL.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS search_stage "
            "(object_type varchar(40), object_id bigint, text text, grams text[])"
        )
        cursor.execute("DELETE FROM search_stage")
        with cursor.cursor.copy("COPY search_stage FROM STDIN") as copy:
            for oid, parts in items:
                copy.write_row((object_type, oid, "\n".join(parts), grams(parts)))
        cursor.execute(
            "INSERT INTO core_searchdocument (object_type, object_id, text, grams) "
            "SELECT object_type, object_id, text, grams FROM search_stage ORDER BY object_id "
            "ON CONFLICT (object_type, object_id) DO UPDATE SET text = EXCLUDED.text, grams = EXCLUDED.grams"
        )
        cursor.execute("DELETE FROM search_stage")


def remove(object_type: str, object_id: int) -> None:
    doc_ids = list(
        SearchDocument.objects.filter(object_type=object_type, object_id=object_id).values_list(
            "id", flat=True
        )
    )
    if not doc_ids:
        return
    if not _is_postgres():
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM core_search_fts WHERE rowid = %s", [(i,) for i in doc_ids])
    SearchDocument.objects.filter(id__in=doc_ids).delete()


def rebuild(object_type: str) -> int:
    """Drop and rebuild the index of one object type from its table."""
    reg = registration(object_type)
    doc_ids = list(SearchDocument.objects.filter(object_type=object_type).values_list("id", flat=True))
    if doc_ids and not _is_postgres():
        with connection.cursor() as cursor:
            for start in range(0, len(doc_ids), 5000):
                chunk = doc_ids[start : start + 5000]
                cursor.execute(
                    f"DELETE FROM core_search_fts WHERE rowid IN ({','.join(['%s'] * len(chunk))})",  # noqa: S608
                    chunk,
                )
    SearchDocument.objects.filter(object_type=object_type).delete()
    rows = reg.model._default_manager.order_by("pk")
    if any(f.name == "deleted_at" for f in reg.model._meta.get_fields()):
        # Trashed records are removed from the index by the services; keep them out here too.
        rows = rows.filter(deleted_at__isnull=True)
    return reindex_many(object_type, rows.iterator(chunk_size=2000))


def matching_ids(object_type: str, query: str) -> RawSQL | None:
    """A subquery of the ids of ``object_type`` rows matching every term of ``query``.

    Use as ``Model.objects.filter(pk__in=matching_ids(...))`` inside a visibility-applying
    selector. Returns None for an empty query (no filtering).
    """
    terms = query_terms(query)
    if not terms:
        return None
    params: list[Any] = [object_type]
    if _is_postgres():
        all_grams = sorted({g for t in terms for g in _term_grams(t)})
        # ``object_type || ''`` keeps the planner off the (object_type, object_id) btree, which selects a
        # whole object type; the GIN index on the grams is the selective path.
        sql = (
            "SELECT d.object_id FROM core_searchdocument d "
            "WHERE (d.object_type || '') = %s AND d.grams @> %s::text[]"
        )
        params.append(all_grams)
        for term in terms:
            sql += " AND strpos(d.text, %s) > 0"
            params.append(term)
    else:
        match = " ".join(_fts_phrase(g) for t in terms for g in _term_grams(t))
        sql = (
            "SELECT d.object_id FROM core_searchdocument d WHERE d.object_type = %s AND d.id IN "
            "(SELECT rowid FROM core_search_fts WHERE core_search_fts MATCH %s)"
        )
        params.append(match)
        for term in terms:
            sql += " AND instr(d.text, %s) > 0"
            params.append(term)
    return RawSQL(sql, params)  # noqa: S611  (parameters are bound, never interpolated)
