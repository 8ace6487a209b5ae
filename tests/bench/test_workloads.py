"""bench.workloads: which statements of a request are its page's floor."""

from bench.workloads import _pick_floor

IDS = 'SELECT "customers_contact"."id" FROM "customers_contact" WHERE x ORDER BY 1 LIMIT 51'
ROWS = 'SELECT * FROM "customers_contact" WHERE "customers_contact"."id" IN (%s, %s)'
SCOUT = 'SELECT "_page_pk" FROM (SELECT * FROM "customers_contact" LIMIT 1822) AS w WHERE p LIMIT 51'
COUNT = 'SELECT COUNT(*) FROM (SELECT 1 FROM "customers_contact" LIMIT 10001) subquery'
OTHER = 'SELECT * FROM "core_user" WHERE "core_user"."id" = %s LIMIT 21'


def test_a_list_page_floor_is_its_ids_query_and_its_rows_query():
    # when
    picked = _pick_floor([(OTHER, [1]), (IDS, []), (ROWS, [1, 2]), (COUNT, [])], "customers_contact")
    # then
    assert picked == [(IDS, []), (ROWS, [1, 2])]


def test_a_failed_walk_before_the_index_query_is_overhead_not_floor():
    # when
    picked = _pick_floor([(SCOUT, ["a"]), (IDS, ["b"]), (ROWS, [3])], "customers_contact")
    # then
    assert picked == [(IDS, ["b"]), (ROWS, [3])]


def test_a_page_without_a_rows_query_takes_its_first_limited_read():
    # when
    picked = _pick_floor([(COUNT, []), (IDS, ["first"]), (IDS, ["second"])], "customers_contact")
    # then
    assert picked == [(IDS, ["first"])]
    assert _pick_floor([(OTHER, [1])], "customers_contact") == []
