"""Exports: what the list shows (filters and visibility), encodings, the export log, round-trip."""

import io

import pytest

from daifuku.customers.models import Company, Contact
from daifuku.imports.models import ExportLog
from tests.factories import CompanyFactory, ContactFactory
from tests.imports.helpers import run

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_company_export_applies_filters_and_visibility_and_is_logged(client, rep_a, rep_b):
    # given
    CompanyFactory(name="東京商事", owner=rep_a, prefecture="東京都")
    CompanyFactory(name="大阪商事", owner=rep_a, prefecture="大阪府")
    CompanyFactory(name="見えない商事", owner=rep_b, prefecture="東京都")
    client.force_login(rep_a)
    # when
    response = client.get("/imports/export/companies/?prefecture=東京都")
    # then
    body = _body(response)
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("会社名,フリガナ,")
    assert [line.split(",")[0] for line in lines[1:]] == ["東京商事"]
    log = ExportLog.objects.get()
    assert (log.user_id, log.target, log.row_count, log.filters) == (
        rep_a.pk,
        "companies",
        1,
        {"prefecture": "東京都"},
    )


def test_cp932_export_replaces_characters_it_cannot_hold(client, admin):
    ContactFactory(family_name="𠮷田", given_name="😀", owner=admin, company=None)
    client.force_login(admin)
    body = _body(client.get("/imports/export/contacts/?format=cp932"))
    assert body.decode("cp932").splitlines()[1].startswith("〓田,〓,")
    assert ExportLog.objects.get().replaced_chars == 2


def test_xlsx_export(client, admin):
    from openpyxl import load_workbook

    CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="before", owner=admin)
    client.force_login(admin)
    response = client.get("/imports/export/companies/?format=xlsx")
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "株式会社山田商事"


def test_export_then_import_into_an_empty_database_gives_the_same_data(client, admin):
    # given
    company = CompanyFactory(
        name="山田商事",
        legal_form="kk",
        legal_form_position="after",
        owner=admin,
        phone="+81312345678",
        postal_code="1000001",
        prefecture="東京都",
        city="千代田区",
        corporate_number="7123456789012",
        status="customer",
        rank="A",
    )
    ContactFactory(
        family_name="田中",
        given_name="一郎",
        family_name_kana="タナカ",
        given_name_kana="イチロウ",
        company=company,
        owner=admin,
        email="tanaka@example.jp",
        mobile_phone="+819011112222",
    )
    fields = [
        "name",
        "legal_form",
        "legal_form_position",
        "phone",
        "postal_code",
        "prefecture",
        "city",
        "corporate_number",
        "status",
        "rank",
        "name_key",
    ]
    contact_fields = [
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "email",
        "mobile_phone",
        "company__name",
    ]
    before = list(Company.objects.values(*fields))
    contacts_before = list(Contact.objects.values(*contact_fields))
    client.force_login(admin)
    companies_csv = _body(client.get("/imports/export/companies/?format=cp932"))
    contacts_csv = _body(client.get("/imports/export/contacts/"))
    Contact.objects.all().delete()
    from daifuku.customers.models import ContactAffiliation

    ContactAffiliation.objects.all().delete()
    Company.objects.all().delete()
    # when
    run(admin, "companies", companies_csv)
    run(admin, "contacts", contacts_csv)
    # then
    assert list(Company.objects.values(*fields)) == before
    assert list(Contact.objects.values(*contact_fields)) == contacts_before


def test_export_log_is_for_administrators_only(client, admin, rep_a):
    client.force_login(rep_a)
    assert client.get("/imports/export/log/").status_code == 403
    client.force_login(admin)
    assert client.get("/imports/export/log/").status_code == 200
