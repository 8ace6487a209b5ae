"""The kernel's pages through the Django test client: sign-in, password, notifications, settings."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from daifuku.core import services
from daifuku.core.models import AuditEntry, CompanyProfile, Notification, RoleScope, Team, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kawase-shinkin-2024"
LOCKED_MESSAGE = "一時的にロックされています"
WRONG_MESSAGE = "ユーザー名またはパスワードが正しくありません。"


def _login(client, username, password):
    return client.post(reverse("core:login"), {"username": username, "password": password})


# Sign-in


def test_login_with_right_password_signs_in(client, rep_a):
    # given / when
    response = _login(client, "rep_a", PASSWORD)
    # then
    assert response.status_code == 302
    assert response.url == reverse("web:home")
    assert int(client.session["_auth_user_id"]) == rep_a.pk


def test_login_page_is_japanese_and_declares_utf8(client):
    # given / when
    response = client.get(reverse("core:login"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert '<meta charset="utf-8">' in html
    assert "ログイン" in html


def test_login_with_wrong_password_shows_message_and_counts(client, rep_a):
    # given / when
    response = _login(client, "rep_a", "wrong-password")
    # then
    rep_a.refresh_from_db()
    assert response.status_code == 200
    assert WRONG_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert rep_a.failed_login_count == 1


def test_five_failures_lock_the_account_even_for_the_right_password(client, rep_a):
    # given
    for _ in range(4):
        assert WRONG_MESSAGE in _login(client, "rep_a", "wrong-password").content.decode()
    fifth = _login(client, "rep_a", "wrong-password")
    # when
    response = _login(client, "rep_a", PASSWORD)
    # then
    rep_a.refresh_from_db()
    assert LOCKED_MESSAGE in fifth.content.decode()
    assert LOCKED_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert rep_a.locked_until is not None
    assert (
        AuditEntry.objects.filter(object_type="core.user", object_id=rep_a.pk, action="locked").count() == 1
    )


def test_unknown_username_gets_the_same_messages_as_a_real_account(client):
    # given
    cache.clear()
    messages = [_login(client, "nobody-here", "wrong-password").content.decode() for _ in range(5)]
    # when
    response = _login(client, "nobody-here", "wrong-password")
    # then
    assert all(WRONG_MESSAGE in m for m in messages[:4])
    assert LOCKED_MESSAGE in messages[4]
    assert LOCKED_MESSAGE in response.content.decode()
    assert not User.objects.filter(username="nobody-here").exists()


def test_logout_refuses_get_and_signs_out_on_post(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    refused = client.get(reverse("core:logout"))
    still_in = "_auth_user_id" in client.session
    response = client.post(reverse("core:logout"))
    # then
    assert refused.status_code == 405
    assert still_in is True
    assert response.status_code == 302
    assert response.url == reverse("core:login")
    assert "_auth_user_id" not in client.session


def test_password_change_keeps_session_and_new_password_works(client, rep_a):
    # given
    client.force_login(rep_a)
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    # when
    response = client.post(reverse("core:password_change"), data)
    # then
    rep_a.refresh_from_db()
    assert response.status_code == 302
    assert rep_a.check_password(NEW_PASSWORD)
    assert client.get(reverse("web:home")).status_code == 200
    assert (
        AuditEntry.objects.filter(object_type="core.user", object_id=rep_a.pk, action="password").count() == 1
    )


def test_password_change_with_wrong_old_password_changes_nothing(client, rep_a):
    # given
    client.force_login(rep_a)
    data = {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    # when
    response = client.post(reverse("core:password_change"), data)
    # then
    rep_a.refresh_from_db()
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    assert rep_a.check_password(PASSWORD)


def test_set_language_stores_choice_on_user_and_cookie(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(reverse("core:set_language"), {"language": "en", "next": "/search/?q=x"})
    # then
    rep_a.refresh_from_db()
    assert response.status_code == 302
    assert response.url == "/search/?q=x"
    assert response.cookies["django_language"].value == "en"
    assert rep_a.language == "en"


def test_set_language_ignores_foreign_next(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(reverse("core:set_language"), {"language": "ja", "next": "https://evil.example/"})
    # then
    assert response.url == reverse("web:home")


# Notifications


def test_mark_one_notification_read(client, rep_a, rep_b):
    # given
    mine = services.notify(recipient=rep_a, kind="test", title="引継ぎのお知らせ")
    other = services.notify(recipient=rep_a, kind="test", title="もう一件")
    theirs = services.notify(recipient=rep_b, kind="test", title="他人の通知")
    client.force_login(rep_a)
    # when
    response = client.post(reverse("core:notifications_read"), {"id": mine.pk})
    # then
    assert response.status_code == 302
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_cannot_mark_someone_elses_notification_read(client, rep_a, rep_b):
    # given
    theirs = services.notify(recipient=rep_b, kind="test", title="他人の通知")
    client.force_login(rep_a)
    # when
    client.post(reverse("core:notifications_read"), {"id": theirs.pk})
    # then
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_notifications_read(client, rep_a, rep_b):
    # given
    services.notify(recipient=rep_a, kind="test", title="一件目")
    services.notify(recipient=rep_a, kind="test", title="二件目")
    theirs = services.notify(recipient=rep_b, kind="test", title="他人の通知")
    client.force_login(rep_a)
    # when
    client.post(reverse("core:notifications_read"))
    # then
    assert Notification.objects.filter(recipient=rep_a, read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_notifications_page_lists_only_own(client, rep_a, rep_b):
    # given
    services.notify(recipient=rep_a, kind="test", title="自分宛て")
    services.notify(recipient=rep_b, kind="test", title="他人宛て")
    client.force_login(rep_a)
    # when
    response = client.get(reverse("core:notifications"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "自分宛て" in html
    assert "他人宛て" not in html


# Settings: administrators only


SETTINGS_PAGES = [
    "core:settings_profile",
    "core:settings_roles",
    "core:settings_users",
    "core:settings_user_create",
]


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_non_admin_gets_404_on_settings_pages(client, manager_a, name):
    # given
    client.force_login(manager_a)
    # when
    response = client.get(reverse(name))
    # then
    assert response.status_code == 404


def test_non_admin_gets_404_on_user_edit_and_password(client, manager_a, rep_a):
    # given
    client.force_login(manager_a)
    # when
    edit = client.get(reverse("core:settings_user_edit", args=[rep_a.pk]))
    password = client.post(
        reverse("core:settings_user_password", args=[rep_a.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then
    rep_a.refresh_from_db()
    assert edit.status_code == 404
    assert password.status_code == 404
    assert rep_a.check_password(PASSWORD)


def test_anonymous_is_sent_to_login_from_settings(client):
    # given / when
    response = client.get(reverse("core:settings_roles"))
    # then
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


def _scope_post(role_scopes, **overrides):
    data = {}
    for row in role_scopes:
        data[f"{row.role_id}-{row.object_type}-read"] = row.read_scope
        data[f"{row.role_id}-{row.object_type}-edit"] = row.edit_scope
    data.update(overrides)
    return data


def test_non_admin_posting_role_scopes_changes_nothing(client, rep_a):
    # given
    client.force_login(rep_a)
    rep_scope = RoleScope.objects.get(role=rep_a.role, object_type="company")
    data = _scope_post(RoleScope.objects.all(), **{f"{rep_a.role_id}-company-edit": "all"})
    data[f"{rep_a.role_id}-company-read"] = "all"
    audit_before = AuditEntry.objects.count()
    # when
    response = client.post(reverse("core:settings_roles"), data)
    # then
    rep_scope.refresh_from_db()
    assert response.status_code == 404
    assert (rep_scope.read_scope, rep_scope.edit_scope) == ("team", "own")
    assert AuditEntry.objects.count() == audit_before


def test_admin_edits_a_role_scope_and_it_is_audited(client, admin, rep_a):
    # given
    client.force_login(admin)
    data = _scope_post(RoleScope.objects.all(), **{f"{rep_a.role_id}-company-edit": "team"})
    # when
    response = client.post(reverse("core:settings_roles"), data)
    # then
    scope = RoleScope.objects.get(role=rep_a.role, object_type="company")
    entry = AuditEntry.objects.get(object_type="core.role", object_id=rep_a.role_id)
    assert response.status_code == 302
    assert (scope.read_scope, scope.edit_scope) == ("team", "team")
    assert entry.actor_id == admin.pk
    assert entry.changes == {"company.edit_scope": ["own", "team"]}
    assert RoleScope.objects.get(role=rep_a.role, object_type="contact").edit_scope == "own"


def test_admin_cannot_make_edit_wider_than_read_and_sees_the_error_on_that_select(client, admin, rep_a):
    # given
    client.force_login(admin)
    field = f"{rep_a.role_id}-contact-edit"
    data = _scope_post(
        RoleScope.objects.all(),
        **{field: "all", f"{rep_a.role_id}-company-edit": "team"},
    )
    # when
    response = client.post(reverse("core:settings_roles"), data)
    # then
    company = RoleScope.objects.get(role=rep_a.role, object_type="company")
    contact = RoleScope.objects.get(role=rep_a.role, object_type="contact")
    assert response.status_code == 422
    assert response.context["form"].errors[field] == ["編集範囲は閲覧範囲より広くできません。"]
    assert (contact.read_scope, contact.edit_scope) == ("team", "own")
    assert company.edit_scope == "own"  # the other change in the same submit is not saved either
    assert not AuditEntry.objects.filter(object_type="core.role").exists()


def _profile_post(**overrides):
    data = {
        "name": "株式会社大福商事",
        "registration_number": "T7000012050002",
        "postal_code": "100-0001",
        "address": "東京都千代田区千代田1-1",
        "phone": "03-1234-5678",
        "fiscal_month": "3",
        "tax_rounding": "floor",
    }
    data.update(overrides)
    return data


def test_admin_saves_the_company_profile(client, admin):
    # given
    client.force_login(admin)
    # when
    response = client.post(reverse("core:settings_profile"), _profile_post())
    # then
    profile = CompanyProfile.objects.get(pk=1)
    assert response.status_code == 302
    assert profile.name == "株式会社大福商事"
    assert profile.registration_number == "T7000012050002"
    assert profile.postal_code == "1000001"
    assert profile.phone == "+81312345678"


def test_profile_form_rejects_t123_naming_the_field(client, admin):
    # given
    client.force_login(admin)
    # when
    response = client.post(reverse("core:settings_profile"), _profile_post(registration_number="T123"))
    # then
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["registration_number"]
    assert "登録番号は「T」と13桁の数字です" in response.context["form"].errors["registration_number"][0]
    assert not CompanyProfile.objects.exclude(name="").exists()


def test_profile_with_check_digit_mismatch_saves_and_warns(client, admin):
    # given
    client.force_login(admin)
    # when
    response = client.post(
        reverse("core:settings_profile"), _profile_post(registration_number="T1000012050002"), follow=True
    )
    # then
    texts = [str(m) for m in response.context["messages"]]
    assert CompanyProfile.objects.get(pk=1).registration_number == "T1000012050002"
    assert any("検査用数字が法人番号と一致しません" in t for t in texts)


def test_non_admin_profile_post_changes_nothing(client, manager_a):
    # given
    client.force_login(manager_a)
    # when
    response = client.post(reverse("core:settings_profile"), _profile_post())
    # then
    assert response.status_code == 404
    assert not CompanyProfile.objects.exclude(name="").exists()


def _user_post(**overrides):
    data = {
        "username": "suzuki",
        "last_name": "鈴木",
        "first_name": "花子",
        "email": "suzuki@example.jp",
        "role": "",
        "team_name": "名古屋営業部",
        "language": "ja",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def test_admin_creates_a_user_with_a_new_team(client, admin, rep_a):
    # given
    client.force_login(admin)
    # when
    response = client.post(reverse("core:settings_user_create"), _user_post(role=rep_a.role_id))
    # then
    user = User.objects.get(username="suzuki")
    assert response.status_code == 302
    assert (user.last_name, user.first_name, user.role.slug, user.team.name) == (
        "鈴木",
        "花子",
        "sales_rep",
        "名古屋営業部",
    )
    assert user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(object_type="core.user", object_id=user.pk, action="create").count() == 1


def test_user_create_with_taken_username_shows_error_on_username(client, admin, rep_a):
    # given
    client.force_login(admin)
    # when
    response = client.post(
        reverse("core:settings_user_create"), _user_post(username="rep_a", role=rep_a.role_id)
    )
    # then
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["username"]
    assert not Team.objects.filter(name="名古屋営業部").exists()


def test_non_admin_cannot_create_users(client, manager_a):
    # given
    client.force_login(manager_a)
    # when
    response = client.post(reverse("core:settings_user_create"), _user_post(role=manager_a.role_id))
    # then
    assert response.status_code == 404
    assert not User.objects.filter(username="suzuki").exists()


def test_admin_edits_team_role_and_active(client, admin, rep_a, team_b, manager_a):
    # given
    client.force_login(admin)
    data = {
        "last_name": "山本",
        "first_name": "次郎",
        "email": "jiro@example.jp",
        "team": team_b.pk,
        "role": manager_a.role_id,
        "language": "en",
        "is_active": "",
    }
    # when
    response = client.post(reverse("core:settings_user_edit", args=[rep_a.pk]), data)
    # then
    rep_a.refresh_from_db()
    entry = AuditEntry.objects.get(object_type="core.user", object_id=rep_a.pk, action="update")
    assert response.status_code == 302
    assert (rep_a.first_name, rep_a.team_id, rep_a.role.slug, rep_a.is_active) == (
        "次郎",
        team_b.pk,
        "manager",
        False,
    )
    assert set(entry.changes) == {"first_name", "email", "team", "role", "is_active", "language"}


def test_admin_resets_a_users_password(client, admin, rep_a):
    # given
    client.force_login(admin)
    # when
    response = client.post(
        reverse("core:settings_user_password", args=[rep_a.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then
    rep_a.refresh_from_db()
    assert response.status_code == 302
    assert rep_a.check_password(NEW_PASSWORD)


def test_settings_users_lists_everyone(client, admin, rep_a, rep_b):
    # given
    client.force_login(admin)
    inactive = UserFactory(username="gone", is_active=False)
    # when
    response = client.get(reverse("core:settings_users"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    for username in ("admin", "rep_a", "rep_b", inactive.username):
        assert f'data-user="{username}"' in html
