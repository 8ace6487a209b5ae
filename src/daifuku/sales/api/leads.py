"""API of the sales module: leads (引合) — list, detail, create, change, assign, status, 名寄せ, convert.

Thin handlers over ``sales.selectors.leads`` and ``sales.services.leads``: a lead the caller may not
read answers 404; errors come back as JSON through the handlers in ``daifuku.api``.
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
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.schemas import ConflictOut, ErrorOut, Ref, ValidationErrorOut
from daifuku.sales.selectors import leads as selectors
from daifuku.sales.services import leads as services

router = Router(tags=["sales"])

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class LeadOut(Schema):
    id: int
    status: str
    source: str
    source_detail: str
    disqualify_reason: str
    disqualify_note: str
    company_name: str
    corporate_number: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    department: str
    title: str
    email: str
    phone: str = Field(description="E.164")
    postal_code: str
    prefecture: str
    city: str
    street: str
    website: str
    industry_id: int | None
    need: str
    budget: Decimal | None
    owner: Ref | None
    team: Ref | None
    assigned_at: dt.datetime | None
    form_data: dict[str, Any]
    converted_at: dt.datetime | None
    converted_company_id: int | None
    converted_contact_id: int | None
    converted_deal_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(obj: Any) -> dict[str, Any] | None:
        return None if obj.owner is None else {"id": obj.owner.pk, "name": obj.owner.display_name}

    @staticmethod
    def resolve_team(obj: Any) -> dict[str, Any] | None:
        return None if obj.team is None else {"id": obj.team.pk, "name": obj.team.name}


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class LeadQuery(Schema):
    q: str = ""
    status: str = ""
    source: str = ""
    owner: int | None = None
    unassigned: bool = False
    limit: int = Field(50, ge=1, le=200)
    cursor: str = Field("", description="next_cursor of the previous page")


class LeadFieldsIn(Schema):
    source: str | None = None
    source_detail: str | None = None
    company_name: str | None = None
    corporate_number: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    family_name_kana: str | None = None
    given_name_kana: str | None = None
    department: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    postal_code: str | None = None
    prefecture: str | None = None
    city: str | None = None
    street: str | None = None
    website: str | None = None
    industry: int | None = None
    need: str | None = None
    budget: str | None = None


class LeadCreateIn(LeadFieldsIn):
    owner_id: int | None = Field(None, description="omit to let the assignment rules choose")


class LeadUpdateIn(LeadFieldsIn):
    version: int = Field(description="the version you read; 409 if the lead changed since")


class AssignIn(Schema):
    owner_id: int | None = None
    use_rules: bool = False
    note: str = ""


class StatusIn(Schema):
    status: str
    disqualify_reason: str = ""
    disqualify_note: str = ""
    version: int | None = None


class CandidateOut(Schema):
    id: int
    name: str
    reason: str = Field(
        description="corporate_number / name / phone / email_domain / email / name_in_company"
    )


class CandidatesOut(Schema):
    companies: list[CandidateOut]
    contacts: list[CandidateOut]


class ConvertIn(Schema):
    company_id: int | None = Field(None, description="an existing company to use; omit to create one")
    contact_id: int | None = Field(None, description="an existing contact to use; omit to create one")
    create_deal: bool = True
    deal_name: str = ""
    deal_amount: str | None = None
    pipeline_id: int | None = None
    version: int | None = None


def _owner(owner_id: int | None, field: str = "owner_id") -> User | None:
    if owner_id is None:
        return None
    owner = customer_selectors.owner_choices().filter(pk=owner_id).first()
    if owner is None:
        raise ValidationError({field: _("指定されたユーザーが見つかりません。")})
    return owner


@router.get("/leads", response=LeadPage, summary="List leads (unassigned ones for managers)")
def lead_list(request: HttpRequest, params: Query[LeadQuery]) -> HttpResponse:
    filters = selectors.LeadFilters(
        q=params.q,
        status=params.status,
        source=params.source,
        owner=params.owner,
        unassigned=params.unassigned,
    )
    qs = selectors.lead_list(user=_user(request), filters=filters).order_by("-id")
    if params.cursor:
        if not params.cursor.isdigit():
            raise ValidationError(
                {"cursor": _("カーソルが不正です。next_cursor の値をそのまま渡してください。")}
            )
        qs = qs.filter(pk__lt=int(params.cursor))
    rows = list(qs[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return api_out.respond(
        request, LeadPage, {"items": rows, "next_cursor": str(rows[-1].pk) if more else None}
    )


@router.post("/leads", response={201: LeadOut, **_WRITE}, summary="Create a lead")
def lead_create(request: HttpRequest, payload: LeadCreateIn) -> Status[Any]:
    data = payload.dict(exclude_unset=True)
    owner = _owner(data.pop("owner_id", None))
    lead = services.lead_create(by=_user(request), data=data, owner=owner)
    return Status(201, lead)


@router.get("/leads/{lead_id}", response={200: LeadOut, **_READ}, summary="Get a lead")
def lead_detail(request: HttpRequest, lead_id: int) -> Any:
    return selectors.lead_get(user=_user(request), pk=lead_id)


@router.patch(
    "/leads/{lead_id}", response={200: LeadOut, 409: ConflictOut, **_WRITE}, summary="Change a lead"
)
def lead_update(request: HttpRequest, lead_id: int, payload: LeadUpdateIn) -> Any:
    user = _user(request)
    lead = selectors.lead_get(user=user, pk=lead_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    services.lead_update(lead=lead, by=user, data=data, seen_version=version)
    return selectors.lead_get(user=user, pk=lead_id)


@router.delete("/leads/{lead_id}", response={204: None, **_WRITE}, summary="Move a lead to the trash")
def lead_delete(request: HttpRequest, lead_id: int) -> Status[None]:
    user = _user(request)
    services.lead_trash(lead=selectors.lead_get(user=user, pk=lead_id), by=user)
    return Status(204, None)


@router.post("/leads/{lead_id}/assign", response={200: LeadOut, **_WRITE}, summary="Assign a lead (managers)")
def lead_assign(request: HttpRequest, lead_id: int, payload: AssignIn) -> Any:
    user = _user(request)
    lead = selectors.lead_get(user=user, pk=lead_id)
    owner = _owner(payload.owner_id)
    try:
        services.lead_assign(lead=lead, by=user, owner=owner, use_rules=payload.use_rules, note=payload.note)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "owner" in exc.error_dict:
            exc.error_dict["owner_id"] = exc.error_dict.pop("owner")
        raise
    return selectors.lead_get(user=user, pk=lead_id)


@router.post(
    "/leads/{lead_id}/status", response={200: LeadOut, 409: ConflictOut, **_WRITE}, summary="Set status"
)
def lead_status(request: HttpRequest, lead_id: int, payload: StatusIn) -> Any:
    user = _user(request)
    lead = selectors.lead_get(user=user, pk=lead_id)
    services.lead_set_status(
        lead=lead,
        by=user,
        status=payload.status,
        reason=payload.disqualify_reason,
        note=payload.disqualify_note,
        seen_version=payload.version,
    )
    return selectors.lead_get(user=user, pk=lead_id)


@router.get(
    "/leads/{lead_id}/candidates",
    response={200: CandidatesOut, **_READ},
    summary="Existing companies and contacts this lead probably is (名寄せ)",
)
def lead_candidates(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    user = _user(request)
    lead = selectors.lead_get(user=user, pk=lead_id)
    found = selectors.lead_conversion_candidates(lead=lead, by=user)
    return {
        "companies": [
            {"id": c.record.pk, "name": c.record.display_name, "reason": c.reason} for c in found.companies
        ],
        "contacts": [
            {"id": c.record.pk, "name": c.record.full_name, "reason": c.reason} for c in found.contacts
        ],
    }


@router.post(
    "/leads/{lead_id}/convert",
    response={200: LeadOut, 409: ConflictOut, **_WRITE},
    summary="Convert a working/qualified lead into company + contact + deal",
)
def lead_convert(request: HttpRequest, lead_id: int, payload: ConvertIn) -> Any:
    user = _user(request)
    lead = selectors.lead_get(user=user, pk=lead_id)
    try:
        services.lead_convert(
            lead=lead,
            by=user,
            company=payload.company_id,
            contact=payload.contact_id,
            create_deal=payload.create_deal,
            deal_name=payload.deal_name,
            deal_amount=payload.deal_amount,
            pipeline=payload.pipeline_id,
            seen_version=payload.version,
        )
    except ValidationError as exc:
        renames = {"company": "company_id", "contact": "contact_id", "pipeline": "pipeline_id"}
        if hasattr(exc, "error_dict"):
            exc.error_dict = {renames.get(k, k): v for k, v in exc.error_dict.items()}
        raise
    return selectors.lead_get(user=user, pk=lead_id)
