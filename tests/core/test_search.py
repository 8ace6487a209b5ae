"""Japanese search through core.search, on the suite's database (SQLite FTS5 or PostgreSQL GIN)."""

import importlib

import pytest
from django.db import connection

from daifuku.core import search
from daifuku.core.models import SearchDocument
from daifuku.customers import selectors, services
from daifuku.customers.models import Company
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _companies(user, q):
    return list(selectors.company_list(user=user, filters=selectors.CompanyFilters(q=q)))


def _contacts(user, q):
    return list(selectors.contact_list(user=user, filters=selectors.ContactFilters(q=q)))


@pytest.fixture
def yamada(admin):
    return CompanyFactory(
        name="山田商事", legal_form="kk", legal_form_position="after", name_kana="ヤマダショウジ", owner=admin
    )


@pytest.fixture
def other(admin):
    return CompanyFactory(name="大阪物産", name_kana="オオサカブッサン", owner=admin)


@pytest.mark.parametrize("q", ["商事", "山田商事株式会社", "山田", "株式会社"])
def test_substring_of_company_name_finds_it(admin, yamada, other, q):
    # when / then
    assert _companies(admin, q) == [yamada]


def test_two_character_family_name_finds_contact(admin, other):
    # given
    tanaka = ContactFactory(
        family_name="田中", given_name="一郎", family_name_kana="タナカ", company=other, owner=admin
    )
    ContactFactory(family_name="佐藤", given_name="花子", company=other, owner=admin)
    # when / then
    assert _contacts(admin, "田中") == [tanaka]


def test_one_character_query_finds_every_text_containing_it(admin, yamada, other):
    # given
    tabata = CompanyFactory(name="田端製作所", name_kana="タバタ", owner=admin)
    # when
    found = _companies(admin, "田")
    # then
    assert sorted(c.pk for c in found) == sorted([yamada.pk, tabata.pk])


@pytest.mark.parametrize("q", ["ﾔﾏﾀﾞ", "やまだ", "ヤマダ", "ﾔﾏﾀﾞｼｮｳｼﾞ", "やまだ しょうじ"])
def test_reading_in_any_kana_script_or_width_finds_it(admin, yamada, other, q):
    # when / then
    assert _companies(admin, q) == [yamada]


def test_full_width_latin_finds_half_width_text(admin, other):
    # given
    abc = CompanyFactory(name="abc Systems", name_kana="エービーシー", owner=admin)
    # when / then
    assert _companies(admin, "ＡＢＣ") == [abc]
    assert _companies(admin, "SYSTEMS") == [abc]


@pytest.mark.parametrize(
    "q", ["0312345678", "03-1234-5678", "０３－１２３４－５６７８", "+81312345678", "1234-5678"]
)
def test_phone_with_or_without_hyphens_finds_it(admin, other, q):
    # given
    company = CompanyFactory(name="電話商会", phone="+81312345678", owner=admin)
    # when / then
    assert _companies(admin, q) == [company]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("5678", True),  # the last four digits: one digit window
        ("345678", True),
        ("345", True),  # shorter than a window: bigrams
        ("5679", False),
        ("1234a", False),
        ("78", True),
    ],
)
def test_digit_fragment_finds_phone_by_its_digit_windows(admin, other, q, found):
    # given
    company = CompanyFactory(name="電話商会", phone="+81312345678", owner=admin)
    # when / then
    assert _companies(admin, q) == ([company] if found else [])


def test_digit_windows_do_not_cross_a_non_digit(admin):
    # given: 12 and 34 separated by a letter: the text holds the bigrams of 1234 but not the window
    CompanyFactory(name="12a34", owner=admin)
    # when / then
    assert _companies(admin, "1234") == []


def test_grams_hold_the_windows_of_digit_runs_of_four_or_more():
    # when
    found = search.grams(["tel0312345", "123", "ab12a34"])
    # then
    windows = [g for g in found if len(g) > 2]
    assert windows == ["0312", "1234", "2345", "3123"]
    assert {"12", "23", "a3", "34"} <= set(found)


def test_migration_rewrites_the_fts_rows_of_documents_with_digit_runs(admin, other):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL rebuilds its expression index instead")
    # given: a document indexed as before the digit windows existed
    migration = importlib.import_module("daifuku.core.migrations.0008_search_grams_expression")
    company = CompanyFactory(name="電話商会", phone="+81312345678", owner=admin)
    doc = SearchDocument.objects.get(object_type="company", object_id=company.pk)
    parts = doc.text.split("\n")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_search_fts SET grams = %s WHERE rowid = %s",
            [" ".join(g for g in search.grams(parts) if len(g) <= 2), doc.pk],
        )
    assert _companies(admin, "5678") == []
    # when
    migration._sqlite_regram(connection, search.grams)
    # then
    with connection.cursor() as cursor:
        cursor.execute("SELECT grams FROM core_search_fts WHERE rowid = %s", [doc.pk])
        assert cursor.fetchone()[0] == " ".join(search.grams(parts))
    assert _companies(admin, "5678") == [company]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("26160359", ["0359", "1603", "2616", "6035", "6160"]),
        ("a0359b", ["0359", "9b", "a0"]),  # the digits' bigrams are replaced by their window
        ("123", ["12", "23"]),
        ("やまだ", ["まだ", "やま"]),
        ("田", ["田"]),
    ],
)
def test_term_grams_use_digit_windows_instead_of_digit_bigrams(term, expected):
    assert search._term_grams(term) == expected


def test_abbreviated_kabushiki_kaisha_finds_maekabu_company(admin, yamada):
    # given
    maekabu = CompanyFactory(name="山田製作所", legal_form="kk", legal_form_position="before", owner=admin)
    # when
    found = _companies(admin, "㈱山田")
    # then
    assert found == [maekabu]
    assert _companies(admin, "(株)山田") == [maekabu]


def test_every_term_must_match(admin, yamada, other):
    # given
    CompanyFactory(name="山田運輸", owner=admin)
    CompanyFactory(name="鈴木商事", owner=admin)
    # when / then
    assert _companies(admin, "山田 商事") == [yamada]
    assert _companies(admin, "山田　商事") == [yamada]
    assert _companies(admin, "山田 物産") == []


def test_grams_present_but_not_contiguous_do_not_match(admin):
    # given: the text has 山田, 田商 and 商事 as grams but never 山田商事 in a row
    CompanyFactory(name="山田", representative="田商事", owner=admin)
    CompanyFactory(name="山田 田商事", owner=admin)
    # when / then
    assert _companies(admin, "山田商事") == []


def test_company_name_of_contact_finds_contact(admin, yamada):
    # given
    tanaka = ContactFactory(family_name="田中", given_name="一郎", company=yamada, owner=admin)
    # when / then
    assert _contacts(admin, "山田商事") == [tanaka]


def test_reindex_after_update_forgets_the_old_name(admin, yamada):
    # when
    services.company_update(company=yamada, by=admin, data={"name": "川口物産"})
    # then
    assert _companies(admin, "山田") == []
    assert _companies(admin, "川口") == [yamada]
    assert SearchDocument.objects.filter(object_type="company", object_id=yamada.pk).count() == 1


def test_delete_removes_from_search_and_restore_brings_it_back(admin, yamada):
    # when
    services.company_delete(company=yamada, by=admin)
    # then
    assert _companies(admin, "山田") == []
    assert not SearchDocument.objects.filter(object_type="company", object_id=yamada.pk).exists()
    services.company_restore(company=yamada, by=admin)
    assert _companies(admin, "山田") == [yamada]


def test_rebuild_restores_a_lost_index(admin, yamada, other):
    # given
    search.remove("company", yamada.pk)
    Company.objects.filter(pk=other.pk).update(name="大阪新物産")
    assert _companies(admin, "山田") == []
    # when
    written = search.rebuild("company")
    # then
    assert written == 2
    assert _companies(admin, "山田") == [yamada]
    assert _companies(admin, "新物産") == [other]
    assert SearchDocument.objects.filter(object_type="company").count() == 2


def test_rebuild_leaves_trashed_records_out(admin, yamada, other):
    # given
    services.company_delete(company=other, by=admin)
    # when
    written = search.rebuild("company")
    # then
    assert written == 1
    assert list(SearchDocument.objects.filter(object_type="company").values_list("object_id", flat=True)) == [
        yamada.pk
    ]


def test_results_respect_visibility(rep_a, rep_b, company_of_rep_a):
    # when
    found_by_b = _companies(rep_b, "山田")
    count_by_b = selectors.company_list(user=rep_b, filters=selectors.CompanyFilters(q="山田")).count()
    # then
    assert found_by_b == []
    assert count_by_b == 0
    assert _companies(rep_a, "山田") == [company_of_rep_a]


def test_empty_query_does_not_filter(admin, yamada, other):
    # when / then
    assert search.matches("company", "  ") is None
    assert len(_companies(admin, " ")) == 2


def test_query_with_fts_syntax_characters_is_literal(admin, yamada):
    # given
    quoted = CompanyFactory(name='"AND" OR * 社', owner=admin)
    # when / then
    assert _companies(admin, '"AND"') == [quoted]
    assert _companies(admin, "OR *") == [quoted]
    assert _companies(admin, "NEAR(") == []


def _matching_sql(q):
    return search.index_ids_sql("company", search.query_terms(q), connection.vendor)


def test_query_is_served_by_the_index(admin, yamada, other):
    # given
    sql, params = _matching_sql("商事")
    # when
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            try:
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            finally:
                cursor.execute("RESET enable_seqscan")
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    # then
    if connection.vendor == "postgresql":
        assert "core_searchdoc_grams_gin" in plan
    else:
        assert "core_search_fts VIRTUAL TABLE INDEX" in plan


@pytest.mark.parametrize(
    "parts",
    [
        ["やまだしょうじ", "0312345678", "yamada@example.jp"],
        ["田"],
        ["a", "bb", "a"],  # a gram in two fields once; "ab" spans two fields and is not one
        ["髙橋𠮷野家", "①㈱"],  # outside the BMP; characters NFKC would change (folded text keeps them)
        ["ラーメン", "ー", "''\"%_\\"],  # quote, LIKE and backslash characters are plain text here
        ["12345", "6789", "a1234b56789", "١٢٣٤"],  # digit windows per run; Arabic-Indic digits have none
        ["\x01やまだたろう", "山田太郎", "やまだ"],  # a sort part: its first character is left out
        ["\x01や", "0312345678"],
        ["\x011234567", "x"],  # digit windows of a sort part without its first digit
        [],
    ],
)
def test_postgresql_grams_function_equals_python_grams(parts):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's FTS5 rows are written from search.grams itself")
    # when
    with connection.cursor() as cursor:
        cursor.execute("SELECT daifuku_grams(%s)", ["\n".join(parts)])
        computed = cursor.fetchone()[0]
    # then
    assert computed == search.grams(parts)


def test_documents_of_postgresql_hold_no_gram_column(admin):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps its grams in the FTS5 table")
    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'core_searchdocument' "
            "AND table_schema = current_schema() ORDER BY column_name"
        )
        columns = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'core_searchdoc_grams_gin'")
        index = cursor.fetchone()[0]
    # then
    assert columns == ["id", "object_id", "object_type", "text"]
    assert "USING gin (daifuku_grams(text))" in index


# Matches: the list filter, by walking rows or by the gram index


@pytest.mark.parametrize(
    "q", ["商事", "山田", "ﾔﾏﾀﾞ", "山田 商事", "山田商事", "1234-5678", "大阪", "田", '"AND"', "無い言葉"]
)
def test_walk_and_index_find_the_same_rows(admin, yamada, other, q):
    # given
    CompanyFactory(name="山田運輸", owner=admin)
    CompanyFactory(name="鈴木商事", phone="+81312345678", owner=admin)
    CompanyFactory(name="山田", representative="田商事", owner=admin)
    CompanyFactory(name='"AND" OR * 社', owner=admin)
    match = search.matches("company", q)
    base = selectors.company_queryset(user=admin).order_by("kana_key", "id")
    # when
    walked = list(base.filter(match.forced("walk")).values_list("pk", flat=True))
    indexed = list(base.filter(match.forced("index")).values_list("pk", flat=True))
    # then
    assert walked == indexed
    assert walked == list(base.filter(match).values_list("pk", flat=True))  # the default (index) path


def test_unbounded_and_sliced_queries_read_the_index_and_id_lists_walk(admin, yamada):
    # given
    match = search.matches("company", "山田")
    qs = Company.objects.filter(match)
    index_mark = "core_search_fts" if connection.vendor == "sqlite" else "@>"
    # when
    unbounded, _p = qs.query.sql_with_params()
    sliced, _p = qs[:50].query.sql_with_params()
    by_ids, _p = qs.filter(pk__in=[yamada.pk, yamada.pk + 1]).query.sql_with_params()
    # then
    assert index_mark in unbounded and index_mark in sliced
    assert index_mark not in by_ids and "d.object_id = " in by_ids
    assert list(qs.filter(pk__in=[yamada.pk])) == [yamada]


def test_gram_stats_count_documents_per_gram(admin):
    # given: 商事 in every company's name, 物産 in none
    for n in range(30):
        CompanyFactory(name=f"第{n}商事", owner=admin)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE core_searchdocument")
    search.forget_stats()
    # when
    docs, total = search.gram_stats(["商事", "物産"])
    # then
    assert total == 30
    assert docs["商事"] == 30
    assert docs.get("物産", 0) <= 1  # PostgreSQL counts an unlisted gram at half the rarest one's share


def test_gram_stats_of_postgresql_without_statistics_are_unknown(admin):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads its FTS vocabulary, which always exists")
    # given: no statistics (as before the first ANALYZE; removed inside the test's transaction)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM pg_statistic WHERE starelid IN "
            "('core_searchdocument'::regclass, 'core_searchdoc_grams_gin'::regclass)"
        )
    search.forget_stats()
    # when / then
    assert search.gram_stats(["商事"]) is None
    assert search.matches("company", "商事").walk_budget(51) is None


@pytest.mark.parametrize(
    ("docs", "total", "wanted", "expected"),
    [
        ({"商事": 100_000}, 200_000, 51, 500),  # half of all documents: a short walk (at least 500 rows)
        ({"商事": 10_000}, 200_000, 51, 3_060),  # 5 %: 3 × 51 ÷ 0.05 rows
        ({"商事": 1_000}, 200_000, 51, None),  # 0.5 %: 30,600 rows to walk; the index is cheaper
        ({"やま": 20_000, "まだ": 20_000}, 200_000, 51, None),  # 10 % × 10 % = 1 %: 15,300 rows
        ({"やま": 60_000, "まだ": 60_000}, 200_000, 51, 1_700),  # 30 % × 30 %
        ({"商事": 0}, 200_000, 51, None),  # nothing matches: the index answers at once
        ({"商事": 100_000}, 200_000, 10_001, None),  # a deep page: too many rows to walk
    ],
)
def test_walk_budget_follows_the_estimated_share_of_matches(monkeypatch, docs, total, wanted, expected):
    # given
    monkeypatch.setattr(search, "gram_stats", lambda grams, using="default": (docs, total))
    terms = ["".join(docs)] if len(docs) == 1 else ["やまだ"]
    # when / then
    assert search.Matches("company", terms).walk_budget(wanted) == expected


# Sort parts: a reading's start is found through the list's kana sort key, not the gram index


@pytest.fixture
def readers(admin):
    """Readings with やまだ at the start, inside and nowhere; ヤマダ in a company's name; no reading."""
    denki = CompanyFactory(name="ヤマダ電機", name_kana="ヤマダデンキ", owner=admin)
    plain = CompanyFactory(name="大阪物産", name_kana="オオサカブッサン", owner=admin)

    def person(family, given, family_kana, given_kana, company=plain):
        return ContactFactory(
            family_name=family, given_name=given, family_name_kana=family_kana, given_name_kana=given_kana,
            company=company, owner=admin,
        )  # fmt: skip

    return {
        "山田太郎": person("山田", "太郎", "ヤマダ", "タロウ"),
        "中山田花子": person("中山田", "花子", "ナカヤマダ", "ハナコ"),
        "山本次郎": person("山本", "次郎", "ヤマモト", "ジロウ", denki),
        "田中山": person("田中", "山", "タナカ", "ヤマ"),
        "山田山田": person("山田", "山田", "ヤマダ", "ヤマダ"),
        "鈴木一": person("鈴木", "一", "", ""),
    }


def _names(contacts):
    return sorted(f"{c.family_name}{c.given_name}" for c in contacts)


def test_document_starts_with_the_sort_key_whose_first_character_is_not_indexed(readers):
    # given
    taro = readers["山田太郎"]
    # when
    doc = SearchDocument.objects.get(object_type="contact", object_id=taro.pk)
    parts = doc.text.split("\n")
    found = search.grams(parts)
    # then
    assert parts[:2] == ["\x01やまだたろう", "山田太郎"]
    assert parts == search.folded_parts("contact", taro)
    assert "やま" not in found and "や" not in found  # the reading's start: the sort key's range finds it
    assert {"ま", "まだ", "だた", "ろう"} <= set(found)
    assert "\x01" not in "".join(found)


def test_a_record_without_reading_has_no_sort_part(readers):
    # when
    doc = SearchDocument.objects.get(object_type="contact", object_id=readers["鈴木一"].pk)
    # then
    assert readers["鈴木一"].kana_key.startswith("\uffff")
    assert doc.text.split("\n")[0] == "鈴木一"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ﾔﾏﾀﾞ", ["中山田花子", "山本次郎", "山田太郎", "山田山田"]),  # start, inside, company name, both
        ("やま", ["中山田花子", "山本次郎", "山田太郎", "山田山田", "田中山"]),
        ("まだ", ["中山田花子", "山本次郎", "山田太郎", "山田山田"]),
        ("や", ["中山田花子", "山本次郎", "山田太郎", "山田山田", "田中山"]),
        ("やまだたろう", ["山田太郎"]),
        ("やまだ たろう", ["山田太郎"]),  # two terms: one at the start, one inside
        ("や やまだ", ["中山田花子", "山本次郎", "山田太郎", "山田山田"]),  # both at the start
        ("やまだ 電機", ["山本次郎"]),  # the company's name holds both
        ("やまだ 物産", ["中山田花子", "山田太郎", "山田山田"]),
        ("やまだやまだ", ["山田山田"]),
        ("山田", ["中山田花子", "山田太郎", "山田山田"]),
        ("すずき", []),  # no reading: nothing to find by it
    ],
)
def test_readings_are_found_at_their_start_inside_and_beside_other_texts(admin, readers, q, expected):
    assert _names(_contacts(admin, q)) == expected


@pytest.mark.parametrize(
    "q",
    ["ﾔﾏﾀﾞ", "やま", "まだ", "や", "やまだ たろう", "や やまだ", "やまだ 電機", "やまだ 物産", "ろう", "ン"],
)
@pytest.mark.parametrize("order", [("kana_key", "id"), ("-kana_key", "-id"), ("-updated_at", "-id")])
def test_walk_index_and_branches_find_the_same_contacts(admin, readers, q, order):
    # given
    match = search.matches("contact", q)
    base = selectors.contact_queryset(user=admin).order_by(*order)
    # when
    walked = list(base.filter(match.forced("walk")).values_list("pk", flat=True))
    indexed = list(base.filter(match).values_list("pk", flat=True))
    branched: set[int] = set()
    for sort_field, bounds, gram_match in match.branches():
        branch = base.filter(gram_match) if gram_match is not None else base
        if bounds is not None:
            branch = branch.filter(**{f"{sort_field}__gte": bounds[0], f"{sort_field}__lt": bounds[1]})
        branched |= set(branch.values_list("pk", flat=True))
    # then
    assert walked == indexed
    assert branched == set(walked)


def test_a_collation_not_by_code_point_finds_the_same_rows_by_substr(admin, readers, monkeypatch):
    # given
    expected = _names(_contacts(admin, "ﾔﾏﾀﾞ"))
    monkeypatch.setattr(search, "code_point_order", lambda using="default": False)
    sql, _params = Company.objects.filter(search.matches("company", "ﾔﾏﾀﾞ")).query.sql_with_params()
    # when / then
    assert "substr(" in sql
    assert _names(_contacts(admin, "ﾔﾏﾀﾞ")) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("やまだ", ("やまだ", "やまち")),  # だ U+3060, ち U+3061
        ("a\ud7ff", ("a\ud7ff", "a\ue000")),  # the next code point after the surrogates
        ("a\U0010ffff", None),  # no successor
        ("\uffffabc", None),  # a name without a reading is no sort part
        ("", None),
    ],
)
def test_prefix_range_covers_every_key_starting_with_the_term(term, expected):
    assert search.prefix_range(term) == expected


def test_query_terms_drop_the_sort_mark():
    assert search.query_terms("\x01やまだ") == ["やまだ"]


def test_code_point_order_of_the_suite_database():
    # SQLite compares with BINARY; the suite's PostgreSQL databases are created with a C collation
    assert search.code_point_order() is True


def test_rebuild_reads_a_contact_and_its_company_in_one_query_per_batch(
    admin, readers, django_assert_max_num_queries
):
    # when / then: no query per contact for its company's name
    with django_assert_max_num_queries(12):
        assert search.rebuild("contact") == 6


def test_migration_puts_the_sort_key_first_in_old_documents(admin, readers):
    # given: documents as written before sort parts (the reading among the texts)
    migration = importlib.import_module("daifuku.customers.migrations.0009_search_sort_part")
    taro = readers["山田太郎"]
    doc = SearchDocument.objects.get(object_type="contact", object_id=taro.pk)
    new_parts = doc.text.split("\n")
    old_parts = [new_parts[1], "やまだたろう", *new_parts[2:]]
    SearchDocument.objects.filter(pk=doc.pk).update(text="\n".join(old_parts))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_search_fts SET grams = %s WHERE rowid = %s",
                [" ".join(search.grams(old_parts)), doc.pk],
            )

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    # when
    migration._rewrite(None, editor)
    # then
    doc.refresh_from_db()
    assert doc.text.split("\n") == new_parts == search.folded_parts("contact", taro)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT grams FROM core_search_fts WHERE rowid = %s", [doc.pk])
            assert cursor.fetchone()[0] == " ".join(search.grams(new_parts))
    assert _names(_contacts(admin, "ﾔﾏﾀﾞ")) == ["中山田花子", "山本次郎", "山田太郎", "山田山田"]
