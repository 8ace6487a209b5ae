"""Conversion of a lead into company + contact + deal: 名寄せ candidates, no duplicates, history moves."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from daifuku.core.models import AuditEntry
from daifuku.customers.models import Company, Contact
from daifuku.sales.models import Deal, Lead
from daifuku.sales.selectors.leads import lead_conversion_candidates
from daifuku.sales.services import leads as services
from tests.activities.factories import ActivityFactory, TaskFactory
from tests.factories import CompanyFactory, ContactFactory
from tests.sales.factories import KeyedLeadFactory, default_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def yamada_lead(rep_a):
    return KeyedLeadFactory(
        company_name="(株)山田商事",
        family_name="田中",
        given_name="一郎",
        email="tanaka@yamada-shoji.example.jp",
        phone="+81312345678",
        need="営業支援システムの見積がほしい",
        budget=Decimal("3000000"),
        source="event",
        source_detail="営業DXフェア2026",
        form_data={"従業員数": "50名"},
        status="qualified",
        owner=rep_a,
        team=rep_a.team,
    )


@pytest.fixture
def existing_yamada(rep_a):
    return CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="after", owner=rep_a)


def _counts():
    return Company.objects.count(), Contact.objects.count(), Deal.objects.count()


# Candidates


def test_candidates_find_the_company_by_name_key_across_legal_form_spellings(
    rep_a, yamada_lead, existing_yamada
):
    # given
    CompanyFactory(name="山田物産", owner=rep_a)
    # when
    found = lead_conversion_candidates(lead=yamada_lead, by=rep_a)
    # then
    assert [(c.record, c.reason) for c in found.companies] == [(existing_yamada, "name")]
    assert found.contacts == []


def test_candidates_rank_corporate_number_then_name_then_phone_then_domain(
    rep_a, yamada_lead, existing_yamada
):
    # given
    yamada_lead.corporate_number = "7123456789012"
    yamada_lead.save(update_fields=["corporate_number"])
    by_number = CompanyFactory(name="ヤマダ・ホールディングス", corporate_number="7123456789012", owner=rep_a)
    by_phone = CompanyFactory(name="山田商事 大阪支店", phone="+81312345678", owner=rep_a)
    by_domain = CompanyFactory(name="YS物流", email="info@yamada-shoji.example.jp", owner=rep_a)
    CompanyFactory(name="フリーメール商店", email="someone@gmail.com", owner=rep_a)
    # when
    found = lead_conversion_candidates(lead=yamada_lead, by=rep_a)
    # then
    assert [(c.record, c.reason) for c in found.companies] == [
        (by_number, "corporate_number"),
        (existing_yamada, "name"),
        (by_phone, "phone"),
        (by_domain, "email_domain"),
    ]


def test_candidate_contacts_by_email_then_by_name_at_a_candidate_company(rep_a, yamada_lead, existing_yamada):
    # given
    same_name = ContactFactory(family_name="田中", given_name="一郎", company=existing_yamada, owner=rep_a)
    same_email = ContactFactory(
        family_name="別人", given_name="", email="TANAKA@yamada-shoji.example.jp", owner=rep_a
    )
    ContactFactory(family_name="田中", given_name="一郎", owner=rep_a)  # namesake at an unrelated company
    # when
    found = lead_conversion_candidates(lead=yamada_lead, by=rep_a)
    # then
    assert [(c.record, c.reason) for c in found.contacts] == [
        (same_email, "email"),
        (same_name, "name_in_company"),
    ]


def test_candidates_only_among_records_the_user_may_see(rep_a, rep_b, yamada_lead):
    # given
    CompanyFactory(name="山田商事", legal_form="kk", owner=rep_b)
    # when
    found = lead_conversion_candidates(lead=yamada_lead, by=rep_a)
    # then
    assert found.companies == []


# Conversion


def test_convert_uses_the_existing_company_instead_of_a_duplicate(rep_a, yamada_lead, existing_yamada):
    # given
    companies_before = Company.objects.count()
    # when
    lead = services.lead_convert(
        lead=yamada_lead, by=rep_a, company=existing_yamada.pk, deal_name="SFA導入", deal_amount="3,000,000"
    )
    # then
    assert Company.objects.count() == companies_before
    lead.refresh_from_db()
    contact = Contact.objects.get()
    deal = Deal.objects.get()
    assert (lead.status, lead.converted_company, lead.converted_contact, lead.converted_deal) == (
        "converted",
        existing_yamada,
        contact,
        deal,
    )
    assert lead.converted_at is not None
    assert (
        contact.family_name,
        contact.given_name,
        contact.company,
        contact.email,
        contact.office_phone,
    ) == (
        "田中",
        "一郎",
        existing_yamada,
        "tanaka@yamada-shoji.example.jp",
        "+81312345678",
    )
    assert (deal.name, deal.company, deal.owner, deal.amount) == (
        "SFA導入",
        existing_yamada,
        rep_a,
        Decimal("3000000"),
    )
    assert deal.pipeline == default_pipeline()
    assert list(deal.contacts.all()) == [contact]
    assert deal.notes.splitlines() == [
        f"引合 #{lead.pk} より（流入経路: 展示会・イベント / 営業DXフェア2026、受付: "
        f"{lead.created_at.astimezone().strftime('%Y-%m-%d %H:%M')}）",
        "ニーズ・問い合わせ内容:",
        "営業支援システムの見積がほしい",
        "予算: 3,000,000円",
        "フォーム送信内容:",
        "  従業員数: 50名",
    ]
    entry = AuditEntry.objects.get(object_type="sales.lead", object_id=lead.pk, action="convert")
    assert entry.changes["status"] == ["qualified", "converted"]
    assert entry.changes["converted_deal"] == [None, deal.pk]
    assert (
        AuditEntry.objects.filter(
            object_type="customers.contact", object_id=contact.pk, action="create"
        ).count()
        == 1
    )
    assert (
        AuditEntry.objects.filter(object_type="sales.deal", object_id=deal.pk, action="create").count() == 1
    )


def test_convert_uses_an_existing_contact_too(rep_a, yamada_lead, existing_yamada):
    # given
    contact = ContactFactory(family_name="田中", given_name="一郎", company=existing_yamada, owner=rep_a)
    before = _counts()
    # when
    services.lead_convert(lead=yamada_lead, by=rep_a, company=existing_yamada.pk, contact=contact.pk)
    # then
    assert _counts() == (before[0], before[1], before[2] + 1)
    assert list(Deal.objects.get().contacts.all()) == [contact]


def test_convert_creates_company_and_contact_when_asked(rep_a, yamada_lead, existing_yamada):
    # given
    before = _counts()
    # when
    lead = services.lead_convert(lead=yamada_lead, by=rep_a, company=None, contact=None)
    # then
    assert _counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    company = lead.converted_company
    assert (company.name, company.legal_form, company.legal_form_position) == ("山田商事", "kk", "before")
    assert (company.phone, company.owner, company.team) == ("+81312345678", rep_a, rep_a.team)
    assert lead.converted_contact.company == company
    assert lead.converted_deal.name == "株式会社山田商事"
    assert (
        AuditEntry.objects.filter(
            object_type="customers.company", object_id=company.pk, action="create"
        ).count()
        == 1
    )


def test_convert_without_a_deal(rep_a, yamada_lead, existing_yamada):
    # when
    lead = services.lead_convert(lead=yamada_lead, by=rep_a, company=existing_yamada.pk, create_deal=False)
    # then
    assert (lead.status, lead.converted_deal) == ("converted", None)
    assert Deal.objects.count() == 0


def test_the_leads_activities_move_to_the_deal_and_company(rep_a, yamada_lead, existing_yamada):
    # given
    call = ActivityFactory(
        owner=rep_a, company=None, kind="call_out", related_type="sales.lead", related_id=yamada_lead.pk
    )
    other = ActivityFactory(owner=rep_a, related_type="sales.lead", related_id=yamada_lead.pk + 1000)
    # when
    lead = services.lead_convert(lead=yamada_lead, by=rep_a, company=existing_yamada.pk)
    # then
    call.refresh_from_db()
    assert (call.related_type, call.related_id, call.company, call.version) == (
        "sales.deal",
        lead.converted_deal.pk,
        existing_yamada,
        2,
    )
    assert list(call.contacts.all()) == [lead.converted_contact]
    entry = AuditEntry.objects.get(object_type="activities.activity", object_id=call.pk)
    assert entry.changes["company"] == [None, existing_yamada.pk]
    assert entry.changes["related_type"] == ["sales.lead", "sales.deal"]
    # (the ids are equal when the lead and the deal are both the first of their table)
    assert entry.changes.get("related_id", [yamada_lead.pk, yamada_lead.pk]) == [
        yamada_lead.pk,
        lead.converted_deal.pk,
    ]
    other.refresh_from_db()
    assert (other.related_type, other.related_id) == ("sales.lead", yamada_lead.pk + 1000)
    assert AuditEntry.objects.get(object_type="sales.lead", action="convert").note == "活動 1 件を移動"


def test_the_leads_open_tasks_follow_it_to_the_deal(rep_a, yamada_lead, existing_yamada):
    # given: a follow-up task about the lead
    task = TaskFactory(owner=rep_a, title="見積を送る", related_type="sales.lead", related_id=yamada_lead.pk)
    # when
    lead = services.lead_convert(lead=yamada_lead, by=rep_a, company=existing_yamada.pk)
    # then
    task.refresh_from_db()
    assert (task.related_type, task.related_id, task.company, task.contact) == (
        "sales.deal",
        lead.converted_deal.pk,
        existing_yamada,
        lead.converted_contact,
    )
    assert (
        AuditEntry.objects.filter(object_type="activities.task", object_id=task.pk, action="update").count()
        == 1
    )
    assert AuditEntry.objects.get(object_type="sales.lead", action="convert").note == "タスク 1 件を移動"


def test_permission_denied_leaves_everything_unchanged(rep_a, rep_a2, yamada_lead, existing_yamada):
    # given
    call = ActivityFactory(owner=rep_a, company=None, related_type="sales.lead", related_id=yamada_lead.pk)
    before = _counts()
    # when
    with pytest.raises(PermissionDenied):
        services.lead_convert(lead=yamada_lead, by=rep_a2, company=None)
    # then
    assert _counts() == before
    yamada_lead.refresh_from_db()
    assert (yamada_lead.status, yamada_lead.converted_company, yamada_lead.version) == ("qualified", None, 1)
    call.refresh_from_db()
    assert (call.related_type, call.company) == ("sales.lead", None)
    assert not AuditEntry.objects.filter(object_type="sales.lead").exists()


def test_a_bad_deal_amount_rolls_the_new_company_back(rep_a, yamada_lead):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationError) as exc:
        services.lead_convert(lead=yamada_lead, by=rep_a, company=None, deal_amount="たくさん")
    # then
    assert exc.value.message_dict == {"deal_amount": ["数値を入力してください。"]}
    assert _counts() == before
    yamada_lead.refresh_from_db()
    assert yamada_lead.status == "qualified"


def test_a_company_the_user_cannot_see_is_not_found(rep_a, rep_b, yamada_lead):
    # given
    hidden = CompanyFactory(name="山田商事", owner=rep_b)
    before = _counts()
    # when
    with pytest.raises(ValidationError) as exc:
        services.lead_convert(lead=yamada_lead, by=rep_a, company=hidden.pk)
    # then
    assert exc.value.message_dict == {"company": ["指定された取引先が見つかりません。"]}
    assert _counts() == before


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("new", "新規の引合は商談化できません。まず対応中か見込みありにしてください。"),
        ("disqualified", "見込みなしの引合は商談化できません。"),
        ("converted", "この引合はすでに商談化されています。"),
    ],
)
def test_only_working_or_qualified_leads_convert(rep_a, status, message):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team, status=status, disqualify_reason="spam")
    before = _counts()
    # when
    with pytest.raises(ValidationError) as exc:
        services.lead_convert(lead=lead, by=rep_a)
    # then
    assert exc.value.message_dict == {"status": [message]}
    assert _counts() == before


def test_working_lead_converts(rep_a):
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team, status="working", company_name="新規商会")
    services.lead_convert(lead=lead, by=rep_a)
    assert Lead.objects.get(pk=lead.pk).status == "converted"
