"""Reads of the sales module: leads (visibility applied).

Leads use the role scopes of object type ``lead``; on top of them, managers and administrators see
the leads nobody owns yet (their queue to assign). Sales reps see unassigned leads only with an
``all`` read scope. A lead outside this raises ``Http404`` from :func:`lead_get`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from daifuku.activities.models import Activity
from daifuku.activities.selectors import activity_queryset
from daifuku.core import audit, jp, search, visibility
from daifuku.core.models import AuditEntry, User
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.models import Company, Contact
from daifuku.sales.models import LeadAssignmentRule, WebLeadForm
from daifuku.sales.models.leads import Lead
from daifuku.sales.services.leads import LEAD, LEAD_TYPE, is_lead_manager, sees_unassigned

SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
}


@dataclass
class LeadFilters:
    q: str = ""
    status: str = ""
    source: str = ""
    owner: int | None = None
    unassigned: bool = False
    open_only: bool = False


def lead_queryset(*, user: User, action: str = "read") -> QuerySet[Lead]:
    """Live leads the user may read (or edit): their scope, plus unassigned ones for managers."""
    base = Lead.objects.filter(deleted_at__isnull=True)
    scoped = visibility.visible(base, user, LEAD, action=action)
    if action == "read" and sees_unassigned(user):
        return scoped | base.filter(owner__isnull=True)
    if action == "edit" and is_lead_manager(user) and visibility.scope_for(user, LEAD, "edit") != "none":
        return scoped | base.filter(owner__isnull=True)
    return scoped


def lead_list(*, user: User, filters: LeadFilters | None = None, sort: str = "-created") -> QuerySet[Lead]:
    filters = filters or LeadFilters()
    qs = lead_queryset(user=user)
    if filters.q:
        match = search.matches(LEAD, filters.q)
        if match is not None:
            qs = qs.filter(match)
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif filters.open_only:
        qs = qs.exclude(status__in=["converted", "disqualified"])
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.unassigned:
        qs = qs.filter(owner__isnull=True)
    elif filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    return qs.select_related("owner", "team").order_by(*SORTS.get(sort, SORTS["-created"]))


def lead_get(*, user: User, pk: Any) -> Lead:
    """One lead the user may read; 404 otherwise (also for trashed leads)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    lead = (
        lead_queryset(user=user)
        .select_related(
            "owner", "team", "industry", "converted_company", "converted_contact", "converted_deal"
        )
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise Http404
    return lead


def lead_history(*, lead: Lead) -> QuerySet[AuditEntry]:
    """Audit entries of a lead the caller already fetched through :func:`lead_get`."""
    return audit.entries_for(lead)


def lead_activities(*, user: User, lead: Lead, limit: int = 50) -> list[Activity]:
    """Activities logged about this lead (related to it) that the user may read, newest first."""
    qs = activity_queryset(user=user).filter(related_type=LEAD_TYPE, related_id=lead.pk)
    return list(qs.select_related("owner").order_by("-occurred_at", "-id")[:limit])


def unassigned_count(*, user: User) -> int:
    if not sees_unassigned(user):
        return 0
    return Lead.objects.filter(deleted_at__isnull=True, owner__isnull=True).count()


# 名寄せ at conversion


@dataclass
class Candidate:
    record: Any
    reason: str  # corporate_number / name / phone / email_domain / email / name_in_company


@dataclass
class ConversionCandidates:
    companies: list[Candidate] = field(default_factory=list)
    contacts: list[Candidate] = field(default_factory=list)


def _email_domain(email: str) -> str:
    domain = email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""
    return "" if domain in customer_selectors._FREE_MAIL_DOMAINS else domain


def lead_conversion_candidates(*, lead: Lead, by: User, limit: int = 10) -> ConversionCandidates:
    """Existing companies and contacts the lead probably is, among those ``by`` may see.

    Companies: same 法人番号 first, then the same name key (``(株)山田商事`` = ``山田商事 株式会社``),
    then the same phone or e-mail domain (free-mail domains ignored). Contacts: same e-mail first,
    then the same person name key at one of the candidate companies. Two queries.
    """
    result = ConversionCandidates()
    company_key = lead.company_name_key or (
        jp.company_name_key(lead.company_name) if lead.company_name else ""
    )
    domain = _email_domain(lead.email)
    rules: list[tuple[str, Q]] = []
    if lead.corporate_number:
        rules.append(("corporate_number", Q(corporate_number=lead.corporate_number)))
    if company_key:
        rules.append(("name", Q(name_key=company_key)))
    if lead.phone:
        rules.append(("phone", Q(phone=lead.phone)))
    if domain:
        rules.append(("email_domain", Q(email__iendswith="@" + domain)))
    if rules:
        match = Q(pk__in=[])
        for _reason, q in rules:
            match |= q
        rank = Case(
            *[When(q, then=Value(i)) for i, (_reason, q) in enumerate(rules)],
            default=Value(len(rules)),
            output_field=IntegerField(),
        )
        companies: list[Company] = list(
            customer_selectors.company_queryset(user=by)
            .filter(match)
            .annotate(match_rank=rank)
            .select_related("owner")
            .order_by("match_rank", "kana_key", "id")[:limit]
        )
        result.companies = [Candidate(c, rules[c.match_rank][0]) for c in companies]  # type: ignore[attr-defined]
    name_key = lead.name_key or jp.person_name_key(lead.family_name, lead.given_name)
    company_ids = [c.record.pk for c in result.companies]
    contact_rules: list[tuple[str, Q]] = []
    if lead.email:
        contact_rules.append(("email", Q(email__iexact=lead.email) | Q(email_alt__iexact=lead.email)))
    if name_key and company_ids:
        contact_rules.append(("name_in_company", Q(name_key=name_key, company_id__in=company_ids)))
    if contact_rules:
        match = Q(pk__in=[])
        for _reason, q in contact_rules:
            match |= q
        rank = Case(
            *[When(q, then=Value(i)) for i, (_reason, q) in enumerate(contact_rules)],
            default=Value(len(contact_rules)),
            output_field=IntegerField(),
        )
        contacts: list[Contact] = list(
            customer_selectors.contact_queryset(user=by)
            .filter(match)
            .annotate(match_rank=rank)
            .select_related("company")
            .order_by("match_rank", "kana_key", "id")[:limit]
        )
        result.contacts = [Candidate(c, contact_rules[c.match_rank][0]) for c in contacts]  # type: ignore[attr-defined]
    return result


# Settings pages


def assignment_rules(*, user: User) -> QuerySet[LeadAssignmentRule]:
    if not is_lead_manager(user):
        return LeadAssignmentRule.objects.none()
    return LeadAssignmentRule.objects.select_related(
        "industry", "team", "assignee", "last_assigned"
    ).order_by("sort_order", "id")


def assignment_rule_get(*, user: User, pk: Any) -> LeadAssignmentRule:
    rule = assignment_rules(user=user).filter(pk=int(pk) if str(pk).isdigit() else 0).first()
    if rule is None:
        raise Http404
    return rule


def web_forms(*, user: User) -> QuerySet[WebLeadForm]:
    if not user.is_administrator:
        return WebLeadForm.objects.none()
    return WebLeadForm.objects.select_related("owner").order_by("name", "id")


def web_form_get(*, user: User, pk: Any) -> WebLeadForm:
    form = web_forms(user=user).filter(pk=int(pk) if str(pk).isdigit() else 0).first()
    if form is None:
        raise Http404
    return form


def web_form_by_token(*, token: str) -> WebLeadForm | None:
    """The active public form with this token (the public endpoint; no user)."""
    if not token or len(token) > 64:
        return None
    return WebLeadForm.objects.filter(token=token, is_active=True).select_related("owner").first()
