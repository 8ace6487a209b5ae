"""Reads of the sales module: contracts (visibility applied).

A contract outside the user's read scope (or in the trash) raises ``Http404`` from
:func:`contract_get` and never appears in lists or counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from daifuku.core import audit, visibility
from daifuku.core.models import AuditEntry, User
from daifuku.customers.models import Company
from daifuku.sales.models import Contract, ContractAlert, ContractLine, ContractStatus

CONTRACT = "contract"
THIS_QUARTER = "this_quarter"
NEXT_QUARTER = "next_quarter"
EXPIRING_CHOICES = (THIS_QUARTER, NEXT_QUARTER)


@dataclass
class ContractFilters:
    q: str = ""
    status: str = ""
    owner: int | None = None
    team: int | None = None
    company: int | None = None
    billing_type: str = ""
    renewal_type: str = ""
    expiring: str = ""  # this_quarter / next_quarter (calendar quarters)


def quarter_range(today: dt.date, which: str) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar quarter of ``today`` (``this_quarter``) or the one after.

    Calendar quarters (1–3, 4–6, 7–9, 10–12) rather than fiscal ones: contract end dates follow the
    customers' terms, which do not follow our own 決算月.
    """
    first_month = (today.month - 1) // 3 * 3 + 1
    start = dt.date(today.year, first_month, 1)
    if which == NEXT_QUARTER:
        start = dt.date(start.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)
    end_month = start.month + 2
    following = dt.date(start.year + (end_month == 12), end_month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def contract_queryset(*, user: User, action: str = "read") -> QuerySet[Contract]:
    """Live (not trashed) contracts the user may read (or edit)."""
    return visibility.visible(Contract.objects.filter(deleted_at__isnull=True), user, CONTRACT, action=action)


def contract_list(
    *, user: User, filters: ContractFilters | None = None, today: dt.date | None = None
) -> QuerySet[Contract]:
    """Contracts by end date (soonest first, open-ended last), filtered."""
    filters = filters or ContractFilters()
    qs = contract_queryset(user=user)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(number__icontains=filters.q))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.billing_type:
        qs = qs.filter(billing_type=filters.billing_type)
    if filters.renewal_type:
        qs = qs.filter(renewal_type=filters.renewal_type)
    if filters.expiring in EXPIRING_CHOICES:
        start, end = quarter_range(today or timezone.localdate(), filters.expiring)
        qs = qs.filter(ends_on__gte=start, ends_on__lte=end)
    return qs.select_related("company", "owner", "team").order_by(F("ends_on").asc(nulls_last=True), "id")


def contract_get(*, user: User, pk: Any) -> Contract:
    """One contract the user may read; 404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    contract = (
        contract_queryset(user=user)
        .select_related("company", "contact", "owner", "team", "deal", "renewal_deal", "previous", "currency")
        .filter(pk=pk)
        .first()
    )
    if contract is None:
        raise Http404
    return contract


def contract_lines(*, contract: Contract) -> QuerySet[ContractLine]:
    return contract.lines.select_related("product").order_by("sort_order", "id")


def contract_history(*, contract: Contract) -> QuerySet[AuditEntry]:
    """The 履歴 tab of a contract the caller has fetched through :func:`contract_get`."""
    return audit.entries_for(contract)


def contract_alerts(*, contract: Contract) -> QuerySet[ContractAlert]:
    return contract.alerts.order_by("-sent_at", "-id")


def contract_for_deal(*, user: User, deal_id: int) -> Contract | None:
    """The live contract made from a deal, if the user may see it."""
    return contract_queryset(user=user).filter(deal_id=deal_id).order_by("pk").first()


def company_contracts(*, user: User, company: Company, limit: int = 10) -> list[Contract]:
    """A company's active and draft contracts the user may read, ending soonest first."""
    qs = contract_queryset(user=user).filter(
        company_id=company.pk, status__in=[ContractStatus.ACTIVE, ContractStatus.DRAFT]
    )
    return list(
        qs.select_related("currency", "owner").order_by(F("ends_on").asc(nulls_last=True), "id")[:limit]
    )
