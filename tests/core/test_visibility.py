"""core.visibility: what each scope (none / own / team / all) lets a user read and edit."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daifuku.core import prepared, search, visibility
from daifuku.core.models import Role, RoleScope
from daifuku.customers.models import Company
from daifuku.customers.views import ListPage
from tests.factories import CompanyFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def role():
    return Role.objects.create(slug="tester", name="テスター")


@pytest.fixture
def records(team_a, team_b):
    """One company owned by the acting user, one by a teammate, one by another team, one unowned."""
    me = UserFactory(username="me", role="sales_rep", team=team_a)
    mate = UserFactory(username="mate", team=team_a)
    other = UserFactory(username="other", team=team_b)
    return {
        "me": me,
        "own": CompanyFactory(name="自分社", owner=me),
        "teammate": CompanyFactory(name="同僚社", owner=mate),
        "other_team": CompanyFactory(name="他チーム社", owner=other),
        "team_unowned": CompanyFactory(name="チーム共有社", owner=None, team=team_a),
    }


def _as(user, role, read, edit):
    RoleScope.objects.create(role=role, object_type="company", read_scope=read, edit_scope=edit)
    user.role = role
    user.save(update_fields=["role"])
    visibility.forget(user)
    return user


def _names(qs):
    return sorted(qs.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("none", []),
        ("own", ["自分社"]),
        ("team", ["チーム共有社", "同僚社", "自分社"]),
        ("all", ["チーム共有社", "他チーム社", "同僚社", "自分社"]),
    ],
)
def test_read_scope_filters_the_queryset(records, role, scope, expected):
    # given
    user = _as(records["me"], role, scope, "none")
    # when
    names = _names(visibility.visible(Company.objects.all(), user, "company"))
    # then
    assert names == expected
    readable = sorted(
        c.name for k, c in records.items() if k != "me" and visibility.can_read(user, c, "company")
    )
    assert readable == expected


@pytest.mark.parametrize(
    ("read", "edit", "expected"),
    [
        ("all", "none", []),
        ("all", "own", ["自分社"]),
        ("team", "own", ["自分社"]),
        ("all", "team", ["チーム共有社", "同僚社", "自分社"]),
        ("all", "all", ["チーム共有社", "他チーム社", "同僚社", "自分社"]),
        ("team", "team", ["チーム共有社", "同僚社", "自分社"]),
        ("own", "own", ["自分社"]),
    ],
)
def test_edit_scope_filters_the_queryset_within_the_read_scope(records, role, read, edit, expected):
    # given
    user = _as(records["me"], role, read, edit)
    # when
    names = _names(visibility.visible(Company.objects.all(), user, "company", action="edit"))
    # then
    assert names == expected
    editable = sorted(
        c.name for k, c in records.items() if k != "me" and visibility.can_edit(user, c, "company")
    )
    assert editable == expected


def test_check_can_edit_raises_outside_the_edit_scope(records, role):
    # given
    user = _as(records["me"], role, "team", "own")
    # when / then
    visibility.check_can_edit(user, records["own"], "company")
    with pytest.raises(PermissionDenied):
        visibility.check_can_edit(user, records["teammate"], "company")


@pytest.mark.parametrize(
    ("edit", "expected"), [("none", False), ("own", True), ("team", True), ("all", True)]
)
def test_can_create_needs_an_edit_scope(records, role, edit, expected):
    # given
    user = _as(records["me"], role, "all", edit)
    # when / then
    assert visibility.can_create(user, "company") is expected


def test_check_can_assign_keeps_records_inside_the_edit_scope(records, role, team_a, team_b):
    # given
    user = _as(records["me"], role, "team", "team")
    # when / then
    visibility.check_can_assign(user, "company", user.pk, team_b.pk)
    visibility.check_can_assign(user, "company", None, team_a.pk)
    with pytest.raises(PermissionDenied):
        visibility.check_can_assign(user, "company", None, team_b.pk)


def test_team_scope_of_user_without_team_is_own_records(team_a):
    # given
    loner = UserFactory(username="loner", role="manager", team=None)
    mine = CompanyFactory(name="一人社", owner=loner, team=None)
    CompanyFactory(name="無担当社", owner=None, team=None)
    CompanyFactory(name="チーム社", owner=UserFactory(team=team_a))
    # when
    names = _names(visibility.visible(Company.objects.all(), loner, "company"))
    # then
    assert names == ["一人社"]
    assert visibility.can_read(loner, mine, "company") is True


def test_object_type_without_scope_row_is_invisible(records):
    # given
    user = records["me"]
    # when
    qs = visibility.visible(Company.objects.all(), user, "invoice")
    # then
    assert list(qs) == []
    assert visibility.scope_for(user, "invoice", "edit") == "none"


def test_user_without_role_sees_nothing(records):
    # given
    user = records["me"]
    user.role = None
    user.save(update_fields=["role"])
    visibility.forget(user)
    # when
    qs = visibility.visible(Company.objects.all(), user, "company")
    # then
    assert list(qs) == []
    assert visibility.can_create(user, "company") is False


def test_superuser_sees_and_edits_everything(records):
    # given
    boss = UserFactory(username="boss", role="read_only", is_superuser=True, team=None)
    # when
    readable = _names(visibility.visible(Company.objects.all(), boss, "company"))
    editable = _names(visibility.visible(Company.objects.all(), boss, "company", action="edit"))
    # then
    everything = ["チーム共有社", "他チーム社", "同僚社", "自分社"]
    assert readable == everything
    assert editable == everything


def test_inactive_user_sees_nothing(records):
    # given
    user = records["me"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    visibility.forget(user)
    # when
    qs = visibility.visible(Company.objects.all(), user, "company")
    # then
    assert list(qs) == []


def test_scopes_are_cached_on_the_user_object_until_forgotten(records):
    # given
    user = records["me"]
    assert visibility.scope_for(user, "company") == "team"
    RoleScope.objects.filter(role__slug="sales_rep", object_type="company").update(read_scope="own")
    # when
    cached = visibility.scope_for(user, "company")
    visibility.forget(user)
    fresh = visibility.scope_for(user, "company")
    # then
    assert (cached, fresh) == ("team", "own")


def test_default_scopes_are_seeded():
    # when
    rows = {
        (s.role.slug, s.object_type): (s.read_scope, s.edit_scope)
        for s in RoleScope.objects.select_related("role").filter(role__slug__in=visibility.DEFAULT_SCOPES)
    }
    # then
    assert rows == {
        (slug, object_type): scopes
        for slug, per_type in visibility.DEFAULT_SCOPES.items()
        for object_type, scopes in per_type.items()
    }
    assert rows[("sales_rep", "company")] == ("team", "own")


# page_ids: a team-scoped page as the union of two ordered index walks


@pytest.fixture
def team_page(team_a, team_b, role):
    """14 companies: mine in my team, my teammate's, my team's unowned, mine filed under another team
    (the owner half), and another team's (not visible); several share a reading, so ids break ties."""
    me = _as(UserFactory(username="me", team=team_a), role, "team", "team")
    mate = UserFactory(username="mate", team=team_a)
    other = UserFactory(username="other", team=team_b)
    readings = ["アオキ", "イトウ", "アオキ", "ウエダ", "エンドウ", "イトウ", "オオタ"]
    for n, kana in enumerate(readings):
        CompanyFactory(name=f"自分{n}", name_kana=kana, owner=me)
        CompanyFactory(name=f"同僚{n}", name_kana=kana, owner=mate if n % 2 else None, team=team_a)
    for n, kana in enumerate(["アオキ", "カトウ", "イトウ"]):
        CompanyFactory(name=f"大阪の自分{n}", name_kana=kana, owner=me, team=team_b)
        CompanyFactory(name=f"大阪{n}", name_kana=kana, owner=other)
    return me


@pytest.mark.parametrize("order", [("kana_key", "id"), ("-kana_key", "-id"), ("-updated_at", "-id")])
@pytest.mark.parametrize("offset", [0, 4, 13, 16])
def test_page_ids_is_the_page_of_the_plain_query(team_page, order, offset):
    # given
    qs = visibility.visible(Company.objects.filter(deleted_at__isnull=True), team_page, "company").order_by(
        *order
    )
    # when
    ids = visibility.page_ids(qs, offset, 4)
    # then
    assert ids == list(qs.values_list("pk", flat=True)[offset : offset + 4])
    assert qs.count() == 17  # 7 + 7 in the team, 3 of mine under another team; not the other team's 3


def test_page_ids_keeps_further_filters(team_page):
    # given
    qs = (
        visibility.visible(Company.objects.filter(deleted_at__isnull=True), team_page, "company")
        .filter(name_kana="アオキ")
        .order_by("kana_key", "id")
    )
    # when
    ids = visibility.page_ids(qs, 0, 10)
    # then
    assert ids == list(qs.values_list("pk", flat=True))
    assert len(ids) == 5


def test_page_ids_is_one_query(team_page, django_assert_num_queries):
    # given
    qs = visibility.visible(Company.objects.filter(deleted_at__isnull=True), team_page, "company").order_by(
        "kana_key", "id"
    )
    # when / then: first the ids of my records under another team (the owner half), then the page
    with django_assert_num_queries(2):
        visibility.page_ids(qs, 8, 4)


@pytest.mark.parametrize("owner_half_ids", [0, 2, 1000])
@pytest.mark.parametrize("offset", [0, 13])
def test_page_ids_reads_a_small_owner_half_by_its_ids(team_page, monkeypatch, owner_half_ids, offset):
    # given: 3 of my companies under another team; fewer allowed ids than that keeps the walk
    monkeypatch.setattr(visibility, "OWNER_HALF_IDS", owner_half_ids)
    qs = visibility.visible(Company.objects.filter(deleted_at__isnull=True), team_page, "company").order_by(
        "kana_key", "id"
    )
    # when
    with CaptureQueriesContext(connection) as captured:
        ids = visibility.page_ids(qs, offset, 4)
    # then: the same page either way
    assert ids == list(qs.values_list("pk", flat=True)[offset : offset + 4])
    page_sql = captured.captured_queries[-1]["sql"]
    by_ids = owner_half_ids >= 3
    assert page_sql.count("UNION ALL") == 1
    assert ('"customers_company"."id" IN (' in page_sql) == by_ids


def test_page_ids_drops_an_empty_owner_half(team_page):
    # given: none of my companies is filed under another team
    Company.objects.filter(owner=team_page).exclude(team=team_page.team).delete()
    qs = visibility.visible(Company.objects.filter(deleted_at__isnull=True), team_page, "company").order_by(
        "-kana_key", "-id"
    )
    # when
    with CaptureQueriesContext(connection) as captured:
        ids = visibility.page_ids(qs, 0, 5)
    # then
    assert ids == list(qs.values_list("pk", flat=True)[:5])
    assert captured.captured_queries[-1]["sql"].count("UNION ALL") == 0


@pytest.mark.parametrize("order", [("kana_key", "id"), ("-updated_at", "-id")])
def test_owner_half_holds_my_records_of_earlier_later_and_no_team(team_a, team_b, role, order):
    # given: my team is the middle one of three; 2 of mine under each other team, 2 under none
    earlier, mine, later = sorted([team_a, team_b, TeamFactory(name="札幌営業部")], key=lambda t: t.pk)
    me = _as(UserFactory(username="me", team=mine), role, "team", "team")
    mate = UserFactory(username="mate", team=mine)
    for n, kana in enumerate(["アオキ", "イトウ", "アオキ", "ウエダ"]):
        CompanyFactory(name=f"自分{n}", name_kana=kana, owner=me, team=mine)
        CompanyFactory(name=f"同僚{n}", name_kana=kana, owner=mate, team=mine)
    for n, kana in enumerate(["アオキ", "カトウ"]):
        CompanyFactory(name=f"前の自分{n}", name_kana=kana, owner=me, team=earlier)
        CompanyFactory(name=f"後の自分{n}", name_kana=kana, owner=me, team=later)
        CompanyFactory(name=f"無所属の自分{n}", name_kana=kana, owner=me, team=None)
        CompanyFactory(name=f"他人{n}", name_kana=kana, owner=UserFactory(team=earlier), team=earlier)
    qs = visibility.visible(Company.objects.filter(deleted_at__isnull=True), me, "company").order_by(*order)
    # when
    pages = [visibility.page_ids(qs, offset, 3) for offset in range(0, 15, 3)]
    # then: every page is the plain query's; the other team's records are not in it
    assert [pk for page in pages for pk in page] == list(qs.values_list("pk", flat=True))
    assert qs.count() == 14
    outside = visibility._owner_outside_ids(Company, "default", "owner_id", me.pk, "team_id", mine.pk)
    assert sorted(outside) == sorted(
        Company.objects.filter(owner=me).exclude(team=mine).values_list("pk", flat=True)
    )
    assert len(outside) == 6


@pytest.mark.parametrize("scope", ["own", "all"])
def test_page_ids_leaves_other_scopes_to_the_plain_query(team_a, role, scope):
    # given
    me = _as(UserFactory(username="me", team=team_a), role, scope, scope)
    qs = visibility.visible(Company.objects.filter(deleted_at__isnull=True), me, "company").order_by("id")
    # when / then
    assert visibility.page_ids(qs, 0, 10) is None


def test_page_ids_of_an_edit_scoped_queryset_is_none(team_page):
    # given: edit scope is not read through the union (only read lists are paged)
    qs = visibility.visible(
        Company.objects.filter(deleted_at__isnull=True), team_page, "company", action="edit"
    ).order_by("id")
    # when / then
    assert visibility.page_ids(qs, 0, 10) is None


def test_page_ids_of_a_widened_queryset_is_none(team_page):
    # given: the scope ORed with more rows (as leads add the unassigned ones) no longer bounds the list
    base = Company.objects.filter(deleted_at__isnull=True)
    qs = (visibility.visible(base, team_page, "company") | base.filter(owner__isnull=True)).order_by("id")
    # when / then
    assert visibility.page_ids(qs, 0, 10) is None


def test_page_ids_of_an_id_list_is_none(team_page):
    # given: a list driven by an id subquery; the plain query is driven by them
    qs = (
        visibility.visible(Company.objects.filter(deleted_at__isnull=True), team_page, "company")
        .filter(pk__in=Company.objects.filter(name__startswith="自分").values("pk"))
        .order_by("kana_key", "id")
    )
    # when / then
    assert visibility.page_ids(qs, 0, 10) is None


# page_ids of a searched list: walk the list in its order for a frequent term, else the gram index


@pytest.fixture
def analyzed():
    """Index statistics as the database keeps them (PostgreSQL: ANALYZE, as autovacuum would run it)."""

    def refresh():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE core_searchdocument")
        search.forget_stats()

    return refresh


def _searched(user, q, strategy=""):
    match = search.matches("company", q)
    if strategy:
        match = match.forced(strategy)
    base = visibility.visible(Company.objects.filter(deleted_at__isnull=True), user, "company")
    return base.filter(match).order_by("kana_key", "id")


@pytest.mark.parametrize("offset", [0, 3, 6])
def test_page_ids_of_a_frequent_search_walks_the_list_and_gives_the_index_page(team_page, analyzed, offset):
    # given: 自分 is in 10 of the 17 visible companies' names (7 in the team, 3 under another team)
    analyzed()
    expected = list(_searched(team_page, "自分", "index").values_list("pk", flat=True)[offset : offset + 4])
    # when
    with CaptureQueriesContext(connection) as queries:
        ids = visibility.page_ids(_searched(team_page, "自分"), offset, 4)
    # then
    assert ids == expected
    assert len(expected) == 4
    walk = [q["sql"] for q in queries.captured_queries if "page_walk" in q["sql"]]
    assert len(walk) == 1
    assert "core_search_fts" not in walk[0] and "@>" not in walk[0]  # the gram index is not read


def test_page_ids_of_a_search_gives_up_when_the_scout_finds_nothing(team_page, monkeypatch):
    # given: オオタ is the last reading in 五十音 order; a scout of 2 rows finds none of its matches
    monkeypatch.setattr(search, "WALK_MIN_ROWS", 2)
    monkeypatch.setattr(search.Matches, "walk_budget", lambda self, wanted, using="default": 8)
    qs = _searched(team_page, "オオタ")
    # when
    with CaptureQueriesContext(connection) as queries:
        ids = visibility.page_ids(qs, 0, 2)
    page = ListPage(qs, 2, 1)
    # then: one scout, then the page read by branches (the readings starting with おおた: a range)
    expected = list(_searched(team_page, "オオタ", "index").values_list("pk", flat=True)[:2])
    assert ids == expected
    assert len(expected) == 2
    assert sum("page_walk" in q["sql"] for q in queries.captured_queries) == 1
    assert sum("page_branches" in q["sql"] for q in queries.captured_queries) == 1
    assert [c.pk for c in page.object_list] == expected


@pytest.mark.parametrize("offset", [0, 1, 3])
def test_page_ids_of_a_search_walks_on_from_the_scout_as_far_as_its_rate_says(team_page, monkeypatch, offset):
    # given: a scout of 2 rows finds fewer than the matches wanted
    monkeypatch.setattr(search, "WALK_MIN_ROWS", 2)
    monkeypatch.setattr(search.Matches, "walk_budget", lambda self, wanted, using="default": 8)
    qs = _searched(team_page, "自分")
    # when
    with CaptureQueriesContext(connection) as queries:
        ids = visibility.page_ids(qs, offset, 4)
    # then: the page of the index path; the second walk checks only the rows after the scout's 2
    assert ids == list(
        _searched(team_page, "自分", "index").values_list("pk", flat=True)[offset : offset + 4]
    )
    walks = [q["sql"] for q in queries.captured_queries if "page_walk" in q["sql"]]
    assert len(walks) == 2
    assert re.search(r"AS page_union ORDER BY .* LIMIT 2 OFFSET 0\) AS page_walk", walks[0])
    assert re.search(r"AS page_union ORDER BY .* LIMIT \d+ OFFSET 2\) AS page_walk", walks[1])


def test_a_row_written_between_scout_and_walk_is_not_repeated_on_the_page(team_page, monkeypatch):
    # given: the scout reads 3 rows (2 matches, the 3rd one of them); a company first in フリガナ order
    # is saved before the walk goes on, so the walk's first row is the scout's last
    monkeypatch.setattr(search, "WALK_MIN_ROWS", 2)
    monkeypatch.setattr(search.Matches, "walk_budget", lambda self, wanted, using="default": 12)
    walked = visibility._walked_ids

    def write_then_walk(*args, skip=0, **kwargs):
        if skip:
            CompanyFactory(name="自分の新規", name_kana="アアア", owner=team_page)
        return walked(*args, skip=skip, **kwargs)

    monkeypatch.setattr(visibility, "_walked_ids", write_then_walk)
    qs = _searched(team_page, "自分")
    # when
    ids = visibility.page_ids(qs, 0, 4)
    # then: no id twice; the page is the list's order of the rows it holds
    assert len(ids) == len(set(ids)) == 4
    order = list(_searched(team_page, "自分", "index").values_list("pk", flat=True))
    assert ids == sorted(ids, key=order.index)


def test_page_ids_of_a_search_gives_up_when_the_scout_rate_needs_too_many_rows(team_page, monkeypatch):
    # given: the scout's hit rate would need more rows than a walk may read
    monkeypatch.setattr(search, "WALK_MIN_ROWS", 2)
    monkeypatch.setattr(search, "WALK_MAX_ROWS", 3)
    monkeypatch.setattr(search.Matches, "walk_budget", lambda self, wanted, using="default": 8)
    # when
    with CaptureQueriesContext(connection) as queries:
        ids = visibility.page_ids(_searched(team_page, "自分"), 0, 4)
    # then: no second walk; the page read by branches
    assert ids == list(_searched(team_page, "自分", "index").values_list("pk", flat=True)[:4])
    assert sum("page_walk" in q["sql"] for q in queries.captured_queries) == 1
    assert sum("page_branches" in q["sql"] for q in queries.captured_queries) == 1
    # and the scope was split once for both (one read of my records under another team)
    owner_reads = sum('"team_id" IS NULL) ORDER BY' in q["sql"] for q in queries.captured_queries)
    assert owner_reads == 1


def test_page_ids_of_a_search_past_its_last_match_falls_back(team_page, analyzed):
    # given: 10 matches; the page after the 8th holds 2 of the 4 rows asked for
    analyzed()
    qs = _searched(team_page, "自分")
    # when / then: the walk finds too few and the branches read the last 2
    assert visibility.page_ids(qs, 8, 4) == list(
        _searched(team_page, "自分", "index").values_list("pk", flat=True)[8:12]
    )
    assert [c.pk for c in ListPage(qs, 4, 3).object_list] == list(
        _searched(team_page, "自分", "index").values_list("pk", flat=True)[8:12]
    )


def test_rows_of_a_searched_page_are_checked_by_id_not_searched_again(team_page):
    # given
    qs = _searched(team_page, "自分")
    ids = list(_searched(team_page, "自分", "index").values_list("pk", flat=True)[:4])
    # when
    with CaptureQueriesContext(connection) as queries:
        rows = visibility.rows_in_order(qs, ids)
    # then
    assert [c.pk for c in rows] == ids
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "core_search_fts" not in sql and "@>" not in sql


# page_ids of a list sorted by its readings: the match's branches, each read from its place in the order


@pytest.mark.parametrize(
    "q", ["アオキ", "ｲﾄｳ", "オキ", "イ", "アオ キ", "ア アオキ", "自分 アオキ", "大阪", "無い"]
)
@pytest.mark.parametrize("order", [("kana_key", "id"), ("-kana_key", "-id")])
@pytest.mark.parametrize("offset", [0, 3])
def test_page_ids_of_a_search_by_branches_is_the_page_of_the_plain_query(
    team_page, monkeypatch, q, order, offset
):
    # given: no walk (as for a term whose matches cluster far down the order)
    monkeypatch.setattr(search.Matches, "walk_budget", lambda self, wanted, using="default": None)
    qs = _searched(team_page, q).order_by(*order)
    expected = list(_searched(team_page, q, "walk").order_by(*order).values_list("pk", flat=True))
    # when
    with CaptureQueriesContext(connection) as queries:
        ids = visibility.page_ids(qs, offset, 4)
    # then
    assert ids == expected[offset : offset + 4]
    page_queries = [x["sql"] for x in queries.captured_queries if "page_branches" in x["sql"]]
    assert len(page_queries) == 1
    # my records under another team (by id); PostgreSQL also reads its collation once per connection
    assert len(queries.captured_queries) <= (3 if connection.vendor == "postgresql" else 2)


def test_page_ids_of_a_search_by_branches_reads_the_reading_as_a_range(team_page, monkeypatch):
    # given
    monkeypatch.setattr(search.Matches, "walk_budget", lambda self, wanted, using="default": None)
    # when
    with CaptureQueriesContext(connection) as queries:
        visibility.page_ids(_searched(team_page, "アオキ"), 0, 4)
    # then: the rest branch reads the gram index; the reading branch is a range of kana_key
    sql = next(x["sql"] for x in queries.captured_queries if "page_branches" in x["sql"])
    assert sql.count('kana_key" >= ') == 2 and sql.count('kana_key" < ') == 2  # per scope half
    assert ("core_search_fts" in sql) == (connection.vendor == "sqlite")


def test_page_ids_of_a_search_sorted_otherwise_is_not_read_by_branches(team_page, monkeypatch):
    # given
    monkeypatch.setattr(search.Matches, "walk_budget", lambda self, wanted, using="default": None)
    qs = _searched(team_page, "アオキ").order_by("-updated_at", "-id")
    # when / then: the caller reads the queryset (its filter holds the same union)
    assert visibility.page_ids(qs, 0, 4) is None
    assert list(qs.values_list("pk", flat=True)) == list(
        _searched(team_page, "アオキ", "walk").order_by("-updated_at", "-id").values_list("pk", flat=True)
    )


def test_page_ids_of_a_search_without_code_point_order_is_not_read_by_branches(team_page, monkeypatch):
    monkeypatch.setattr(search.Matches, "walk_budget", lambda self, wanted, using="default": None)
    monkeypatch.setattr(search, "code_point_order", lambda using="default": False)
    assert visibility.page_ids(_searched(team_page, "アオキ"), 0, 4) is None


@pytest.mark.parametrize(
    ("model_label", "index"),
    [
        ("customers.Company", "company_owner_team_live_idx"),
        ("customers.Contact", "contact_owner_team_live_idx"),
        ("sales.Deal", "deal_owner_team_live_idx"),
        ("sales.Lead", "lead_owner_team_live_idx"),
        ("sales.Contract", "contract_owner_team_live_idx"),
        ("sales.Quote", "quote_owner_team_live_idx"),
    ],
)
def test_my_records_under_another_team_are_index_ranges(db, model_label, index):
    # given
    from django.apps import apps

    model = apps.get_model(model_label)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [index])
            assert cursor.fetchone()[0].endswith('("owner_id", "team_id", "id") WHERE "deleted_at" IS NULL')
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s", [table, index]
            )
            assert cursor.fetchone()[0].endswith("(owner_id, team_id, id) WHERE (deleted_at IS NULL)")
    # when
    with CaptureQueriesContext(connection) as captured:
        assert visibility._owner_outside_ids(model, "default", "owner_id", 1, "team_id", 2) == []
    # then: one statement of three ranges of that index, each in its order (which plan the planner
    # picks depends on the table's statistics: measured at 1m in docs/performance.md, not here)
    # (values stand in brackets: the statement is compiled once per connection with markers for them)
    sql = re.sub(r"\((\d+)\)", r"\1", captured.captured_queries[0]["sql"])
    assert len(captured.captured_queries) == 1 and sql.count("UNION ALL") == 2
    t = f'"{table}"'
    for condition in ("< 2", "> 2", "IS NULL"):
        assert (
            f'WHERE ({t}."owner_id" = 1 AND {t}."deleted_at" IS NULL AND {t}."team_id" {condition}) '
            f'ORDER BY {t}."owner_id" ASC, {t}."team_id" ASC LIMIT 1001'
        ) in sql


def test_my_records_under_another_team_are_read_by_a_statement_compiled_once(team_a, team_b):
    # given: two users of different teams, each with a record under the other's team
    one, two = UserFactory(team=team_a), UserFactory(team=team_b)
    mine_elsewhere = CompanyFactory(owner=one, team=team_b)
    theirs_elsewhere = CompanyFactory(owner=two, team=team_a)
    CompanyFactory(owner=one, team=team_a)
    prepared._plans("default").clear()  # this connection's plans of earlier tests
    # when
    first = visibility._owner_outside_ids(Company, "default", "owner_id", one.pk, "team_id", team_a.pk)
    plans = {k: v for k, v in prepared._plans("default").items() if k[:2] == ("owner_outside", Company)}
    second = visibility._owner_outside_ids(Company, "default", "owner_id", two.pk, "team_id", team_b.pk)
    # then: each user's own ids, from the same three compiled ranges
    assert (first, second) == ([mine_elsewhere.pk], [theirs_elsewhere.pk])
    assert sorted(k[-1] for k in plans) == ["gt", "isnull", "lt"]
    assert {
        k: v for k, v in prepared._plans("default").items() if k[:2] == ("owner_outside", Company)
    } == plans
