"""Contract services: create (direct and from a won deal), update, cancel, trash, renewal deal, roll-over."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from daifuku.core.models import AuditEntry, NumberSequence
from daifuku.core.services import VersionConflict
from daifuku.sales.models import Contract, ContractLine, ContractStatus, Deal
from daifuku.sales.services import contracts as services
from daifuku.sales.services.deals import deal_mark_won
from tests.factories import ContactFactory
from tests.sales.factories import ContractFactory, DealFactory, DealLineFactory, ProductFactory, stage_named

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese():
    """Messages are asserted in Japanese, whatever language an earlier test's request left active."""
    with translation.override("ja"):
        yield


def _entries(contract, action):
    return list(AuditEntry.objects.filter(object_type="sales.contract", object_id=contract.pk, action=action))


def test_create_direct_numbers_the_contract_and_sums_the_lines(rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    product = ProductFactory(name="クラウド会計", unit="ライセンス", unit_price=Decimal("3000"))
    year = timezone.localdate().year
    # when
    contract = services.contract_create(
        by=rep_a,
        data={
            "title": "会計クラウド年間契約",
            "company": company_of_rep_a.pk,
            "contact": contact_of_rep_a.pk,
            "billing_type": "monthly",
            "signed_on": "2026-03-20",
            "starts_on": "２０２６/０４/０１",
            "ends_on": "2027-03-31",
            "renewal_type": "auto",
            "notice_days": "60",
            "amount": "999",
            "lines": [
                {"product": product.pk, "quantity": "12"},
                {"description": "導入サポート", "quantity": "1", "unit_price": "50,000"},
            ],
        },
    )
    # then
    contract.refresh_from_db()
    assert contract.number == f"C-{year}-00001"
    assert contract.amount == Decimal("86000")
    assert (contract.owner, contract.team, contract.status) == (rep_a, rep_a.team, ContractStatus.ACTIVE)
    assert (contract.starts_on, contract.ends_on) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert (contract.renewal_type, contract.notice_days, contract.billing_type) == ("auto", 60, "monthly")
    assert [
        (line.description, line.quantity, line.unit, line.unit_price) for line in contract.lines.all()
    ] == [
        ("クラウド会計", Decimal("12.000"), "ライセンス", Decimal("3000.00")),
        ("導入サポート", Decimal("1.000"), "", Decimal("50000.00")),
    ]
    [entry] = _entries(contract, "create")
    assert entry.changes["amount"] == [None, "86000"]
    assert entry.changes["lines"][1] == ["クラウド会計 × 12 @ 3000.00", "導入サポート × 1 @ 50000.00"]


def test_second_contract_takes_the_next_number(rep_a, company_of_rep_a):
    # given
    data = {"title": "保守", "company": company_of_rep_a.pk, "starts_on": "2026-04-01"}
    services.contract_create(by=rep_a, data=data)
    # when
    second = services.contract_create(by=rep_a, data=data)
    # then
    assert second.number == f"C-{timezone.localdate().year}-00002"


def test_end_before_start_names_the_field_and_saves_nothing(rep_a, company_of_rep_a):
    # when
    with pytest.raises(ValidationError) as error:
        services.contract_create(
            by=rep_a,
            data={
                "title": "保守",
                "company": company_of_rep_a.pk,
                "starts_on": "2026-04-01",
                "ends_on": "2026-03-31",
            },
        )
    # then
    assert error.value.message_dict == {"ends_on": ["契約満了日は契約開始日以降の日付にしてください。"]}
    assert Contract.objects.count() == 0
    assert not NumberSequence.objects.filter(name="contract", last_value__gt=0).exists()


def test_bad_line_is_named_by_row(rep_a, company_of_rep_a):
    # when
    with pytest.raises(ValidationError) as error:
        services.contract_create(
            by=rep_a,
            data={
                "title": "保守",
                "company": company_of_rep_a.pk,
                "starts_on": "2026-04-01",
                "lines": [
                    {"description": "保守", "unit_price": "1000"},
                    {"description": "", "quantity": "abc"},
                ],
            },
        )
    # then
    assert error.value.message_dict == {
        "lines.1.description": ["明細2行目: 品名を入力してください。"],
        "lines.1.quantity": ["明細2行目: 数値を入力してください。"],
    }
    assert Contract.objects.count() == 0


def test_company_outside_the_scope_is_not_found(rep_b, company_of_rep_a):
    # when
    with pytest.raises(ValidationError) as error:
        services.contract_create(
            by=rep_b, data={"title": "保守", "company": company_of_rep_a.pk, "starts_on": "2026-04-01"}
        )
    # then
    assert error.value.message_dict == {"company": ["指定された取引先が見つかりません。"]}
    assert Contract.objects.count() == 0


def test_contact_of_another_company_is_refused(rep_a, company_of_rep_a):
    # given
    stranger = ContactFactory(owner=rep_a)
    # when
    with pytest.raises(ValidationError) as error:
        services.contract_create(
            by=rep_a,
            data={
                "title": "保守",
                "company": company_of_rep_a.pk,
                "contact": stranger.pk,
                "starts_on": "2026-04-01",
            },
        )
    # then
    assert error.value.message_dict == {"contact": ["先方の担当者は契約先の取引先の人を選んでください。"]}


# From a won deal


def test_create_from_won_deal_copies_the_deal(rep_a, company_of_rep_a, contact_of_rep_a):
    # given
    deal = DealFactory(
        name="基幹システム保守",
        owner=rep_a,
        company=company_of_rep_a,
        stage=stage_named("受注"),
        amount=Decimal("2400000"),
        billing_type="monthly",
        closed_on=dt.date(2026, 3, 15),
    )
    deal.contacts.add(contact_of_rep_a)
    product = ProductFactory()
    DealLineFactory(deal=deal, product=product, description="保守サービス", quantity=12, unit_price=200000)
    # when
    contract = services.contract_create_from_deal(deal=deal, by=rep_a, data={"ends_on": "2027-03-14"})
    # then
    assert (contract.title, contract.company, contract.contact, contract.deal) == (
        "基幹システム保守",
        company_of_rep_a,
        contact_of_rep_a,
        deal,
    )
    assert (contract.owner, contract.team, contract.amount, contract.currency_id, contract.billing_type) == (
        rep_a,
        rep_a.team,
        Decimal("2400000"),
        "JPY",
        "monthly",
    )
    assert (contract.starts_on, contract.ends_on) == (dt.date(2026, 3, 15), dt.date(2027, 3, 14))
    assert [(line.product_id, line.description, line.quantity) for line in contract.lines.all()] == [
        (product.pk, "保守サービス", Decimal("12.000"))
    ]


def test_deal_not_won_is_refused(rep_a, company_of_rep_a):
    # given
    deal = DealFactory(owner=rep_a, company=company_of_rep_a, stage=stage_named("最終交渉"))
    # when
    with pytest.raises(ValidationError) as error:
        services.contract_create_from_deal(deal=deal, by=rep_a)
    # then
    assert error.value.message_dict == {"deal": ["受注した商談からだけ契約を作成できます。"]}
    assert Contract.objects.count() == 0


def test_second_contract_from_the_same_deal_is_refused(rep_a, company_of_rep_a):
    # given
    deal = DealFactory(owner=rep_a, company=company_of_rep_a, stage=stage_named("受注"))
    first = services.contract_create_from_deal(deal=deal, by=rep_a)
    # when
    with pytest.raises(ValidationError) as error:
        services.contract_create_from_deal(deal=deal, by=rep_a)
    # then
    assert error.value.message_dict == {
        "deal": [f"この商談からは既に契約 {first.number} が作成されています。"]
    }
    assert Contract.objects.count() == 1


# Update, cancel, trash


def test_update_bumps_the_version_and_audits(rep_a):
    # given
    contract = ContractFactory(owner=rep_a, ends_on=dt.date(2027, 3, 31))
    # when
    services.contract_update(
        contract=contract, by=rep_a, data={"ends_on": "2028-03-31", "notice_days": "90"}, seen_version=1
    )
    # then
    contract.refresh_from_db()
    assert (contract.ends_on, contract.notice_days, contract.version) == (dt.date(2028, 3, 31), 90, 2)
    [entry] = _entries(contract, "update")
    assert entry.changes == {"ends_on": ["2027-03-31", "2028-03-31"], "notice_days": [30, 90]}


def test_update_over_a_newer_version_is_refused(rep_a):
    # given
    contract = ContractFactory(owner=rep_a, title="保守A")
    services.contract_update(contract=contract, by=rep_a, data={"title": "保守B"}, seen_version=1)
    # when
    with pytest.raises(VersionConflict) as conflict:
        services.contract_update(contract=contract, by=rep_a, data={"title": "保守C"}, seen_version=1)
    # then
    assert conflict.value.changed_fields == {"title": ["保守A", "保守B"]}
    contract.refresh_from_db()
    assert contract.title == "保守B"


def test_update_end_before_start_is_a_field_error(rep_a):
    # given
    contract = ContractFactory(owner=rep_a, starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2027, 3, 31))
    # when
    with pytest.raises(ValidationError) as error:
        services.contract_update(contract=contract, by=rep_a, data={"ends_on": "2026-01-01"})
    # then
    assert error.value.message_dict == {"ends_on": ["契約満了日は契約開始日以降の日付にしてください。"]}
    contract.refresh_from_db()
    assert (contract.ends_on, contract.version) == (dt.date(2027, 3, 31), 1)


def test_rep_cannot_change_a_teammates_contract(rep_a, rep_a2):
    # given
    contract = ContractFactory(owner=rep_a, title="保守A")
    # when
    with pytest.raises(PermissionDenied):
        services.contract_update(contract=contract, by=rep_a2, data={"title": "横取り"})
    # then
    contract.refresh_from_db()
    assert (contract.title, contract.version) == ("保守A", 1)
    assert _entries(contract, "update") == []


def test_update_replaces_lines_and_recomputes_the_amount(rep_a):
    # given
    contract = ContractFactory(owner=rep_a, amount=Decimal("1200000"))
    # when
    services.contract_update(
        contract=contract,
        by=rep_a,
        data={"lines": [{"description": "保守", "quantity": "2", "unit_price": "1500"}]},
    )
    # then
    contract.refresh_from_db()
    assert contract.amount == Decimal("3000")
    assert ContractLine.objects.filter(contract=contract).count() == 1
    [entry] = _entries(contract, "update")
    assert entry.changes["lines"] == [[], ["保守 × 2 @ 1500.00"]]


def test_cancel_and_then_editing_the_status_is_refused(rep_a):
    # given
    contract = ContractFactory(owner=rep_a)
    # when
    services.contract_cancel(contract=contract, by=rep_a, note="先方の事業撤退")
    # then
    contract.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED
    [entry] = _entries(contract, "cancelled")
    assert (entry.changes, entry.note) == ({"status": ["active", "cancelled"]}, "先方の事業撤退")
    with pytest.raises(ValidationError) as error:
        services.contract_update(contract=contract, by=rep_a, data={"status": "active"})
    assert error.value.message_dict == {"status": ["解約・満了・更新済みの契約の状態は変更できません。"]}


def test_trash_hides_the_contract(rep_a):
    # given
    contract = ContractFactory(owner=rep_a)
    # when
    services.contract_trash(contract=contract, by=rep_a)
    # then
    contract.refresh_from_db()
    assert contract.deleted_at is not None
    assert len(_entries(contract, "delete")) == 1


# Renewal deals


def test_renewal_deal_is_created_once(rep_a, company_of_rep_a):
    # given
    contract = ContractFactory(
        owner=rep_a,
        company=company_of_rep_a,
        title="会計クラウド",
        amount=Decimal("360000"),
        ends_on=dt.date(2027, 3, 31),
        notice_days=60,
    )
    ContractLine.objects.create(contract=contract, description="利用料", quantity=12, unit_price=30000)
    # when
    deal = services.contract_create_renewal_deal(contract=contract, by=rep_a)
    # then
    deal = Deal.objects.get(pk=deal.pk)
    assert (deal.name, deal.company, deal.owner, deal.amount) == (
        "会計クラウド（更新）",
        company_of_rep_a,
        rep_a,
        Decimal("360000"),
    )
    assert deal.expected_close_date == dt.date(2027, 1, 30)
    assert [(line.description, line.unit_price) for line in deal.lines.all()] == [
        ("利用料", Decimal("30000.00"))
    ]
    contract.refresh_from_db()
    assert (contract.renewal_deal, contract.version) == (deal, 2)
    with pytest.raises(ValidationError) as error:
        services.contract_create_renewal_deal(contract=contract, by=rep_a)
    assert error.value.message_dict == {
        "renewal_deal": ["この契約の更新商談「会計クラウド（更新）」は既に作成されています。"]
    }
    assert Deal.objects.filter(name="会計クラウド（更新）").count() == 1


def test_winning_the_renewal_deal_marks_the_contract_renewed(rep_a, company_of_rep_a):
    # given
    contract = ContractFactory(owner=rep_a, company=company_of_rep_a)
    deal = services.contract_create_renewal_deal(contract=contract, by=rep_a)
    # when
    deal_mark_won(deal=deal, by=rep_a)
    # then
    contract.refresh_from_db()
    assert contract.status == ContractStatus.RENEWED
    [entry] = _entries(contract, "renewed")
    assert entry.changes == {"status": ["active", "renewed"]}


def test_contract_from_the_won_renewal_deal_points_to_the_previous_one(rep_a, company_of_rep_a):
    # given
    old = ContractFactory(owner=rep_a, company=company_of_rep_a)
    deal = services.contract_create_renewal_deal(contract=old, by=rep_a)
    deal_mark_won(deal=deal, by=rep_a)
    # when
    new = services.contract_create_from_deal(deal=Deal.objects.get(pk=deal.pk), by=rep_a)
    # then
    assert new.previous == old


# The daily roll-over


def test_roll_over_expires_manual_and_renews_auto_contracts(rep_a):
    # given
    today = dt.date(2026, 4, 5)
    manual = ContractFactory(owner=rep_a, starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2026, 3, 31))
    auto = ContractFactory(
        owner=rep_a, starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2026, 3, 31), renewal_type="auto"
    )
    running = ContractFactory(owner=rep_a, starts_on=dt.date(2025, 4, 6), ends_on=dt.date(2026, 4, 5))
    # when
    counts = services.contracts_roll_over(today=today)
    again = services.contracts_roll_over(today=today)
    # then
    assert counts == {"renewed": 1, "expired": 1}
    assert again == {"renewed": 0, "expired": 0}
    manual.refresh_from_db()
    auto.refresh_from_db()
    running.refresh_from_db()
    assert manual.status == ContractStatus.EXPIRED
    assert (auto.status, auto.starts_on, auto.ends_on) == (
        "active",
        dt.date(2026, 4, 1),
        dt.date(2027, 3, 31),
    )
    assert running.status == ContractStatus.ACTIVE
    [entry] = _entries(auto, "auto_renew")
    assert entry.changes == {
        "ends_on": ["2026-03-31", "2027-03-31"],
        "starts_on": ["2025-04-01", "2026-04-01"],
    }
    assert entry.actor is None


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "expected"),
    [
        (dt.date(2024, 4, 1), dt.date(2025, 3, 31), (dt.date(2025, 4, 1), dt.date(2026, 3, 31))),
        (dt.date(2024, 3, 1), dt.date(2024, 3, 31), (dt.date(2024, 4, 1), dt.date(2024, 4, 30))),
        (dt.date(2024, 1, 10), dt.date(2024, 1, 19), (dt.date(2024, 1, 20), dt.date(2024, 1, 29))),
    ],
)
def test_next_term_keeps_months_and_days(starts_on, ends_on, expected):
    assert services.next_term(starts_on, ends_on) == expected


def test_an_expired_contract_given_a_later_end_is_active_again(rep_a):
    # given
    contract = ContractFactory(
        owner=rep_a,
        status=ContractStatus.EXPIRED,
        starts_on=dt.date(2019, 4, 1),
        ends_on=dt.date(2020, 3, 31),
    )
    later = timezone.localdate() + dt.timedelta(days=200)
    # when
    services.contract_update(contract=contract, by=rep_a, data={"ends_on": later})
    # then
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE


def test_a_contract_from_a_won_deal_skips_a_contact_who_has_left_the_company(rep_a, company_of_rep_a):
    # given: the deal's first contact has moved to another company since the deal was made
    from tests.factories import CompanyFactory, ContactFactory

    moved = ContactFactory(family_name="移籍", company=company_of_rep_a, owner=rep_a)
    stayed = ContactFactory(family_name="在籍", company=company_of_rep_a, owner=rep_a)
    deal = DealFactory(owner=rep_a, company=company_of_rep_a, stage=stage_named("受注"))
    deal.contacts.set([moved, stayed])
    moved.company = CompanyFactory(owner=rep_a)
    moved.save()
    # when
    contract = services.contract_create_from_deal(deal=deal, by=rep_a, data={"starts_on": "2026-12-01"})
    # then
    assert contract.contact_id == stayed.pk
