"""Companies and contacts over JSON: thin handlers over customers.selectors and customers.services.

Every read goes through a selector (visibility applied; out of scope answers 404 like a missing id),
every write through a service with the dict of fields the client sent. Errors are turned into JSON
by the handlers in ``daifuku.api``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from daifuku.core import api_out
from daifuku.core.models import User
from daifuku.customers import api_rows, merge, selectors, services
from daifuku.customers.schemas import (
    CompanyCreateIn,
    CompanyOut,
    CompanyPage,
    CompanyQuery,
    CompanyUpdateIn,
    ConflictOut,
    ContactCreateIn,
    ContactOut,
    ContactPage,
    ContactQuery,
    ContactUpdateIn,
    ErrorOut,
    HandoverIn,
    ValidationErrorOut,
)

router = Router(tags=["customers"])

_READ = {404: ErrorOut}
_WRITE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _after(qs: QuerySet[Any], sort: str, cursor: str) -> QuerySet[Any]:
    """The rows after ``cursor`` (a field error for a cursor that is not one of ours)."""
    try:
        return selectors.after_cursor(qs, cursor or None, sort)
    except (ValueError, TypeError, ValidationError):
        raise ValidationError(
            {"cursor": _("カーソルが不正です。next_cursor の値をそのまま渡してください。")}
        ) from None


def _visible_company(user: User, data: dict[str, Any], field: str) -> None:
    """Replace a company id in ``data`` by the company, if the user may see it (else a field error)."""
    if data.get(field) is None:
        return
    try:
        data[field] = selectors.company_get(user=user, pk=data[field])
    except Http404:
        raise ValidationError({field: _("指定された取引先が見つかりません。")}) from None


# Companies


@router.get("/companies", response=CompanyPage, summary="List companies")
def company_list(request: HttpRequest, params: Query[CompanyQuery]) -> HttpResponse:
    filters = selectors.CompanyFilters(
        q=params.q,
        owner=params.owner,
        team=params.team,
        status=params.status,
        rank=params.rank,
        industry=params.industry,
        prefecture=params.prefecture,
        tag=params.tag,
    )
    user = _user(request)
    qs = _after(
        selectors.company_list(user=user, filters=filters, sort=params.sort), params.sort, params.cursor
    )
    context = {"request": request, "response_status": 200}
    page = api_rows.company_page(user, qs, limit=params.limit, sort=params.sort, context=context)
    return api_out.respond_dumped(request, page)  # items are CompanyOut's dump already


@router.post("/companies", response={201: CompanyOut, **_WRITE}, summary="Create a company")
def company_create(request: HttpRequest, payload: CompanyCreateIn) -> Status[Any]:
    user = _user(request)
    data = payload.dict(exclude_unset=True)
    _visible_company(user, data, "parent")
    return Status(201, services.company_create(by=user, data=data))


@router.get("/companies/{company_id}", response={200: CompanyOut, **_READ}, summary="Get a company")
def company_detail(request: HttpRequest, company_id: int) -> Any:
    # A merged (名寄せ) id answers with the surviving record (its own id).
    return merge.get_resolved("company", user=_user(request), pk=company_id)


@router.patch(
    "/companies/{company_id}",
    response={200: CompanyOut, 409: ConflictOut, **_WRITE},
    summary="Change a company",
)
def company_update(request: HttpRequest, company_id: int, payload: CompanyUpdateIn) -> Any:
    user = _user(request)
    company = selectors.company_get(user=user, pk=company_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    _visible_company(user, data, "parent")
    return services.company_update(company=company, by=user, data=data, seen_version=version)


@router.delete(
    "/companies/{company_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Move to trash"
)
def company_delete(request: HttpRequest, company_id: int) -> tuple[int, None]:
    user = _user(request)
    company = selectors.company_get(user=user, pk=company_id)
    services.company_delete(company=company, by=user)
    return Status(204, None)


@router.post(
    "/companies/{company_id}/handover",
    response={200: CompanyOut, **_WRITE},
    summary="Hand a company over to another owner (引き継ぎ)",
)
def company_handover(request: HttpRequest, company_id: int, payload: HandoverIn) -> Any:
    user = _user(request)
    company = selectors.company_get(user=user, pk=company_id)
    new_owner = selectors.owner_choices().filter(pk=payload.owner_id).first()
    if new_owner is None:
        raise ValidationError({"owner_id": _("指定されたユーザーが見つかりません。")})
    try:
        return services.company_change_owner(
            company=company, new_owner=new_owner, by=user, reason=payload.reason
        )
    except ValidationError as exc:
        # The service names the model field; the client sent ``owner_id``.
        if hasattr(exc, "error_dict") and "owner" in exc.error_dict:
            exc.error_dict["owner_id"] = exc.error_dict.pop("owner")
        raise


# Contacts


@router.get("/contacts", response=ContactPage, summary="List contacts")
def contact_list(request: HttpRequest, params: Query[ContactQuery]) -> HttpResponse:
    filters = selectors.ContactFilters(
        q=params.q,
        owner=params.owner,
        team=params.team,
        company=params.company,
        tag=params.tag,
        mail_consent=params.mail_consent,
        prefecture=params.prefecture,
    )
    qs = _after(
        selectors.contact_list(user=_user(request), filters=filters, sort=params.sort),
        params.sort,
        params.cursor,
    )
    context = {"request": request, "response_status": 200}
    page = api_rows.contact_page(qs, limit=params.limit, sort=params.sort, context=context)
    return api_out.respond_dumped(request, page)  # items are ContactOut's dump already


@router.post("/contacts", response={201: ContactOut, **_WRITE}, summary="Create a contact")
def contact_create(request: HttpRequest, payload: ContactCreateIn) -> Status[Any]:
    user = _user(request)
    data = payload.dict(exclude_unset=True)
    _visible_company(user, data, "company")
    return Status(201, services.contact_create(by=user, data=data))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **_READ}, summary="Get a contact")
def contact_detail(request: HttpRequest, contact_id: int) -> Any:
    return merge.get_resolved("contact", user=_user(request), pk=contact_id)


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, 409: ConflictOut, **_WRITE},
    summary="Change a contact",
)
def contact_update(request: HttpRequest, contact_id: int, payload: ContactUpdateIn) -> Any:
    user = _user(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    _visible_company(user, data, "company")
    return services.contact_update(contact=contact, by=user, data=data, seen_version=version)


@router.delete(
    "/contacts/{contact_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="Move to trash"
)
def contact_delete(request: HttpRequest, contact_id: int) -> tuple[int, None]:
    user = _user(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    services.contact_delete(contact=contact, by=user)
    return Status(204, None)
