"""Writes to leads: normalization, assignment rules (round robin, criteria), assign, status, trash."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from daifuku.core.models import AuditEntry, Notification
from daifuku.core.services import VersionConflict
from daifuku.customers.models import Industry
from daifuku.sales.models import Lead, LeadAssignmentRule
from daifuku.sales.services import leads as services
from tests.factories import TeamFactory, UserFactory
from tests.sales.factories import KeyedLeadFactory, LeadAssignmentRuleFactory

pytestmark = pytest.mark.django_db

MINIMAL = {"company_name": "山田商事", "family_name": "山田", "email": "taro@yamada.example.jp"}


def _audit_actions(lead):
    return list(
        AuditEntry.objects.filter(object_type="sales.lead", object_id=lead.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


# lead_create: normalization and validation


def test_lead_create_normalizes_like_customers(rep_a):
    # given
    data = {
        "source": "phone",
        "company_name": "（株）ﾔﾏﾀﾞ商事",
        "corporate_number": "７１２３４５６７８９０１２",
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "やまだ",
        "given_name_kana": "ﾀﾛｳ",
        "email": "Taro@Yamada.Example.JP",
        "phone": "０３－１２３４－５６７８",
        "postal_code": "100-0001",
        "website": "yamada.example.jp",
        "budget": "１,０００,０００",
        "need": "営業支援システムを探している",
    }
    # when
    lead = services.lead_create(by=rep_a, data=data, owner=rep_a)
    # then
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.company_name == "(株)ヤマダ商事"
    assert lead.company_name_key == "やまだ商事"
    assert lead.name_key == "山田太郎"
    assert (lead.family_name_kana, lead.given_name_kana) == ("ヤマダ", "タロウ")
    assert lead.corporate_number == "7123456789012"
    assert lead.email == "taro@yamada.example.jp"
    assert lead.phone == "+81312345678"
    assert (lead.postal_code, lead.prefecture, lead.city, lead.street) == (
        "1000001",
        "東京都",
        "千代田区",
        "千代田",
    )
    assert lead.website == "https://yamada.example.jp"
    assert lead.budget == Decimal("1000000")
    assert (lead.status, lead.owner, lead.team, lead.version) == ("new", rep_a, rep_a.team, 1)
    assert lead.assigned_at is not None
    assert _audit_actions(lead) == ["create"]


def test_lead_create_names_each_bad_field(rep_a):
    # given
    data = {
        "company_name": "山田商事",
        "corporate_number": "1234567890123",
        "email": "not-an-email",
        "phone": "12",
        "postal_code": "12-34",
        "budget": "たくさん",
    }
    # when
    with pytest.raises(ValidationError) as exc:
        services.lead_create(by=rep_a, data=data, owner=rep_a)
    # then
    assert exc.value.message_dict == {
        "corporate_number": ["法人番号は検査用数字を含む13桁です。番号を確認してください。"],
        "email": ["メールアドレスの形式が正しくありません。"],
        "phone": ["電話番号として読み取れません（例: 03-1234-5678）。"],
        "postal_code": ["郵便番号は7桁の数字です（例: 100-0001）。"],
        "budget": ["数値を入力してください。"],
    }
    assert Lead.objects.count() == 0


def test_lead_create_needs_a_name_and_a_way_to_reach_them(rep_a):
    # when
    with pytest.raises(ValidationError) as exc:
        services.lead_create(by=rep_a, data={"need": "資料がほしい"}, owner=rep_a)
    # then
    assert exc.value.message_dict == {
        "company_name": ["会社名か氏名（姓）のどちらかを入力してください。"],
        "email": ["連絡先としてメールアドレスか電話番号を入力してください。"],
    }
    assert Lead.objects.count() == 0


def test_lead_create_refuses_unknown_fields(rep_a):
    with pytest.raises(ValidationError) as exc:
        services.lead_create(by=rep_a, data={**MINIMAL, "status": "converted"}, owner=rep_a)
    assert exc.value.message_dict == {"status": ["この項目はありません。"]}


def test_rep_cannot_create_a_lead_for_someone_else(rep_a, rep_a2):
    # when
    with pytest.raises(PermissionDenied):
        services.lead_create(by=rep_a, data=MINIMAL, owner=rep_a2)
    # then
    assert Lead.objects.count() == 0


def test_read_only_user_cannot_create_leads(db):
    # given
    viewer = UserFactory(role="read_only")
    # when
    with pytest.raises(PermissionDenied):
        services.lead_create(by=viewer, data=MINIMAL)
    # then
    assert Lead.objects.count() == 0


# Assignment rules


@pytest.fixture
def three_reps(db):
    team = TeamFactory(name="インサイドセールス")
    return team, [UserFactory(username=f"is{i}", role="sales_rep", team=team) for i in range(3)]


def test_round_robin_cycles_through_the_team_in_id_order(three_reps, manager_a):
    # given
    team, (first, second, third) = three_reps
    rule = LeadAssignmentRuleFactory(team=team)
    # when
    owners = [services.lead_create(by=None, data=MINIMAL).owner for _ in range(7)]
    # then
    assert owners == [first, second, third, first, second, third, first]
    rule.refresh_from_db()
    assert rule.last_assigned == first
    assert {lead.team for lead in Lead.objects.all()} == {team}


def test_round_robin_skips_inactive_members(three_reps):
    # given
    team, (first, second, third) = three_reps
    second.is_active = False
    second.save(update_fields=["is_active"])
    LeadAssignmentRuleFactory(team=team)
    # when
    owners = [services.lead_create(by=None, data=MINIMAL).owner for _ in range(4)]
    # then
    assert owners == [first, third, first, third]


def test_round_robin_skips_members_whose_role_cannot_own_leads(three_reps):
    # given
    team, (first, second, third) = three_reps
    UserFactory(username="viewer", role="read_only", team=team)
    LeadAssignmentRuleFactory(team=team)
    # when
    owners = [services.lead_create(by=None, data=MINIMAL).owner for _ in range(4)]
    # then
    assert owners == [first, second, third, first]


def test_first_matching_rule_by_order_wins_and_all_criteria_must_match(three_reps, rep_b, manager_a):
    # given
    team, (first, _second, _third) = three_reps
    construction = Industry.objects.get(code="D")
    LeadAssignmentRuleFactory(
        name="大阪の建設業",
        sort_order=1,
        method="fixed",
        assignee=rep_b,
        prefecture="大阪府",
        industry=construction,
    )
    LeadAssignmentRuleFactory(name="展示会", sort_order=2, method="fixed", assignee=manager_a, source="event")
    LeadAssignmentRuleFactory(name="その他", sort_order=3, team=team)
    # when
    osaka_builder = services.lead_create(
        by=None, data={**MINIMAL, "prefecture": "大阪府", "industry": construction.pk, "source": "event"}
    )
    osaka_other = services.lead_create(by=None, data={**MINIMAL, "prefecture": "大阪府", "source": "event"})
    web = services.lead_create(by=None, data={**MINIMAL, "prefecture": "大阪府", "source": "web_form"})
    # then
    assert (osaka_builder.owner, osaka_builder.team) == (rep_b, rep_b.team)
    assert (osaka_other.owner, osaka_other.team) == (manager_a, manager_a.team)
    assert (web.owner, web.team) == (first, team)
    assert AuditEntry.objects.get(object_type="sales.lead", object_id=osaka_builder.pk).note == (
        "割当ルール「大阪の建設業」"
    )


def test_inactive_rules_and_rules_without_anyone_are_passed_over(three_reps, rep_b):
    # given
    team, (first, _second, _third) = three_reps
    empty_team = TeamFactory(name="空のチーム")
    LeadAssignmentRuleFactory(sort_order=1, method="fixed", assignee=rep_b, is_active=False)
    LeadAssignmentRuleFactory(sort_order=2, team=empty_team)
    LeadAssignmentRuleFactory(sort_order=3, team=team)
    # when
    lead = services.lead_create(by=None, data=MINIMAL)
    # then
    assert lead.owner == first


def test_no_matching_rule_leaves_the_lead_unassigned(rep_b):
    # given
    LeadAssignmentRuleFactory(method="fixed", assignee=rep_b, prefecture="大阪府")
    # when
    lead = services.lead_create(by=None, data={**MINIMAL, "prefecture": "東京都"})
    # then
    assert (lead.owner, lead.team, lead.assigned_at) == (None, None, None)
    assert Notification.objects.count() == 0


def test_rule_assignment_notifies_the_new_owner(rep_b):
    # given
    LeadAssignmentRuleFactory(method="fixed", assignee=rep_b)
    # when
    lead = services.lead_create(by=None, data=MINIMAL)
    # then
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.url) == (rep_b, "lead.assigned", f"/sales/leads/{lead.pk}/")
    assert note.title == "引合「山田商事 / 山田」の担当になりました"


def test_default_owner_is_used_when_no_rule_matches(rep_a):
    # when
    lead = services.lead_create(by=None, data=MINIMAL, default_owner=rep_a)
    # then
    assert (lead.owner, lead.team) == (rep_a, rep_a.team)


# lead_assign


def test_manager_assigns_an_unassigned_lead_to_a_rep_of_the_team(manager_a, rep_a):
    # given
    lead = KeyedLeadFactory()
    # when
    services.lead_assign(lead=lead, by=manager_a, owner=rep_a, note="東京の案件")
    # then
    lead.refresh_from_db()
    assert (lead.owner, lead.team, lead.version) == (rep_a, rep_a.team, 2)
    entry = AuditEntry.objects.get(object_type="sales.lead", object_id=lead.pk, action="assign")
    assert entry.changes["owner"] == [None, rep_a.pk]
    assert entry.note == "東京の案件"
    assert Notification.objects.get().recipient == rep_a


def test_manager_cannot_assign_to_another_team(manager_a, rep_b):
    # given
    lead = KeyedLeadFactory()
    # when
    with pytest.raises(PermissionDenied):
        services.lead_assign(lead=lead, by=manager_a, owner=rep_b)
    # then
    lead.refresh_from_db()
    assert (lead.owner, lead.version) == (None, 1)
    assert Notification.objects.count() == 0


def test_rep_cannot_assign_leads(rep_a, rep_a2):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    # when
    with pytest.raises(PermissionDenied):
        services.lead_assign(lead=lead, by=rep_a, owner=rep_a2)
    # then
    lead.refresh_from_db()
    assert lead.owner == rep_a
    assert _audit_actions(lead) == []


def test_admin_assigns_by_the_rules(admin, three_reps):
    # given
    team, (first, _second, _third) = three_reps
    LeadAssignmentRuleFactory(team=team)
    lead = KeyedLeadFactory()
    # when
    services.lead_assign(lead=lead, by=admin, use_rules=True)
    # then
    lead.refresh_from_db()
    assert (lead.owner, lead.team) == (first, team)
    rule = LeadAssignmentRule.objects.get()
    assert AuditEntry.objects.get(action="assign").note == f"割当ルール「{rule.name}」"


def test_assigning_to_the_current_owner_is_refused(admin, rep_a):
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    with pytest.raises(ValidationError) as exc:
        services.lead_assign(lead=lead, by=admin, owner=rep_a)
    assert exc.value.message_dict == {"owner": ["現在の担当者と同じです。"]}


# lead_set_status, lead_update, lead_trash


def test_disqualifying_needs_a_reason(rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    # when
    with pytest.raises(ValidationError) as exc:
        services.lead_set_status(lead=lead, by=rep_a, status="disqualified")
    # then
    assert exc.value.message_dict == {"disqualify_reason": ["見込みなしの理由を選んでください。"]}
    lead.refresh_from_db()
    assert lead.status == "new"


def test_disqualify_with_reason_then_reopen_clears_the_reason(rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    # when
    services.lead_set_status(
        lead=lead, by=rep_a, status="disqualified", reason="no_budget", note="来期再検討"
    )
    lead.refresh_from_db()
    disqualified = (lead.status, lead.disqualify_reason, lead.disqualify_note, lead.version)
    services.lead_set_status(lead=lead, by=rep_a, status="working")
    # then
    lead.refresh_from_db()
    assert disqualified == ("disqualified", "no_budget", "来期再検討", 2)
    assert (lead.status, lead.disqualify_reason, lead.disqualify_note, lead.version) == ("working", "", "", 3)
    assert _audit_actions(lead) == ["status", "status"]


def test_converted_is_only_reached_by_conversion(rep_a):
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    with pytest.raises(ValidationError) as exc:
        services.lead_set_status(lead=lead, by=rep_a, status="converted")
    assert exc.value.message_dict == {"status": ["「商談化済み」には商談化の操作でのみ変わります。"]}


def test_rep_cannot_change_a_teammates_lead(rep_a, rep_a2):
    # given
    lead = KeyedLeadFactory(owner=rep_a2, team=rep_a2.team)
    # when
    with pytest.raises(PermissionDenied):
        services.lead_set_status(lead=lead, by=rep_a, status="working")
    # then
    lead.refresh_from_db()
    assert (lead.status, lead.version) == ("new", 1)


def test_lead_update_checks_the_version_and_audits(rep_a):
    # given
    lead = services.lead_create(by=rep_a, data=MINIMAL, owner=rep_a)
    services.lead_update(lead=lead, by=rep_a, data={"need": "見積がほしい"}, seen_version=1)
    # when
    with pytest.raises(VersionConflict) as exc:
        services.lead_update(lead=lead, by=rep_a, data={"need": "資料だけ"}, seen_version=1)
    # then
    assert exc.value.changed_fields == {"need": ["", "見積がほしい"]}
    lead.refresh_from_db()
    assert (lead.need, lead.version) == ("見積がほしい", 2)
    assert _audit_actions(lead) == ["create", "update"]


def test_lead_update_recomputes_the_keys(rep_a):
    lead = services.lead_create(by=rep_a, data=MINIMAL, owner=rep_a)
    services.lead_update(lead=lead, by=rep_a, data={"company_name": "株式会社 鈴木工業"})
    lead.refresh_from_db()
    assert lead.company_name_key == "鈴木工業"


def test_manager_trashes_an_unassigned_lead(manager_a):
    # given
    lead = KeyedLeadFactory()
    # when
    services.lead_trash(lead=lead, by=manager_a)
    # then
    lead.refresh_from_db()
    assert lead.deleted_by == manager_a
    assert _audit_actions(lead) == ["delete"]
