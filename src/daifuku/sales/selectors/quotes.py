"""Reads of the sales module: quotes (visibility applied).

A quote outside the user's read scope (object type ``quote``) or in the trash is a 404 from
:func:`quote_get` and never appears in lists or counts. The list filters are the ones 電子帳簿保存法
asks for: transaction date (見積日) range, amount range and counterparty, combinable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from daifuku.core import visibility
from daifuku.core.models import User
from daifuku.sales.models import Deal, Quote, QuoteLine

QUOTE = "quote"


@dataclass
class QuoteFilters:
    q: str = ""
    status: str = ""
    owner: int | None = None
    company: int | None = None
    deal: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None


def quote_queryset(*, user: User, action: str = "read") -> QuerySet[Quote]:
    """Live (not trashed) quotes the user may read (or edit)."""
    return visibility.visible(Quote.objects.filter(deleted_at__isnull=True), user, QUOTE, action=action)


def quote_list(*, user: User, filters: QuoteFilters | None = None) -> QuerySet[Quote]:
    """Quotes newest first, with what a list row shows (company, owner, deal, currency, successor)."""
    filters = filters or QuoteFilters()
    qs = quote_queryset(user=user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(number__icontains=term) | Q(title__icontains=term) | Q(recipient_name__icontains=term)
        )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.deal:
        qs = qs.filter(deal_id=filters.deal)
    if filters.date_from:
        qs = qs.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(issue_date__lte=filters.date_to)
    if filters.amount_min is not None:
        qs = qs.filter(total__gte=filters.amount_min)
    if filters.amount_max is not None:
        qs = qs.filter(total__lte=filters.amount_max)
    return qs.select_related("company", "owner", "deal", "currency", "next_revision").order_by(
        "-created_at", "-id"
    )


def quote_get(*, user: User, pk: Any) -> Quote:
    """One quote the user may read, with its deal, company, contact and successor; 404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    quote = (
        quote_queryset(user=user)
        .select_related(
            "deal",
            "company",
            "contact",
            "owner",
            "team",
            "currency",
            "previous",
            "next_revision",
            "issued_by",
        )
        .filter(pk=pk)
        .first()
    )
    if quote is None:
        raise Http404
    return quote


def quote_lines(*, quote: Quote) -> list[QuoteLine]:
    """The lines of a quote already fetched through :func:`quote_get`."""
    return list(quote.lines.select_related("product").order_by("sort_order", "id"))


def quotes_for_deal(*, user: User, deal: Deal) -> list[Quote]:
    """The deal's quotes the user may see, newest first (for the deal page)."""
    return list(
        quote_queryset(user=user)
        .filter(deal=deal)
        .select_related("currency", "next_revision", "owner")
        .order_by("-created_at", "-id")
    )


def quote_revisions(*, user: User, quote: Quote) -> list[Quote]:
    """Every visible revision of the quote's number, oldest first."""
    return list(quote_queryset(user=user).filter(number=quote.number).order_by("revision"))
