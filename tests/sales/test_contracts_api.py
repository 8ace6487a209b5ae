"""Contracts over JSON: list (scope, filters, query count), create, patch, renewal deal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from daifuku.core.services import token_create
from daifuku.sales.models import Contract
from tests.factories import TeamFactory, UserFactory
from tests.sales.factories import ContractFactory, DealFactory, stage_named

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese():
    """Messages are asserted in Japanese, whatever language an earlier test's request left active."""
    with translation.override("ja"):
        yield


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def test_list_answers_visible_contracts_in_pages(rep_a, rep_b):
    # given
    mine = [ContractFactory(owner=rep_a) for _ in range(3)]
    ContractFactory(owner=rep_b)
    client = bearer(rep_a)
    # when
    first = client.get("/api/v1/contracts", {"limit": 2}).json()
    second = client.get("/api/v1/contracts", {"limit": 2, "cursor": first["next_cursor"]}).json()
    # then
    assert [c["id"] for c in first["items"]] == [mine[0].pk, mine[1].pk]
    assert [c["id"] for c in second["items"]] == [mine[2].pk]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("rows", [3, 12])
def test_list_query_count_does_not_grow_with_rows(admin, rows, django_assert_num_queries):
    # given
    owners = [UserFactory(role="sales_rep", team=TeamFactory()) for _ in range(3)]
    for n in range(rows):
        ContractFactory(owner=owners[n % 3])
    client = bearer(admin)
    # when
    with django_assert_num_queries(5):
        response = client.get("/api/v1/contracts", {"limit": 50})
    # then
    assert len(response.json()["items"]) == rows


def test_create_patch_and_renewal_deal(rep_a, company_of_rep_a):
    # given
    client = bearer(rep_a)
    # when
    created = client.post(
        "/api/v1/contracts",
        {
            "title": "保守",
            "company": company_of_rep_a.pk,
            "starts_on": "2026-04-01",
            "ends_on": "2027-03-31",
            "notice_days": 30,
            "lines": [{"description": "保守", "quantity": "12", "unit_price": "5000"}],
        },
        content_type="application/json",
    )
    body = created.json()
    patched = client.patch(
        f"/api/v1/contracts/{body['id']}",
        {"version": 1, "notes": "更新予定"},
        content_type="application/json",
    )
    renewal = client.post(f"/api/v1/contracts/{body['id']}/renewal-deal")
    again = client.post(f"/api/v1/contracts/{body['id']}/renewal-deal")
    # then
    assert created.status_code == 201
    assert (body["amount"], body["owner"]["id"], body["lines"][0]["description"]) == (
        "60000.00",
        rep_a.pk,
        "保守",
    )
    assert (patched.status_code, patched.json()["notes"], patched.json()["version"]) == (200, "更新予定", 2)
    assert renewal.status_code == 201
    assert renewal.json()["name"] == "保守（更新）"
    assert renewal.json()["expected_close_date"] == "2027-03-01"
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "renewal_deal"


def test_create_from_a_won_deal_and_refuse_copied_fields(rep_a, company_of_rep_a):
    # given
    deal = DealFactory(
        owner=rep_a, company=company_of_rep_a, stage=stage_named("受注"), amount=Decimal("500000")
    )
    client = bearer(rep_a)
    # when
    refused = client.post(
        "/api/v1/contracts", {"deal": deal.pk, "amount": "1"}, content_type="application/json"
    )
    created = client.post(
        "/api/v1/contracts", {"deal": deal.pk, "ends_on": "2027-03-31"}, content_type="application/json"
    )
    # then
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "amount", "message": "商談から作成する契約では指定できません。"}
    ]
    assert created.status_code == 201
    assert (created.json()["deal_id"], created.json()["amount"]) == (deal.pk, "500000.00")


def test_invisible_contract_is_404_and_patch_is_refused_without_change(rep_a, rep_a2, rep_b):
    # given
    contract = ContractFactory(owner=rep_a, title="保守", ends_on=dt.date(2027, 3, 31))
    # when
    hidden = bearer(rep_b).get(f"/api/v1/contracts/{contract.pk}")
    denied = bearer(rep_a2).patch(
        f"/api/v1/contracts/{contract.pk}", {"version": 1, "title": "横取り"}, content_type="application/json"
    )
    # then
    assert hidden.status_code == 404
    assert denied.status_code == 403
    assert Contract.objects.get(pk=contract.pk).title == "保守"


def test_patch_with_an_old_version_is_a_conflict(rep_a):
    # given
    contract = ContractFactory(owner=rep_a, title="保守")
    client = bearer(rep_a)
    client.patch(
        f"/api/v1/contracts/{contract.pk}", {"version": 1, "title": "保守2"}, content_type="application/json"
    )
    # when
    response = client.patch(
        f"/api/v1/contracts/{contract.pk}", {"version": 1, "title": "保守3"}, content_type="application/json"
    )
    # then
    assert response.status_code == 409
    assert response.json()["changed_fields"] == {"title": ["保守", "保守2"]}
