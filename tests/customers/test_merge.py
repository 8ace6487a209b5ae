"""名寄せ: merging moves every related row to the survivor, leaves a tombstone, and can be undone."""

import pytest
from django.core.exceptions import PermissionDenied

from daifuku.core.models import AuditEntry
from daifuku.customers import merge
from daifuku.customers.models import Company, CompanyHandover, Contact, ContactAffiliation, Tag
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _pair(owner):
    survivor = CompanyFactory(name="山田商事", legal_form="kk", phone="+81312345678", email="", owner=owner)
    merged = CompanyFactory(name="ヤマダ商事", email="info@yamada.example.jp", owner=owner)
    return survivor, merged


def test_merge_moves_related_records_and_leaves_a_tombstone(admin):
    # given
    survivor, merged = _pair(admin)
    contact = ContactFactory(company=merged, owner=admin)
    affiliation = ContactAffiliation.objects.create(
        contact=contact, company=merged, company_name="ヤマダ商事"
    )
    child = CompanyFactory(name="子会社", parent=merged, owner=admin)
    handover = CompanyHandover.objects.create(company=merged, to_owner=admin, by=admin)
    tag = Tag.objects.create(name="重要")
    merged.tags.add(tag)
    # when
    merge.merge(object_type="company", survivor=survivor, merged=merged, by=admin, values={"name": "merged"})
    # then
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert (survivor.name, survivor.email, survivor.phone) == (
        "ヤマダ商事",
        "info@yamada.example.jp",
        "+81312345678",
    )
    assert Contact.objects.get(pk=contact.pk).company_id == survivor.pk
    assert ContactAffiliation.objects.get(pk=affiliation.pk).company_id == survivor.pk
    assert Company.objects.get(pk=child.pk).parent_id == survivor.pk
    assert CompanyHandover.objects.get(pk=handover.pk).company_id == survivor.pk
    assert list(survivor.tags.values_list("name", flat=True)) == ["重要"]
    assert merged.merged_into_id == survivor.pk
    assert merged.deleted_at is not None
    assert merge.survivor_pk("company", merged.pk) == survivor.pk
    assert merge.survivor_pk("company", survivor.pk) is None
    assert AuditEntry.objects.filter(object_id=survivor.pk, action="merge").count() == 1
    assert AuditEntry.objects.filter(object_id=merged.pk, action="merged").count() == 1


def test_undo_merge_puts_everything_back(admin):
    # given
    from daifuku.imports.models import MergeRecord

    survivor, merged = _pair(admin)
    contact = ContactFactory(company=merged, owner=admin)
    merge.merge(object_type="company", survivor=survivor, merged=merged, by=admin)
    record = MergeRecord.objects.get()
    # when
    merge.merge_undo(record=record, by=admin)
    # then
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert survivor.email == ""
    assert (merged.merged_into_id, merged.deleted_at) == (None, None)
    assert Contact.objects.get(pk=contact.pk).company_id == merged.pk


def test_rep_cannot_merge_a_teammates_company(rep_a, rep_a2):
    # given
    survivor = CompanyFactory(name="甲", owner=rep_a)
    other = CompanyFactory(name="乙", owner=rep_a2)
    # when
    with pytest.raises(PermissionDenied):
        merge.merge(object_type="company", survivor=survivor, merged=other, by=rep_a)
    # then
    other.refresh_from_db()
    assert (other.merged_into_id, other.deleted_at) == (None, None)


def test_finder_groups_exact_keys_and_similar_names(admin):
    # given
    a = CompanyFactory(name="山田商事", corporate_number="7123456789012", owner=admin)
    b = CompanyFactory(name="山田商事", owner=admin)
    c = CompanyFactory(name="サンプル電機工業所", owner=admin)
    d = CompanyFactory(name="サンプル電機工業", owner=admin)
    CompanyFactory(name="まったく別", owner=admin)
    # when
    groups = merge.find_duplicates(user=admin, object_type="company")
    # then
    found = [(g.reason, g.score, sorted(r.pk for r in g.records)) for g in groups]
    assert found[0] == ("会社名（正規化）が同じ", 95, sorted([a.pk, b.pk]))
    assert found[1][2] == sorted([c.pk, d.pk])
    assert 88 <= found[1][1] < 100
    assert len(found) == 2


def test_resolve_view_redirects_an_old_id_to_the_survivor(client, admin):
    survivor, merged = _pair(admin)
    merge.merge(object_type="company", survivor=survivor, merged=merged, by=admin)
    client.force_login(admin)
    response = client.get(f"/imports/resolve/company/{merged.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/companies/{survivor.pk}/"


def test_merge_and_resolve_through_the_api(client, admin):
    # given
    survivor, merged = _pair(admin)
    client.force_login(admin)
    # when
    response = client.post(
        "/api/v1/imports/merge",
        {"object_type": "company", "survivor_id": survivor.pk, "merged_id": merged.pk},
        content_type="application/json",
    )
    # then
    assert response.status_code == 200
    assert response.json()["survivor_id"] == survivor.pk
    resolved = client.get(f"/api/v1/imports/resolve/company/{merged.pk}")
    assert resolved.json() == {"object_type": "company", "id": survivor.pk}
    undo = client.post(f"/api/v1/imports/merges/{response.json()['merge_id']}/undo")
    assert undo.status_code == 200
    assert Company.objects.get(pk=merged.pk).merged_into_id is None


def test_old_detail_url_and_api_id_lead_to_the_survivor(client, admin):
    # given
    survivor, merged = _pair(admin)
    merge.merge(object_type="company", survivor=survivor, merged=merged, by=admin)
    client.force_login(admin)
    # when
    page = client.get(f"/customers/companies/{merged.pk}/")
    api = client.get(f"/api/v1/companies/{merged.pk}")
    # then
    assert page.status_code == 302
    assert page["Location"] == f"/customers/companies/{survivor.pk}/"
    assert api.status_code == 200
    assert api.json()["id"] == survivor.pk


def test_old_id_of_an_invisible_survivor_stays_not_found(client, admin, rep_b):
    # given: the survivor belongs to admin's team, which rep_b (another team) cannot see
    survivor, merged = _pair(admin)
    merge.merge(object_type="company", survivor=survivor, merged=merged, by=admin)
    client.force_login(rep_b)
    # when
    page = client.get(f"/customers/companies/{merged.pk}/")
    api = client.get(f"/api/v1/companies/{merged.pk}")
    # then
    assert page.status_code == 404
    assert api.status_code == 404
