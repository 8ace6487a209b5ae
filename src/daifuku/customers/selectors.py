"""Every read of companies and contacts, with the acting user's visibility applied.

A record outside the user's read scope (or in the trash, unless asked for by an administrator)
raises ``Http404`` from the ``*_get`` selectors and never appears in lists, counts or search.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from daifuku.core import audit, jp, prepared, search, visibility
from daifuku.core.models import AuditEntry, Team, User
from daifuku.customers.models import Company, CompanyHandover, Contact, ContactAffiliation, Tag

COMPANY = "company"
CONTACT = "contact"

# Sort keys users may ask for → ORDER BY (always ending in the pk for a stable order).
COMPANY_SORTS: dict[str, tuple[str, ...]] = {
    "kana": ("kana_key", "id"),
    "-kana": ("-kana_key", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
CONTACT_SORTS = COMPANY_SORTS


@dataclass
class CompanyFilters:
    q: str = ""
    owner: int | None = None
    team: int | None = None
    status: str = ""
    rank: str = ""
    industry: int | None = None
    prefecture: str = ""
    tag: str = ""


@dataclass
class ContactFilters:
    q: str = ""
    owner: int | None = None
    team: int | None = None
    company: int | None = None
    tag: str = ""
    mail_consent: str = ""
    prefecture: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _order(sort: str, sorts: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return sorts.get(sort, sorts["kana"])


# Companies


def company_queryset(*, user: User, action: str = "read") -> QuerySet[Company]:
    """Live (not trashed) companies the user may read (or edit)."""
    return visibility.visible(Company.objects.filter(deleted_at__isnull=True), user, COMPANY, action=action)


def company_list(
    *, user: User, filters: CompanyFilters | None = None, sort: str = "kana"
) -> QuerySet[Company]:
    filters = filters or CompanyFilters()
    qs = company_queryset(user=user)
    if filters.q:
        match = search.matches(COMPANY, filters.q)
        if match is not None:
            qs = qs.filter(match)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.rank:
        qs = qs.filter(rank=filters.rank)
    if filters.industry:
        qs = qs.filter(industry_id=filters.industry)
    if filters.prefecture:
        qs = qs.filter(prefecture=filters.prefecture)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    return qs.select_related("owner", "team", "industry").order_by(*_order(sort, COMPANY_SORTS))


def company_get(*, user: User, pk: Any, include_deleted: bool = False) -> Company:
    """One company the user may read; 404 otherwise. Trashed ones only for administrators."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = Company.objects.select_related("owner", "team", "industry", "parent")
    if include_deleted and user.is_administrator:
        qs = qs.select_related("deleted_by")  # only a trashed one has it; a join costs PostgreSQL planning
    else:
        qs = qs.filter(deleted_at__isnull=True)
    qs = visibility.visible(qs, user, COMPANY)
    company = qs.prefetch_related("tags").filter(pk=pk).first()
    if company is None:
        raise Http404
    return company


def company_trash(*, user: User) -> QuerySet[Company]:
    if not user.is_administrator:
        return Company.objects.none()
    return (
        Company.objects.filter(deleted_at__isnull=False)
        .select_related("deleted_by", "owner")
        .order_by("-deleted_at", "-id")
    )


def company_contacts(*, user: User, company: Company) -> QuerySet[Contact]:
    return (
        contact_queryset(user=user).filter(company=company).select_related("owner").order_by("kana_key", "id")
    )


def company_children(*, user: User, company: Company) -> QuerySet[Company]:
    return company_queryset(user=user).filter(parent=company).order_by("kana_key", "id")


def company_history(*, company: Company) -> QuerySet[AuditEntry]:
    """The 履歴 tab: audit entries of a company the caller has already fetched through ``company_get``."""
    return audit.entries_for(company)


def company_handovers(*, company: Company) -> QuerySet[CompanyHandover]:
    return company.handovers.select_related("from_owner", "to_owner", "by")


def company_duplicates(
    *,
    user: User,
    name: str = "",
    corporate_number: str = "",
    phone: str = "",
    email: str = "",
    exclude_pk: int | None = None,
    limit: int = 5,
) -> list[Company]:
    """Likely duplicates among the companies the user can see: same 法人番号, name key, phone or domain."""
    q = Q(pk__in=[])
    digits = jp.clean_digits(corporate_number)
    if digits:
        q |= Q(corporate_number=digits)
    key = jp.company_name_key(name) if name else ""
    if key:
        q |= Q(name_key=key)
    e164 = jp.parse_phone(phone) if phone else None
    if e164:
        q |= Q(phone=e164)
    domain = email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""
    if domain and domain not in _FREE_MAIL_DOMAINS:
        q |= Q(email__iendswith="@" + domain)
    qs = company_queryset(user=user).filter(q)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.select_related("owner").order_by("kana_key", "id")[:limit])


_FREE_MAIL_DOMAINS = {"gmail.com", "yahoo.co.jp", "icloud.com", "outlook.jp", "outlook.com", "hotmail.com",
                      "docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp", "i.softbank.jp"}  # fmt: skip


# Contacts


def contact_queryset(*, user: User, action: str = "read") -> QuerySet[Contact]:
    return visibility.visible(Contact.objects.filter(deleted_at__isnull=True), user, CONTACT, action=action)


def contact_list(
    *, user: User, filters: ContactFilters | None = None, sort: str = "kana"
) -> QuerySet[Contact]:
    filters = filters or ContactFilters()
    qs = contact_queryset(user=user)
    if filters.q:
        match = search.matches(CONTACT, filters.q)
        if match is not None:
            qs = qs.filter(match)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.mail_consent:
        qs = qs.filter(mail_consent=filters.mail_consent)
    if filters.prefecture:
        qs = qs.filter(prefecture=filters.prefecture)
    return qs.select_related("owner", "team", "company").order_by(*_order(sort, CONTACT_SORTS))


def contact_get(*, user: User, pk: Any, include_deleted: bool = False) -> Contact:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = Contact.objects.select_related("owner", "team", "company")
    if include_deleted and user.is_administrator:
        qs = qs.select_related("deleted_by")  # only a trashed one has it; a join costs PostgreSQL planning
    else:
        qs = qs.filter(deleted_at__isnull=True)
    contact = visibility.visible(qs, user, CONTACT).prefetch_related("tags").filter(pk=pk).first()
    if contact is None:
        raise Http404
    return contact


def contact_trash(*, user: User) -> QuerySet[Contact]:
    if not user.is_administrator:
        return Contact.objects.none()
    return (
        Contact.objects.filter(deleted_at__isnull=False)
        .select_related("deleted_by", "owner")
        .order_by("-deleted_at", "-id")
    )


def contact_history(*, contact: Contact) -> QuerySet[AuditEntry]:
    return audit.entries_for(contact)


def contact_affiliations(*, contact: Contact) -> QuerySet[ContactAffiliation]:
    return contact.affiliations.all()


def contact_duplicates(
    *,
    user: User,
    family_name: str = "",
    given_name: str = "",
    email: str = "",
    phone: str = "",
    company_id: int | None = None,
    exclude_pk: int | None = None,
    limit: int = 5,
) -> list[Contact]:
    """Likely duplicate people: same email or mobile, or same name key (at the same company if given)."""
    q = Q(pk__in=[])
    if email.strip():
        q |= Q(email__iexact=email.strip()) | Q(email_alt__iexact=email.strip())
    e164 = jp.parse_phone(phone) if phone else None
    if e164:
        q |= Q(mobile_phone=e164) | Q(office_phone=e164)
    key = jp.person_name_key(family_name, given_name) if family_name else ""
    if key:
        q |= Q(name_key=key, company_id=company_id) if company_id else Q(name_key=key)
    qs = contact_queryset(user=user).filter(q)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.select_related("company").order_by("kana_key", "id")[:limit])


# Global search and choices


@dataclass
class SearchResults:
    companies: list[Company]
    contacts: list[Contact]


def global_search(*, user: User, q: str, limit: int = 10) -> SearchResults:
    if not search.query_terms(q):
        return SearchResults([], [])
    companies = list(company_list(user=user, filters=CompanyFilters(q=q))[:limit])
    contacts = list(contact_list(user=user, filters=ContactFilters(q=q))[:limit])
    return SearchResults(companies, contacts)


def owner_choices() -> QuerySet[User]:
    return User.objects.filter(is_active=True).select_related("team").order_by("team__name", "username")


def team_choices() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def attach_tag_names(rows: list[Any]) -> list[Any]:
    """Set ``tag_names`` (sorted like ``Tag``) on a page of companies or contacts: one query.

    A ``prefetch_related("tags")`` built a related manager and a Tag instance per row and tag, a
    seventh of an API list request; the page only needs the names.
    """
    if not rows:
        return rows
    names = tag_names_by_pk(type(rows[0]), [row.pk for row in rows])
    for row in rows:
        row.tag_names = names[row.pk]
    return rows


def tag_names_by_pk(model: type[Company] | type[Contact], pks: list[Any]) -> dict[Any, list[str]]:
    """The tag names (sorted like ``Tag``) of these companies or contacts, by pk: one query."""
    column = f"{model._meta.model_name}_id"

    def pairs() -> QuerySet[Any]:
        return (
            model.tags.through.objects.filter(**{f"{column}__in": prepared.id_list()})
            .order_by("tag__name", "tag_id")
            .values_list(column, "tag__name")
        )

    names: dict[Any, list[str]] = {pk: [] for pk in pks}
    if pks:
        for owner_id, name in prepared.plan(("tag_names", model), pairs).fetch(ids=pks):
            names[owner_id].append(name)
    return names


def tag_choices() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def prefecture_choices() -> list[str]:
    return list(PREFECTURES)


PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip


# Keyset (cursor) pagination for the API


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError):
        return None
    return value if isinstance(value, list) and len(value) == 2 else None


def after_cursor(qs: QuerySet[Any], cursor: str | None, sort: str) -> QuerySet[Any]:
    """Rows after ``cursor`` in the ``sort`` order (key column + id). Raises ValueError on a bad cursor."""
    if not cursor:
        return qs
    decoded = decode_cursor(cursor)
    if decoded is None:
        raise ValueError("bad cursor")
    key_field, _id_field = _order(sort, COMPANY_SORTS)
    descending = key_field.startswith("-")
    column = key_field.lstrip("-")
    key, last_id = decoded
    op = "lt" if descending else "gt"
    return qs.filter(Q(**{f"{column}__{op}": key}) | Q(**{column: key, f"id__{op}": last_id}))


def cursor_for(obj: Any, sort: str) -> str:
    key_field, _id = _order(sort, COMPANY_SORTS)
    column = key_field.lstrip("-")
    return cursor_from({column: getattr(obj, column)}, obj.pk, sort)


def cursor_from(values: dict[str, Any], pk: Any, sort: str) -> str:
    """:func:`cursor_for` of a row known by its sort columns' values (``kana_key`` …) and its pk."""
    key_field, _id = _order(sort, COMPANY_SORTS)
    value = values[key_field.lstrip("-")]
    return encode_cursor([value.isoformat() if hasattr(value, "isoformat") else value, pk])


# Web UI helpers (choices and names for the 履歴 tab)

from daifuku.customers.models import Industry  # noqa: E402


def industry_choices() -> QuerySet[Industry]:
    return Industry.objects.order_by("order", "code")


def company_choices(*, user: User, q: str, limit: int = 10) -> list[Company]:
    """Companies for a typeahead chooser: visible ones matching ``q`` (nothing for an empty query)."""
    if not search.query_terms(q):
        return []
    return list(company_list(user=user, filters=CompanyFilters(q=q))[:limit])


@dataclass
class ReferenceNames:
    """Display names for ids found in audit entries; companies only where the user may see them."""

    users: dict[int, str] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=dict)
    industries: dict[int, str] = field(default_factory=dict)
    companies: dict[int, str] = field(default_factory=dict)


def reference_names(
    *,
    user: User,
    user_ids: set[int] | None = None,
    team_ids: set[int] | None = None,
    tag_ids: set[int] | None = None,
    industry_ids: set[int] | None = None,
    company_ids: set[int] | None = None,
) -> ReferenceNames:
    """One query per kind of id asked for (none for an empty set), so a history page has no N+1."""
    names = ReferenceNames()
    if user_ids:
        for u in User.objects.filter(pk__in=user_ids).only("username", "first_name", "last_name"):
            names.users[u.pk] = u.display_name
    if team_ids:
        names.teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    if tag_ids:
        names.tags = dict(Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name"))
    if industry_ids:
        names.industries = {i.pk: str(i) for i in Industry.objects.filter(pk__in=industry_ids)}
    if company_ids:
        visible_companies = company_queryset(user=user).filter(pk__in=company_ids)
        for c in visible_companies.only("name", "legal_form", "legal_form_position", "owner", "team"):
            names.companies[c.pk] = c.display_name
    return names
