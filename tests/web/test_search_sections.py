"""Global search beyond companies and contacts: deals, leads and products, each under its own scope."""

import pytest
from django.urls import reverse

from daifuku.catalog import services as catalog_services
from daifuku.sales.services import deals, leads

pytestmark = pytest.mark.django_db


def _search(client, user, q, name="web:search"):
    client.force_login(user)
    return client.get(reverse(name), {"q": q}).content.decode()


def test_search_finds_deals_leads_and_products(client, admin, rep_a, company_of_rep_a):
    # given
    deal = deals.deal_create(by=rep_a, data={"name": "複合機入替の件", "company": company_of_rep_a.pk})
    lead = leads.lead_create(
        by=rep_a,
        data={"company_name": "複合ソリューション株式会社", "family_name": "青木", "email": "a@example.jp"},
    )
    product = catalog_services.product_create(
        by=admin, data={"code": "MFP-01", "name": "複合機リース", "unit": "月", "unit_price": 18000}
    )
    # when
    html = _search(client, admin, "複合")
    # then
    assert f'href="/sales/deals/{deal.pk}/" data-result="deal"' in html
    assert f'href="/sales/leads/{lead.pk}/" data-result="lead"' in html
    assert f'href="/catalog/products/{product.pk}/" data-result="product"' in html
    assert "MFP-01 複合機リース" in html and "18,000 / 月" in html


def test_search_hides_deals_the_user_may_not_read(client, rep_a, rep_b, company_of_team_b):
    # given
    deals.deal_create(by=rep_b, data={"name": "大阪の極秘案件", "company": company_of_team_b.pk})
    # when
    html = _search(client, rep_a, "極秘")
    # then
    assert "大阪の極秘案件" not in html
    assert 'data-search-section="deal"' in html


def test_the_typeahead_shows_a_few_of_each_section(client, rep_a, company_of_rep_a):
    # given
    for n in range(5):
        deals.deal_create(by=rep_a, data={"name": f"更改案件{n}", "company": company_of_rep_a.pk})
    # when
    html = _search(client, rep_a, "更改", name="web:search_suggest")
    # then
    assert html.count("/sales/deals/") == 3


def test_an_empty_query_searches_no_section(client, rep_a):
    html = _search(client, rep_a, "  ")
    assert "data-search-section" not in html
