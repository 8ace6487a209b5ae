"""API shapes for companies and contacts: what clients send and what they get back.

Inputs mirror the services' field names; the services normalize and validate values (フリガナ to
katakana, phones to E.164, postal codes to 7 digits) and name the field in any error. Outputs carry
what the UI shows: display names, phones both E.164 and national, owner/team/industry as objects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils.translation import get_language
from ninja import Field, Schema
from pydantic import ConfigDict

from daifuku.core import visibility

# Must equal the keys of customers.selectors.COMPANY_SORTS (a test holds them together).
SortKey = Literal["kana", "-kana", "updated", "-updated", "created", "-created"]


class Ref(Schema):
    id: int
    name: str


class IndustryRef(Schema):
    id: int
    code: str
    name: str


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


class ConflictOut(Schema):
    detail: str
    current_version: int
    your_version: int
    changed_fields: dict[str, list[Any]] = Field(description="field → [value you saw, value now]")


def _user_ref(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


def _team_ref(team: Any) -> dict[str, Any] | None:
    return None if team is None else {"id": team.pk, "name": team.name}


def _tag_names(obj: Any) -> list[str]:
    # Lists set ``tag_names`` (selectors.attach_tag_names); ``.all()`` uses a prefetch where there is one.
    names = obj.__dict__.get("tag_names")
    return names if names is not None else [tag.name for tag in obj.tags.all()]


def english(context: dict[str, Any] | None) -> bool:
    """Is the response in English? Asked of Django once per response (50 rows, one answer)."""
    if context is None:
        return (get_language() or "ja").startswith("en")
    answer = context.get(_ENGLISH)
    if answer is None:
        answer = context[_ENGLISH] = (get_language() or "ja").startswith("en")
    return bool(answer)


_ENGLISH = "daifuku_english"


# Companies


class CompanyOut(Schema):
    id: int
    name: str = Field(description="会社名 without the legal form")
    display_name: str = Field(description="会社名 with the legal form where it goes (前株/後株)")
    name_kana: str
    legal_form: str
    legal_form_position: str
    corporate_number: str
    invoice_registration_number: str
    postal_code: str
    postal_code_display: str
    prefecture: str
    city: str
    street: str
    building: str
    address: str
    phone: str = Field(description="E.164, e.g. +81312345678")
    phone_display: str = Field(description="national format, e.g. 03-1234-5678")
    fax: str
    fax_display: str
    email: str
    website: str
    sns: dict[str, str]
    representative: str
    capital: int | None
    employees: int | None
    is_listed: bool
    fiscal_month: int | None
    industry: IndustryRef | None
    description: str
    rank: str
    status: str
    parent: Ref | None
    owner: Ref | None
    team: Ref | None
    tags: list[str]
    notes: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_capital(obj: Any) -> int | None:
        return None if obj.capital is None else int(obj.capital)

    @staticmethod
    def resolve_industry(obj: Any, context: Any) -> dict[str, Any] | None:
        industry = obj.industry
        if industry is None:
            return None
        return {"id": industry.pk, "code": industry.code, "name": industry.label(english=english(context))}

    @staticmethod
    def resolve_parent(obj: Any, context: Any) -> dict[str, Any] | None:
        parent = obj.parent
        if parent is None:
            return None
        # A parent outside the reader's scope must not show its name.
        user = context["request"].auth
        if not visibility.can_read(user, parent, "company"):
            return None
        return {"id": parent.pk, "name": parent.display_name}

    @staticmethod
    def resolve_owner(obj: Any) -> dict[str, Any] | None:
        return _user_ref(obj.owner)

    @staticmethod
    def resolve_team(obj: Any) -> dict[str, Any] | None:
        return _team_ref(obj.team)

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return _tag_names(obj)


class CompanyPage(Schema):
    items: list[CompanyOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class CompanyFields(Schema):
    """Writable company fields. Omitted fields are left as they are (PATCH) or get their defaults."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    name_kana: str = ""
    legal_form: str = ""
    legal_form_position: str = ""
    corporate_number: str = Field("", description="法人番号, 13 digits with check digit")
    invoice_registration_number: str = Field("", description="T + 13 digits")
    postal_code: str = Field("", description="7 digits, hyphen optional; fills an empty address")
    prefecture: str = ""
    city: str = ""
    street: str = ""
    building: str = ""
    phone: str = Field("", description="any Japanese notation; stored as E.164")
    fax: str = ""
    email: str = ""
    website: str = ""
    sns: dict[str, str] = Field(default_factory=dict)
    representative: str = ""
    capital: int | None = None
    employees: int | None = None
    is_listed: bool = False
    fiscal_month: int | None = None
    industry: int | None = Field(None, description="industry id")
    description: str = ""
    rank: str = ""
    status: str = ""
    parent: int | None = Field(None, description="parent company id")
    owner: int | None = Field(None, description="user id; defaults to you on create")
    team: int | None = Field(None, description="team id; defaults to the owner's team on create")
    tags: list[str] = Field(default_factory=list, description="tag names (created when new)")
    notes: str = ""


class CompanyCreateIn(CompanyFields):
    name: str


class CompanyUpdateIn(CompanyFields):
    version: int = Field(description="the version you read; a newer one on the server answers 409")


class HandoverIn(Schema):
    model_config = ConfigDict(extra="forbid")

    owner_id: int
    reason: str = ""


class CompanyQuery(Schema):
    q: str = Field("", description="search: Japanese substrings, kana/width folded, phone digits")
    owner: int | None = None
    team: int | None = None
    status: str = ""
    rank: str = ""
    industry: int | None = Field(None, description="industry id")
    prefecture: str = ""
    tag: str = Field("", description="tag name")
    sort: SortKey = "kana"
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


# Contacts


class ContactOut(Schema):
    id: int
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    display_name: str
    display_name_kana: str
    company: Ref | None
    department: str
    title: str
    mobile_phone: str = Field(description="E.164")
    mobile_phone_display: str
    office_phone: str = Field(description="E.164")
    office_phone_display: str
    email: str
    email_alt: str
    postal_code: str
    prefecture: str
    city: str
    street: str
    building: str
    address: str
    birthday: dt.date | None
    gender: str
    household_size: int | None
    preferences: str
    sns: dict[str, str]
    owner: Ref | None
    team: Ref | None
    tags: list[str]
    notes: str
    mail_consent: str
    mail_consent_at: dt.datetime | None
    mail_consent_method: str
    mail_consent_note: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return obj.full_name

    @staticmethod
    def resolve_display_name_kana(obj: Any) -> str:
        return obj.full_name_kana

    @staticmethod
    def resolve_company(obj: Any) -> dict[str, Any] | None:
        # The employer's name is part of the person's record (as on a business card).
        company = obj.company
        return None if company is None else {"id": company.pk, "name": company.display_name}

    @staticmethod
    def resolve_owner(obj: Any) -> dict[str, Any] | None:
        return _user_ref(obj.owner)

    @staticmethod
    def resolve_team(obj: Any) -> dict[str, Any] | None:
        return _team_ref(obj.team)

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return _tag_names(obj)


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactFields(Schema):
    model_config = ConfigDict(extra="forbid")

    family_name: str = ""
    given_name: str = ""
    family_name_kana: str = ""
    given_name_kana: str = ""
    company: int | None = Field(None, description="company id; null for a private person (個人)")
    department: str = ""
    title: str = ""
    mobile_phone: str = ""
    office_phone: str = ""
    email: str = ""
    email_alt: str = ""
    postal_code: str = ""
    prefecture: str = ""
    city: str = ""
    street: str = ""
    building: str = ""
    birthday: dt.date | None = None
    gender: str = ""
    household_size: int | None = None
    preferences: str = ""
    sns: dict[str, str] = Field(default_factory=dict)
    owner: int | None = None
    team: int | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str = ""
    mail_consent: str = Field("", description="unknown / opted_in / opted_out")
    mail_consent_at: dt.datetime | None = None
    mail_consent_method: str = ""
    mail_consent_note: str = ""


class ContactCreateIn(ContactFields):
    family_name: str


class ContactUpdateIn(ContactFields):
    version: int


class ContactQuery(Schema):
    q: str = ""
    owner: int | None = None
    team: int | None = None
    company: int | None = None
    tag: str = ""
    mail_consent: str = ""
    prefecture: str = ""
    sort: SortKey = "kana"
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""
