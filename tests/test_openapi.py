"""The API's OpenAPI document and its Swagger UI page (served from bundled files, no CDN)."""

import re
import typing

import pytest
from django.test import Client

from daifuku.customers import schemas, selectors

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/me": {"get"},
    "/api/v1/companies": {"get", "post"},
    "/api/v1/companies/{company_id}": {"get", "patch", "delete"},
    "/api/v1/companies/{company_id}/handover": {"post"},
    "/api/v1/companies/{company_id}/timeline": {"get"},
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/activities": {"get", "post"},
    "/api/v1/activities/{activity_id}": {"get", "patch", "delete"},
    "/api/v1/tasks": {"get", "post"},
    "/api/v1/tasks/{task_id}": {"get", "patch", "delete"},
    "/api/v1/tasks/{task_id}/complete": {"post"},
    "/api/v1/events": {"get", "post"},
    "/api/v1/events/import": {"post"},
    "/api/v1/events/{event_id}": {"get", "patch", "delete"},
    "/api/v1/daily-reports": {"get", "post"},
    "/api/v1/daily-reports/{report_id}": {"get"},
    "/api/v1/daily-reports/{report_id}/comments": {"post"},
    "/api/v1/daily-reports/{report_id}/read": {"post"},
    "/api/v1/daily-reports/{report_id}/submit": {"post"},
    "/api/v1/imports/jobs/{job_id}": {"get"},
    "/api/v1/imports/merge": {"post"},
    "/api/v1/imports/merges/{merge_id}/undo": {"post"},
    "/api/v1/imports/resolve/{object_type}/{object_id}": {"get"},
    "/api/v1/products": {"get", "post"},
    "/api/v1/products/{product_id}": {"delete", "get", "patch"},
    "/api/v1/products/{product_id}/price": {"get"},
    "/api/v1/product-categories": {"get"},
    "/api/v1/currencies": {"get"},
    "/api/v1/exchange-rates": {"get", "post"},
    "/api/v1/leads": {"get", "post"},
    "/api/v1/leads/{lead_id}": {"delete", "get", "patch"},
    "/api/v1/leads/{lead_id}/assign": {"post"},
    "/api/v1/leads/{lead_id}/status": {"post"},
    "/api/v1/leads/{lead_id}/candidates": {"get"},
    "/api/v1/leads/{lead_id}/convert": {"post"},
    "/api/v1/deals": {"get", "post"},
    "/api/v1/deals/{deal_id}": {"delete", "get", "patch"},
    "/api/v1/deals/{deal_id}/stage": {"post"},
    "/api/v1/deals/{deal_id}/won": {"post"},
    "/api/v1/deals/{deal_id}/lost": {"post"},
    "/api/v1/pipelines": {"get"},
    "/api/v1/pipelines/{pipeline_id}/stages": {"get"},
    "/api/v1/quotes": {"get"},
    "/api/v1/deals/{deal_id}/quotes": {"post"},
    "/api/v1/quotes/{quote_id}": {"get", "patch"},
    "/api/v1/quotes/{quote_id}/issue": {"post"},
    "/api/v1/quotes/{quote_id}/send": {"post"},
    "/api/v1/quotes/{quote_id}/accept": {"post"},
    "/api/v1/quotes/{quote_id}/reject": {"post"},
    "/api/v1/quotes/{quote_id}/revise": {"post"},
    "/api/v1/quotes/{quote_id}/pdf": {"get"},
    "/api/v1/contracts": {"get", "post"},
    "/api/v1/contracts/{contract_id}": {"delete", "get", "patch"},
    "/api/v1/contracts/{contract_id}/renewal-deal": {"post"},
    "/api/v1/contracts/{contract_id}/cancel": {"post"},
    "/api/v1/competitors": {"get", "post"},
    "/api/v1/competitors/stats": {"get"},
    "/api/v1/competitors/{competitor_id}": {"get", "patch"},
    "/api/v1/deals/{deal_id}/competitors": {"get", "post"},
    "/api/v1/deals/{deal_id}/competitors/{competitor_id}": {"delete"},
    "/api/v1/targets": {"get", "put"},
    "/api/v1/forecast": {"get"},
    "/api/v1/forecast/snapshots": {"get"},
}


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document, ref):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_openapi_document_lists_the_endpoints():
    # when
    response = Client().get("/api/v1/openapi.json")
    # then
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Daifuku API"
    found = {path: set(ops) for path, ops in document["paths"].items()}
    assert found == ENDPOINTS


def test_openapi_document_is_internally_consistent():
    # given
    document = Client().get("/api/v1/openapi.json").json()
    # when
    refs = set(_refs(document))
    # then: every reference resolves, every operation has an id, responses and security
    for ref in refs:
        assert isinstance(_resolve(document, ref), dict), ref
    operation_ids = []
    for ops in document["paths"].values():
        for operation in ops.values():
            operation_ids.append(operation["operationId"])
            assert operation["responses"]
            assert operation["security"] == [{"BearerToken": []}, {"SessionAuth": []}]
    assert len(operation_ids) == len(set(operation_ids))
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


def test_openapi_documents_error_shapes_and_list_parameters():
    # given
    document = Client().get("/api/v1/openapi.json").json()
    # when
    listing = document["paths"]["/api/v1/companies"]["get"]
    patch = document["paths"]["/api/v1/companies/{company_id}"]["patch"]
    # then
    params = {p["name"] for p in listing["parameters"]}
    assert params == {
        "q",
        "owner",
        "team",
        "status",
        "rank",
        "industry",
        "prefecture",
        "tag",
        "sort",
        "limit",
        "cursor",
    }
    assert set(patch["responses"]) == {"200", "403", "404", "409", "422"}
    assert "ValidationErrorOut" in document["components"]["schemas"]


def test_sort_choices_match_the_selectors():
    # then
    assert list(typing.get_args(schemas.SortKey)) == list(selectors.COMPANY_SORTS)


def test_docs_page_uses_only_bundled_files():
    # when
    response = Client().get("/api/v1/docs")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets
    assert not [url for url in assets if re.match(r"(https?:)?//", url)]
    assert not re.search(r"https?://", html)
    for url in assets:
        assert url.startswith("/static/ninja/"), url
        assert Client().get(url).status_code == 200, url
