"""API of competitors (/competitors) and the competitors of a deal (/deals/{id}/competitors).

Mounted through ``api/contracts.py``. Figures count only the deals the caller may see.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from daifuku.core.models import User
from daifuku.customers.schemas import ErrorOut, ValidationErrorOut
from daifuku.sales.models import Competitor, DealCompetitor
from daifuku.sales.selectors import competitors as selectors
from daifuku.sales.selectors.deals import deal_get
from daifuku.sales.services import competitors as services

router = Router(tags=["sales"])

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class CompetitorOut(Schema):
    id: int
    name: str
    website: str
    strengths: str
    weaknesses: str
    products: str
    notes: str
    is_active: bool


class CompetitorIn(Schema):
    name: str | None = None
    website: str | None = None
    strengths: str | None = None
    weaknesses: str | None = None
    products: str | None = None
    notes: str | None = None
    is_active: bool | None = None


class CompetitorStatsOut(Schema):
    competitor: CompetitorOut
    deals: int
    won: int
    lost: int
    open: int
    win_rate: Decimal | None
    average_offer_price: Decimal | None


class DealCompetitorIn(Schema):
    competitor: int
    offer_price: str | Decimal | None = None
    notes: str = ""


class DealCompetitorOut(Schema):
    competitor: CompetitorOut
    offer_price: Decimal | None
    notes: str


@router.get("/competitors", response=list[CompetitorOut], summary="List competitors")
def competitor_list(request: HttpRequest, q: str = "", active: bool | None = None) -> Any:
    return list(selectors.competitor_list(user=_user(request), q=q, active=active))


@router.get(
    "/competitors/stats",
    response=list[CompetitorStatsOut],
    summary="Win/loss figures per competitor (over the deals you may see)",
)
def competitor_stats(request: HttpRequest, active: bool | None = None) -> list[dict[str, Any]]:
    user = _user(request)
    competitors = list(selectors.competitor_list(user=user, active=active))
    stats = selectors.competitor_stats(user=user, competitor_ids=[c.pk for c in competitors])
    rows = []
    for competitor in competitors:
        figures = stats.get(competitor.pk, selectors.CompetitorStats())
        rows.append(
            {
                "competitor": competitor,
                "deals": figures.deals,
                "won": figures.won,
                "lost": figures.lost,
                "open": figures.open,
                "win_rate": figures.win_rate,
                "average_offer_price": figures.average_offer,
            }
        )
    return rows


@router.post("/competitors", response={201: CompetitorOut, **_WRITE}, summary="Create a competitor")
def competitor_create(request: HttpRequest, payload: CompetitorIn) -> Status[Competitor]:
    return Status(201, services.competitor_create(by=_user(request), data=payload.dict(exclude_unset=True)))


@router.get(
    "/competitors/{competitor_id}", response={200: CompetitorOut, **_READ}, summary="Get a competitor"
)
def competitor_detail(request: HttpRequest, competitor_id: int) -> Competitor:
    return selectors.competitor_get(user=_user(request), pk=competitor_id)


@router.patch(
    "/competitors/{competitor_id}", response={200: CompetitorOut, **_WRITE}, summary="Change a competitor"
)
def competitor_update(request: HttpRequest, competitor_id: int, payload: CompetitorIn) -> Competitor:
    user = _user(request)
    competitor = selectors.competitor_get(user=user, pk=competitor_id)
    return services.competitor_update(competitor=competitor, by=user, data=payload.dict(exclude_unset=True))


@router.get(
    "/deals/{deal_id}/competitors",
    response={200: list[DealCompetitorOut], **_READ},
    summary="Competitors of a deal",
)
def deal_competitor_list(request: HttpRequest, deal_id: int) -> list[DealCompetitor]:
    deal = deal_get(user=_user(request), pk=deal_id)
    return list(selectors.deal_competitors(deal=deal))


@router.post(
    "/deals/{deal_id}/competitors",
    response={200: DealCompetitorOut, **_WRITE},
    summary="Add a competitor to a deal (or change its offer)",
)
def deal_competitor_set(request: HttpRequest, deal_id: int, payload: DealCompetitorIn) -> DealCompetitor:
    user = _user(request)
    deal = deal_get(user=user, pk=deal_id)
    competitor = selectors.competitor_get(user=user, pk=payload.competitor)
    data = payload.dict(exclude_unset=True, exclude={"competitor"})
    return services.deal_competitor_set(deal=deal, competitor=competitor, by=user, data=data)


@router.delete(
    "/deals/{deal_id}/competitors/{competitor_id}",
    response={204: None, **_WRITE},
    summary="Remove a competitor from a deal",
)
def deal_competitor_remove(request: HttpRequest, deal_id: int, competitor_id: int) -> Status[None]:
    user = _user(request)
    deal = deal_get(user=user, pk=deal_id)
    competitor = selectors.competitor_get(user=user, pk=competitor_id)
    services.deal_competitor_remove(deal=deal, competitor=competitor, by=user)
    return Status(204, None)
