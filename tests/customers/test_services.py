"""Writes to companies and contacts: normalization, validation, versions, trash, handover, affiliations."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from daifuku.core.models import AuditEntry, Notification, SearchDocument
from daifuku.core.services import VersionConflict
from daifuku.customers import selectors, services
from daifuku.customers.models import Company, CompanyHandover, Contact, ContactAffiliation, Tag
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _company_ids(user, q=""):
    return [c.pk for c in selectors.company_list(user=user, filters=selectors.CompanyFilters(q=q))]


def _contact_ids(user, q=""):
    return [c.pk for c in selectors.contact_list(user=user, filters=selectors.ContactFilters(q=q))]


# company_create: normalization


def test_company_create_normalizes_input(rep_a):
    # given
    data = {
        "name": "株式会社山田商事",
        "name_kana": "ﾔﾏﾀﾞｼｮｳｼﾞ",
        "phone": "０３－１２３４－５６７８",
        "fax": "03-1234-5679",
        "postal_code": "100-0001",
        "corporate_number": "７１２３４５６７８９０１２",
        "invoice_registration_number": "t7123456789012",
        "capital": "10,000,000",
        "fiscal_month": "３",
        "tags": "重要、東京",
    }
    # when
    company = services.company_create(by=rep_a, data=data)
    # then
    company = Company.objects.get(pk=company.pk)
    assert (company.name, company.legal_form, company.legal_form_position) == ("山田商事", "kk", "before")
    assert company.display_name == "株式会社山田商事"
    assert company.name_kana == "ヤマダショウジ"
    assert (company.phone, company.fax) == ("+81312345678", "+81312345679")
    assert company.phone_display == "03-1234-5678"
    assert company.postal_code == "1000001"
    assert (company.prefecture, company.city, company.street) == ("東京都", "千代田区", "千代田")
    assert company.corporate_number == "7123456789012"
    assert company.invoice_registration_number == "T7123456789012"
    assert (company.capital, company.fiscal_month) == (Decimal("10000000"), 3)
    assert sorted(company.tags.values_list("name", flat=True)) == ["東京", "重要"]
    assert (company.name_key, company.kana_key) == ("山田商事", "やまだしょうじ")
    assert (company.owner, company.team, company.version) == (rep_a, rep_a.team, 1)


def test_company_create_with_legal_form_after_the_name(rep_a):
    # when
    company = services.company_create(by=rep_a, data={"name": "山田商事（株）"})
    # then
    assert (company.name, company.legal_form, company.legal_form_position) == ("山田商事", "kk", "after")
    assert company.display_name == "山田商事株式会社"


def test_company_create_keeps_a_given_address(rep_a):
    # when
    company = services.company_create(
        by=rep_a,
        data={"name": "山田商事", "postal_code": "1000001", "prefecture": "東京都", "city": "中央区"},
    )
    # then
    assert (company.prefecture, company.city, company.street) == ("東京都", "中央区", "")


def test_company_create_with_bad_fields_names_exactly_them_and_saves_nothing(rep_a):
    # given
    data = {
        "name": "山田商事",
        "corporate_number": "1234567890123",
        "invoice_registration_number": "T123",
        "phone": "電話番号",
        "postal_code": "12345",
        "fiscal_month": 13,
        "capital": "-1",
        "tags": "新タグ",
    }
    # when
    with pytest.raises(ValidationError) as exc:
        services.company_create(by=rep_a, data=data)
    # then
    assert set(exc.value.message_dict) == {
        "corporate_number",
        "invoice_registration_number",
        "phone",
        "postal_code",
        "fiscal_month",
        "capital",
    }
    assert Company.objects.count() == 0
    assert Tag.objects.count() == 0
    assert AuditEntry.objects.filter(object_type="customers.company").count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "山田商事", "email": "not-an-email"}, "email"),
        ({"name": "山田商事", "status": "vip"}, "status"),
        ({"name": "山田商事", "capital": "たくさん"}, "capital"),
        ({"name": "山田商事", "owner": 999999}, "owner"),
        ({"name": "山田商事", "color": "red"}, "color"),
    ],
)
def test_company_create_with_one_bad_field(rep_a, data, field):
    # when
    with pytest.raises(ValidationError) as exc:
        services.company_create(by=rep_a, data=data)
    # then
    assert set(exc.value.message_dict) == {field}
    assert Company.objects.count() == 0


def test_company_create_returns_a_check_digit_mismatch_without_error(rep_a):
    # when
    company = services.company_create(
        by=rep_a, data={"name": "山田太郎商店", "invoice_registration_number": "T8123456789012"}
    )
    # then
    assert company.invoice_registration_number == "T8123456789012"


# company_update: versions


def test_update_with_stale_version_is_refused_with_what_changed(rep_a, rep_a2, admin):
    # given
    company = services.company_create(by=rep_a, data={"name": "山田商事", "phone": "03-1234-5678"})
    services.company_update(company=company, by=rep_a, data={"phone": "06-1234-5678"}, seen_version=1)
    services.company_update(
        company=company, by=admin, data={"phone": "052-123-4567", "rank": "A"}, seen_version=2
    )
    # when
    with pytest.raises(VersionConflict) as exc:
        services.company_update(company=company, by=rep_a, data={"name": "川口物産"}, seen_version=1)
    # then
    assert exc.value.current_version == 3
    assert exc.value.changed_fields == {"phone": ["+81312345678", "+81521234567"], "rank": ["", "A"]}
    company.refresh_from_db()
    assert (company.name, company.version) == ("山田商事", 3)
    assert AuditEntry.objects.filter(object_id=company.pk, object_type="customers.company").count() == 3


def test_no_op_update_does_not_bump_the_version(rep_a):
    # given
    company = services.company_create(
        by=rep_a, data={"name": "株式会社山田商事", "phone": "03-1234-5678", "tags": "重要"}
    )
    # when
    services.company_update(
        company=company,
        by=rep_a,
        data={"name": "㈱山田商事", "phone": "0312345678", "tags": ["重要"]},
        seen_version=1,
    )
    # then
    company.refresh_from_db()
    assert company.version == 1
    assert AuditEntry.objects.filter(object_id=company.pk, object_type="customers.company").count() == 1


def test_update_of_trashed_company_is_refused(rep_a, company_of_rep_a):
    # given
    services.company_delete(company=company_of_rep_a, by=rep_a)
    # when
    with pytest.raises(ValidationError):
        services.company_update(company=company_of_rep_a, by=rep_a, data={"notes": "メモ"})
    # then
    company_of_rep_a.refresh_from_db()
    assert company_of_rep_a.notes == ""


def test_company_cannot_be_its_own_parent(rep_a, company_of_rep_a):
    # when
    with pytest.raises(ValidationError) as exc:
        services.company_update(company=company_of_rep_a, by=rep_a, data={"parent": company_of_rep_a.pk})
    # then
    assert set(exc.value.message_dict) == {"parent"}


# Trash


def test_delete_moves_to_trash_and_keeps_contacts(rep_a, admin, company_of_rep_a, contact_of_rep_a):
    # when
    services.company_delete(company=company_of_rep_a, by=rep_a)
    # then
    assert company_of_rep_a.pk not in _company_ids(rep_a)
    with pytest.raises(selectors.Http404):
        selectors.company_get(user=rep_a, pk=company_of_rep_a.pk)
    contact_of_rep_a.refresh_from_db()
    assert (contact_of_rep_a.company_id, contact_of_rep_a.deleted_at) == (company_of_rep_a.pk, None)
    assert [c.pk for c in selectors.company_trash(user=admin)] == [company_of_rep_a.pk]
    assert list(selectors.company_trash(user=rep_a)) == []
    assert selectors.company_get(user=admin, pk=company_of_rep_a.pk, include_deleted=True) == company_of_rep_a


def test_restore_is_for_administrators_only(rep_a, admin, company_of_rep_a):
    # given
    services.company_delete(company=company_of_rep_a, by=rep_a)
    # when
    with pytest.raises(PermissionDenied):
        services.company_restore(company=company_of_rep_a, by=rep_a)
    # then
    company_of_rep_a.refresh_from_db()
    assert company_of_rep_a.is_deleted
    services.company_restore(company=company_of_rep_a, by=admin)
    company_of_rep_a.refresh_from_db()
    assert company_of_rep_a.deleted_at is None
    assert _company_ids(rep_a, "山田") == [company_of_rep_a.pk]


def test_contact_delete_and_restore(rep_a, admin, contact_of_rep_a):
    # when
    services.contact_delete(contact=contact_of_rep_a, by=rep_a)
    # then
    assert _contact_ids(rep_a) == []
    assert _contact_ids(rep_a, "田中") == []
    with pytest.raises(PermissionDenied):
        services.contact_restore(contact=contact_of_rep_a, by=rep_a)
    services.contact_restore(contact=contact_of_rep_a, by=admin)
    assert _contact_ids(rep_a, "田中") == [contact_of_rep_a.pk]


# Handover


def test_handover_changes_owner_and_team_and_tells_the_new_owner(rep_a, rep_b, company_of_rep_a):
    # when
    services.company_change_owner(company=company_of_rep_a, new_owner=rep_b, by=rep_a, reason="大阪へ移管")
    # then
    company_of_rep_a.refresh_from_db()
    assert (company_of_rep_a.owner, company_of_rep_a.team, company_of_rep_a.version) == (rep_b, rep_b.team, 2)
    handover = CompanyHandover.objects.get(company=company_of_rep_a)
    assert (handover.from_owner, handover.to_owner, handover.by, handover.reason) == (
        rep_a,
        rep_b,
        rep_a,
        "大阪へ移管",
    )
    notification = Notification.objects.get(recipient=rep_b)
    assert (notification.kind, notification.body) == ("company.owner_changed", "大阪へ移管")
    assert notification.url == company_of_rep_a.get_absolute_url()
    entry = AuditEntry.objects.get(
        object_id=company_of_rep_a.pk, object_type="customers.company", action="handover"
    )
    assert entry.note == "大阪へ移管"
    assert entry.changes == {"owner": [rep_a.pk, rep_b.pk], "team": [rep_a.team_id, rep_b.team_id]}


def test_handover_to_the_current_owner_is_refused(rep_a, company_of_rep_a):
    # when
    with pytest.raises(ValidationError) as exc:
        services.company_change_owner(company=company_of_rep_a, new_owner=rep_a, by=rep_a)
    # then
    assert set(exc.value.message_dict) == {"owner"}
    assert not CompanyHandover.objects.exists()


def test_handover_by_someone_who_cannot_edit_is_refused(rep_a2, rep_b, company_of_rep_a):
    # when
    with pytest.raises(PermissionDenied):
        services.company_change_owner(company=company_of_rep_a, new_owner=rep_b, by=rep_a2)
    # then
    company_of_rep_a.refresh_from_db()
    assert company_of_rep_a.owner_id != rep_b.pk
    assert not CompanyHandover.objects.exists()
    assert not Notification.objects.exists()


# Contacts


def test_contact_create_normalizes_and_opens_an_affiliation(rep_a, company_of_rep_a):
    # when
    contact = services.contact_create(
        by=rep_a,
        data={
            "family_name": "田中",
            "given_name": "一郎",
            "family_name_kana": "ﾀﾅｶ",
            "given_name_kana": "いちろう",
            "company": company_of_rep_a.pk,
            "department": "営業部",
            "mobile_phone": "090-1234-5678",
            "birthday": "１９８０/０４/０１",
        },
    )
    # then
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.family_name_kana, contact.given_name_kana) == ("タナカ", "イチロウ")
    assert contact.mobile_phone == "+819012345678"
    assert contact.birthday == dt.date(1980, 4, 1)
    assert (contact.name_key, contact.kana_key) == ("田中一郎", "たなかいちろう")
    [affiliation] = ContactAffiliation.objects.filter(contact=contact)
    assert (affiliation.company, affiliation.company_name, affiliation.department, affiliation.ended_on) == (
        company_of_rep_a,
        "株式会社山田商事",
        "営業部",
        None,
    )


def test_contact_moving_company_keeps_the_earlier_affiliation(rep_a, company_of_rep_a):
    # given
    new_company = CompanyFactory(name="川口物産", owner=rep_a)
    contact = services.contact_create(by=rep_a, data={"family_name": "田中", "company": company_of_rep_a.pk})
    # when
    services.contact_update(contact=contact, by=rep_a, data={"company": new_company.pk, "title": "課長"})
    # then
    today = timezone.localdate()
    rows = list(ContactAffiliation.objects.filter(contact=contact).order_by("id"))
    assert [(a.company_id, a.company_name, a.title, a.started_on, a.ended_on) for a in rows] == [
        (company_of_rep_a.pk, "株式会社山田商事", "", today, today),
        (new_company.pk, "川口物産", "課長", today, None),
    ]


def test_opting_in_needs_the_consent_method(rep_a, contact_of_rep_a):
    # when
    with pytest.raises(ValidationError) as exc:
        services.contact_update(contact=contact_of_rep_a, by=rep_a, data={"mail_consent": "opted_in"})
    # then
    assert set(exc.value.message_dict) == {"mail_consent_method"}
    contact_of_rep_a.refresh_from_db()
    assert (contact_of_rep_a.mail_consent, contact_of_rep_a.mail_consent_at) == ("unknown", None)


def test_opting_in_records_when(rep_a, contact_of_rep_a):
    # given
    before = timezone.now()
    # when
    services.contact_update(
        contact=contact_of_rep_a,
        by=rep_a,
        data={"mail_consent": "opted_in", "mail_consent_method": "business_card"},
    )
    # then
    contact_of_rep_a.refresh_from_db()
    assert (contact_of_rep_a.mail_consent, contact_of_rep_a.mail_consent_method) == (
        "opted_in",
        "business_card",
    )
    assert before <= contact_of_rep_a.mail_consent_at <= timezone.now()


def test_company_rename_reindexes_its_contacts(rep_a, company_of_rep_a, contact_of_rep_a):
    # when
    services.company_update(company=company_of_rep_a, by=rep_a, data={"name": "川口物産"})
    # then
    assert _contact_ids(rep_a, "川口物産") == [contact_of_rep_a.pk]
    assert _contact_ids(rep_a, "山田商事") == []


def test_company_rename_leaves_trashed_contacts_out_of_search(
    rep_a, admin, company_of_rep_a, contact_of_rep_a
):
    # given
    services.contact_delete(contact=contact_of_rep_a, by=rep_a)
    # when
    services.company_update(company=company_of_rep_a, by=rep_a, data={"name": "川口物産"})
    # then
    assert not SearchDocument.objects.filter(object_type="contact", object_id=contact_of_rep_a.pk).exists()


def test_contact_update_with_stale_version_is_refused(rep_a, contact_of_rep_a):
    # given
    services.contact_update(contact=contact_of_rep_a, by=rep_a, data={"title": "部長"}, seen_version=1)
    # when
    with pytest.raises(VersionConflict) as exc:
        services.contact_update(contact=contact_of_rep_a, by=rep_a, data={"title": "課長"}, seen_version=1)
    # then
    assert exc.value.changed_fields == {"title": ["", "部長"]}
    contact_of_rep_a.refresh_from_db()
    assert (contact_of_rep_a.title, contact_of_rep_a.version) == ("部長", 2)


def test_contact_cannot_join_a_trashed_company(rep_a, company_of_rep_a):
    # given
    services.company_delete(company=company_of_rep_a, by=rep_a)
    # when
    with pytest.raises(ValidationError) as exc:
        services.contact_create(by=rep_a, data={"family_name": "田中", "company": company_of_rep_a.pk})
    # then
    assert set(exc.value.message_dict) == {"company"}
    assert Contact.objects.count() == 0


def test_contact_factory_and_service_agree_on_keys(rep_a):
    # when
    made = ContactFactory(
        family_name="田中", given_name="一郎", family_name_kana="タナカ", given_name_kana="", owner=rep_a
    )
    # then
    assert (made.name_key, made.kana_key) == ("田中一郎", "たなか")


def test_half_width_kana_in_names_is_stored_full_width(rep_a):
    # when
    company = services.company_create(
        by=rep_a, data={"name": "髙橋ﾒﾀﾙ工業(株)", "representative": "ｽｽﾞｷ 一郎"}
    )
    contact_data = {"family_name": "ﾔﾏﾀﾞ", "given_name": "Ken", "department": "ｴｲｷﾞｮｳ部", "company": company.pk}
    contact = services.contact_create(by=rep_a, data=contact_data)
    # then
    assert (company.name, company.legal_form) == ("髙橋メタル工業", "kk")
    assert company.legal_form_position == "after"
    assert company.representative == "スズキ 一郎"
    assert (contact.family_name, contact.given_name, contact.department) == ("ヤマダ", "Ken", "エイギョウ部")
