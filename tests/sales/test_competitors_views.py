"""Competitor pages and API: list with figures (query count), detail, manager-only editing, the deal's
competitor panel (htmx add/remove), the API, and the English list."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from daifuku.core.services import token_create
from daifuku.sales.models import Competitor, DealCompetitor
from tests.factories import TeamFactory, UserFactory
from tests.sales.factories import CompetitorFactory, DealFactory, stage_named
from tests.web.test_i18n import japanese_left

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese():
    """Messages are asserted in Japanese, whatever language an earlier test's request left active."""
    with translation.override("ja"):
        yield


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


@pytest.fixture
def contest(rep_a, rep_b):
    competitor = CompetitorFactory(name="ライバル製作所")
    for stage, offer in [("受注", Decimal("900000")), ("失注", Decimal("1100000")), ("提案", None)]:
        DealCompetitor.objects.create(
            deal=DealFactory(owner=rep_a, stage=stage_named(stage)), competitor=competitor, offer_price=offer
        )
    DealCompetitor.objects.create(
        deal=DealFactory(owner=rep_b, stage=stage_named("受注")), competitor=competitor
    )
    return competitor


def test_list_shows_figures_over_visible_deals(client, rep_a, contest):
    # given
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:competitor_list")).content.decode()
    # then
    row = html[html.index(f'data-competitor-id="{contest.pk}"') :]
    assert '<td class="text-end" data-deals>3</td>' in row
    assert '<td class="text-end" data-won>1</td>' in row
    assert '<td class="text-end" data-win-rate>50.0%</td>' in row
    assert "1,000,000" in row


@pytest.mark.parametrize("competitors", [2, 10])
def test_list_query_count_does_not_grow(client, admin, competitors, django_assert_num_queries):
    # given
    owner = UserFactory(role="sales_rep", team=TeamFactory())
    for n in range(competitors):
        DealCompetitor.objects.create(
            deal=DealFactory(owner=owner), competitor=CompetitorFactory(name=f"競合{n}")
        )
    client.force_login(admin)
    client.get(reverse("sales:competitor_list"))  # warm the session
    # when
    with django_assert_num_queries(6):
        response = client.get(reverse("sales:competitor_list"))
    # then
    assert response.content.decode().count("data-competitor-id=") == competitors


def test_detail_lists_only_visible_deals(client, rep_a, contest):
    # given
    client.force_login(rep_a)
    # when
    html = client.get(reverse("sales:competitor_detail", args=[contest.pk])).content.decode()
    # then
    assert html.count("data-deal-id=") == 3


def test_only_managers_may_open_the_form(client, rep_a, manager_a):
    # given
    client.force_login(rep_a)
    denied = client.get(reverse("sales:competitor_create"))
    client.force_login(manager_a)
    # when
    response = client.post(reverse("sales:competitor_create"), {"name": "新興ソフト", "is_active": "on"})
    # then
    assert denied.status_code == 403
    competitor = Competitor.objects.get(name="新興ソフト")
    assert response["Location"] == reverse("sales:competitor_detail", args=[competitor.pk])


def test_deal_panel_adds_and_removes_over_htmx(client, rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    competitor = CompetitorFactory(name="ライバル製作所")
    client.force_login(rep_a)
    # when
    added = client.post(
        reverse("sales:deal_competitor_add", args=[deal.pk]),
        {"competitor": competitor.pk, "offer_price": "1,200,000", "notes": "保守込み"},
        HTTP_HX_REQUEST="true",
    )
    # then
    assert added.status_code == 200
    assert "ライバル製作所" in added.content.decode() and "1,200,000" in added.content.decode()
    assert DealCompetitor.objects.get(deal=deal).offer_price == Decimal("1200000")
    removed = client.post(reverse("sales:deal_competitor_remove", args=[deal.pk, competitor.pk]))
    assert removed.status_code == 200
    assert not DealCompetitor.objects.exists()


def test_deal_panel_bad_price_answers_422_and_saves_nothing(client, rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    competitor = CompetitorFactory()
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("sales:deal_competitor_add", args=[deal.pk]),
        {"competitor": competitor.pk, "offer_price": "安い"},
    )
    # then
    assert response.status_code == 422
    assert "数値を入力してください。" in response.content.decode()
    assert not DealCompetitor.objects.exists()


def test_deal_panel_is_read_only_for_a_teammate_and_posting_is_refused(client, rep_a, rep_a2):
    # given
    deal = DealFactory(owner=rep_a)
    competitor = CompetitorFactory()
    client.force_login(rep_a2)
    # when
    panel = client.get(reverse("sales:deal_competitors", args=[deal.pk])).content.decode()
    response = client.post(
        reverse("sales:deal_competitor_add", args=[deal.pk]), {"competitor": competitor.pk}
    )
    # then
    assert "data-deal-competitor-form" not in panel
    assert response.status_code == 403
    assert not DealCompetitor.objects.exists()


def test_deal_partial_loads_the_panel(rep_a):
    # given
    from django.template.loader import render_to_string

    deal = DealFactory(owner=rep_a)
    # when
    html = render_to_string("sales/competitors/_deal_competitors.html", {"deal": deal})
    # then
    assert f'hx-get="{reverse("sales:deal_competitors", args=[deal.pk])}"' in html


# API


def test_api_stats_and_deal_links(rep_a, rep_b, contest):
    # given
    deal = DealFactory(owner=rep_a)
    client = bearer(rep_a)
    # when
    stats = client.get("/api/v1/competitors/stats").json()
    added = client.post(
        f"/api/v1/deals/{deal.pk}/competitors",
        {"competitor": contest.pk, "offer_price": "500000", "notes": "安値"},
        content_type="application/json",
    )
    denied = bearer(rep_b).delete(f"/api/v1/deals/{deal.pk}/competitors/{contest.pk}")
    removed = client.delete(f"/api/v1/deals/{deal.pk}/competitors/{contest.pk}")
    # then
    assert stats == [
        {
            "competitor": {
                "id": contest.pk, "name": "ライバル製作所", "website": "", "strengths": "価格が安い",
                "weaknesses": "サポートが弱い", "products": "", "notes": "", "is_active": True,
            },
            "deals": 3, "won": 1, "lost": 1, "open": 1, "win_rate": "50.0", "average_offer_price": "1000000",
        }
    ]  # fmt: skip
    assert added.status_code == 200
    assert added.json()["offer_price"] == "500000"
    assert denied.status_code == 404
    assert removed.status_code == 204


@pytest.mark.parametrize("competitors", [2, 10])
def test_api_stats_query_count(admin, competitors, django_assert_num_queries):
    # given
    for n in range(competitors):
        DealCompetitor.objects.create(deal=DealFactory(), competitor=CompetitorFactory(name=f"競合{n}"))
    client = bearer(admin)
    # when
    with django_assert_num_queries(5):
        response = client.get("/api/v1/competitors/stats")
    # then
    assert len(response.json()) == competitors


def test_api_rep_cannot_create_a_competitor(rep_a):
    # when
    response = bearer(rep_a).post("/api/v1/competitors", {"name": "新興"}, content_type="application/json")
    # then
    assert response.status_code == 403
    assert not Competitor.objects.exists()


def test_competitor_list_in_english(client, contest):
    # given
    user = UserFactory(
        username="sam",
        last_name="Young",
        first_name="Sam",
        role="manager",
        team=TeamFactory(name="Tokyo Sales"),
        language="en",
    )
    Competitor.objects.filter(pk=contest.pk).update(name="Rival Inc.", strengths="Cheap", weaknesses="Slow")
    client.force_login(user)
    # when
    html = client.get(reverse("sales:competitor_list")).content.decode()
    # then
    assert "Win rate" in html and "+ New competitor" in html
    assert japanese_left(html) == []
