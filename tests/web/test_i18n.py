"""English UI: every page renders from the locale/en catalog with no Japanese left over.

Japanese is the source language (msgids); the data here is ASCII, so any kana or kanji left on an
English page is a UI string that is not translated. Japanese vocabulary that is data rather than UI
(prefecture names, legal forms such as 株式会社, the 日本語 entry of the language switch) is allowed.
"""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from daifuku.activities.models import ActivityKind
from daifuku.core import jp, services
from daifuku.customers import selectors
from daifuku.customers import services as customer_services
from daifuku.customers.models import Industry
from daifuku.imports.models import ImportJob
from tests.activities.factories import ActivityFactory, DailyReportFactory, EventFactory, TaskFactory
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
                 "Settings", "Trash", "Search companies, contacts, deals", "Log out",
                 "New company"):  # fmt: skip
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


# Activities, calendar, daily reports and dashboard (catalog src/daifuku/activities/locale)


@pytest.fixture
def activity(english_admin, company, contact):
    return ActivityFactory(
        owner=english_admin,
        company=company,
        kind=ActivityKind.COMPLAINT,
        subject="Late delivery",
        body="The customer asked for a new delivery date.",
    )


@pytest.fixture
def tasks_and_events(english_admin, company):
    now = timezone.now()
    TaskFactory(owner=english_admin, title="Send the quote", due_at=now, company=company)
    TaskFactory(owner=english_admin, title="Call back", due_at=now - dt.timedelta(days=2))
    TaskFactory(owner=english_admin, title="Prepare the proposal", due_at=now + dt.timedelta(days=3))
    EventFactory(owner=english_admin, title="Kickoff meeting", company=company)


def test_my_day_in_english(client, english_admin, activity, tasks_and_events):
    # when
    html = get_english(client, english_admin, reverse("activities:my_day"))
    # then
    for text in ("Today", "s events and tasks", "+ Task", "Overdue", "Call back", "Upcoming",
                 "Prepare the proposal", "Send the quote", "s activities",
                 "Late delivery", "Activities", "Calendar", "Daily report"):  # fmt: skip
        assert text in html, text
    assert japanese_left(html) == []


def test_activity_list_and_detail_in_english(client, english_admin, activity):
    # when
    listing = get_english(client, english_admin, reverse("activities:activity_list"))
    detail = get_english(client, english_admin, reverse("activities:activity_detail", args=[activity.pk]))
    # then
    for text in ("Activities", "Complaint / trouble", "Late delivery", "Acme Trading", "Filter",
                 "Open complaints and requests only"):  # fmt: skip
        assert text in listing, text
    for text in ("Late delivery", "Response status", "Update response status", "Update"):
        assert text in detail, text
    assert japanese_left(listing) == []
    assert japanese_left(detail) == []


def test_activity_quick_log_form_in_english_with_a_validation_error(client, english_admin, company, contact):
    # given
    client.force_login(english_admin)
    url = reverse("activities:activity_quick_log")
    # when
    empty_form = client.get(url, {"company": company.pk}).content.decode()
    response = client.post(
        url, {"kind": "visit", "subject": "", "occurred_at": "2026-04-01T10:30", "company": company.pk}
    )
    # then
    html = response.content.decode()
    assert response.status_code == 422
    for text in ("Log activity", "Kind", "Visit", "Call (outgoing)", "Title", "Smith Jane", "Log"):
        assert text in empty_form, text
    assert "invalid-feedback" in html
    assert "This field is required." in html or "Please enter a title." in html
    assert japanese_left(empty_form) == []
    assert japanese_left(html) == []


def test_task_form_in_english(client, english_admin):
    # when
    html = get_english(client, english_admin, reverse("activities:task_create"))
    # then
    for text in ("New task", "Title", "Due", "Priority", "Normal", "High", "Reminder", "10 minutes before",
                 "Save"):  # fmt: skip
        assert text in html, text
    assert japanese_left(html) == []


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("month", ("Month", "Week", "Day", "Mon", "Sun")),
        ("week", ("Kickoff meeting",)),
        ("day", ("Kickoff meeting",)),
    ],
)
def test_calendar_views_in_english(client, english_admin, tasks_and_events, view, expected):
    # when
    html = get_english(client, english_admin, reverse("activities:calendar"), {"view": view})
    # then
    for text in ("Calendar", "Today", "New event", "Import .ics", "Events to show", "Me", *expected):
        assert text in html, text
    if view == "month":
        assert timezone.localdate().strftime("%B %Y") in html
    assert japanese_left(html) == []


def test_daily_report_form_and_team_board_in_english(client, english_admin, english_rep, activity):
    # given
    today = timezone.localdate()
    DailyReportFactory(author=english_rep, date=today, summary="Visited two customers.")
    # when
    form = get_english(client, english_admin, reverse("activities:report_day", args=[today.isoformat()]))
    board = get_english(client, english_admin, reverse("activities:report_team"), {"date": today.isoformat()})
    # then
    for text in ("Daily report for", "Today&#x27;s activities", "Achievements", "Issues", "Plan for tomorrow",
                 "Activities of this day", "Late delivery", "Save draft", "Submit"):  # fmt: skip
        assert text in form, text
    for text in ("Tokyo Sales daily reports", "Previous day", "Next day", "Member", "Young Sam",
                 "Baker Ellen", "Not submitted", "This month as Excel"):  # fmt: skip
        assert text in board, text
    assert japanese_left(form) == []
    assert japanese_left(board) == []


def test_activity_dashboard_in_english(client, english_admin, activity, tasks_and_events):
    # when
    html = get_english(client, english_admin, reverse("activities:dashboard"))
    # then
    for text in ("Activity dashboard", "Period", "This week", "This month", "Custom period", "Everyone",
                 "Activities by kind", "By owner", "Owner", "New contacts", "Completed tasks",
                 "Overdue tasks", "Total", "Baker Ellen"):  # fmt: skip
        assert text in html, text
    assert japanese_left(html) == []


def test_notification_preferences_in_english(client, english_admin):
    # when
    html = get_english(client, english_admin, reverse("core:notifications"))
    # then
    assert "Notifications also sent by e-mail" in html
    assert 'name="email_kinds"' in html
    assert japanese_left(html) == []


def test_catalog_translates_the_activity_terms():
    # given
    expected = {
        "活動": "Activities",
        "日報": "Daily report",
        "今日": "Today",
        "営業活動管理": "Activity dashboard",
        "名寄せ": "Dedup / merge duplicates",
        "クレーム・トラブル": "Complaint / trouble",
        "要望": "Request",
    }
    # when
    with translation.override("en"):
        translated = {japanese: translation.gettext(japanese) for japanese in expected}
        weekdays = [translation.pgettext("曜日", day) for day in "月火水木金土日"]
    # then
    assert translated == expected
    assert weekdays == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


# Imports, exports and 名寄せ (catalog src/daifuku/imports/locale)


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_import_upload_mapping_preview_and_job_pages_in_english(
    client, english_admin, media_root, django_capture_on_commit_callbacks
):
    # given
    client.force_login(english_admin)
    content = b"Company,Phone\r\nBeta Works,03-2222-3333\r\n,bad\r\n"
    # when
    upload = get_english(client, english_admin, reverse("imports:job_list"))
    response = client.post(
        reverse("imports:job_list"), {"target": "companies", "file": SimpleUploadedFile("a.csv", content)}
    )
    job = ImportJob.objects.get()
    mapping_url = reverse("imports:job_mapping", args=[job.pk])
    mapping = get_english(client, english_admin, mapping_url)
    columns = {"col_0": "name", "col_1": "phone", "dedup": "skip"}
    preview = client.post(mapping_url, {**columns, "action": "preview"}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(mapping_url, {**columns, "action": "start"})
    detail = get_english(client, english_admin, reverse("imports:job_detail", args=[job.pk]))
    # then
    assert response.status_code == 302
    for text in ("Import (CSV / Excel)", "Import into", "File (CSV / xlsx)", "Encoding", "Auto-detect",
                 "Delimiter", "Upload and map columns", "Import history", "No imports yet."):  # fmt: skip
        assert text in upload, text
    for text in ("Column mapping", "File column", "Value in first row", "Import as", "(do not import)",
                 "Company name", "Phone number", "Duplicate handling", "Skip duplicates", "Preview",
                 "Start import", "Beta Works"):  # fmt: skip
        assert text in mapping, text
    for text in ("Preview (first rows)", "Row", "Result", "New", "Errors"):
        assert text in preview, text
    for text in ("Imports", "Progress", "Download error rows", "Undo this import"):
        assert text in detail, text
    for html in (upload, mapping, preview, detail):
        assert japanese_left(html) == []


def test_contact_import_mapping_in_english(client, english_admin, media_root):
    # given
    client.force_login(english_admin)
    content = b"Name,Company,Mobile\r\nJane Smith,Acme Trading,090-1234-5678\r\n"
    client.post(
        reverse("imports:job_list"), {"target": "contacts", "file": SimpleUploadedFile("c.csv", content)}
    )
    job = ImportJob.objects.get()
    # when
    html = get_english(client, english_admin, reverse("imports:job_mapping", args=[job.pk]))
    # then
    for text in ("Column mapping", "Family name", "Given name", "Full name (furigana)", "Mobile phone",
                 "Company corporate number", "Jane Smith"):  # fmt: skip
        assert text in html, text
    assert japanese_left(html) == []


def test_export_log_in_english(client, english_admin, company):
    # given
    client.force_login(english_admin)
    b"".join(client.get(reverse("imports:export_companies")).streaming_content)
    # when
    html = get_english(client, english_admin, reverse("imports:export_log"))
    # then
    for text in ("Export log", "Format", "Filters", "Rows", "Characters replaced", "Baker Ellen"):
        assert text in html, text
    assert japanese_left(html) == []


def test_duplicates_and_merge_pages_in_english(client, english_admin, company):
    # given
    twin = CompanyFactory(name="Acme Trading Co", name_kana="", phone="03-1234-5678", owner=english_admin)
    merge_url = reverse("imports:merge", args=["company", company.pk, twin.pk])
    # when
    duplicates = get_english(client, english_admin, reverse("imports:duplicates", args=["company"]))
    merge = get_english(client, english_admin, merge_url)
    merged = client.post(merge_url, follow=True).content.decode()
    after = get_english(client, english_admin, reverse("imports:duplicates", args=["company"]))
    contacts = get_english(client, english_admin, reverse("imports:duplicates", args=["contact"]))
    # then
    for text in ("Dedup / merge duplicates", "Merge duplicate companies", "Score", "Similar name",
                 "Acme Trading Co", "Merge"):  # fmt: skip
        assert text in duplicates, text
    for text in ("will be merged into", "Field", "Record to keep", "Record to merge",
                 "Swap the record to keep", "Acme Trading Co"):  # fmt: skip
        assert text in merge, text
    assert "Merged." in merged
    for text in ("No duplicate candidates.", "Recent merges", "Undo"):
        assert text in after, text
    assert "Merge duplicate contacts" in contacts
    for html in (duplicates, merge, merged, after, contacts):
        assert japanese_left(html) == []
