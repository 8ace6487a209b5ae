"""Reads of the sales module: competitors (競合) and their win/loss figures.

Competitors are reference data everyone may read. Their figures (deals involved, won, lost, open,
win rate, average offer price) count only the deals the user may see (``deal_queryset``), so the
statistics never reveal deals outside the user's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404

from daifuku.core import audit
from daifuku.core.models import AuditEntry, User
from daifuku.sales.models import Competitor, Deal, DealCompetitor
from daifuku.sales.selectors.deals import deal_queryset


@dataclass
class CompetitorStats:
    deals: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    average_offer: Decimal | None = None

    @property
    def win_rate(self) -> Decimal | None:
        """Won ÷ (won + lost) in percent with one decimal; None while no deal is closed."""
        closed = self.won + self.lost
        if not closed:
            return None
        return (Decimal(100) * self.won / closed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def competitor_queryset(*, user: User) -> QuerySet[Competitor]:
    """Every competitor (reference data: readable by all signed-in users)."""
    return Competitor.objects.all()


def competitor_list(*, user: User, q: str = "", active: bool | None = None) -> QuerySet[Competitor]:
    qs = competitor_queryset(user=user)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(products__icontains=q))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("name", "id")


def competitor_get(*, user: User, pk: Any) -> Competitor:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    competitor = competitor_queryset(user=user).filter(pk=pk).first()
    if competitor is None:
        raise Http404
    return competitor


def _visible_links(user: User) -> QuerySet[DealCompetitor]:
    return DealCompetitor.objects.filter(deal__in=deal_queryset(user=user).values("pk"))


def competitor_stats(*, user: User, competitor_ids: list[int] | None = None) -> dict[int, CompetitorStats]:
    """Figures per competitor over the deals ``user`` may see: one grouped query.

    Competitors in no visible deal are absent from the result (the caller shows zeros).
    """
    links = _visible_links(user)
    if competitor_ids is not None:
        links = links.filter(competitor_id__in=competitor_ids)
    rows = (
        links.values("competitor_id")
        .annotate(
            deals=Count("deal_id"),
            won=Count("deal_id", filter=Q(deal__stage__is_won=True)),
            lost=Count("deal_id", filter=Q(deal__stage__is_lost=True)),
            average_offer=Avg("offer_price"),
        )
        .order_by("competitor_id")
    )
    return {
        row["competitor_id"]: CompetitorStats(
            deals=row["deals"],
            won=row["won"],
            lost=row["lost"],
            open=row["deals"] - row["won"] - row["lost"],
            average_offer=_money(row["average_offer"]),
        )
        for row in rows
    }


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def competitor_deals(*, user: User, competitor: Competitor) -> QuerySet[DealCompetitor]:
    """The competitor's links to deals the user may see, newest deal activity first."""
    return (
        _visible_links(user)
        .filter(competitor=competitor)
        .select_related("deal", "deal__stage", "deal__company", "deal__owner", "deal__currency")
        .order_by("-deal__updated_at", "-id")
    )


def deal_competitors(*, deal: Deal) -> QuerySet[DealCompetitor]:
    """The competitors of a deal the caller has fetched through ``deal_get``."""
    return deal.deal_competitors.select_related("competitor").order_by("competitor__name", "id")


def competitor_choices(*, deal: Deal) -> QuerySet[Competitor]:
    """Competitors the add form offers: the active ones (choosing one already on the deal updates it)."""
    return Competitor.objects.filter(is_active=True).order_by("name")


def competitor_history(*, competitor: Competitor) -> QuerySet[AuditEntry]:
    return audit.entries_for(competitor)
