"""Reads of companies and contacts: duplicates (名寄せ), 五十音 order, filters, cursors."""

import pytest

from daifuku.customers import selectors, services
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


# Duplicates


@pytest.mark.parametrize("name", ["㈱山田商事", "山田商事株式会社", "（株）山田商事", "山田 商事"])
def test_company_duplicates_by_name_key(rep_a, name):
    # given
    existing = services.company_create(by=rep_a, data={"name": "株式会社山田商事"})
    services.company_create(by=rep_a, data={"name": "山田商店"})
    # when
    found = selectors.company_duplicates(user=rep_a, name=name)
    # then
    assert found == [existing]


def test_company_duplicates_by_corporate_number_and_phone(rep_a):
    # given
    by_number = services.company_create(by=rep_a, data={"name": "甲社", "corporate_number": "7123456789012"})
    by_phone = services.company_create(by=rep_a, data={"name": "乙社", "phone": "03-1234-5678"})
    # when
    found_by_number = selectors.company_duplicates(
        user=rep_a, name="別名", corporate_number="７１２３４５６７８９０１２"
    )
    found_by_phone = selectors.company_duplicates(user=rep_a, name="別名", phone="０３１２３４５６７８")
    # then
    assert found_by_number == [by_number]
    assert found_by_phone == [by_phone]


def test_company_duplicates_exclude_the_record_itself_and_invisible_ones(rep_a, rep_b):
    # given
    mine = services.company_create(by=rep_a, data={"name": "株式会社山田商事"})
    services.company_create(by=rep_b, data={"name": "山田商事株式会社"})
    # when
    found = selectors.company_duplicates(user=rep_a, name="山田商事", exclude_pk=mine.pk)
    # then
    assert found == []


def test_company_duplicates_ignore_free_mail_domains(rep_a):
    # given
    services.company_create(by=rep_a, data={"name": "甲社", "email": "info@gmail.com"})
    same_domain = services.company_create(by=rep_a, data={"name": "乙社", "email": "info@yamada.co.jp"})
    # when
    free = selectors.company_duplicates(user=rep_a, name="丙社", email="sales@gmail.com")
    company = selectors.company_duplicates(user=rep_a, name="丙社", email="sales@YAMADA.co.jp")
    # then
    assert (free, company) == ([], [same_domain])


def test_contact_duplicates_by_email_and_name(rep_a, company_of_rep_a):
    # given
    by_email = ContactFactory(family_name="佐藤", given_name="花子", email="hanako@example.jp", owner=rep_a)
    by_name = ContactFactory(family_name="田中", given_name="一郎", company=company_of_rep_a, owner=rep_a)
    ContactFactory(family_name="田中", given_name="次郎", owner=rep_a)
    # when
    found_by_email = selectors.contact_duplicates(user=rep_a, family_name="別人", email="HANAKO@example.jp")
    found_by_name = selectors.contact_duplicates(user=rep_a, family_name="田中 ", given_name="　一郎")
    found_at_company = selectors.contact_duplicates(
        user=rep_a, family_name="田中", given_name="一郎", company_id=company_of_rep_a.pk
    )
    found_elsewhere = selectors.contact_duplicates(
        user=rep_a, family_name="田中", given_name="一郎", company_id=999999
    )
    # then
    assert found_by_email == [by_email]
    assert found_by_name == [by_name]
    assert found_at_company == [by_name]
    assert found_elsewhere == []


def test_contact_duplicates_by_phone(rep_a):
    # given
    contact = ContactFactory(family_name="佐藤", mobile_phone="+819012345678", owner=rep_a)
    # when
    found = selectors.contact_duplicates(user=rep_a, phone="090-1234-5678")
    # then
    assert found == [contact]


# Order and filters


def test_companies_sort_by_reading_in_gojuon_order(rep_a):
    # given
    names = [
        ("上田商事", "ｳｴﾀﾞｼｮｳｼﾞ"),
        ("阿部商事", "あべしょうじ"),
        ("読みなし商事", ""),
        ("加藤商事", "カトウショウジ"),
        ("伊藤商事", "イトウショウジ"),
    ]
    for name, kana in names:
        services.company_create(by=rep_a, data={"name": name, "name_kana": kana})
    # when
    ascending = [c.name for c in selectors.company_list(user=rep_a, sort="kana")]
    descending = [c.name for c in selectors.company_list(user=rep_a, sort="-kana")]
    # then
    assert ascending == ["阿部商事", "伊藤商事", "上田商事", "加藤商事", "読みなし商事"]
    assert descending == list(reversed(ascending))


def test_unknown_sort_falls_back_to_kana(rep_a):
    # given
    CompanyFactory(name="乙", name_kana="イ", owner=rep_a)
    CompanyFactory(name="甲", name_kana="ア", owner=rep_a)
    # when
    names = [c.name for c in selectors.company_list(user=rep_a, sort="name; DROP TABLE")]
    # then
    assert names == ["甲", "乙"]


def test_contacts_sort_by_reading(rep_a):
    # given
    ContactFactory(family_name="渡辺", family_name_kana="ワタナベ", given_name_kana="", owner=rep_a)
    ContactFactory(family_name="青木", family_name_kana="アオキ", given_name_kana="", owner=rep_a)
    ContactFactory(family_name="佐藤", family_name_kana="サトウ", given_name_kana="", owner=rep_a)
    # when
    names = [c.family_name for c in selectors.contact_list(user=rep_a)]
    # then
    assert names == ["青木", "佐藤", "渡辺"]


def test_company_filters(rep_a, rep_a2):
    # given
    target = services.company_create(
        by=rep_a,
        data={
            "name": "山田商事",
            "status": "customer",
            "rank": "A",
            "postal_code": "1000001",
            "tags": "重要",
        },
    )
    services.company_create(by=rep_a, data={"name": "川口物産", "status": "prospect", "rank": "B"})
    # when
    filters = selectors.CompanyFilters(
        owner=rep_a.pk, team=rep_a.team_id, status="customer", rank="A", prefecture="東京都", tag="重要"
    )
    found = list(selectors.company_list(user=rep_a, filters=filters))
    # then
    assert found == [target]
    assert list(selectors.company_list(user=rep_a, filters=selectors.CompanyFilters(owner=rep_a2.pk))) == []


def test_company_get_with_bad_pk_is_404(rep_a):
    # when / then
    with pytest.raises(selectors.Http404):
        selectors.company_get(user=rep_a, pk="abc")


# Cursors


def test_cursor_round_trip(rep_a):
    # given
    for i, kana in enumerate(["ア", "イ", "ウ", "エ", "オ"]):
        CompanyFactory(name=f"社{i}", name_kana=kana, owner=rep_a)
    qs = selectors.company_list(user=rep_a, sort="kana")
    first_page = list(qs[:2])
    # when
    cursor = selectors.cursor_for(first_page[-1], "kana")
    second_page = list(selectors.after_cursor(qs, cursor, "kana")[:2])
    third_page = list(selectors.after_cursor(qs, selectors.cursor_for(second_page[-1], "kana"), "kana"))
    # then
    assert selectors.decode_cursor(cursor) == ["い", first_page[-1].pk]
    assert [c.name_kana for c in first_page + second_page + third_page] == ["ア", "イ", "ウ", "エ", "オ"]


@pytest.mark.parametrize("sort", ["-kana", "updated", "-updated", "created", "-created"])
def test_cursor_pages_cover_every_row_once_in_each_sort(rep_a, sort):
    # given
    for kana in ["ア", "イ", "イ", "ウ"]:
        CompanyFactory(owner=rep_a, name_kana=kana)
    qs = selectors.company_list(user=rep_a, sort=sort)
    expected = [c.pk for c in qs]
    # when
    seen, cursor = [], None
    while True:
        page = list(selectors.after_cursor(qs, cursor, sort)[:1])
        if not page:
            break
        seen.append(page[0].pk)
        cursor = selectors.cursor_for(page[0], sort)
    # then
    assert seen == expected


@pytest.mark.parametrize("cursor", ["!!!", "bm90LWpzb24", "WzFd"])
def test_bad_cursor_is_refused(rep_a, cursor):
    # when / then
    with pytest.raises(ValueError):
        selectors.after_cursor(selectors.company_list(user=rep_a), cursor, "kana")


@pytest.mark.parametrize("kind", ["company", "contact"])
def test_get_joins_the_trashing_user_only_for_a_trashed_record(rep_a, admin, kind, django_assert_num_queries):
    # given: PostgreSQL plans every join of the detail's one query (8 tables took 4–10 ms to plan)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record = CompanyFactory(owner=rep_a) if kind == "company" else ContactFactory(owner=rep_a)
    get = getattr(selectors, f"{kind}_get")
    column = f'"customers_{kind}"."deleted_by_id"'
    # when: a live record
    with CaptureQueriesContext(connection) as live:
        found = get(user=rep_a, pk=record.pk)
    # then: no join on the trashing user, and none needed
    assert f"ON ({column}" not in live.captured_queries[0]["sql"]
    with django_assert_num_queries(0):
        assert found.deleted_by is None
    # when: an administrator opens it from the trash
    getattr(services, f"{kind}_delete")(**{kind: record, "by": admin})
    with CaptureQueriesContext(connection) as trashed:
        found = get(user=admin, pk=record.pk, include_deleted=True)
    # then: the trashing user comes with it
    assert f"ON ({column}" in trashed.captured_queries[0]["sql"]
    with django_assert_num_queries(0):
        assert found.deleted_by == admin
