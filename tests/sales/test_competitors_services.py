"""Competitors: managed by managers/admins, linked to deals by whoever may edit the deal, and their
figures counted over the deals the user may see (one grouped query)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from daifuku.core import visibility
from daifuku.core.models import AuditEntry
from daifuku.sales.models import Competitor, DealCompetitor
from daifuku.sales.selectors import competitors as selectors
from daifuku.sales.services import competitors as services
from tests.sales.factories import CompetitorFactory, DealFactory, stage_named

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese():
    """Messages are asserted in Japanese, whatever language an earlier test's request left active."""
    with translation.override("ja"):
        yield


def test_manager_creates_and_edits_a_competitor(manager_a):
    # when
    competitor = services.competitor_create(
        by=manager_a,
        data={"name": "ライバル製作所", "website": "https://rival.example.jp", "strengths": "価格"},
    )
    services.competitor_update(
        competitor=competitor, by=manager_a, data={"weaknesses": "サポート", "is_active": False}
    )
    # then
    competitor.refresh_from_db()
    assert (competitor.name, competitor.weaknesses, competitor.is_active) == (
        "ライバル製作所",
        "サポート",
        False,
    )
    actions = list(
        AuditEntry.objects.filter(object_type="sales.competitor", object_id=competitor.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update"]


def test_rep_cannot_create_or_change_competitors(rep_a):
    # given
    competitor = CompetitorFactory(name="ライバル製作所")
    # when / then
    with pytest.raises(PermissionDenied):
        services.competitor_create(by=rep_a, data={"name": "新しい競合"})
    with pytest.raises(PermissionDenied):
        services.competitor_update(competitor=competitor, by=rep_a, data={"name": "改名"})
    assert list(Competitor.objects.values_list("name", flat=True)) == ["ライバル製作所"]


def test_duplicate_name_and_bad_website_are_named(admin):
    # given
    CompetitorFactory(name="ライバル製作所")
    # when
    with pytest.raises(ValidationError) as error:
        services.competitor_create(by=admin, data={"name": "ライバル製作所", "website": "rival.example.jp"})
    # then
    assert error.value.message_dict == {
        "name": ["競合「ライバル製作所」は既に登録されています。"],
        "website": ["Webサイトは http:// または https:// で始まるURLを入力してください。"],
    }


def test_competitor_on_deals_cannot_be_deleted(admin, rep_a):
    # given
    competitor = CompetitorFactory()
    services.deal_competitor_set(deal=DealFactory(owner=rep_a), competitor=competitor, by=admin)
    # when
    with pytest.raises(ValidationError):
        services.competitor_delete(competitor=competitor, by=admin)
    # then
    assert Competitor.objects.filter(pk=competitor.pk).exists()


def test_deal_owner_adds_updates_and_removes_a_competitor(rep_a):
    # given
    deal = DealFactory(owner=rep_a)
    competitor = CompetitorFactory(name="ライバル製作所")
    # when
    services.deal_competitor_set(
        deal=deal,
        competitor=competitor,
        by=rep_a,
        data={"offer_price": "９８０,０００", "notes": "値引き提案"},
    )
    services.deal_competitor_set(deal=deal, competitor=competitor, by=rep_a, data={"offer_price": "950000"})
    # then
    link = DealCompetitor.objects.get()
    assert (link.offer_price, link.notes) == (Decimal("950000.00"), "")
    entries = AuditEntry.objects.filter(object_type="sales.deal", object_id=deal.pk).order_by("id")
    assert [(e.action, e.changes) for e in entries] == [
        ("competitor_add", {"competitor": [None, "ライバル製作所"], "notes": ["", "値引き提案"],
                            "offer_price": [None, "980000"]}),
        ("competitor_update", {"notes": ["値引き提案", ""], "offer_price": ["980000.00", "950000"]}),
    ]  # fmt: skip
    services.deal_competitor_remove(deal=deal, competitor=competitor, by=rep_a)
    assert not DealCompetitor.objects.exists()


def test_teammate_who_cannot_edit_the_deal_cannot_link(rep_a, rep_a2):
    # given
    deal = DealFactory(owner=rep_a)
    # when
    with pytest.raises(PermissionDenied):
        services.deal_competitor_set(deal=deal, competitor=CompetitorFactory(), by=rep_a2)
    # then
    assert not DealCompetitor.objects.exists()


def test_inactive_competitor_cannot_be_added(rep_a):
    # given
    competitor = CompetitorFactory(is_active=False)
    # when
    with pytest.raises(ValidationError) as error:
        services.deal_competitor_set(deal=DealFactory(owner=rep_a), competitor=competitor, by=rep_a)
    # then
    assert error.value.message_dict == {"competitor": ["無効の競合は商談に追加できません。"]}


@pytest.fixture
def contest(rep_a, rep_b):
    """One competitor in three deals of team A (won, lost, open) and a won deal of team B."""
    competitor = CompetitorFactory(name="ライバル製作所")
    other = CompetitorFactory(name="別の競合")
    offers = [("受注", "900000"), ("失注", "1100000"), ("提案", None)]
    for stage, offer in offers:
        deal = DealFactory(owner=rep_a, stage=stage_named(stage))
        DealCompetitor.objects.create(deal=deal, competitor=competitor, offer_price=offer)
    hidden = DealFactory(owner=rep_b, stage=stage_named("受注"))
    DealCompetitor.objects.create(deal=hidden, competitor=competitor, offer_price=Decimal("100"))
    DealCompetitor.objects.create(deal=hidden, competitor=other)
    return competitor, other


def test_stats_count_only_visible_deals(rep_a, admin, contest, django_assert_num_queries):
    # given
    competitor, other = contest
    visibility.scope_for(rep_a, "deal")  # the role's scopes are read once per request
    # when
    with django_assert_num_queries(1):
        mine = selectors.competitor_stats(user=rep_a)
    everything = selectors.competitor_stats(user=admin)
    # then
    figures = mine[competitor.pk]
    assert (figures.deals, figures.won, figures.lost, figures.open) == (3, 1, 1, 1)
    assert (figures.win_rate, figures.average_offer) == (Decimal("50.0"), Decimal("1000000"))
    assert other.pk not in mine
    everyone = everything[competitor.pk]
    assert (everyone.deals, everyone.won, everyone.lost, everyone.win_rate) == (4, 2, 1, Decimal("66.7"))
    assert everyone.average_offer == Decimal("666700")


def test_competitor_deals_lists_only_visible_deals(rep_a, contest):
    # given
    competitor, _other = contest
    # when
    links = list(selectors.competitor_deals(user=rep_a, competitor=competitor))
    # then
    assert len(links) == 3
    assert {link.deal.owner for link in links} == {rep_a}
