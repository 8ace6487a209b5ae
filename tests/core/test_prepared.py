"""core.prepared: querysets compiled once give the same instances and rows as the ORM, in one query."""

import datetime as dt

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from daifuku.core import auth, prepared
from daifuku.core.models import ApiToken, User
from daifuku.customers.models import Company, Contact
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj):
    """Every loaded field of an instance (``__dict__`` without Django's state and caches)."""
    return {k: v for k, v in obj.__dict__.items() if not k.startswith("_")}


@pytest.fixture
def companies():
    parent = CompanyFactory(name="親会社", capital=100_000_000, sns={"x": "@oya"})
    child = CompanyFactory(name="子会社", parent=parent, employees=12)
    orphan = CompanyFactory(name="単独社", owner=None, team=None)
    return parent, child, orphan


def test_by_pks_equals_the_orm_with_its_joins(companies):
    parent, child, orphan = companies
    qs = Company.objects.select_related("parent", "owner", "owner__team", "team")
    ids = [orphan.pk, child.pk, parent.pk]
    expected = qs.in_bulk(ids)

    with CaptureQueriesContext(connection) as ctx:
        found = prepared.by_pks(qs, ids)
    assert len(ctx.captured_queries) == 1
    assert found is not None and sorted(found) == sorted(ids)
    for pk in ids:
        got, want = found[pk], expected[pk]
        assert type(got) is Company and _fields(got) == _fields(want)
        assert got._state.adding is False and got._state.db == "default"
        assert isinstance(got.created_at, dt.datetime) and got.created_at.tzinfo is not None
    with CaptureQueriesContext(connection) as ctx:
        assert found[child.pk].parent.name == "親会社"
        assert found[child.pk].owner.team.name == child.owner.team.name
        assert found[child.pk].team.pk == child.team_id
        assert found[orphan.pk].parent is None and found[orphan.pk].owner is None
    assert ctx.captured_queries == []  # the joined records came with the row
    assert found[parent.pk].sns == {"x": "@oya"} and found[parent.pk].capital == 100_000_000


def test_rows_of_a_fetch_share_a_related_record_they_have_in_common():
    owner = UserFactory()
    first, second = CompanyFactory(owner=owner), CompanyFactory(owner=owner)
    other = CompanyFactory()
    found = prepared.by_pks(Company.objects.select_related("owner__team"), [first.pk, second.pk, other.pk])
    assert found is not None
    assert found[first.pk].owner is found[second.pk].owner
    assert found[first.pk].owner.team is found[second.pk].owner.team
    assert found[other.pk].owner is not found[first.pk].owner and found[other.pk].owner.pk == other.owner_id
    again = prepared.by_pks(Company.objects.select_related("owner__team"), [first.pk])
    assert again is not None and again[first.pk].owner is not found[first.pk].owner  # not across fetches


def test_by_pks_does_not_apply_the_querysets_filters_and_reads_no_other_ids(companies):
    parent, _child, orphan = companies
    found = prepared.by_pks(Company.objects.filter(name="子会社"), [parent.pk, orphan.pk])
    assert found is not None and sorted(found) == sorted([parent.pk, orphan.pk])
    assert prepared.by_pks(Company.objects.all(), []) == {}


def test_a_saved_instance_from_a_plan_saves_like_one_from_the_orm(companies):
    _parent, child, _orphan = companies
    found = prepared.by_pks(Company.objects.all(), [child.pk])
    assert found is not None
    company = found[child.pk]
    company.name = "子会社改"
    company.save(update_fields=["name"])
    assert Company.objects.get(pk=child.pk).name == "子会社改"
    assert company.parent_id == child.parent_id


def test_deferred_fields_and_signal_receivers_take_djangos_own_path(companies):
    parent, child, _orphan = companies
    qs = Company.objects.only("name", "parent", "parent__name").select_related("parent")
    found = prepared.by_pks(qs, [child.pk, parent.pk])
    expected = qs.in_bulk([child.pk, parent.pk])
    assert found is not None
    company = found[child.pk]
    assert _fields(company) == _fields(expected[child.pk])
    assert _fields(company.parent) == _fields(expected[child.pk].parent)
    deferred = company.get_deferred_fields()
    assert deferred == expected[child.pk].get_deferred_fields() and deferred >= {"name_kana", "capital"}
    with CaptureQueriesContext(connection) as ctx:
        assert company.capital is None  # a deferred field loads on first use, as Django's would
    assert len(ctx.captured_queries) == 1
    assert company.name == "子会社"

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Contact)
    try:
        contact = ContactFactory()
        seen.clear()
        found = prepared.by_pks(Contact.objects.all(), [contact.pk])
    finally:
        post_init.disconnect(receiver, sender=Contact)
    assert found is not None and list(found) == [contact.pk]
    assert seen == [contact.pk]


def test_querysets_a_plan_cannot_read_are_refused(companies):
    ids = [c.pk for c in companies]
    assert prepared.by_pks(Company.objects.annotate(n=Count("contacts")), ids) is None
    assert prepared.by_pks(Company.objects.values("pk"), ids) is None
    assert prepared.by_pks(Company.objects.values_list("pk"), ids) is None


def test_a_values_plan_puts_values_and_ids_where_they_go(companies):
    parent, child, orphan = companies
    first = ContactFactory(company=child, family_name="鈴木")
    second = ContactFactory(company=child, family_name="田中")
    ContactFactory(company=parent, family_name="高橋")

    def args_then_ids():
        return (
            Contact.objects.filter(company_id=prepared.arg(0))
            .filter(pk__in=prepared.id_list())
            .exclude(family_name=prepared.arg(1))
            .order_by("pk")
            .values_list("pk", "family_name", "created_at")
        )

    plan = prepared.plan(("test", "args_then_ids"), args_then_ids)
    everyone = list(Contact.objects.values_list("pk", flat=True))
    rows = plan.fetch([child.pk, "鈴木"], ids=everyone)
    assert [row[:2] for row in rows] == [(second.pk, "田中")]
    assert rows[0][2] == Contact.objects.get(pk=second.pk).created_at  # converted like the ORM
    rows = plan.fetch([child.pk, "高橋"], ids=everyone)
    assert [row[1] for row in rows] == ["鈴木", "田中"] and first.pk == rows[0][0]
    assert plan.fetch([child.pk, "高橋"], ids=[second.pk]) == [rows[1]]
    assert plan.fetch([child.pk, "高橋"], ids=[]) == []
    assert plan.fetch([orphan.pk, "高橋"], ids=everyone) == []
    assert prepared.plan(("test", "args_then_ids"), args_then_ids) is plan  # compiled once


def test_plans_live_on_their_connection(companies):
    plan = prepared.plan(("test", "where"), lambda: Company.objects.filter(pk=prepared.arg(0)))
    assert connections["default"].__dict__[prepared._ATTR][("test", "where")] is plan
    assert plan.connection is connections["default"]


def test_token_lookup_through_its_plan():
    user = UserFactory()
    token = auth.new_token()
    ApiToken.objects.create(user=user, name="t", prefix=token[:8], digest=auth.digest(token))
    with CaptureQueriesContext(connection) as ctx:
        found = auth.user_for_token(token)
        assert found == user and found.team.name == user.team.name and found.role.slug == "sales_rep"
    assert len(ctx.captured_queries) == 2  # the lookup, and the first use's last_used_at
    assert auth.user_for_token("dfk_not-a-token") is None
    ApiToken.objects.filter(user=user).update(revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert auth.user_for_token(token) is None
    ApiToken.objects.filter(user=user).update(revoked_at=None)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert auth.user_for_token(token) is None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's datetime converter only")
def test_the_faster_sqlite_datetime_converter_equals_djangos():
    wrapper = connections["default"]
    django_converter = wrapper.ops.convert_datetimefield_value
    faster = prepared._faster(django_converter, wrapper)
    assert faster is not django_converter
    for value in (
        None,
        "2026-12-03 01:02:03",
        "2026-12-03 01:02:03.456789",
        "2026-12-03T01:02:03+09:00",
        "2026-12-03 1:02:03",  # fromisoformat refuses it; Django's pattern reads it
        dt.datetime(2026, 12, 3, 1, 2, 3),  # what the sqlite3 module hands over for a datetime column
        dt.datetime(2026, 12, 3, 1, 2, 3, 456789),
        dt.datetime(2026, 12, 3, 1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=9))),
    ):
        assert faster(value, None, wrapper) == django_converter(value, None, wrapper)
        assert repr(faster(value, None, wrapper)) == repr(django_converter(value, None, wrapper))
    date_converter = wrapper.ops.convert_datefield_value
    assert prepared._faster(date_converter, wrapper) == date_converter  # only datetimes are replaced


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's datetime converter only")
def test_datetimes_of_a_fetch_arrive_parsed_and_leave_aware():
    # The sqlite3 module parses columns declared datetime (Django connects with PARSE_DECLTYPES), so
    # the faster converter mostly sees naive datetimes: they leave in UTC, as Django's make_aware does.
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(last_login=dt.datetime(2026, 12, 3, 1, 2, 3, 4, tzinfo=dt.UTC))
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_login FROM core_user WHERE id = %s", [user.pk])
        (raw,) = cursor.fetchone()
    assert type(raw) is dt.datetime and raw.tzinfo is None
    plan = prepared.plan(("test-last-login",), lambda: User.objects.filter(pk=prepared.arg(0)))
    (found,) = plan.fetch([user.pk])
    assert found.last_login == dt.datetime(2026, 12, 3, 1, 2, 3, 4, tzinfo=dt.UTC)
    assert found.last_login.tzinfo is dt.UTC


# query_key / compiled: SQL of plain list queries compiled once per (query, values)


def _sql(queryset):
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def test_query_keys_hold_the_values_and_tell_apart_what_compiles_differently():
    base = Company.objects.filter(deleted_at__isnull=True).order_by("kana_key", "id")
    same = [base.filter(status="active"), Company.objects.filter(deleted_at__isnull=True, status="active")]
    same[1] = same[1].order_by("kana_key", "id")
    differing = [
        base,
        base.filter(status="lost"),
        base.filter(status="active", rank="A"),
        base.filter(status__in=["active", "lost"]),
        base.filter(status__in=("active",)),
        base.exclude(status="active"),
        base.filter(status="active").order_by("-kana_key", "-id"),
        base.filter(capital__gt=100),
        base.filter(capital__gte=100),
        base.filter(owner=UserFactory()),  # a model instance: the lookup holds its pk
        Contact.objects.filter(deleted_at__isnull=True).order_by("kana_key", "id"),
    ]
    keys = [prepared.query_key(qs) for qs in [*same, *differing]]
    assert None not in keys
    assert keys[0] == keys[1]
    assert len(set(keys[1:])) == len(differing) + 1
    # one key, one SQL
    assert _sql(same[0]) == _sql(same[1])


@pytest.mark.parametrize(
    "queryset",
    [
        lambda: Company.objects.filter(owner__team__name="東京"),  # a join
        lambda: Company.objects.filter(tags__name="重要"),
        lambda: Company.objects.annotate(n=Count("contacts")),
        lambda: Company.objects.order_by("?"),
        lambda: Company.objects.all()[:5],
        lambda: Company.objects.values_list("pk"),
        lambda: Company.objects.distinct(),
    ],
)
def test_query_key_is_none_for_what_it_cannot_tell(db, queryset):
    assert prepared.query_key(queryset()) is None


def test_compiled_sql_is_reused_per_key_and_the_cache_starts_over_when_full(db, monkeypatch):
    # given
    monkeypatch.setattr(prepared, "_COMPILED", {})
    monkeypatch.setattr(prepared, "COMPILED_MAX", 2)
    calls = []

    def compile_for(qs):
        def compile_sql():
            calls.append(qs)
            return qs.query.sql_with_params()

        return compile_sql

    first = Company.objects.filter(status="active")
    second = Company.objects.filter(status="lost")
    # when
    got = [prepared.compiled(("t", prepared.query_key(qs)), compile_for(qs)) for qs in (first, second, first)]
    # then: compiled twice, the third answered from the cache; each what Django compiles
    assert calls == [first, second]
    assert got == [_sql(first), _sql(second), _sql(first)]
    third = Company.objects.filter(status="prospect")
    prepared.compiled(("t", prepared.query_key(third)), compile_for(third))
    assert len(prepared._COMPILED) == 1  # full at 2: started over
