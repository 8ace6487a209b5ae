"""The audit trail: who, when, from where, each field old → new; append-only."""

import pytest

from daifuku.core import audit, context
from daifuku.core import services as core_services
from daifuku.core.models import AuditEntry, Role, Team
from daifuku.customers import services

pytestmark = pytest.mark.django_db


def _entries(obj):
    return list(audit.entries_for(obj).order_by("id"))


@pytest.fixture
def company(rep_a):
    return services.company_create(by=rep_a, data={"name": "株式会社山田商事", "phone": "03-1234-5678"})


def test_company_create_records_actor_ip_channel_and_values(rep_a):
    # when
    with context.acting(ip_address="192.0.2.10", via="web"):
        company = services.company_create(
            by=rep_a, data={"name": "株式会社山田商事", "name_kana": "ﾔﾏﾀﾞｼｮｳｼﾞ", "phone": "03-1234-5678"}
        )
    # then
    [entry] = _entries(company)
    assert (entry.action, entry.actor, entry.actor_name) == ("create", rep_a, "rep_a")
    assert (entry.ip_address, entry.via) == ("192.0.2.10", "web")
    assert (entry.object_type, entry.object_id, entry.object_repr) == (
        "customers.company",
        company.pk,
        "株式会社山田商事",
    )
    assert entry.version == 1
    assert entry.changes == {
        "is_listed": [None, False],
        "legal_form": [None, "kk"],
        "legal_form_position": [None, "before"],
        "name": [None, "山田商事"],
        "name_kana": [None, "ヤマダショウジ"],
        "owner": [None, rep_a.pk],
        "phone": [None, "+81312345678"],
        "status": [None, "prospect"],
        "team": [None, rep_a.team_id],
    }


def test_company_update_records_each_changed_field_old_to_new(rep_a, company):
    # when
    with context.acting(ip_address="2001:db8::1", via="api"):
        services.company_update(
            company=company,
            by=rep_a,
            data={"name": "山田物産", "phone": "06-1234-5678", "tags": "重要, 東京"},
        )
    # then
    entry = _entries(company)[-1]
    assert (entry.action, entry.actor, entry.ip_address, entry.via) == ("update", rep_a, "2001:db8::1", "api")
    assert entry.version == 2
    tag_ids = sorted(company.tags.values_list("pk", flat=True))
    assert entry.changes == {
        "name": ["山田商事", "山田物産"],
        "phone": ["+81312345678", "+81612345678"],
        "tags": [[], tag_ids],
    }


def test_company_delete_and_restore_are_recorded(rep_a, admin, company):
    # when
    services.company_delete(company=company, by=rep_a)
    company.refresh_from_db()
    deleted_at = company.deleted_at.isoformat()
    services.company_restore(company=company, by=admin)
    # then
    delete, restore = _entries(company)[-2:]
    assert (delete.action, delete.actor, delete.changes) == (
        "delete",
        rep_a,
        {"deleted_at": [None, deleted_at]},
    )
    assert (restore.action, restore.actor, restore.changes) == (
        "restore",
        admin,
        {"deleted_at": [deleted_at, None]},
    )
    assert (delete.via, delete.ip_address) == ("system", None)


def test_company_handover_is_recorded_with_its_note(rep_a, rep_b, manager_a, company):
    # when
    with context.acting(ip_address="192.0.2.20", via="web"):
        services.company_change_owner(company=company, new_owner=rep_b, by=rep_a, reason="大阪へ移管")
    # then
    entry = _entries(company)[-1]
    assert (entry.action, entry.actor, entry.note, entry.via) == ("handover", rep_a, "大阪へ移管", "web")
    assert entry.changes == {"owner": [rep_a.pk, rep_b.pk], "team": [rep_a.team_id, rep_b.team_id]}


def test_contact_create_and_update_are_recorded(rep_a, company):
    # given
    contact = services.contact_create(
        by=rep_a, data={"family_name": "田中", "given_name": "一郎", "company": company.pk}
    )
    # when
    services.contact_update(
        contact=contact, by=rep_a, data={"title": "部長", "mobile_phone": "090-1234-5678"}
    )
    # then
    create, update = _entries(contact)
    assert create.changes == {
        "company": [None, company.pk],
        "family_name": [None, "田中"],
        "given_name": [None, "一郎"],
        "mail_consent": [None, "unknown"],
        "owner": [None, rep_a.pk],
        "team": [None, rep_a.team_id],
    }
    assert update.changes == {"mobile_phone": ["", "+819012345678"], "title": ["", "部長"]}
    assert (update.object_type, update.action) == ("customers.contact", "update")


def test_entries_cannot_be_changed_or_deleted(company):
    # given
    entry = _entries(company)[0]
    # when / then
    entry.note = "改ざん"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="改ざん")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.note == ""


def test_user_and_team_creation_are_recorded(admin):
    # when
    with context.acting(via="cli"):
        user = core_services.user_create(
            username="sato",
            role_slug="marketing",
            password="pw-123456",
            team_name="広報部",
            by=admin,
            last_name="佐藤",
        )
    # then
    team = Team.objects.get(name="広報部")
    [team_entry] = _entries(team)
    [user_entry] = _entries(user)
    assert (team_entry.action, team_entry.actor, team_entry.changes) == (
        "create",
        admin,
        {"name": [None, "広報部"]},
    )
    assert (user_entry.action, user_entry.actor, user_entry.via) == ("create", admin, "cli")
    assert user_entry.changes == {
        "is_active": [None, True],
        "language": [None, "ja"],
        "last_name": [None, "佐藤"],
        "role": [None, Role.objects.get(slug="marketing").pk],
        "team": [None, team.pk],
        "username": [None, "sato"],
    }


def test_user_update_and_password_change_are_recorded(admin, rep_a, team_a, team_b):
    # when
    core_services.user_update(user=rep_a, by=admin, team=team_b, is_active=False)
    core_services.user_set_password(user=rep_a, password="new-pass-123", by=admin)
    # then
    update, password = _entries(rep_a)
    assert (update.action, update.actor) == ("update", admin)
    assert update.changes == {"is_active": [True, False], "team": [team_a.pk, team_b.pk]}
    assert (password.action, password.changes) == ("password", {"password": ["***", "***"]})


def test_role_scope_change_is_recorded_on_the_role(admin):
    # given
    role = Role.objects.get(slug="read_only")
    # when
    core_services.role_scope_update(
        role=role, object_type="contact", read_scope="team", edit_scope="none", by=admin
    )
    # then
    [entry] = _entries(role)
    assert (entry.object_type, entry.action, entry.actor) == ("core.role", "update", admin)
    assert entry.changes == {"contact.read_scope": ["all", "team"]}


def test_system_actor_is_recorded_by_name(company):
    # when
    entry = audit.record(company, by=None, action="note", note="バッチ処理")
    # then
    assert (entry.actor, entry.actor_name, entry.via) == (None, "system", "system")


def test_created_changes_equals_the_diff_from_nothing():
    after = {
        "b_none": None,
        "a_blank": "",
        "c_text": "髙橋",
        "d_zero": 0,
        "e_false": False,
        "f_true": True,
        "g_empty_list": [],
        "h_list": [3, 1],
        "i_empty_dict": {},
        "j_dict": {"k": 1},
        "k_decimal_text": "0.00",
    }
    changes = audit.created_changes(after)
    assert changes == audit.diff({}, after)
    assert list(changes) == ["c_text", "d_zero", "e_false", "f_true", "h_list", "j_dict", "k_decimal_text"]
