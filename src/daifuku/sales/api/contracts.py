"""API of the sales module: contracts (/contracts), plus competitors (``api/competitors.py``).

Thin handlers: reads through ``selectors.contracts`` (a contract out of scope answers 404 like a
missing id), writes through ``services.contracts`` with the dict of fields the client sent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from daifuku.core import api_out
from daifuku.core.models import User
from daifuku.customers.schemas import ConflictOut, ErrorOut, ValidationErrorOut
from daifuku.sales.api import competitors
from daifuku.sales.models import Contract
from daifuku.sales.selectors import contracts as selectors
from daifuku.sales.selectors.deals import deal_get
from daifuku.sales.services import contracts as services

router = Router(tags=["sales"])
router.add_router("/", competitors.router)

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class Ref(Schema):
    id: int
    name: str


class ContractLineOut(Schema):
    product_id: int | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal


class ContractOut(Schema):
    id: int
    number: str
    title: str
    company: Ref
    contact_id: int | None
    deal_id: int | None
    renewal_deal_id: int | None
    previous_id: int | None
    owner: Ref
    team: Ref | None
    status: str
    amount: Decimal
    currency: str
    billing_type: str
    signed_on: dt.date | None
    starts_on: dt.date
    ends_on: dt.date | None
    renewal_type: str
    notice_days: int
    notes: str
    version: int
    lines: list[ContractLineOut]

    @staticmethod
    def resolve_company(obj: Contract) -> dict[str, Any]:
        return {"id": obj.company_id, "name": obj.company.display_name}

    @staticmethod
    def resolve_owner(obj: Contract) -> dict[str, Any]:
        return {"id": obj.owner_id, "name": obj.owner.display_name}

    @staticmethod
    def resolve_team(obj: Contract) -> dict[str, Any] | None:
        return None if obj.team is None else {"id": obj.team.pk, "name": obj.team.name}

    @staticmethod
    def resolve_currency(obj: Contract) -> str:
        return obj.currency_id

    @staticmethod
    def resolve_lines(obj: Contract) -> list[Any]:
        return list(obj.lines.all())


class ContractPage(Schema):
    items: list[ContractOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class ContractQuery(Schema):
    q: str = ""
    status: str = ""
    owner: int | None = None
    team: int | None = None
    company: int | None = None
    billing_type: str = ""
    renewal_type: str = ""
    expiring: Literal["", "this_quarter", "next_quarter"] = Field(
        "", description="ending in this / next calendar quarter"
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


class ContractLineIn(Schema):
    product: int | None = None
    description: str = ""
    quantity: str | Decimal | None = None
    unit: str = ""
    unit_price: str | Decimal | None = None


class ContractFieldsIn(Schema):
    """The fields a contract is written with (create and update)."""

    title: str | None = None
    company: int | None = None
    contact: int | None = None
    owner: int | None = None
    status: str | None = None
    amount: str | Decimal | None = None
    currency: str | None = None
    billing_type: str | None = None
    signed_on: dt.date | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    renewal_type: str | None = None
    notice_days: int | None = None
    notes: str | None = None
    lines: list[ContractLineIn] | None = None


class ContractCreateIn(ContractFieldsIn):
    deal: int | None = Field(None, description="a won deal: company, owner, amount and lines are copied")


class ContractUpdateIn(ContractFieldsIn):
    version: int = Field(description="the version you last read (a newer one answers 409)")


class DealRefOut(Schema):
    id: int
    name: str
    amount: Decimal
    expected_close_date: dt.date | None


def _page(qs: QuerySet[Contract], *, limit: int, cursor: str) -> dict[str, Any]:
    """Keyset pages in id order (``cursor`` = the last id of the previous page)."""
    if cursor:
        if not cursor.isdigit():
            raise ValidationError(
                {"cursor": _("カーソルが不正です。next_cursor の値をそのまま渡してください。")}
            )
        qs = qs.filter(pk__gt=int(cursor))
    rows = list(qs.order_by("pk")[: limit + 1])
    return {"items": rows[:limit], "next_cursor": str(rows[limit - 1].pk) if len(rows) > limit else None}


def _detail(user: User, pk: int) -> Contract:
    return selectors.contract_get(user=user, pk=pk)


@router.get("/contracts", response=ContractPage, summary="List contracts")
def contract_list(request: HttpRequest, params: Query[ContractQuery]) -> HttpResponse:
    filters = selectors.ContractFilters(
        q=params.q,
        status=params.status,
        owner=params.owner,
        team=params.team,
        company=params.company,
        billing_type=params.billing_type,
        renewal_type=params.renewal_type,
        expiring=params.expiring,
    )
    qs = selectors.contract_list(user=_user(request), filters=filters).prefetch_related("lines")
    return api_out.respond(request, ContractPage, _page(qs, limit=params.limit, cursor=params.cursor))


@router.post(
    "/contracts", response={201: ContractOut, **_WRITE}, summary="Create a contract (or from a won deal)"
)
def contract_create(request: HttpRequest, payload: ContractCreateIn) -> Status[Any]:
    user = _user(request)
    data = payload.dict(exclude_unset=True)
    deal_id = data.pop("deal", None)
    if deal_id is not None:
        unknown = set(data) - set(services.FROM_DEAL_FIELDS)
        if unknown:
            raise ValidationError(
                {name: _("商談から作成する契約では指定できません。") for name in sorted(unknown)}
            )
        contract = services.contract_create_from_deal(
            deal=deal_get(user=user, pk=deal_id), by=user, data=data
        )
    else:
        contract = services.contract_create(by=user, data=data)
    return Status(201, _detail(user, contract.pk))


@router.get("/contracts/{contract_id}", response={200: ContractOut, **_READ}, summary="Get a contract")
def contract_detail(request: HttpRequest, contract_id: int) -> Any:
    return _detail(_user(request), contract_id)


@router.patch(
    "/contracts/{contract_id}",
    response={200: ContractOut, 409: ConflictOut, **_WRITE},
    summary="Change a contract",
)
def contract_update(request: HttpRequest, contract_id: int, payload: ContractUpdateIn) -> Any:
    user = _user(request)
    contract = _detail(user, contract_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    services.contract_update(contract=contract, by=user, data=data, seen_version=version)
    return _detail(user, contract_id)


@router.post(
    "/contracts/{contract_id}/renewal-deal",
    response={201: DealRefOut, **_WRITE},
    summary="Create the renewal deal of a contract",
)
def contract_renewal_deal(request: HttpRequest, contract_id: int) -> Status[Any]:
    user = _user(request)
    contract = _detail(user, contract_id)
    return Status(201, services.contract_create_renewal_deal(contract=contract, by=user))


@router.post(
    "/contracts/{contract_id}/cancel", response={200: ContractOut, **_WRITE}, summary="Cancel a contract"
)
def contract_cancel(request: HttpRequest, contract_id: int) -> Any:
    user = _user(request)
    services.contract_cancel(contract=_detail(user, contract_id), by=user)
    return _detail(user, contract_id)


@router.delete(
    "/contracts/{contract_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Move to trash"
)
def contract_delete(request: HttpRequest, contract_id: int) -> Status[None]:
    user = _user(request)
    services.contract_trash(contract=_detail(user, contract_id), by=user)
    return Status(204, None)
