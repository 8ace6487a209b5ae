"""Deals, issued quotes and contracts on the company timeline, under their own visibility scopes."""

import pytest

from daifuku.activities import selectors as activity_selectors
from daifuku.activities.models import TimelineEntry
from daifuku.core.models import Role, RoleScope
from daifuku.core.services import profile_get
from daifuku.sales.services import contracts, deals, quotes

pytestmark = pytest.mark.django_db


def _kinds(company):
    return list(
        TimelineEntry.objects.filter(company=company)
        .order_by("id")
        .values_list("kind", "title", "object_type")
    )


def test_a_deal_created_and_won_and_its_contract_appear_on_the_company_timeline(rep_a, company_of_rep_a):
    # given
    deal = deals.deal_create(
        by=rep_a, data={"name": "複合機入替", "company": company_of_rep_a.pk, "amount": "1,200,000"}
    )
    # when
    deals.deal_mark_won(deal=deal, by=rep_a)
    contract = contracts.contract_create_from_deal(deal=deal, by=rep_a, data={"starts_on": "2026-12-01"})
    # then
    assert _kinds(company_of_rep_a) == [
        ("deal.created", "複合機入替", "deal"),
        ("deal.won", "複合機入替", "deal"),
        ("contract.created", f"{contract.number} 複合機入替", "contract"),
    ]
    won = TimelineEntry.objects.get(kind="deal.won")
    assert won.data == {"url": f"/sales/deals/{deal.pk}/", "amount": "¥1,200,000"}
    assert (won.owner_id, won.team_id, won.actor_id) == (rep_a.pk, rep_a.team_id, rep_a.pk)


def test_a_lost_deal_says_why_and_a_trashed_deal_leaves_the_timeline(rep_a, company_of_rep_a):
    # given
    deal = deals.deal_create(by=rep_a, data={"name": "保守更新", "company": company_of_rep_a.pk})
    deals.deal_mark_lost(deal=deal, by=rep_a, reason="price", note="他社が2割安い")
    lost = TimelineEntry.objects.get(kind="deal.lost")
    assert lost.summary == "価格 / 他社が2割安い"
    # when
    deals.deal_trash(deal=deal, by=rep_a)
    # then
    assert _kinds(company_of_rep_a) == []


def test_an_issued_quote_is_on_the_timeline_with_its_total(rep_a, company_of_rep_a):
    # given
    profile = profile_get()
    profile.name = "大福商事株式会社"
    profile.save()
    deal = deals.deal_create(
        by=rep_a,
        data={
            "name": "弁当",
            "company": company_of_rep_a.pk,
            "lines": [{"description": "弁当", "quantity": 10, "unit_price": 540, "tax_category": "reduced"}],
        },
    )
    quote = quotes.quote_create_from_deal(deal=deal, by=rep_a)
    # when
    quotes.quote_issue(quote=quote, by=rep_a)
    # then
    row = TimelineEntry.objects.get(kind="quote.issued")
    assert (row.title, row.object_type, row.data["amount"]) == (f"{quote.number} 弁当", "quote", "¥5,832")


def test_deal_rows_follow_the_deal_scope_of_the_reader(rep_a, company_of_rep_a, team_b):
    # given: support may read every company but, here, no deals
    from tests.factories import UserFactory

    RoleScope.objects.filter(role=Role.objects.get(slug="support_agent"), object_type="deal").update(
        read_scope="none", edit_scope="none"
    )
    support = UserFactory(username="support_b", role="support_agent", team=team_b)
    deals.deal_create(by=rep_a, data={"name": "極秘案件", "company": company_of_rep_a.pk})
    # when
    own, _cursor = activity_selectors.timeline_page(user=rep_a, company=company_of_rep_a)
    others, _cursor = activity_selectors.timeline_page(user=support, company=company_of_rep_a)
    # then
    assert [e.kind for e in own] == ["deal.created"]
    assert [e.kind for e in others] == []
