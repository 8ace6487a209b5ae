"""One search interface over SQLite FTS5 and a PostgreSQL GIN index of the text's grams.

Text is folded (:func:`daifuku.core.jp.fold`) and indexed as character unigrams and bigrams, so
one- and two-character Japanese queries (田, 田中, 商事) are served by the index — trigram indexes
cannot do that — plus the 4-digit windows of digit runs, so a phone fragment is looked up by a few
rare grams instead of the digit bigrams every phone number shares. A query term matches when all
its grams are present (index) and the folded term is a substring of the folded text (exact check on
the few candidate rows).

Modules register how to turn a record into text with :func:`register`; services call
:func:`reindex` after a change and :func:`remove` on delete.
"""

from __future__ import annotations

import math
import operator
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, models
from django.db.models.lookups import In

from daifuku.core import jp
from daifuku.core.models import SearchDocument

TextFn = Callable[[Any], Sequence[str]]


@dataclass(frozen=True)
class Registration:
    object_type: str
    model: type[models.Model]
    text_parts: TextFn
    sort_field: str = ""  # a folded reading the lists sort by (kana_key): indexed as a sort part
    related: tuple[str, ...] = ()  # select_related of a rebuild (what text_parts reads across relations)


_registry: dict[str, Registration] = {}


def register(
    object_type: str,
    model: type[models.Model],
    text_parts: TextFn,
    *,
    sort_field: str = "",
    related: tuple[str, ...] = (),
) -> None:
    """Make ``object_type`` searchable: ``text_parts(obj)`` gives its texts (one per field).

    ``sort_field`` names a column holding the folded reading the type's lists sort by (the kana sort
    key). The document then starts with that reading as its *sort part*, whose first character is
    not indexed: a term at the start of the reading is found through the column's own ordered index
    instead (:meth:`Matches.branches`), so that a list in reading order reads such matches from the
    right place in that order rather than all of them (ﾔﾏﾀﾞ matches 16 % of the contacts).
    """
    _registry[object_type] = Registration(object_type, model, text_parts, sort_field, related)


def is_registered(object_type: str) -> bool:
    return object_type in _registry


def registration(object_type: str) -> Registration:
    return _registry[object_type]


DIGIT_GRAM = 4  # digit runs are also indexed by windows of this many digits
_DIGIT_RUN_RE = re.compile(f"[0-9]{{{DIGIT_GRAM},}}")


SORT_MARK = "\x01"  # starts a document's sort part (the reading its lists sort by); never in a term
_NO_READING = "\uffff"  # kana_sort_key's prefix of a name without a reading: not a sort part


def grams(folded_parts: Iterable[str]) -> list[str]:
    """Unigrams and bigrams of each part (grams never span two fields), and the 4-digit windows of its
    runs of four or more ASCII digits; sorted and unique. A sort part (first, after ``SORT_MARK``) is
    indexed without its first character: matches at its start are found by the sort column's index.

    Digits have only 100 bigrams and phone numbers, postal codes and 法人番号 use them all, so every
    digit bigram is in a large share of the documents: a phone fragment's seven bigrams intersected
    hundreds of thousands of postings (31 ms on PostgreSQL at 1m). A 4-digit window is in few.
    """
    parts = list(folded_parts)
    if parts and parts[0].startswith(SORT_MARK):
        parts[0] = parts[0][2:]
    found: set[str] = set()
    for part in parts:
        found.update(part)
        found.update(map(operator.add, part, part[1:]))  # bigrams, paired in C
        for run in _DIGIT_RUN_RE.findall(part):
            found.update(run[i : i + DIGIT_GRAM] for i in range(len(run) - DIGIT_GRAM + 1))
    found.discard("")
    return sorted(found)


def query_terms(query: str) -> list[str]:
    """Split a user query on spaces and fold each term; a phone number becomes its national digits."""
    terms: list[str] = []
    for raw in jp.nfkc(query).split():
        term = jp.fold(raw).replace(SORT_MARK, "")
        if re.fullmatch(r"\+?[\d()\-]{6,}", raw):
            e164 = jp.parse_phone(raw)
            if e164 and e164.startswith("+81"):
                term = jp.phone_search_text(e164)
        if term:
            terms.append(term)
    return terms


def _term_grams(term: str) -> list[str]:
    """The grams every document holding ``term`` has: its bigrams, except that a run of four or more
    digits is represented by its 4-digit windows (the document's run around it has the same ones)."""
    if len(term) == 1:
        return [term]
    found: set[str] = set()
    covered = [False] * (len(term) - 1)  # bigram i lies inside a digit run of the term
    for run in _DIGIT_RUN_RE.finditer(term):
        start, end = run.span()
        found.update(term[i : i + DIGIT_GRAM] for i in range(start, end - DIGIT_GRAM + 1))
        for i in range(start, end - 1):
            covered[i] = True
    found.update(term[i : i + 2] for i in range(len(term) - 1) if not covered[i])
    return sorted(found)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _fts_phrase(gram: str) -> str:
    return '"' + gram.replace('"', '""') + '"'


def _write(doc_ids_and_parts: list[tuple[int, list[str]]]) -> None:
    """SQLite: replace the documents' rows in the FTS5 table. PostgreSQL indexes the grams as an
    expression of the text (``daifuku_grams(text)``, migration ``0008``): nothing more to write."""
    if _is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "DELETE FROM core_search_fts WHERE rowid = %s",
            [(doc_id,) for doc_id, _p in doc_ids_and_parts],
        )
        cursor.executemany(
            "INSERT INTO core_search_fts(rowid, grams) VALUES (%s, %s)",
            [(doc_id, " ".join(grams(parts))) for doc_id, parts in doc_ids_and_parts],
        )


def folded_parts(object_type: str, obj: Any, fold: Callable[[str], str] = jp.fold) -> list[str]:
    """The document's parts: the sort part (``SORT_MARK`` + the sort column's value, when the type has
    one and the record has a reading) and the folded, non-empty texts of ``text_parts``."""
    reg = registration(object_type)
    parts = [f for f in (fold(p) for p in reg.text_parts(obj) if p) if f]
    if reg.sort_field:
        key = getattr(obj, reg.sort_field) or ""
        if key and not key.startswith(_NO_READING):
            parts.insert(0, SORT_MARK + key)
    return parts


def reindex(object_type: str, obj: Any) -> None:
    """(Re)write the search row of one record."""
    parts = folded_parts(object_type, obj)
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
    replaced with two ``executemany`` calls. PostgreSQL: :func:`_upsert_copied` (the index computes
    the grams).
    """
    parts_by_id = {obj.pk: folded_parts(object_type, obj) for obj in objects}
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

    Django's psycopg cursors bind parameters on the client: a multi-row upsert was formatted literal
    by literal in Python, the largest cost of indexing an import on PostgreSQL.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS search_stage "
            "(object_type varchar(40), object_id bigint, text text)"
        )
        cursor.execute("DELETE FROM search_stage")
        # Named columns: a connection kept from before migration 0008 has a staging table with grams too.
        with cursor.cursor.copy("COPY search_stage (object_type, object_id, text) FROM STDIN") as copy:
            for oid, parts in items:
                copy.write_row((object_type, oid, "\n".join(parts)))
        cursor.execute(
            "INSERT INTO core_searchdocument (object_type, object_id, text) "
            "SELECT object_type, object_id, text FROM search_stage ORDER BY object_id "
            "ON CONFLICT (object_type, object_id) DO UPDATE SET text = EXCLUDED.text"
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
    rows = reg.model._default_manager.select_related(*reg.related).order_by("pk")
    if any(f.name == "deleted_at" for f in reg.model._meta.get_fields()):
        # Trashed records are removed from the index by the services; keep them out here too.
        rows = rows.filter(deleted_at__isnull=True)
    return reindex_many(object_type, rows.iterator(chunk_size=2000))


def index_ids_sql(object_type: str, terms: list[str], vendor: str) -> tuple[str, list[Any]]:
    """SQL (and parameters) selecting the ids of ``object_type`` rows whose document holds every folded
    term: the gram index's candidates, then the substring check on each. ``Matches`` uses it."""
    params: list[Any] = [object_type]
    if vendor == "postgresql":
        all_grams = sorted({g for t in terms for g in _term_grams(t)})
        # ``object_type || ''`` keeps the planner off the (object_type, object_id) btree, which selects a
        # whole object type; the GIN index on the grams is the selective path.
        sql = (
            "SELECT d.object_id FROM core_searchdocument d "
            "WHERE (d.object_type || '') = %s AND daifuku_grams(d.text) @> %s::text[]"
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
    return sql, params


def prefix_range(term: str) -> tuple[str, str] | None:
    """[low, high): the sort keys that start with ``term``, in code point order; None if none can (a
    term starting with the no-reading mark, or one whose last character has no successor)."""
    if not term or term.startswith(_NO_READING):
        return None
    after = ord(term[-1]) + 1
    if 0xD800 <= after <= 0xDFFF:  # surrogates are no characters: the next one in UTF-8 order is U+E000
        after = 0xE000
    if after > 0x10FFFF:
        return None
    return term, term[:-1] + chr(after)


def code_point_order(using: str = "default") -> bool:
    """Whether the database compares text by code point, so that the keys starting with a term are one
    range of the sort column's index. SQLite (BINARY) does; PostgreSQL when the database's collation is
    C (``C``, ``POSIX``, ``C.UTF-8``), which Daifuku's databases are created with. Read once per
    connection."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        return True
    known = conn.__dict__.get("_daifuku_code_point_order")
    if known is None:
        with conn.cursor() as cursor:
            cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            collate = str(cursor.fetchone()[0])
        known = collate in ("C", "POSIX") or collate.lower() in ("c.utf-8", "c.utf8")
        conn.__dict__["_daifuku_code_point_order"] = known
    return bool(known)


# Searching a list: walk its order, or read the gram index and sort


class Matches(models.Expression):
    """A list's search filter (``queryset.filter(Matches("contact", terms))``), shaped per query.

    Two ways to find the rows that match every term:

    - *index*: ``pk IN (`` the gram index's candidates, checked for the substring ``)`` — reads every
      match; a list then sorts them all. Right for rare terms and for unbounded queries (counts,
      totals, exports). For a type with a sort column, the rows whose sort key starts with a term
      (a range of the column's index) are added: the index does not hold a sort part's first
      character (:func:`register`). ``rest`` reads the gram index alone (see :meth:`branches`).
    - *walk*: check each row the query reads against its search document (one lookup by
      (object_type, object_id) per row). Right when the query reads few rows: a page's rows fetched
      by their ids (``pk IN [51 ids]`` — the index path would run the whole search again), or the
      first rows of a list in its own order for a frequent term (see ``visibility.page_ids``, which
      tries that within a budget of rows and falls back to the index path).

    ``strategy`` forces one; by default an id-list-bounded query walks and every other one reads the
    index (a plain LIMIT is no safe bound: matches of a name cluster in フリガナ order, e.g. ﾔﾏﾀﾞ sits
    near the end, so a walk from the start could read most of the table).
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, object_type: str, terms: list[str], strategy: str = "") -> None:
        super().__init__()
        self.object_type = object_type
        self.terms = terms
        self.strategy = strategy

    def __repr__(self) -> str:
        return f"Matches({self.object_type!r}, {self.terms!r}, {self.strategy!r})"

    @property
    def identity(self) -> tuple[Any, ...]:
        return (type(self), self.object_type, tuple(self.terms), self.strategy)

    def forced(self, strategy: str) -> Matches:
        return Matches(self.object_type, self.terms, strategy)

    def walk_budget(self, rows_wanted: int, using: str = "default") -> int | None:
        """How many rows of a list to walk for its first ``rows_wanted`` matches; None: read the index.

        Estimated from the index's document counts (:func:`gram_stats`): the share of documents that
        match is taken as the product of the grams' shares (independence; names' grams go together,
        so real matches are more frequent and the walk shorter). Walk when about ``rows_wanted ÷ share``
        rows (× 3 for safety, at most ``WALK_MAX_ROWS``) would do; a failed walk costs that budget.
        """
        share = 1.0
        # Gram by gram: each can only lower the share, so the first that makes the walk too long ends
        # the estimate (a phone fragment's seven digit pairs are rarely all looked up).
        for gram in sorted({g for t in self.terms for g in _term_grams(t)}):
            stats = gram_stats([gram], using)
            if stats is None or stats[1] <= 0:
                return None
            docs, total = stats
            share *= min(docs.get(gram, 0), total) / total
            if share <= 0 or 3 * rows_wanted / share > WALK_MAX_ROWS:
                return None
        return max(math.ceil(3 * rows_wanted / share), WALK_MIN_ROWS)

    def prefix_terms(self) -> list[tuple[str, list[str]]]:
        """(term, the other terms that are not a prefix of it) for each term a sort key can start with,
        when the type has a sort column.

        Every match is either in the gram index for all terms (``rest``), or has a sort key starting
        with some term ``t`` and is in the gram index for each other term that is not a prefix of
        ``t`` (a term that is, the same key starts with). Taking ``t`` the longest term found at the
        key's start shows nothing is missed; a key starting with ``t`` holds ``t`` (its sort part).
        """
        if not registration(self.object_type).sort_field:
            return []
        return [
            (term, [other for other in self.terms if not term.startswith(other)])
            for term in dict.fromkeys(self.terms)
            if term and not term.startswith(_NO_READING)
        ]

    def branches(self) -> list[tuple[str, tuple[str, str] | None, Matches | None]]:
        """The matches as a union of branches, each (sort field, sort key range or None, gram index
        filter or None): ``rest`` and one per :meth:`prefix_terms` entry. A list sorted by the sort
        field reads each branch in its order from the right place (``visibility.page_ids``)."""
        found: list[tuple[str, tuple[str, str] | None, Matches | None]] = [("", None, self.forced("rest"))]
        sort_field = registration(self.object_type).sort_field
        for term, others in self.prefix_terms():
            others_match = Matches(self.object_type, others, "rest") if others else None
            found.append((sort_field, prefix_range(term), others_match))
        return found

    def walk_sql(self, column: str, vendor: str) -> tuple[str, list[Any]]:
        """The per-row check of the row whose id is ``column`` (SQL): its document holds every term."""
        find = "strpos(d.text, %s) > 0" if vendor == "postgresql" else "instr(d.text, %s) > 0"
        # A scalar subquery, not EXISTS: PostgreSQL turns EXISTS into a join it may hash over every
        # document; a scalar subquery stays a per-row check, as the walk wants.
        sql = (
            f"(SELECT {' AND '.join([find] * len(self.terms))} FROM core_searchdocument d "  # noqa: S608
            f"WHERE d.object_type = %s AND d.object_id = {column})"
        )
        return sql, [*self.terms, self.object_type]

    def as_sql(self, compiler: Any, conn: Any) -> tuple[str, list[Any]]:
        query = compiler.query
        pk = query.model._meta.pk
        column = (
            f"{compiler.quote_name_unless_alias(query.get_initial_alias())}.{conn.ops.quote_name(pk.column)}"
        )
        walk = self.strategy == "walk" or (not self.strategy and _cut_to_id_list(query))
        if walk:
            return self.walk_sql(column, conn.vendor)
        raw_sql, params = index_ids_sql(self.object_type, self.terms, conn.vendor)
        if self.strategy != "rest":
            for term, others in self.prefix_terms():
                part, part_params = self._prefix_sql(query.model, term, others, conn)
                raw_sql += f" UNION ALL {part}"
                params += part_params
        return f"{column} IN ({raw_sql})", params

    def _prefix_sql(
        self, model: type[models.Model], term: str, others: list[str], conn: Any
    ) -> tuple[str, list[Any]]:
        """The ids whose sort key starts with ``term`` and whose documents hold ``others``."""
        qn = conn.ops.quote_name
        sort = f"search_sort.{qn(model._meta.get_field(registration(self.object_type).sort_field).column)}"
        pk = f"search_sort.{qn(model._meta.pk.column)}"
        bounds = prefix_range(term)
        sql = f"SELECT {pk} FROM {qn(model._meta.db_table)} search_sort WHERE "  # noqa: S608
        if bounds is not None and code_point_order(conn.alias):
            sql += f"{sort} >= %s AND {sort} < %s"
            params: list[Any] = list(bounds)
        else:  # a collation that is not by code point: no range of the index is exactly the prefix
            sql += f"substr({sort}, 1, %s) = %s"
            params = [len(term), term]
        if others:
            others_sql, others_params = index_ids_sql(self.object_type, others, conn.vendor)
            sql += f" AND {pk} IN ({others_sql})"
            params += others_params
        return sql, params


WALK_MIN_ROWS = 500
WALK_MAX_ROWS = 10_000
ID_LIST_WALK = 1_000  # a query cut to at most this many ids checks them one by one


def _cut_to_id_list(query: Any) -> bool:
    """Whether the query is cut to a list of at most ``ID_LIST_WALK`` ids (``pk IN [..]``)."""
    pk = query.model._meta.pk
    return any(
        isinstance(child, In)
        and getattr(child.lhs, "target", None) == pk
        and isinstance(child.rhs, list | tuple | set | frozenset)
        and len(child.rhs) <= ID_LIST_WALK
        for child in query.where.children
    )


def matches(object_type: str, query: str) -> Matches | None:
    """The filter of a list's search box: ``queryset.filter(m)``; None for an empty query."""
    terms = query_terms(query)
    return Matches(object_type, terms) if terms else None


STATS_SECONDS = 300.0  # how long the index's document counts are reused before they are read again
STATS_MAX_KEYS = 20_000  # grams remembered at most (then forgotten all at once)
_stats: dict[tuple[str, str], tuple[float, Any]] = {}


def forget_stats() -> None:
    """Drop the cached index statistics (tests, after a rebuild)."""
    _stats.clear()


def _cached(using: str, key: str, read: Callable[[], Any]) -> Any:
    now = time.monotonic()
    hit = _stats.get((using, key))
    if hit is not None and now - hit[0] < STATS_SECONDS:
        return hit[1]
    value = read()
    if len(_stats) >= STATS_MAX_KEYS:
        _stats.clear()
    _stats[(using, key)] = (now, value)
    return value


def gram_stats(grams: list[str], using: str = "default") -> tuple[dict[str, int], int] | None:
    """(documents containing each gram, documents in all), as the index knows them; None if unknown.

    SQLite: exact, from the FTS5 vocabulary table (a lookup per gram); the total is cached for
    ``STATS_SECONDS``. PostgreSQL: from the planner's statistics of the gram index's expression
    (``pg_stats.most_common_elems``, refreshed by ANALYZE / autovacuum), cached likewise; a gram not
    among the most common is counted at half the least common one's frequency, as the planner does.
    """
    conn = connections[using]
    if conn.vendor == "postgresql":
        common = _cached(using, "pg_elems", lambda: _pg_common_elems(conn))
        if common is None:
            return None
        freqs, floor, total = common
        return {g: int(freqs.get(g, floor) * total) for g in grams}, total
    total = _cached(using, "total", lambda: _count_documents(conn))
    # The vocabulary counts a gram's documents by reading its posting list (16 ms for a gram in 280,000
    # documents at 1m), so each gram's count is kept like the total.
    return {g: _cached(using, f"gram:{g}", lambda g=g: _vocab_docs(conn, g)) for g in grams}, total


def _vocab_docs(conn: Any, gram: str) -> int:
    with conn.cursor() as cursor:
        cursor.execute("SELECT doc FROM core_search_vocab WHERE term = %s", [gram])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _count_documents(conn: Any) -> int:
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_searchdocument")
        return int(cursor.fetchone()[0])


def _pg_common_elems(conn: Any) -> tuple[dict[str, float], float, int] | None:
    with conn.cursor() as cursor:
        cursor.execute(
            # ANALYZE keeps the statistics of an index's expression under the index's name.
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.oid = 'core_searchdocument'::regclass "
            "WHERE s.tablename = 'core_searchdoc_grams_gin' AND s.attname = 'daifuku_grams' "
            "AND s.schemaname = current_schema()"
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[1] is None or not row[2] or row[2] <= 0:
        return None
    elems, freqs, total = row
    # The frequencies list ends with the minimum, maximum and null frequency of the elements.
    listed = dict(zip(elems, freqs, strict=False))
    return listed, float(freqs[-3]) / 2, int(total)
