"""Writes of the shared kernel: login lockout, users, role scopes, tokens, company profile."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from daifuku.core import auth, services
from daifuku.core.models import (
    ApiToken,
    AuditEntry,
    CompanyProfile,
    Notification,
    Role,
    RoleScope,
    Team,
    User,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


# Login lockout


def _fail(user, times):
    for _ in range(times):
        assert authenticate(username=user.username, password="wrong-password") is None


def test_account_is_locked_after_max_failures(rep_a):
    # given
    limit = settings.DAIFUKU_LOGIN_MAX_FAILURES
    # when
    _fail(rep_a, limit)
    # then
    rep_a.refresh_from_db()
    assert rep_a.locked_until is not None
    assert services.is_locked(rep_a) is True
    assert (
        AuditEntry.objects.filter(object_type="core.user", object_id=rep_a.pk, action="locked").count() == 1
    )


def test_failures_below_the_limit_do_not_lock(rep_a):
    # when
    _fail(rep_a, settings.DAIFUKU_LOGIN_MAX_FAILURES - 1)
    # then
    rep_a.refresh_from_db()
    assert rep_a.failed_login_count == settings.DAIFUKU_LOGIN_MAX_FAILURES - 1
    assert rep_a.locked_until is None
    assert authenticate(username="rep_a", password=PASSWORD) == rep_a


def test_locked_account_is_refused_with_the_right_password(rep_a):
    # given
    _fail(rep_a, settings.DAIFUKU_LOGIN_MAX_FAILURES)
    # when
    user = authenticate(username="rep_a", password=PASSWORD)
    # then
    assert user is None
    rep_a.refresh_from_db()
    assert services.is_locked(rep_a) is True


def test_account_unlocks_after_the_lock_time(rep_a):
    # given
    _fail(rep_a, settings.DAIFUKU_LOGIN_MAX_FAILURES)
    User.objects.filter(pk=rep_a.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    # when
    user = authenticate(username="rep_a", password=PASSWORD)
    # then
    assert user == rep_a
    rep_a.refresh_from_db()
    assert rep_a.locked_until is None
    assert rep_a.failed_login_count == 0


def test_successful_login_resets_the_failure_counter(rep_a):
    # given
    _fail(rep_a, 2)
    # when
    user = authenticate(username="rep_a", password=PASSWORD)
    # then
    assert user == rep_a
    rep_a.refresh_from_db()
    assert rep_a.failed_login_count == 0
    _fail(rep_a, settings.DAIFUKU_LOGIN_MAX_FAILURES - 1)
    rep_a.refresh_from_db()
    assert rep_a.locked_until is None


def test_unknown_username_is_refused():
    # when / then
    assert authenticate(username="nobody", password=PASSWORD) is None


# user_create


def test_user_create_creates_a_missing_team(admin):
    # when
    user = services.user_create(
        username="sato", role_slug="sales_rep", password="pass-word-123", team_name="名古屋営業部", by=admin
    )
    # then
    user.refresh_from_db()
    assert user.role.slug == "sales_rep"
    assert user.team.name == "名古屋営業部"
    assert user.check_password("pass-word-123")
    assert (
        AuditEntry.objects.filter(object_type="core.team", object_id=user.team_id, action="create").count()
        == 1
    )


def test_user_create_reuses_an_existing_team(admin, team_a):
    # when
    user = services.user_create(
        username="sato", role_slug="manager", password="pw-123456", team_name="東京営業部"
    )
    # then
    assert user.team == team_a
    assert Team.objects.filter(name="東京営業部").count() == 1


def test_user_create_with_unknown_role_names_the_role_and_creates_nothing(admin):
    # given
    users_before = User.objects.count()
    teams_before = Team.objects.count()
    # when
    with pytest.raises(ValidationError) as exc:
        services.user_create(
            username="sato", role_slug="boss", password="pw-123456", team_name="新チーム", by=admin
        )
    # then
    assert set(exc.value.message_dict) == {"role"}
    assert User.objects.count() == users_before
    assert Team.objects.count() == teams_before


def test_user_create_with_duplicate_username_is_refused(admin, rep_a):
    # given
    users_before = User.objects.count()
    # when
    with pytest.raises(ValidationError) as exc:
        services.user_create(username="rep_a", role_slug="sales_rep", password="pw-123456", by=admin)
    # then
    assert set(exc.value.message_dict) == {"username"}
    assert User.objects.count() == users_before


def test_user_create_by_non_administrator_is_refused(rep_a):
    # given
    users_before = User.objects.count()
    # when
    with pytest.raises(PermissionDenied):
        services.user_create(username="sato", role_slug="sales_rep", password="pw-123456", by=rep_a)
    # then
    assert User.objects.count() == users_before


def test_user_update_changes_role_and_audits(admin, rep_a):
    # given
    manager = Role.objects.get(slug="manager")
    sales_rep = Role.objects.get(slug="sales_rep")
    # when
    services.user_update(user=rep_a, by=admin, role=manager)
    # then
    rep_a.refresh_from_db()
    assert rep_a.role == manager
    entry = AuditEntry.objects.get(object_type="core.user", object_id=rep_a.pk, action="update")
    assert entry.changes == {"role": [sales_rep.pk, manager.pk]}
    assert entry.actor == admin


# role_scope_update


def test_role_scope_update_changes_scope_and_audits_old_to_new(admin):
    # given
    manager = Role.objects.get(slug="manager")
    # when
    row = services.role_scope_update(
        role=manager, object_type="company", read_scope="all", edit_scope="own", by=admin
    )
    # then
    row.refresh_from_db()
    assert (row.read_scope, row.edit_scope) == ("all", "own")
    entry = AuditEntry.objects.get(object_type="core.role", object_id=manager.pk)
    assert entry.action == "update"
    assert entry.actor == admin
    assert entry.changes == {"company.read_scope": ["team", "all"], "company.edit_scope": ["team", "own"]}


def test_role_scope_update_by_non_administrator_is_refused(manager_a):
    # given
    role = Role.objects.get(slug="manager")
    # when
    with pytest.raises(PermissionDenied):
        services.role_scope_update(
            role=role, object_type="company", read_scope="all", edit_scope="all", by=manager_a
        )
    # then
    row = RoleScope.objects.get(role=role, object_type="company")
    assert (row.read_scope, row.edit_scope) == ("team", "team")
    assert not AuditEntry.objects.filter(object_type="core.role").exists()


def test_role_scope_update_refuses_edit_wider_than_read(admin):
    # given
    role = Role.objects.get(slug="sales_rep")
    # when
    with pytest.raises(ValidationError) as exc:
        services.role_scope_update(
            role=role, object_type="contact", read_scope="own", edit_scope="team", by=admin
        )
    # then
    assert set(exc.value.message_dict) == {"edit_scope"}
    row = RoleScope.objects.get(role=role, object_type="contact")
    assert (row.read_scope, row.edit_scope) == ("team", "own")
    assert not AuditEntry.objects.filter(object_type="core.role").exists()


def test_role_scope_update_refuses_unknown_scope(admin):
    # given
    role = Role.objects.get(slug="sales_rep")
    # when
    with pytest.raises(ValidationError):
        services.role_scope_update(
            role=role, object_type="contact", read_scope="world", edit_scope="own", by=admin
        )
    # then
    row = RoleScope.objects.get(role=role, object_type="contact")
    assert (row.read_scope, row.edit_scope) == ("team", "own")


# API tokens


def test_token_create_stores_only_a_digest_and_resolves_to_the_user(rep_a):
    # when
    token = services.token_create(user=rep_a, name="cli", by=rep_a)
    # then
    row = ApiToken.objects.get(user=rep_a)
    assert row.digest == auth.digest(token)
    assert token not in {row.digest, row.prefix}
    assert auth.user_for_token(token) == rep_a
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_revoked_token_resolves_to_nobody(rep_a):
    # given
    token = services.token_create(user=rep_a)
    ApiToken.objects.filter(user=rep_a).update(revoked_at=timezone.now())
    # when / then
    assert auth.user_for_token(token) is None


def test_token_of_inactive_user_resolves_to_nobody(rep_a):
    # given
    token = services.token_create(user=rep_a)
    User.objects.filter(pk=rep_a.pk).update(is_active=False)
    # when / then
    assert auth.user_for_token(token) is None


@pytest.mark.parametrize("token", ["", "dfk_unknown", "not-a-token"])
def test_unknown_token_resolves_to_nobody(rep_a, token):
    # given
    services.token_create(user=rep_a)
    # when / then
    assert auth.user_for_token(token) is None


def test_token_for_another_user_needs_an_administrator(rep_a, rep_a2):
    # when
    with pytest.raises(PermissionDenied):
        services.token_create(user=rep_a2, by=rep_a)
    # then
    assert not ApiToken.objects.filter(user=rep_a2).exists()


# Company profile


def test_profile_update_normalizes_and_audits(admin):
    # given
    data = services.ProfileInput(
        name="大福商事株式会社",
        registration_number="ｔ７１２３４５６７８９０１２",
        postal_code="〒100-0001",
        phone="03-1234-5678",
        fiscal_month=12,
    )
    # when
    profile = services.profile_update(data=data, by=admin)
    # then
    profile.refresh_from_db()
    assert profile.registration_number == "T7123456789012"
    assert profile.postal_code == "1000001"
    assert profile.phone == "+81312345678"
    assert profile.fiscal_month == 12
    assert data.warnings == []
    entry = AuditEntry.objects.get(object_type="core.companyprofile", object_id=1)
    assert entry.actor == admin
    assert entry.changes == {
        "fiscal_month": [3, 12],
        "name": ["", "大福商事株式会社"],
        "phone": ["", "+81312345678"],
        "postal_code": ["", "1000001"],
        "registration_number": ["", "T7123456789012"],
    }


def test_profile_update_with_bad_registration_number_names_the_field(admin):
    # given
    data = services.ProfileInput(name="大福商事", registration_number="T123")
    # when
    with pytest.raises(ValidationError) as exc:
        services.profile_update(data=data, by=admin)
    # then
    assert set(exc.value.message_dict) == {"registration_number"}
    assert not CompanyProfile.objects.filter(name="大福商事").exists()
    assert not AuditEntry.objects.filter(object_type="core.companyprofile").exists()


def test_profile_update_with_check_digit_mismatch_saves_and_warns(admin):
    # given
    data = services.ProfileInput(name="山田太郎商店", registration_number="T8123456789012")
    # when
    profile = services.profile_update(data=data, by=admin)
    # then
    profile.refresh_from_db()
    assert profile.registration_number == "T8123456789012"
    assert len(data.warnings) == 1


def test_profile_update_reports_every_bad_field(admin):
    # given
    data = services.ProfileInput(postal_code="12345", phone="電話", fiscal_month=13, tax_rounding="random")
    # when
    with pytest.raises(ValidationError) as exc:
        services.profile_update(data=data, by=admin)
    # then
    assert set(exc.value.message_dict) == {"postal_code", "phone", "fiscal_month", "tax_rounding"}


def test_profile_update_by_non_administrator_is_refused(rep_a):
    # when
    with pytest.raises(PermissionDenied):
        services.profile_update(data=services.ProfileInput(name="乗っ取り"), by=rep_a)
    # then
    assert not CompanyProfile.objects.filter(name="乗っ取り").exists()


# Notifications


def test_notifications_mark_read_marks_only_the_users_own(rep_a, rep_a2):
    # given
    mine = services.notify(recipient=rep_a, kind="test", title="一件目")
    services.notify(recipient=rep_a, kind="test", title="二件目")
    theirs = services.notify(recipient=rep_a2, kind="test", title="他人宛")
    # when
    count = services.notifications_mark_read(user=rep_a, ids=[mine.pk, theirs.pk])
    # then
    assert count == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_user_factory_default_role_is_sales_rep():
    # when
    user = UserFactory()
    # then
    assert user.role.slug == "sales_rep"


def test_notification_title_is_in_the_recipients_language(rep_a, rep_a2):
    # given: a Japanese-speaking rep hands a company over to an English-speaking colleague
    from daifuku.customers import services as customer_services

    rep_a2.language = "en"
    rep_a2.save(update_fields=["language"])
    company = customer_services.company_create(by=rep_a, data={"name": "山田商事"})
    # when
    with translation.override("ja"):
        customer_services.company_change_owner(company=company, new_owner=rep_a2, by=rep_a, reason="異動")
    # then
    notification = Notification.objects.get(recipient=rep_a2)
    assert (
        notification.title
        == f"You are now the owner of {company.display_name} (handed over by {rep_a.display_name})"
    )


def test_the_last_administrator_cannot_be_demoted_or_deactivated(admin, rep_a):
    # given: admin is the only administrator
    sales_rep = Role.objects.get(slug="sales_rep")
    # when / then
    with pytest.raises(ValidationError) as demoted:
        services.user_update(user=admin, by=admin, role=sales_rep)
    with pytest.raises(ValidationError):
        services.user_update(user=admin, by=admin, is_active=False)
    admin.refresh_from_db()
    assert demoted.value.message_dict.keys() == {"role"}
    assert (admin.role.slug, admin.is_active) == ("administrator", True)


def test_an_administrator_can_step_down_when_another_remains(admin, rep_a):
    # given
    administrator = Role.objects.get(slug="administrator")
    services.user_update(user=rep_a, by=admin, role=administrator)
    # when
    services.user_update(user=admin, by=admin, role=Role.objects.get(slug="manager"))
    # then
    admin.refresh_from_db()
    assert admin.role.slug == "manager"
