"""/api/v1/leads: list (visibility, unassigned queue, cursor, query count), create, patch, assign,
status, candidates and convert."""

import pytest
from django.test import Client

from daifuku.core.services import token_create
from daifuku.customers.models import Company
from daifuku.sales.models import Deal, Lead
from tests.factories import CompanyFactory
from tests.sales.factories import KeyedLeadFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def test_list_applies_visibility_and_the_managers_queue(manager_a, rep_a, rep_b):
    # given
    own = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    unassigned = KeyedLeadFactory()
    KeyedLeadFactory(owner=rep_b, team=rep_b.team)
    # when
    as_manager = bearer(manager_a).get("/api/v1/leads")
    as_rep = bearer(rep_a).get("/api/v1/leads")
    queue = bearer(manager_a).get("/api/v1/leads", {"unassigned": "true"})
    # then
    assert ids(as_manager) == [unassigned.pk, own.pk]
    assert ids(as_rep) == [own.pk]
    assert ids(queue) == [unassigned.pk]


def test_list_pages_with_a_cursor(admin):
    # given
    leads = [KeyedLeadFactory() for _ in range(5)]
    client = bearer(admin)
    # when
    first = client.get("/api/v1/leads", {"limit": 2})
    second = client.get("/api/v1/leads", {"limit": 2, "cursor": first.json()["next_cursor"]})
    third = client.get("/api/v1/leads", {"limit": 2, "cursor": second.json()["next_cursor"]})
    # then
    expected = [lead.pk for lead in reversed(leads)]
    assert ids(first) + ids(second) + ids(third) == expected
    assert third.json()["next_cursor"] is None


def test_list_query_count_is_constant(admin, rep_a, django_assert_num_queries):
    # given
    for _ in range(3):
        KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    client = bearer(admin)
    client.get("/api/v1/leads")
    # when / then: token with its user, scopes, rows (owner and team joined)
    with django_assert_num_queries(3):
        response = client.get("/api/v1/leads")
    assert len(ids(response)) == 3
    for _ in range(4):
        KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    with django_assert_num_queries(3):
        response = client.get("/api/v1/leads")
    assert len(ids(response)) == 7


def test_create_normalizes_and_runs_the_rules(rep_a):
    # when
    response = bearer(rep_a).post(
        "/api/v1/leads",
        {"company_name": "㈱山田商事", "family_name": "山田", "phone": "03-1234-5678", "owner_id": rep_a.pk},
        content_type=JSON,
    )
    # then
    assert response.status_code == 201
    body = response.json()
    lead = Lead.objects.get()
    assert (body["id"], body["phone"], body["owner"], body["status"]) == (
        lead.pk,
        "+81312345678",
        {"id": rep_a.pk, "name": rep_a.display_name},
        "new",
    )
    assert lead.company_name_key == "山田商事"


def test_create_reports_field_errors(rep_a):
    response = bearer(rep_a).post("/api/v1/leads", {"family_name": "山田", "email": "x"}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "email", "message": "メールアドレスの形式が正しくありません。"}
    ]
    assert Lead.objects.count() == 0


def test_patch_with_version(rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    client = bearer(rep_a)
    # when
    ok = client.patch(f"/api/v1/leads/{lead.pk}", {"need": "デモ希望", "version": 1}, content_type=JSON)
    stale = client.patch(f"/api/v1/leads/{lead.pk}", {"need": "資料のみ", "version": 1}, content_type=JSON)
    # then
    assert (ok.status_code, ok.json()["version"], ok.json()["need"]) == (200, 2, "デモ希望")
    assert stale.status_code == 409
    assert stale.json()["changed_fields"] == {"need": ["見積がほしい", "デモ希望"]}


def test_rep_gets_404_for_unassigned_and_403_for_a_teammates_lead(rep_a, rep_a2):
    # given
    unassigned = KeyedLeadFactory()
    teammate = KeyedLeadFactory(owner=rep_a2, team=rep_a2.team)
    client = bearer(rep_a)
    # when
    hidden = client.get(f"/api/v1/leads/{unassigned.pk}")
    denied = client.patch(f"/api/v1/leads/{teammate.pk}", {"need": "x", "version": 1}, content_type=JSON)
    # then
    assert hidden.status_code == 404
    assert denied.status_code == 403
    teammate.refresh_from_db()
    assert teammate.need == "見積がほしい"


def test_manager_assigns_and_rep_cannot(manager_a, rep_a, rep_a2):
    # given
    lead = KeyedLeadFactory()
    # when
    response = bearer(manager_a).post(
        f"/api/v1/leads/{lead.pk}/assign", {"owner_id": rep_a.pk}, content_type=JSON
    )
    denied = bearer(rep_a).post(f"/api/v1/leads/{lead.pk}/assign", {"owner_id": rep_a2.pk}, content_type=JSON)
    # then
    assert (response.status_code, response.json()["owner"]["id"]) == (200, rep_a.pk)
    assert denied.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == rep_a


def test_status_disqualify_needs_reason(rep_a):
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team)
    response = bearer(rep_a).post(
        f"/api/v1/leads/{lead.pk}/status", {"status": "disqualified"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "disqualify_reason", "message": "見込みなしの理由を選んでください。"}
    ]


def test_candidates_and_convert_with_the_found_company(rep_a):
    # given
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team, company_name="(株)山田商事", status="qualified")
    company = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="after", owner=rep_a)
    client = bearer(rep_a)
    # when
    candidates = client.get(f"/api/v1/leads/{lead.pk}/candidates")
    converted = client.post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"company_id": company.pk, "deal_name": "SFA導入", "deal_amount": "800000", "version": 1},
        content_type=JSON,
    )
    # then
    assert candidates.json() == {
        "companies": [{"id": company.pk, "name": "山田商事株式会社", "reason": "name"}],
        "contacts": [],
    }
    deal = Deal.objects.get()
    assert converted.status_code == 200
    assert (converted.json()["status"], converted.json()["converted_deal_id"]) == ("converted", deal.pk)
    assert Company.objects.count() == 1


def test_convert_errors_name_the_api_fields(rep_a, rep_b):
    lead = KeyedLeadFactory(owner=rep_a, team=rep_a.team, status="qualified")
    hidden = CompanyFactory(owner=rep_b)
    response = bearer(rep_a).post(
        f"/api/v1/leads/{lead.pk}/convert", {"company_id": hidden.pk}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "company_id", "message": "指定された取引先が見つかりません。"}
    ]
    assert Deal.objects.count() == 0
