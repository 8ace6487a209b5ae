"""API of the sales module: quotes (見積) — thin handlers over sales.selectors.quotes and services.quotes.

Reads go through the selectors (a quote outside the user's scope answers 404 like a missing id);
writes through the services with the dict the client sent. The list pages by keyset (``next_cursor``
= the last id seen) and filters by status, owner, company, deal, 見積日 range and amount range.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from daifuku.core import api_out
from daifuku.core.models import User
from daifuku.customers.schemas import ConflictOut, ErrorOut, Ref, ValidationErrorOut
from daifuku.sales.models import Quote, QuoteLine
from daifuku.sales.selectors import quotes as selectors
from daifuku.sales.services import quotes as services

router = Router(tags=["sales"])

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# Schemas


class QuoteLineOut(Schema):
    id: int
    product_id: int | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    discount_amount: Decimal
    tax_category: str
    tax_rate: Decimal
    amount: Decimal


class TaxRateTotalOut(Schema):
    category: str
    rate: str
    base: str
    tax: str
    reduced: bool


class QuoteSummaryOut(Schema):
    id: int
    number: str
    revision: int
    display_number: str
    status: str
    title: str
    deal: Ref
    company: Ref
    owner: Ref
    recipient_name: str
    issue_date: dt.date | None
    valid_until: dt.date | None
    currency: str
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    superseded: bool = Field(description="a newer revision exists (改訂版あり)")
    version: int

    @staticmethod
    def resolve_deal(obj: Quote) -> dict[str, Any]:
        return {"id": obj.deal_id, "name": obj.deal.name}

    @staticmethod
    def resolve_company(obj: Quote) -> dict[str, Any]:
        return {"id": obj.company_id, "name": obj.company.display_name}

    @staticmethod
    def resolve_owner(obj: Quote) -> dict[str, Any]:
        return {"id": obj.owner_id, "name": obj.owner.display_name}

    @staticmethod
    def resolve_currency(obj: Quote) -> str:
        return obj.currency_id

    @staticmethod
    def resolve_superseded(obj: Quote) -> bool:
        return hasattr(obj, "next_revision")


class QuoteOut(QuoteSummaryOut):
    previous_id: int | None
    contact: Ref | None
    tax_rounding: str
    tax_summary: list[TaxRateTotalOut]
    delivery_terms: str
    payment_terms: str
    terms: str
    issuer: dict[str, str]
    issued_at: dt.datetime | None
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None
    pdf_sha256: str
    lines: list[QuoteLineOut]

    @staticmethod
    def resolve_contact(obj: Quote) -> dict[str, Any] | None:
        return None if obj.contact is None else {"id": obj.contact_id, "name": obj.contact.full_name}

    @staticmethod
    def resolve_lines(obj: Quote) -> list[QuoteLine]:
        return selectors.quote_lines(quote=obj)


class QuotePage(Schema):
    items: list[QuoteSummaryOut]
    next_cursor: str | None


class QuoteQuery(Schema):
    q: str = ""
    status: str = ""
    owner: int | None = None
    company: int | None = None
    deal: int | None = None
    date_from: dt.date | None = Field(None, description="見積日 from (inclusive)")
    date_to: dt.date | None = Field(None, description="見積日 to (inclusive)")
    amount_min: Decimal | None = Field(None, description="total incl. tax, at least")
    amount_max: Decimal | None = Field(None, description="total incl. tax, at most")
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


class QuoteLineIn(Schema):
    product: int | None = Field(None, description="product id: fills description, unit, price, tax category")
    description: str = ""
    quantity: Decimal | None = Field(None, description="default 1")
    unit: str = ""
    unit_price: Decimal | None = Field(None, description="default: the product's price")
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_category: str = Field("", description="standard / reduced / exempt / non_taxable")


class QuoteCreateIn(Schema):
    title: str | None = None
    contact: int | None = None
    recipient_name: str | None = None
    valid_until: dt.date | None = None
    currency: str | None = None
    delivery_terms: str | None = None
    payment_terms: str | None = None
    terms: str | None = None
    lines: list[QuoteLineIn] | None = Field(None, description="default: the deal's lines")


class QuoteUpdateIn(QuoteCreateIn):
    version: int = Field(description="the version you read; a newer one answers 409")
    lines: list[QuoteLineIn] | None = Field(None, description="replaces every line")


class QuoteSendIn(Schema):
    to: str = Field(description="addresses, comma separated")
    cc: str = ""
    subject: str
    body: str = ""


class QuoteAcceptIn(Schema):
    mark_deal_won: bool = Field(False, description="also move the deal to its won stage (受注)")


class QuoteRejectIn(Schema):
    note: str = ""


class VersionIn(Schema):
    version: int | None = None


def _data(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    if data.get("lines") is not None:
        data["lines"] = [{k: v for k, v in row.items() if v not in (None, "")} for row in data["lines"]]
    return data


def _detail(user: User, pk: int) -> Quote:
    return selectors.quote_get(user=user, pk=pk)


# Endpoints


@router.get("/quotes", response=QuotePage, summary="List quotes")
def quote_list(request: HttpRequest, params: Query[QuoteQuery]) -> HttpResponse:
    filters = selectors.QuoteFilters(
        q=params.q,
        status=params.status,
        owner=params.owner,
        company=params.company,
        deal=params.deal,
        date_from=params.date_from,
        date_to=params.date_to,
        amount_min=params.amount_min,
        amount_max=params.amount_max,
    )
    qs = selectors.quote_list(user=_user(request), filters=filters).order_by("-id")
    if params.cursor:
        try:
            qs = qs.filter(pk__lt=int(params.cursor))
        except ValueError:
            raise ValidationError(
                {"cursor": _("カーソルが不正です。next_cursor の値をそのまま渡してください。")}
            ) from None
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return api_out.respond(
        request, QuotePage, {"items": rows, "next_cursor": str(rows[-1].pk) if more else None}
    )


@router.post(
    "/deals/{deal_id}/quotes", response={201: QuoteOut, **_WRITE}, summary="Create a quote from a deal"
)
def quote_create(request: HttpRequest, deal_id: int, payload: QuoteCreateIn) -> Status[Any]:
    from daifuku.sales.selectors.deals import deal_get

    user = _user(request)
    deal = deal_get(user=user, pk=deal_id)
    quote = services.quote_create_from_deal(deal=deal, by=user, data=_data(payload))
    return Status(201, _detail(user, quote.pk))


@router.get("/quotes/{quote_id}", response={200: QuoteOut, **_READ}, summary="Get a quote with lines")
def quote_detail(request: HttpRequest, quote_id: int) -> Any:
    return _detail(_user(request), quote_id)


@router.patch(
    "/quotes/{quote_id}",
    response={200: QuoteOut, 409: ConflictOut, **_WRITE},
    summary="Change a draft quote (header and/or all lines)",
)
def quote_update(request: HttpRequest, quote_id: int, payload: QuoteUpdateIn) -> Any:
    user = _user(request)
    quote = _detail(user, quote_id)
    data = _data(payload)
    version = data.pop("version")
    services.quote_update(quote=quote, by=user, data=data, seen_version=version)
    return _detail(user, quote_id)


@router.post(
    "/quotes/{quote_id}/issue",
    response={200: QuoteOut, 409: ConflictOut, **_WRITE},
    summary="Issue a draft (final: PDF stored, amounts frozen)",
)
def quote_issue(request: HttpRequest, quote_id: int, payload: VersionIn) -> Any:
    user = _user(request)
    services.quote_issue(quote=_detail(user, quote_id), by=user, seen_version=payload.version)
    return _detail(user, quote_id)


@router.post("/quotes/{quote_id}/send", response={200: QuoteOut, **_WRITE}, summary="Mail the PDF")
def quote_send(request: HttpRequest, quote_id: int, payload: QuoteSendIn) -> Any:
    user = _user(request)
    services.quote_send(
        quote=_detail(user, quote_id),
        by=user,
        to=payload.to,
        cc=payload.cc,
        subject=payload.subject,
        body=payload.body,
    )
    return _detail(user, quote_id)


@router.post("/quotes/{quote_id}/accept", response={200: QuoteOut, **_WRITE}, summary="Accepted (受注)")
def quote_accept(request: HttpRequest, quote_id: int, payload: QuoteAcceptIn) -> Any:
    user = _user(request)
    services.quote_accept(quote=_detail(user, quote_id), by=user, mark_deal_won=payload.mark_deal_won)
    return _detail(user, quote_id)


@router.post("/quotes/{quote_id}/reject", response={200: QuoteOut, **_WRITE}, summary="Rejected (不採用)")
def quote_reject(request: HttpRequest, quote_id: int, payload: QuoteRejectIn) -> Any:
    user = _user(request)
    services.quote_reject(quote=_detail(user, quote_id), by=user, note=payload.note)
    return _detail(user, quote_id)


@router.post("/quotes/{quote_id}/revise", response={201: QuoteOut, **_WRITE}, summary="Start a new revision")
def quote_revise(request: HttpRequest, quote_id: int) -> Status[Any]:
    user = _user(request)
    revision = services.quote_revise(quote=_detail(user, quote_id), by=user)
    return Status(201, _detail(user, revision.pk))


@router.get(
    "/quotes/{quote_id}/pdf",
    response={200: None, **_READ},
    summary="The PDF (stored once issued; a 下書き render for drafts)",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def quote_pdf(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = _detail(_user(request), quote_id)
    response = HttpResponse(services.quote_pdf_bytes(quote=quote), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{services.attachment_name(quote)}"'
    return response
