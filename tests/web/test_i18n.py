"""English UI: every page renders from the locale/en catalog with no Japanese left over.

Japanese is the source language (msgids); the data here is ASCII, so any kana or kanji left on an
English page is a UI string that is not translated. Japanese vocabulary that is data rather than UI
(prefecture names, legal forms such as 株式会社, the 日本語 entry of the language switch) is allowed.
"""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from daifuku.core import jp, services
from daifuku.customers import selectors
from daifuku.customers import services as customer_services
from daifuku.customers.models import Industry
from tests.factories import CompanyFactory, ContactFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# Hiragana, katakana, CJK ideographs, half-width katakana, and Japanese punctuation （）「」、。〜.
JAPANESE = re.compile(r"[\u3001-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff5e-\uff9f]+")
ALLOWED = [
    "日本語",
    *selectors.PREFECTURES,
    *(word for word, _abbreviations in jp.LEGAL_FORMS.values()),
]


def japanese_left(html):
    for word in sorted(ALLOWED, key=len, reverse=True):
        html = html.replace(word, "")
    return JAPANESE.findall(html)


@pytest.fixture
def english_admin(db):
    team = TeamFactory(name="Tokyo Sales")
    return UserFactory(
        username="ellen",
        last_name="Baker",
        first_name="Ellen",
        role="administrator",
        team=team,
        language="en",
    )


@pytest.fixture
def english_rep(db, english_admin):
    return UserFactory(
        username="sam", last_name="Young", first_name="Sam", role="sales_rep", team=english_admin.team
    )


@pytest.fixture
def company(english_admin, english_rep):
    company = customer_services.company_create(
        by=english_admin,
        data={
            "name": "Acme Trading",
            "corporate_number": "7123456789012",
            "phone": "03-1234-5678",
            "capital": "10000000",
            "employees": "50",
            "fiscal_month": "3",
            "industry": Industry.objects.get(code="I").pk,
            "owner": english_admin.pk,
            "team": english_admin.team_id,
            "tags": "key account",
        },
    )
    CompanyFactory(name="Acme Holdings", name_kana="", owner=english_admin, parent=company)
    with translation.override("en"):
        customer_services.company_change_owner(
            company=company, new_owner=english_rep, by=english_admin, reason="Reorganisation"
        )
        customer_services.company_change_owner(company=company, new_owner=english_admin, by=english_admin)
    company.refresh_from_db()
    return company


@pytest.fixture
def contact(english_admin, company):
    return customer_services.contact_create(
        by=english_admin,
        data={
            "family_name": "Smith",
            "given_name": "Jane",
            "company": company,
            "department": "Purchasing",
            "title": "Manager",
            "email": "jane@example.com",
            "owner": english_admin.pk,
            "team": english_admin.team_id,
            "mail_consent": "opted_in",
            "mail_consent_method": "business_card",
        },
    )


def get_english(client, user, url, data=None):
    client.force_login(user)
    response = client.get(url, data or {})
    assert response.status_code == 200
    return response.content.decode()


def test_login_page_in_english_from_the_language_cookie(client):
    # given
    client.cookies["django_language"] = "en"
    # when
    html = client.get(reverse("core:login")).content.decode()
    # then
    assert '<html lang="en"' in html
    assert "Log in" in html
    assert "Username" in html
    assert "After 5 failed attempts in a row, the account is locked for a while." in html
    assert japanese_left(html) == []


def test_failed_login_message_in_english(client, english_admin):
    # given
    client.cookies["django_language"] = "en"
    # when
    response = client.post(reverse("core:login"), {"username": "ellen", "password": "wrong-password"})
    # then
    html = response.content.decode()
    assert "The username or password is incorrect." in html
    assert japanese_left(html) == []


def test_home_in_english_for_a_user_whose_language_is_english(client, english_admin, company):
    # given
    services.notify(recipient=english_admin, kind="test", title="Quarterly review")
    # when
    html = get_english(client, english_admin, reverse("web:home"))
    # then
    for text in ("Welcome, Baker Ellen", "Companies", "Contacts", "Unread notifications", "Quarterly review",
                 "Settings", "Trash", "Search companies and contacts", "Log out", "New company"):  # fmt: skip
        assert text in html, text
    assert japanese_left(html) == []


def test_company_list_in_english(client, english_admin, company):
    # when
    html = get_english(client, english_admin, reverse("customers:company_list"))
    # then
    for text in ("Companies", "+ New company", "Company name (by furigana)", "Location", "Owner", "Updated",
                 "Filter", "Clear", "Prospect", "Customer", "Acme Trading", "Baker Ellen (Tokyo Sales)",
                 "2 results"):  # fmt: skip
        assert text in html, text
    assert japanese_left(html) == []


def test_company_detail_in_english_with_handovers_and_history(client, english_admin, english_rep, contact):
    # given
    company = contact.company
    # when
    html = get_english(client, english_admin, reverse("customers:company_detail", args=[company.pk]))
    # then
    for text in ("Basic information", "Corporate number", "7123456789012", "Invoice registration number",
                 "Capital", "10,000,000 yen", "50 people", "Fiscal year-end month", "March",
                 "Stock listing", "Unlisted", "Wholesale and retail trade", "Subsidiaries", "Acme Holdings",
                 "Owner: <span data-owner>Baker Ellen</span> (Tokyo Sales)", "Handover", "Change owner",
                 "(by Baker Ellen)", "Reason: Reorganisation", "History", "Action", "Changes", "Created",
                 "Change owner", "Contacts", "+ Add a contact at this company", "Smith Jane",
                 "(version 3)"):  # fmt: skip
        assert text in html, text
    assert japanese_left(html) == []


def test_company_create_form_in_english_with_a_validation_error(client, english_admin):
    # given
    client.force_login(english_admin)
    url = reverse("customers:company_create")
    # when
    empty_form = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "Bad Number Ltd",
            "corporate_number": "1234567890123",
            "legal_form_position": "none",
            "status": "prospect",
        },
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("New company", "Company name", "Furigana (reading)", "Legal form", "Corporate number",
                 "Qualified invoice registration number", "Postal code", "Prefecture",
                 "Fiscal year-end month", "January", "Owner", "Save", "Cancel"):  # fmt: skip
        assert text in empty_form, text
    assert "Please check your input." in html
    assert "A corporate number has 13 digits including a check digit. Please check the number." in html
    assert japanese_left(empty_form) == []
    assert japanese_left(html) == []


def test_contact_pages_in_english(client, english_admin, contact):
    # when
    listing = get_english(client, english_admin, reverse("customers:contact_list"))
    detail = get_english(client, english_admin, reverse("customers:contact_detail", args=[contact.pk]))
    form = get_english(client, english_admin, reverse("customers:contact_edit", args=[contact.pk]))
    # then
    for text in (
        "Contacts",
        "+ New contact",
        "Name (by furigana)",
        "Department / title",
        "Smith Jane",
        "1 result",
    ):
        assert text in listing, text
    for text in ("Basic information", "Affiliation history", "Email marketing", "Opted in",
                 "Business card exchange", "present", "History", "Purchasing"):  # fmt: skip
        assert text in detail, text
    for text in ("Edit contact", "Family name", "Given name", "Family name (furigana)", "Department",
                 "Job title", "Email marketing consent", "Personal information", "Save"):  # fmt: skip
        assert text in form, text
    assert japanese_left(listing) == []
    assert japanese_left(detail) == []
    assert japanese_left(form) == []


def test_settings_pages_in_english(client, english_admin, english_rep):
    # when
    profile = get_english(client, english_admin, reverse("core:settings_profile"))
    roles = get_english(client, english_admin, reverse("core:settings_roles"))
    users = get_english(client, english_admin, reverse("core:settings_users"))
    user_edit = get_english(client, english_admin, reverse("core:settings_user_edit", args=[english_rep.pk]))
    password = get_english(client, english_admin, reverse("core:password_change"))
    # then
    for text in ("Company profile", "Qualified invoice registration number", "Consumption tax rounding",
                 "Round half up", "December"):  # fmt: skip
        assert text in profile, text
    for text in ("Access scopes", "Administrator", "Sales rep", "Read", "Edit", "Own team", "Own records"):
        assert text in roles, text
    for text in ("Users", "Add user", "Username", "Role", "Team", "Active"):
        assert text in users, text
    assert "Reset password" in user_edit
    assert "Change password" in password
    for html in (profile, roles, users, user_edit, password):
        assert japanese_left(html) == []


def test_search_notifications_and_trash_in_english(client, english_admin, english_rep, contact):
    # given
    services.notify(recipient=english_admin, kind="test", title="Quarterly review")
    deleted = CompanyFactory(name="Gone Corp", name_kana="", owner=english_admin)
    customer_services.company_delete(company=deleted, by=english_admin)
    customer_services.contact_delete(
        contact=ContactFactory(
            family_name="Old",
            given_name="Bob",
            family_name_kana="",
            given_name_kana="",
            company=None,
            owner=english_admin,
        ),
        by=english_admin,
    )
    # when
    search = get_english(client, english_admin, reverse("web:search"), {"q": "Acme"})
    empty_search = get_english(client, english_admin, reverse("web:search"))
    notifications = get_english(client, english_admin, reverse("core:notifications"))
    trash = get_english(client, english_admin, reverse("customers:trash"))
    # then
    assert "Results for “Acme” (up to" in search
    assert "Acme Trading" in search
    assert "Enter a search term." in empty_search
    for text in ("Notifications", "Mark all as read", "Quarterly review"):
        assert text in notifications, text
    for text in ("Trash", "Deleted companies and contacts.", "Gone Corp", "Old Bob", "Deleted at",
                 "Deleted by", "Restore"):  # fmt: skip
        assert text in trash, text
    for html in (search, empty_search, notifications, trash):
        assert japanese_left(html) == []


def test_japanese_is_still_the_default(client, english_rep, company):
    # given a user whose language is Japanese
    # when
    html = get_english(client, english_rep, reverse("customers:company_detail", args=[company.pk]))
    # then
    assert '<html lang="ja"' in html
    assert "取引先" in html
    assert "3月" in html
    assert "（版 3）" in html


def test_service_error_message_in_english():
    # given
    admin = UserFactory(username="erin", role="administrator", language="en")
    # when
    with translation.override("en"), pytest.raises(ValidationError) as error:
        customer_services.company_create(by=admin, data={"name": "Bad Number Ltd", "corporate_number": "123"})
    # then
    assert error.value.message_dict == {
        "corporate_number": [
            "A corporate number has 13 digits including a check digit. Please check the number."
        ]
    }


def test_catalog_translates_the_key_terms():
    # given
    expected = {
        "取引先": "Companies",
        "担当者": "Contacts",
        "担当者（自社）": "Owner",
        "フリガナ": "Furigana (reading)",
        "法人番号": "Corporate number",
        "適格請求書発行事業者登録番号": "Qualified invoice registration number",
        "決算月": "Fiscal year-end month",
        "履歴": "History",
        "引き継ぎ": "Handover",
        "ごみ箱": "Trash",
    }
    # when
    with translation.override("en"):
        translated = {japanese: translation.gettext(japanese) for japanese in expected}
    # then
    assert translated == expected
