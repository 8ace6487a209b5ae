"""Deals, pipelines and stages over JSON: thin handlers over sales.selectors.deals and sales.services.deals.

Reads go through the selectors (a deal outside the caller's scope answers 404 like a missing id);
writes go through the services with the dict the client sent. ValidationError (422), PermissionDenied
(403), Http404 and VersionConflict (409) become JSON in ``daifuku.api``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from daifuku.core import api_out
from daifuku.core.models import User
from daifuku.customers.schemas import ConflictOut, ErrorOut, ValidationErrorOut
from daifuku.sales.models import Deal
from daifuku.sales.selectors import deals as selectors
from daifuku.sales.services import deals as services

router = Router(tags=["sales"])

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}

DealSort = Literal[
    "close", "-close", "amount", "-amount", "updated", "-updated", "created", "-created", "name", "-name"
]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# Shapes


class Ref(Schema):
    id: int
    name: str


class StageOut(Schema):
    id: int
    pipeline_id: int
    name: str
    sort_order: int
    probability: int
    is_won: bool
    is_lost: bool
    is_active: bool


class PipelineOut(Schema):
    id: int
    name: str
    sort_order: int
    is_default: bool
    is_active: bool
    stale_days: int


class DealLineOut(Schema):
    product_id: int | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    unit_cost: Decimal
    tax_category: str


class DealOut(Schema):
    id: int
    name: str
    company: Ref
    owner: Ref
    team: Ref | None
    pipeline: Ref
    stage: Ref
    probability: int
    amount: Decimal
    currency: str
    quantity: int
    cost: Decimal
    gross_profit: Decimal
    billing_type: str
    expected_close_date: dt.date | None
    closed_on: dt.date | None
    next_action: str
    next_action_date: dt.date | None
    lost_reason: str
    lost_note: str
    notes: str
    is_stale: bool
    last_activity_at: dt.datetime | None
    stage_changed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_company(obj: Deal) -> dict[str, Any]:
        return {"id": obj.company_id, "name": obj.company.display_name}

    @staticmethod
    def resolve_owner(obj: Deal) -> dict[str, Any]:
        return {"id": obj.owner_id, "name": obj.owner.display_name}

    @staticmethod
    def resolve_team(obj: Deal) -> dict[str, Any] | None:
        return {"id": obj.team_id, "name": obj.team.name} if obj.team_id and obj.team else None

    @staticmethod
    def resolve_pipeline(obj: Deal) -> dict[str, Any]:
        return {"id": obj.pipeline_id, "name": obj.pipeline.name}

    @staticmethod
    def resolve_stage(obj: Deal) -> dict[str, Any]:
        return {"id": obj.stage_id, "name": obj.stage.name}

    @staticmethod
    def resolve_currency(obj: Deal) -> str:
        return obj.currency_id

    @staticmethod
    def resolve_is_stale(obj: Deal) -> bool:
        return selectors.deal_is_stale(obj)


class DealDetailOut(DealOut):
    contacts: list[int]
    lines: list[DealLineOut]

    @staticmethod
    def resolve_contacts(obj: Deal) -> list[int]:
        return sorted(obj.contacts.values_list("pk", flat=True))

    @staticmethod
    def resolve_lines(obj: Deal) -> list[Any]:
        return list(selectors.deal_lines(deal=obj))


class DealPage(Schema):
    items: list[DealOut]
    page: int
    has_next: bool


class DealQuery(Schema):
    q: str = ""
    owner: int | None = None
    team: int | None = None
    pipeline: int | None = None
    stage: int | None = None
    company: int | None = None
    close_month: str = Field("", description="YYYY-MM: expected close date in that month")
    status: Literal["", "open", "won", "lost"] = ""
    stale: bool = False
    sort: DealSort = "close"
    page: int = Field(1, ge=1)
    limit: int = Field(50, ge=1, le=200)


class DealLineIn(Schema):
    product: int | None = None
    description: str = ""
    quantity: Decimal | str | None = None
    unit: str = ""
    unit_price: Decimal | str | None = None
    unit_cost: Decimal | str | None = None
    tax_category: str = ""


class DealIn(Schema):
    name: str | None = None
    company: int | None = None
    contacts: list[int] | None = None
    owner: int | None = None
    pipeline: int | None = None
    stage: int | None = None
    probability: int | None = None
    amount: Decimal | str | None = None
    currency: str | None = None
    quantity: int | None = None
    cost: Decimal | str | None = None
    billing_type: str | None = None
    expected_close_date: dt.date | None = None
    next_action: str | None = None
    next_action_date: dt.date | None = None
    notes: str | None = None
    lines: list[DealLineIn] | None = None


class DealUpdateIn(DealIn):
    version: int = Field(description="the version you read; a newer one answers 409")
    lost_reason: str | None = None
    lost_note: str | None = None


class StageMoveIn(Schema):
    stage: int
    version: int | None = None
    lost_reason: str = ""
    lost_note: str = ""


class LostIn(Schema):
    reason: str
    note: str = ""


def _data(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    if data.get("lines") is not None:
        data["lines"] = [{k: v for k, v in line.items() if v not in (None, "")} for line in data["lines"]]
    return data


def _reload(user: User, deal: Deal) -> Deal:
    return selectors.deal_get(user=user, pk=deal.pk)


# Deals


@router.get("/deals", response=DealPage, summary="List deals")
def deal_list(request: HttpRequest, params: Query[DealQuery]) -> HttpResponse:
    month = selectors.parse_month(params.close_month) if params.close_month else None
    if params.close_month and month is None:
        raise ValidationError({"close_month": _("「2026-04」の形で入力してください。")})
    filters = selectors.DealFilters(
        q=params.q,
        owner=params.owner,
        team=params.team,
        pipeline=params.pipeline,
        stage=params.stage,
        company=params.company,
        close_month=month,
        status=params.status,
        stale=params.stale,
    )
    qs = selectors.deal_list(user=_user(request), filters=filters, sort=params.sort)
    offset = (params.page - 1) * params.limit
    rows = list(qs[offset : offset + params.limit + 1])
    return api_out.respond(
        request,
        DealPage,
        {"items": rows[: params.limit], "page": params.page, "has_next": len(rows) > params.limit},
    )


@router.post("/deals", response={201: DealDetailOut, **_WRITE}, summary="Create a deal")
def deal_create(request: HttpRequest, payload: DealIn) -> Status[Any]:
    user = _user(request)
    deal = services.deal_create(by=user, data=_data(payload))
    return Status(201, _reload(user, deal))


@router.get("/deals/{deal_id}", response={200: DealDetailOut, **_READ}, summary="Get a deal")
def deal_detail(request: HttpRequest, deal_id: int) -> Any:
    return selectors.deal_get(user=_user(request), pk=deal_id)


@router.patch(
    "/deals/{deal_id}", response={200: DealDetailOut, 409: ConflictOut, **_WRITE}, summary="Change a deal"
)
def deal_update(request: HttpRequest, deal_id: int, payload: DealUpdateIn) -> Any:
    user = _user(request)
    deal = selectors.deal_get(user=user, pk=deal_id)
    data = _data(payload)
    version = data.pop("version")
    services.deal_update(deal=deal, by=user, data=data, seen_version=version)
    return _reload(user, deal)


@router.delete(
    "/deals/{deal_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Move to trash"
)
def deal_delete(request: HttpRequest, deal_id: int) -> Status[None]:
    user = _user(request)
    services.deal_trash(deal=selectors.deal_get(user=user, pk=deal_id), by=user)
    return Status(204, None)


@router.post(
    "/deals/{deal_id}/stage",
    response={200: DealDetailOut, 409: ConflictOut, **_WRITE},
    summary="Move a deal to another stage of its pipeline (a lost stage needs lost_reason)",
)
def deal_stage(request: HttpRequest, deal_id: int, payload: StageMoveIn) -> Any:
    user = _user(request)
    deal = selectors.deal_get(user=user, pk=deal_id)
    stage = selectors.stage_list(pipeline=deal.pipeline).filter(pk=payload.stage).first()
    if stage is None:
        raise ValidationError({"stage": _("このステージは商談のパイプラインにありません。")})
    services.deal_change_stage(
        deal=deal,
        stage=stage,
        by=user,
        seen_version=payload.version,
        lost_reason=payload.lost_reason,
        lost_note=payload.lost_note,
    )
    return _reload(user, deal)


@router.post(
    "/deals/{deal_id}/won", response={200: DealDetailOut, **_WRITE}, summary="Mark a deal won (受注)"
)
def deal_won(request: HttpRequest, deal_id: int) -> Any:
    user = _user(request)
    deal = selectors.deal_get(user=user, pk=deal_id)
    services.deal_mark_won(deal=deal, by=user)
    return _reload(user, deal)


@router.post(
    "/deals/{deal_id}/lost", response={200: DealDetailOut, **_WRITE}, summary="Mark a deal lost (失注)"
)
def deal_lost(request: HttpRequest, deal_id: int, payload: LostIn) -> Any:
    user = _user(request)
    deal = selectors.deal_get(user=user, pk=deal_id)
    services.deal_mark_lost(deal=deal, by=user, reason=payload.reason, note=payload.note)
    return _reload(user, deal)


# Pipelines and stages (reference data every signed-in user may read)


@router.get("/pipelines", response=list[PipelineOut], summary="List active pipelines")
def pipeline_list(request: HttpRequest) -> Any:
    return list(selectors.pipeline_list())


@router.get(
    "/pipelines/{pipeline_id}/stages", response={200: list[StageOut], **_READ}, summary="Stages of a pipeline"
)
def pipeline_stages(request: HttpRequest, pipeline_id: int) -> Any:
    pipeline = selectors.pipeline_get(pk=pipeline_id)
    return list(selectors.stage_list(pipeline=pipeline))
