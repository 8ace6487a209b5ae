"""/api/v1 companies and contacts: CRUD, search, filters, cursors, errors, visibility, auth."""

import datetime as dt

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from daifuku.core.models import ApiToken, AuditEntry
from daifuku.core.services import token_create
from daifuku.customers.models import Company, CompanyHandover, Contact, Industry, Tag
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def ts(value) -> str:
    """A datetime as the API writes it."""
    return DjangoJSONEncoder().default(value)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


# Companies: create, read, change, delete, hand over


def test_create_company_normalizes_input_and_answers_the_full_record(rep_a, team_a):
    # given
    client = bearer(rep_a)
    payload = {
        "name": "株式会社山田商事",
        "name_kana": "やまだしょうじ",
        "corporate_number": "7000012050002",
        "invoice_registration_number": "T7000012050002",
        "postal_code": "100-0001",
        "phone": "03-1234-5678",
        "capital": 10000000,
        "employees": 25,
        "fiscal_month": 3,
        "rank": "A",
        "status": "prospect",
        "tags": ["重要", "東京"],
    }
    # when
    response = client.post("/api/v1/companies", payload, content_type=JSON)
    # then
    assert response.status_code == 201
    company = Company.objects.get()
    assert response.json() == {
        "id": company.pk,
        "name": "山田商事",
        "display_name": "株式会社山田商事",
        "name_kana": "ヤマダショウジ",
        "legal_form": "kk",
        "legal_form_position": "before",
        "corporate_number": "7000012050002",
        "invoice_registration_number": "T7000012050002",
        "postal_code": "1000001",
        "postal_code_display": "100-0001",
        "prefecture": "東京都",
        "city": "千代田区",
        "street": "千代田",
        "building": "",
        "address": "東京都千代田区千代田",
        "phone": "+81312345678",
        "phone_display": "03-1234-5678",
        "fax": "",
        "fax_display": "",
        "email": "",
        "website": "",
        "sns": {},
        "representative": "",
        "capital": 10000000,
        "employees": 25,
        "is_listed": False,
        "fiscal_month": 3,
        "industry": None,
        "description": "",
        "rank": "A",
        "status": "prospect",
        "parent": None,
        "owner": {"id": rep_a.pk, "name": rep_a.display_name},
        "team": {"id": team_a.pk, "name": "東京営業部"},
        "tags": ["東京", "重要"],
        "notes": "",
        "version": 1,
        "created_at": ts(company.created_at),
        "updated_at": ts(company.updated_at),
    }
    assert AuditEntry.objects.filter(object_id=company.pk, action="create").count() == 1


def test_get_company_answers_industry_parent_owner_and_tags(admin, rep_a, team_a, company_of_rep_a):
    # given
    industry = Industry.objects.get(code="E")
    parent = CompanyFactory(name="山田ホールディングス", owner=rep_a)
    company_of_rep_a.industry = industry
    company_of_rep_a.parent = parent
    company_of_rep_a.phone = "+81612345678"
    company_of_rep_a.save()
    company_of_rep_a.tags.set([Tag.objects.create(name="大口")])
    # when
    response = bearer(admin).get(f"/api/v1/companies/{company_of_rep_a.pk}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "株式会社山田商事"
    assert body["industry"] == {"id": industry.pk, "code": "E", "name": industry.name}
    assert body["parent"] == {"id": parent.pk, "name": "山田ホールディングス"}
    assert body["owner"] == {"id": rep_a.pk, "name": rep_a.display_name}
    assert body["team"] == {"id": team_a.pk, "name": "東京営業部"}
    assert body["phone"] == "+81612345678"
    assert body["phone_display"] == "06-1234-5678"
    assert body["tags"] == ["大口"]
    assert body["version"] == 1


def test_parent_outside_the_readers_scope_is_not_shown(rep_b, company_of_rep_a, company_of_team_b):
    # given
    company_of_team_b.parent = company_of_rep_a
    company_of_team_b.save(update_fields=["parent"])
    # when
    response = bearer(rep_b).get(f"/api/v1/companies/{company_of_team_b.pk}")
    # then
    assert response.status_code == 200
    assert response.json()["parent"] is None


def test_patch_company_changes_only_the_fields_sent(rep_a, company_of_rep_a):
    # given
    client = bearer(rep_a)
    # when
    response = client.patch(
        f"/api/v1/companies/{company_of_rep_a.pk}",
        {"version": 1, "phone": "０３ー５５５５ー１２３４", "notes": "決算は3月"},
        content_type=JSON,
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["phone"], body["phone_display"], body["notes"], body["version"]) == (
        "+81355551234",
        "03-5555-1234",
        "決算は3月",
        2,
    )
    company_of_rep_a.refresh_from_db()
    assert (company_of_rep_a.name, company_of_rep_a.phone, company_of_rep_a.version) == (
        "山田商事",
        "+81355551234",
        2,
    )


def test_delete_company_moves_it_to_the_trash(rep_a, company_of_rep_a):
    # given
    client = bearer(rep_a)
    # when
    response = client.delete(f"/api/v1/companies/{company_of_rep_a.pk}")
    # then
    assert response.status_code == 204
    assert response.content == b""
    company_of_rep_a.refresh_from_db()
    assert company_of_rep_a.deleted_at is not None
    assert company_of_rep_a.deleted_by == rep_a
    assert client.get(f"/api/v1/companies/{company_of_rep_a.pk}").status_code == 404


def test_handover_changes_owner_and_records_the_reason(rep_a, rep_a2, company_of_rep_a):
    # given
    client = bearer(rep_a)
    # when
    response = client.post(
        f"/api/v1/companies/{company_of_rep_a.pk}/handover",
        {"owner_id": rep_a2.pk, "reason": "担当替え"},
        content_type=JSON,
    )
    # then
    assert response.status_code == 200
    assert response.json()["owner"] == {"id": rep_a2.pk, "name": rep_a2.display_name}
    assert response.json()["version"] == 2
    handover = CompanyHandover.objects.get(company=company_of_rep_a)
    assert (handover.from_owner, handover.to_owner, handover.by, handover.reason) == (
        rep_a,
        rep_a2,
        rep_a,
        "担当替え",
    )


def test_handover_to_an_unknown_user_names_owner_id(rep_a, company_of_rep_a):
    # given
    client = bearer(rep_a)
    # when
    response = client.post(
        f"/api/v1/companies/{company_of_rep_a.pk}/handover", {"owner_id": 999999}, content_type=JSON
    )
    # then
    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid input",
        "errors": [{"field": "owner_id", "message": "指定されたユーザーが見つかりません。"}],
    }
    company_of_rep_a.refresh_from_db()
    assert company_of_rep_a.owner == rep_a


def test_handover_to_the_current_owner_names_owner_id(rep_a, company_of_rep_a):
    # given
    client = bearer(rep_a)
    # when
    response = client.post(
        f"/api/v1/companies/{company_of_rep_a.pk}/handover", {"owner_id": rep_a.pk}, content_type=JSON
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "owner_id", "message": "現在の担当者と同じです。"}]
    assert not CompanyHandover.objects.exists()


def test_parent_outside_the_users_scope_is_refused_as_unknown(rep_a, company_of_team_b):
    # given
    client = bearer(rep_a)
    # when
    response = client.post(
        "/api/v1/companies", {"name": "新規商店", "parent": company_of_team_b.pk}, content_type=JSON
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "parent", "message": "指定された取引先が見つかりません。"}]
    assert not Company.objects.filter(name="新規商店").exists()


# Contacts: create, read, change, delete


def test_create_contact_answers_the_full_record(rep_a, team_a, company_of_rep_a):
    # given
    client = bearer(rep_a)
    payload = {
        "family_name": "田中",
        "given_name": "一郎",
        "family_name_kana": "ﾀﾅｶ",
        "given_name_kana": "いちろう",
        "company": company_of_rep_a.pk,
        "department": "営業部",
        "title": "部長",
        "mobile_phone": "090-1234-5678",
        "email": "tanaka@example.jp",
        "birthday": "1980-04-01",
        "mail_consent": "opted_in",
        "mail_consent_method": "business_card",
        "tags": ["キーマン"],
    }
    # when
    response = client.post("/api/v1/contacts", payload, content_type=JSON)
    # then
    assert response.status_code == 201
    contact = Contact.objects.get()
    assert response.json() == {
        "id": contact.pk,
        "family_name": "田中",
        "given_name": "一郎",
        "family_name_kana": "タナカ",
        "given_name_kana": "イチロウ",
        "display_name": "田中 一郎",
        "display_name_kana": "タナカ イチロウ",
        "company": {"id": company_of_rep_a.pk, "name": "株式会社山田商事"},
        "department": "営業部",
        "title": "部長",
        "mobile_phone": "+819012345678",
        "mobile_phone_display": "090-1234-5678",
        "office_phone": "",
        "office_phone_display": "",
        "email": "tanaka@example.jp",
        "email_alt": "",
        "postal_code": "",
        "prefecture": "",
        "city": "",
        "street": "",
        "building": "",
        "address": "",
        "birthday": "1980-04-01",
        "gender": "",
        "household_size": None,
        "preferences": "",
        "sns": {},
        "owner": {"id": rep_a.pk, "name": rep_a.display_name},
        "team": {"id": team_a.pk, "name": "東京営業部"},
        "tags": ["キーマン"],
        "notes": "",
        "mail_consent": "opted_in",
        "mail_consent_at": ts(contact.mail_consent_at),
        "mail_consent_method": "business_card",
        "mail_consent_note": "",
        "version": 1,
        "created_at": ts(contact.created_at),
        "updated_at": ts(contact.updated_at),
    }


def test_get_patch_and_delete_contact(rep_a, contact_of_rep_a):
    # given
    client = bearer(rep_a)
    url = f"/api/v1/contacts/{contact_of_rep_a.pk}"
    # when
    got = client.get(url)
    patched = client.patch(url, {"version": 1, "title": "課長"}, content_type=JSON)
    deleted = client.delete(url)
    # then
    assert got.status_code == 200
    assert got.json()["display_name"] == "田中 一郎"
    assert got.json()["company"] == {"id": contact_of_rep_a.company_id, "name": "株式会社山田商事"}
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["version"]) == ("課長", 2)
    assert deleted.status_code == 204
    contact_of_rep_a.refresh_from_db()
    assert (contact_of_rep_a.title, contact_of_rep_a.version) == ("課長", 3)
    assert contact_of_rep_a.deleted_at is not None
    assert client.get(url).status_code == 404


# Search and filters


def test_search_finds_a_two_character_japanese_substring(admin):
    # given
    yamada = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="after", owner=admin)
    CompanyFactory(name="大阪物産", owner=admin)
    # when
    response = bearer(admin).get("/api/v1/companies", {"q": "商事"})
    # then
    assert response.status_code == 200
    assert ids(response) == [yamada.pk]


def test_search_folds_half_width_katakana(admin):
    # given
    yamada = CompanyFactory(name="山田商事", name_kana="ヤマダショウジ", owner=admin)
    CompanyFactory(name="大阪物産", name_kana="オオサカブッサン", owner=admin)
    # when
    response = bearer(admin).get("/api/v1/companies", {"q": "ﾔﾏﾀﾞ"})
    # then
    assert ids(response) == [yamada.pk]


def test_contact_search_finds_two_character_family_name(admin):
    # given
    tanaka = ContactFactory(family_name="田中", given_name="一郎", owner=admin)
    ContactFactory(family_name="佐藤", given_name="花子", owner=admin)
    # when
    response = bearer(admin).get("/api/v1/contacts", {"q": "田中"})
    # then
    assert ids(response) == [tanaka.pk]


def test_search_never_shows_companies_outside_scope(rep_a, company_of_rep_a, company_of_team_b):
    # given
    CompanyFactory(name="大阪商事", owner=company_of_team_b.owner)
    # when
    response = bearer(rep_a).get("/api/v1/companies", {"q": "商事"})
    # then
    assert ids(response) == [company_of_rep_a.pk]


@pytest.mark.parametrize(
    ("param", "value_of", "expected"),
    [
        ("status", lambda f: "dormant", "dormant_one"),
        ("rank", lambda f: "B", "ranked_b"),
        ("prefecture", lambda f: "大阪府", "in_osaka"),
        ("tag", lambda f: "重要", "tagged"),
        ("owner", lambda f: f["rep_a2"].pk, "of_rep_a2"),
        ("team", lambda f: f["team_b"].pk, "of_team_b"),
        ("industry", lambda f: f["industry"].pk, "in_industry"),
    ],
)
def test_company_filters(admin, rep_a2, rep_b, team_b, param, value_of, expected):
    # given
    industry = Industry.objects.get(code="E")
    plain = {"owner": admin, "status": "customer"}
    rows = {
        "dormant_one": CompanyFactory(**{**plain, "status": "dormant"}),
        "ranked_b": CompanyFactory(**plain, rank="B"),
        "in_osaka": CompanyFactory(**plain, prefecture="大阪府"),
        "tagged": CompanyFactory(**plain),
        "of_rep_a2": CompanyFactory(owner=rep_a2),
        "of_team_b": CompanyFactory(owner=rep_b),
        "in_industry": CompanyFactory(**plain, industry=industry),
    }
    rows["tagged"].tags.set([Tag.objects.create(name="重要")])
    fixtures = {"rep_a2": rep_a2, "team_b": team_b, "industry": industry}
    # when
    response = bearer(admin).get("/api/v1/companies", {param: value_of(fixtures)})
    # then
    assert response.status_code == 200
    assert ids(response) == [rows[expected].pk]


def test_contact_filters(admin, rep_a2, company_of_rep_a):
    # given
    at_company = ContactFactory(company=company_of_rep_a, owner=admin)
    opted_out = ContactFactory(company=None, owner=admin, mail_consent="opted_out")
    of_rep_a2 = ContactFactory(company=None, owner=rep_a2)
    tagged = ContactFactory(company=None, owner=admin)
    tagged.tags.set([Tag.objects.create(name="展示会")])
    client = bearer(admin)
    # when
    by_company = client.get("/api/v1/contacts", {"company": company_of_rep_a.pk})
    by_consent = client.get("/api/v1/contacts", {"mail_consent": "opted_out"})
    by_owner = client.get("/api/v1/contacts", {"owner": rep_a2.pk})
    by_team = client.get("/api/v1/contacts", {"team": rep_a2.team_id})
    by_tag = client.get("/api/v1/contacts", {"tag": "展示会"})
    # then
    assert ids(by_company) == [at_company.pk]
    assert ids(by_consent) == [opted_out.pk]
    assert ids(by_owner) == [of_rep_a2.pk]
    assert sorted(ids(by_team)) == sorted([at_company.pk, opted_out.pk, of_rep_a2.pk, tagged.pk])
    assert ids(by_tag) == [tagged.pk]


# Cursor pagination and limits

KANA = ["ワタナベ", "アオキ", "カトウ", "アオキ", "サトウ", "ｲﾄｳ", "タカハシ", "あべ"]


def _walk(client, url, **params) -> list[int]:
    seen: list[int] = []
    cursor = ""
    pages = 0
    while True:
        response = client.get(url, {**params, "limit": 3, "cursor": cursor})
        assert response.status_code == 200
        body = response.json()
        assert len(body["items"]) <= 3
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        if body["next_cursor"] is None:
            return seen
        assert len(body["items"]) == 3
        cursor = body["next_cursor"]
        assert pages < 10


def test_cursor_walks_all_companies_once_in_kana_order(admin):
    # given
    companies = [CompanyFactory(name=f"会社{i}", name_kana=kana, owner=admin) for i, kana in enumerate(KANA)]
    expected = [c.pk for c in sorted(companies, key=lambda c: (c.kana_key, c.pk))]
    # when
    seen = _walk(bearer(admin), "/api/v1/companies", sort="kana")
    # then
    assert seen == expected
    names = {c.pk: c.name_kana for c in companies}
    assert [names[pk] for pk in seen] == [
        "アオキ",
        "アオキ",
        "あべ",
        "ｲﾄｳ",
        "カトウ",
        "サトウ",
        "タカハシ",
        "ワタナベ",
    ]


def test_cursor_walks_all_companies_once_in_descending_kana_order(admin):
    # given
    companies = [CompanyFactory(name=f"会社{i}", name_kana=kana, owner=admin) for i, kana in enumerate(KANA)]
    expected = [c.pk for c in sorted(companies, key=lambda c: (c.kana_key, c.pk), reverse=True)]
    # when
    seen = _walk(bearer(admin), "/api/v1/companies", sort="-kana")
    # then
    assert seen == expected


def test_cursor_walks_companies_by_update_time(admin):
    # given
    companies = [CompanyFactory(name=f"会社{i}", owner=admin) for i in range(7)]
    # when
    seen = _walk(bearer(admin), "/api/v1/companies", sort="-updated")
    # then
    assert sorted(seen) == sorted(c.pk for c in companies)
    assert len(seen) == 7


def test_cursor_walks_all_contacts_once_in_kana_order(admin):
    # given
    contacts = [
        ContactFactory(family_name=f"姓{i}", family_name_kana=kana, given_name_kana="", owner=admin)
        for i, kana in enumerate(KANA)
    ]
    expected = [c.pk for c in sorted(contacts, key=lambda c: (c.kana_key, c.pk))]
    # when
    seen = _walk(bearer(admin), "/api/v1/contacts", sort="kana")
    # then
    assert seen == expected


def test_list_defaults_to_fifty_rows(admin):
    # given
    CompanyFactory.create_batch(51, owner=admin)
    # when
    response = bearer(admin).get("/api/v1/companies")
    # then
    assert len(response.json()["items"]) == 50
    assert response.json()["next_cursor"] is not None


@pytest.mark.parametrize(("limit", "status"), [(0, 422), (1, 200), (200, 200), (201, 422)])
def test_limit_bounds(admin, company_of_rep_a, limit, status):
    # given
    client = bearer(admin)
    # when
    response = client.get("/api/v1/companies", {"limit": limit})
    # then
    assert response.status_code == status
    if status == 422:
        assert [e["field"] for e in response.json()["errors"]] == ["limit"]


def test_bad_cursor_names_the_cursor_field(admin, company_of_rep_a):
    # given
    client = bearer(admin)
    # when
    garbage = client.get("/api/v1/companies", {"cursor": "not-a-cursor"})
    wrong_type = client.get("/api/v1/contacts", {"cursor": "WyJ4IiwgWzFdXQ", "sort": "updated"})  # ["x", [1]]
    # then
    expected = {
        "detail": "invalid input",
        "errors": [
            {"field": "cursor", "message": "カーソルが不正です。next_cursor の値をそのまま渡してください。"}
        ],
    }
    assert (garbage.status_code, garbage.json()) == (422, expected)
    assert (wrong_type.status_code, wrong_type.json()) == (422, expected)


def test_unknown_sort_is_refused(admin):
    # when
    response = bearer(admin).get("/api/v1/companies", {"sort": "name"})
    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["sort"]


# Validation errors name the field


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("corporate_number", "1234567890123", "法人番号は検査用数字を含む13桁です。番号を確認してください。"),
        ("phone", "12", "電話番号として読み取れません（例: 03-1234-5678）。"),
        ("postal_code", "12345", "郵便番号は7桁の数字です（例: 100-0001）。"),
    ],
)
def test_create_company_with_bad_value_names_the_field(rep_a, field, value, message):
    # given
    client = bearer(rep_a)
    # when
    response = client.post("/api/v1/companies", {"name": "山田商事", field: value}, content_type=JSON)
    # then
    assert response.status_code == 422
    assert response.json() == {"detail": "invalid input", "errors": [{"field": field, "message": message}]}
    assert not Company.objects.exists()


def test_create_contact_without_family_name_names_the_field(rep_a):
    # given
    client = bearer(rep_a)
    # when
    response = client.post("/api/v1/contacts", {"given_name": "一郎"}, content_type=JSON)
    # then
    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid input",
        "errors": [{"field": "family_name", "message": "Field required"}],
    }
    assert not Contact.objects.exists()


def test_blank_family_name_on_patch_names_the_field(rep_a, contact_of_rep_a):
    # when
    response = bearer(rep_a).patch(
        f"/api/v1/contacts/{contact_of_rep_a.pk}", {"version": 1, "family_name": " "}, content_type=JSON
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "family_name", "message": "姓を入力してください。"}]
    contact_of_rep_a.refresh_from_db()
    assert (contact_of_rep_a.family_name, contact_of_rep_a.version) == ("田中", 1)


def test_schema_type_errors_name_each_field(rep_a):
    # given
    client = bearer(rep_a)
    # when
    response = client.post(
        "/api/v1/companies",
        {"name": "山田商事", "employees": "たくさん", "tags": "重要", "unknown": 1},
        content_type=JSON,
    )
    # then
    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid input",
        "errors": [
            {
                "field": "employees",
                "message": "Input should be a valid integer, unable to parse string as an integer",
            },
            {"field": "tags", "message": "Input should be a valid list"},
            {"field": "unknown", "message": "Extra inputs are not permitted"},
        ],
    }
    assert not Company.objects.exists()


def test_patch_without_version_is_refused(rep_a, company_of_rep_a):
    # when
    response = bearer(rep_a).patch(
        f"/api/v1/companies/{company_of_rep_a.pk}", {"notes": "x"}, content_type=JSON
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "version", "message": "Field required"}]
    company_of_rep_a.refresh_from_db()
    assert company_of_rep_a.notes == ""


# No lost work: stale versions


def test_patch_with_stale_version_is_refused_and_overwrites_nothing(rep_a, rep_a2, company_of_rep_a):
    # given
    first = bearer(rep_a).patch(
        f"/api/v1/companies/{company_of_rep_a.pk}", {"version": 1, "notes": "先に保存"}, content_type=JSON
    )
    # when
    stale = bearer(rep_a).patch(
        f"/api/v1/companies/{company_of_rep_a.pk}",
        {"version": 1, "notes": "後から上書き", "rank": "C"},
        content_type=JSON,
    )
    # then
    assert first.status_code == 200
    assert stale.status_code == 409
    assert stale.json() == {
        "detail": "version conflict: the record was changed after the version you sent",
        "current_version": 2,
        "your_version": 1,
        "changed_fields": {"notes": ["", "先に保存"]},
    }
    company_of_rep_a.refresh_from_db()
    assert (company_of_rep_a.notes, company_of_rep_a.rank, company_of_rep_a.version) == ("先に保存", "", 2)


# Visibility matrix: each role against companies of self, a teammate and another team

ROLES = ["administrator", "manager", "sales_rep", "support_agent", "marketing", "read_only"]
# role → (readable, editable, may create)
MATRIX = {
    "administrator": ({"own", "teammate", "other"}, {"own", "teammate", "other"}, True),
    "manager": ({"own", "teammate"}, {"own", "teammate"}, True),
    "sales_rep": ({"own", "teammate"}, {"own"}, True),
    "support_agent": ({"own", "teammate", "other"}, set(), False),
    "marketing": ({"own", "teammate", "other"}, set(), False),
    "read_only": ({"own", "teammate", "other"}, set(), False),
}


@pytest.fixture
def world(team_a, rep_a2, rep_b):
    def build(role):
        actor = UserFactory(username=f"actor_{role}", role=role, team=team_a)
        return actor, {
            "own": CompanyFactory(name="自社担当", owner=actor),
            "teammate": CompanyFactory(name="同僚担当", owner=rep_a2),
            "other": CompanyFactory(name="他部署担当", owner=rep_b),
        }

    return build


@pytest.mark.parametrize("role", ROLES)
def test_visibility_list(world, role):
    # given
    actor, companies = world(role)
    readable = MATRIX[role][0]
    # when
    response = bearer(actor).get("/api/v1/companies")
    # then
    assert sorted(ids(response)) == sorted(companies[k].pk for k in readable)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "teammate", "other"])
def test_visibility_detail(world, role, whose):
    # given
    actor, companies = world(role)
    # when
    response = bearer(actor).get(f"/api/v1/companies/{companies[whose].pk}")
    # then
    if whose in MATRIX[role][0]:
        assert response.status_code == 200
        assert response.json()["id"] == companies[whose].pk
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "not found"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "teammate", "other"])
def test_visibility_patch(world, role, whose):
    # given
    actor, companies = world(role)
    company = companies[whose]
    readable, editable, _create = MATRIX[role]
    # when
    response = bearer(actor).patch(
        f"/api/v1/companies/{company.pk}", {"version": 1, "notes": "変更"}, content_type=JSON
    )
    # then
    company.refresh_from_db()
    if whose in editable:
        assert response.status_code == 200
        assert (company.notes, company.version) == ("変更", 2)
    else:
        assert response.status_code == (403 if whose in readable else 404)
        assert (company.notes, company.version) == ("", 1)
        assert not AuditEntry.objects.filter(object_id=company.pk, action="update").exists()


@pytest.mark.parametrize("role", ROLES)
def test_visibility_create(world, role):
    # given
    actor, _companies = world(role)
    before = Company.objects.count()
    # when
    response = bearer(actor).post("/api/v1/companies", {"name": "新規商店"}, content_type=JSON)
    # then
    if MATRIX[role][2]:
        assert response.status_code == 201
        assert Company.objects.count() == before + 1
    else:
        assert response.status_code == 403
        assert Company.objects.count() == before
        assert not Company.objects.filter(name="新規商店").exists()


def test_unknown_and_out_of_scope_ids_answer_the_same(rep_a, company_of_team_b):
    # given
    client = bearer(rep_a)
    # when
    hidden = client.get(f"/api/v1/companies/{company_of_team_b.pk}")
    missing = client.get("/api/v1/companies/999999")
    # then
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)


def test_rep_cannot_delete_or_hand_over_a_teammates_company(rep_a, rep_a2):
    # given
    company = CompanyFactory(owner=rep_a2)
    client = bearer(rep_a)
    # when
    deleted = client.delete(f"/api/v1/companies/{company.pk}")
    handed = client.post(
        f"/api/v1/companies/{company.pk}/handover", {"owner_id": rep_a.pk}, content_type=JSON
    )
    # then
    assert (deleted.status_code, handed.status_code) == (403, 403)
    company.refresh_from_db()
    assert (company.deleted_at, company.owner, company.version) == (None, rep_a2, 1)
    assert not CompanyHandover.objects.exists()


def test_contact_outside_scope_answers_404(rep_b, contact_of_rep_a):
    # when
    response = bearer(rep_b).get(f"/api/v1/contacts/{contact_of_rep_a.pk}")
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "not found"}


# Query counts: lists cost the same for 5 and 30 rows


@pytest.mark.parametrize("rows", [5, 30])
def test_company_list_query_count_is_constant(admin, rep_a, rows, django_assert_num_queries):
    # given
    industry = Industry.objects.get(code="E")
    parent = CompanyFactory(owner=rep_a)
    tags = [Tag.objects.create(name="重要"), Tag.objects.create(name="東京")]
    for company in CompanyFactory.create_batch(rows - 1, owner=rep_a, industry=industry, parent=parent):
        company.tags.set(tags)
    client = Client()
    client.force_login(admin)
    # when: session, user, role scopes, the page, its tags
    with django_assert_num_queries(5):
        response = client.get("/api/v1/companies", {"limit": 200})
    # then
    assert len(response.json()["items"]) == rows


def test_list_reads_only_the_columns_its_references_show(admin, rep_a, rep_b):
    # given: a parent company outside rep_a's scope and one inside, an owner with a login time
    hidden_parent = CompanyFactory(owner=rep_b, name="秘密", legal_form="kk")
    shown_parent = CompanyFactory(owner=rep_a, name="親会社", legal_form="kk", legal_form_position="after")
    CompanyFactory(owner=rep_a, parent=hidden_parent, name_kana="ア")
    CompanyFactory(owner=rep_a, parent=shown_parent, name_kana="イ")
    rep_a.last_login = timezone.now()
    rep_a.save(update_fields=["last_login"])
    # when
    with CaptureQueriesContext(connection) as queries:
        response = bearer(rep_a).get("/api/v1/companies", {"sort": "kana"})
    # then: references as before (the hidden parent without its name); the page's rows read no
    # password hash, login time or parent company address
    items = {item["name_kana"]: item for item in response.json()["items"] if item["name_kana"] in "アイ"}
    assert items["ア"]["parent"] is None
    assert items["イ"]["parent"] == {"id": shown_parent.pk, "name": "親会社株式会社"}
    assert items["イ"]["owner"] == {"id": rep_a.pk, "name": rep_a.display_name}
    rows_sql = next(q["sql"] for q in queries.captured_queries if '"street"' in q["sql"])
    assert '"password"' not in rows_sql and '"last_login"' not in rows_sql
    assert rows_sql.count('."created_at"') == 1  # the companies' own, not their teams' or owners'
    assert rows_sql.count('."street"') == 1  # the companies' own, not their parents'


def test_industry_names_follow_the_language(rep_a):
    # given
    industry = Industry.objects.get(code="E")
    CompanyFactory(owner=rep_a, industry=industry)
    rep_a.language = "en"
    rep_a.save(update_fields=["language"])
    client = Client()
    client.force_login(rep_a)
    # when
    english = client.get("/api/v1/companies").json()["items"][0]["industry"]
    japanese = bearer(rep_a).get("/api/v1/companies", HTTP_ACCEPT_LANGUAGE="ja").json()["items"][0]
    japanese = japanese["industry"]
    # then
    assert english == {"id": industry.pk, "code": "E", "name": industry.name_en}
    assert japanese == {"id": industry.pk, "code": "E", "name": industry.name}
    assert industry.name_en and industry.name_en != industry.name


@pytest.mark.parametrize("rows", [5, 30])
def test_contact_list_query_count_is_constant(
    admin, rep_a, company_of_rep_a, rows, django_assert_num_queries
):
    # given
    tag = Tag.objects.create(name="キーマン")
    for contact in ContactFactory.create_batch(rows, owner=rep_a, company=company_of_rep_a):
        contact.tags.set([tag])
    client = Client()
    client.force_login(admin)
    # when: session, user, role scopes, the page, its tags
    with django_assert_num_queries(5):
        response = client.get("/api/v1/contacts", {"limit": 200})
    # then
    assert len(response.json()["items"]) == rows


@pytest.mark.parametrize("rows", [5, 30])
def test_team_scoped_company_list_is_read_by_ids_in_kana_order(
    rep_a, rep_a2, team_b, rows, django_assert_num_queries
):
    # given: the rep's, a teammate's, and the rep's own company filed under another team
    for n in range(rows):
        CompanyFactory(owner=rep_a if n % 2 else rep_a2, name_kana=f"カ{rows - n:03d}")
    CompanyFactory(owner=rep_a, team=team_b, name_kana="ア")
    CompanyFactory(owner=UserFactory(team=team_b), name_kana="イ")  # another team's: not visible
    client = Client()
    client.force_login(rep_a)
    # when: session, user, role scopes, the owner half's ids, the page's ids (union of the team and owner
    # halves), its rows, their tags
    with django_assert_num_queries(7):
        response = client.get("/api/v1/companies", {"limit": 200})
    # then
    kana = [item["name_kana"] for item in response.json()["items"]]
    assert kana == ["ア", *[f"カ{n:03d}" for n in range(1, rows + 1)]]


# Authentication


def test_no_credentials_answer_401(company_of_rep_a):
    # when
    listed = Client().get("/api/v1/companies")
    created = Client().post("/api/v1/companies", {"name": "新規商店"}, content_type=JSON)
    # then
    assert (listed.status_code, listed.json()) == (401, {"detail": "authentication required"})
    assert (created.status_code, created.json()) == (401, {"detail": "authentication required"})
    assert Company.objects.count() == 1


def test_bearer_token_identifies_the_user(rep_a, team_a):
    # when
    response = bearer(rep_a).get("/api/v1/me")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": rep_a.pk,
        "username": "rep_a",
        "display_name": rep_a.display_name,
        "email": "rep_a@example.jp",
        "language": "ja",
        "is_administrator": False,
        "team": {"id": team_a.pk, "name": "東京営業部"},
        "role": {"slug": "sales_rep", "name": rep_a.role.name},
    }


def test_revoked_token_answers_401(rep_a, company_of_rep_a):
    # given
    token = token_create(user=rep_a)
    ApiToken.objects.filter(user=rep_a).update(revoked_at=timezone.now())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    # when
    listed = client.get("/api/v1/companies")
    patched = client.patch(
        f"/api/v1/companies/{company_of_rep_a.pk}", {"version": 1, "notes": "x"}, content_type=JSON
    )
    # then
    assert (listed.status_code, patched.status_code) == (401, 401)
    company_of_rep_a.refresh_from_db()
    assert company_of_rep_a.notes == ""


def test_unknown_token_answers_401():
    # when
    response = Client(HTTP_AUTHORIZATION="Bearer dfk_nonsense").get("/api/v1/me")
    # then
    assert response.status_code == 401


def test_inactive_users_token_answers_401(rep_a):
    # given
    client = bearer(rep_a)
    rep_a.is_active = False
    rep_a.save(update_fields=["is_active"])
    # when
    response = client.get("/api/v1/me")
    # then
    assert response.status_code == 401


def test_session_authenticates_the_browser(rep_a, company_of_rep_a):
    # given
    client = Client()
    client.force_login(rep_a)
    # when
    response = client.get("/api/v1/companies")
    # then
    assert response.status_code == 200
    assert ids(response) == [company_of_rep_a.pk]


def test_session_post_without_csrf_token_is_refused(rep_a):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep_a)
    # when
    response = client.post("/api/v1/companies", {"name": "新規商店"}, content_type=JSON)
    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF check Failed"}
    assert not Company.objects.exists()


def test_session_post_with_csrf_token_is_accepted(rep_a):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep_a)
    client.get("/api/v1/docs")  # sets the CSRF cookie, as the browser's pages do
    token = client.cookies["csrftoken"].value
    # when
    response = client.post(
        "/api/v1/companies", {"name": "新規商店"}, content_type=JSON, HTTP_X_CSRFTOKEN=token
    )
    # then
    assert response.status_code == 201
    assert Company.objects.get().name == "新規商店"


def test_bearer_token_needs_no_csrf_token(rep_a):
    # given
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep_a)}")
    # when
    response = client.post("/api/v1/companies", {"name": "新規商店"}, content_type=JSON)
    # then
    assert response.status_code == 201


def test_lists_show_each_records_tags_in_name_order(admin, rep_a):
    # given: tags attached in another order than their names, one company and one contact without tags
    b, a, c = (Tag.objects.create(name=n) for n in ("東京", "重要", "大口"))
    tagged = CompanyFactory(owner=rep_a, name="甲")
    tagged.tags.set([b, a, c])
    plain = CompanyFactory(owner=rep_a, name="乙")
    person = ContactFactory(owner=rep_a, company=tagged)
    person.tags.set([b])
    ContactFactory(owner=rep_a, company=plain)
    client = bearer(admin)
    # when
    companies = client.get("/api/v1/companies", {"limit": 10}).json()["items"]
    contacts = client.get("/api/v1/contacts", {"limit": 10}).json()["items"]
    # then
    expected = sorted(["東京", "重要", "大口"])
    assert {c["id"]: c["tags"] for c in companies} == {tagged.pk: expected, plain.pk: []}
    assert sorted(c["tags"] for c in contacts) == [[], ["東京"]]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_list_items_equal_the_detail_of_each_company(rep_a, rep_b, language):
    # given: companies with every field the list shows filled in, one with a parent rep_a may not see
    industry = Industry.objects.get(code="E")
    hidden = CompanyFactory(owner=rep_b, name="見えない親")
    shown = CompanyFactory(owner=rep_a, name="見える親", legal_form="yk", legal_form_position="before")
    full = CompanyFactory(
        owner=rep_a,
        name="髙橋商事",
        name_kana="タカハシショウジ",
        legal_form="kk",
        legal_form_position="after",
        corporate_number="1234567890123",
        postal_code="1000001",
        prefecture="東京都",
        city="千代田区",
        street="千代田1-1",
        building="大福ビル3F",
        phone="+81312345678",
        fax="+81312345679",
        email="info@example.jp",
        website="https://example.jp",
        sns={"x": "@takahashi"},
        representative="髙橋 一郎",
        capital=10_000_000,
        employees=42,
        is_listed=True,
        fiscal_month=3,
        industry=industry,
        description="説明",
        rank="A",
        notes="メモ",
        parent=shown,
    )
    full.tags.set([Tag.objects.create(name="東京"), Tag.objects.create(name="重要")])
    CompanyFactory(owner=rep_a, parent=hidden, fax="+81612345678")
    client = bearer(rep_a)
    # when
    listed = client.get("/api/v1/companies", {"limit": 200}, HTTP_ACCEPT_LANGUAGE=language).json()["items"]
    # then: each item is what the detail endpoint (model instances through the schema) answers
    assert len(listed) == 3  # not rep_b's company
    for item in listed:
        detail = client.get(f"/api/v1/companies/{item['id']}", HTTP_ACCEPT_LANGUAGE=language).json()
        assert item == detail
    by_name = {item["name"]: item for item in listed}
    assert by_name["髙橋商事"]["fax_display"] == "03-1234-5679"
    assert by_name["髙橋商事"]["parent"] == {"id": shown.pk, "name": "有限会社見える親"}
    assert by_name["髙橋商事"]["tags"] == ["東京", "重要"]
    assert by_name["髙橋商事"]["industry"]["name"] == (
        industry.name_en if language == "en" else industry.name
    )
    assert [
        item["parent"] for item in listed if item["name"] not in ("髙橋商事", "見える親", "見えない親")
    ] == [None]


def test_contact_list_items_equal_the_detail_of_each_contact(rep_a):
    # given: contacts with every field the list shows filled in, one without a company
    employer = CompanyFactory(owner=rep_a, name="大福", legal_form="kk", legal_form_position="before")
    full = ContactFactory(
        owner=rep_a,
        company=employer,
        family_name="髙橋",
        given_name="一郎",
        family_name_kana="タカハシ",
        given_name_kana="イチロウ",
        department="営業部",
        title="部長",
        mobile_phone="+819012345678",
        office_phone="+81312345678",
        email="ichiro@example.jp",
        email_alt="i.takahashi@example.com",
        postal_code="1000001",
        prefecture="東京都",
        city="千代田区",
        street="千代田1-1",
        building="大福ビル3F",
        birthday=dt.date(1980, 4, 1),
        household_size=3,
        preferences="和菓子",
        sns={"x": "@ichiro"},
        notes="メモ",
        mail_consent="opted_in",
        mail_consent_at=timezone.now(),
        mail_consent_method="web_form",
        mail_consent_note="展示会",
    )
    full.tags.set([Tag.objects.create(name="キーマン")])
    ContactFactory(owner=rep_a, company=None, given_name="")
    client = bearer(rep_a)
    # when
    listed = client.get("/api/v1/contacts", {"limit": 200}).json()["items"]
    # then: each item is what the detail endpoint (model instances through the schema) answers
    assert len(listed) == 2
    for item in listed:
        assert item == client.get(f"/api/v1/contacts/{item['id']}").json()
    first = next(item for item in listed if item["id"] == full.pk)
    assert first["company"] == {"id": employer.pk, "name": "株式会社大福"}
    assert first["mobile_phone_display"] == "090-1234-5678" and first["display_name"] == "髙橋 一郎"
    assert first["tags"] == ["キーマン"] and first["birthday"] == "1980-04-01"
