"""Event subscribers of the sales module (kept apart from services: they react, they never decide).

- An activity about a deal keeps the deal from being stale.
- Deals (登録, 受注, 失注), issued quotes and new contracts appear on the company's timeline; each row
  carries the source's owner, team and visibility object type, so the timeline shows it only to
  people who may read that deal, quote or contract.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daifuku.activities import timeline
from daifuku.core.events import subscribe
from daifuku.core.money import format_amount
from daifuku.sales.selectors.deals import DEAL_RELATED_TYPE
from daifuku.sales.services.deals import deal_touch_activity

TEMPLATE = "sales/timeline/_entry.html"
timeline.register("deal.created", label=_("商談登録"), template=TEMPLATE, icon="＋")
timeline.register("deal.won", label=_("受注"), template=TEMPLATE, icon="★")
timeline.register("deal.lost", label=_("失注"), template=TEMPLATE, icon="✕")
timeline.register("quote.issued", label=_("見積発行"), template=TEMPLATE, icon="¥")
timeline.register("contract.created", label=_("契約登録"), template=TEMPLATE, icon="✍")


@subscribe("activity.logged")
@subscribe("activity.created")
def deal_activity_logged(*, activity: Any, **_: Any) -> None:
    """An activity about a deal keeps the deal from being stale (``last_activity_at``)."""
    if getattr(activity, "related_type", "") == DEAL_RELATED_TYPE and activity.related_id:
        deal_touch_activity(deal_id=activity.related_id, at=activity.occurred_at)


def _money(record: Any, amount: Any = None) -> str:
    return format_amount(record.amount if amount is None else amount, record.currency)


def _row(
    kind: str,
    record: Any,
    by: Any,
    *,
    title: str,
    object_type: str,
    url_name: str,
    amount: str,
    contact_ids: list[int],
    summary: str = "",
) -> None:
    """One timeline event for a deal, quote or contract: on its company, visible under its own scope."""
    timeline.write(
        kind=kind,
        occurred_at=timezone.now(),
        title=title,
        company_id=record.company_id,
        contact_ids=contact_ids,
        actor_id=by.pk if by else None,
        owner_id=record.owner_id,
        team_id=record.team_id,
        object_type=object_type,
        source=record,
        summary=summary,
        data={"url": reverse(url_name, args=[record.pk]), "amount": amount},
    )


def _deal_row(kind: str, deal: Any, by: Any, summary: str = "") -> None:
    contacts = list(deal.contacts.values_list("pk", flat=True))
    _row(kind, deal, by, title=deal.name, object_type="deal", url_name="sales:deal_detail",
         amount=_money(deal), contact_ids=contacts, summary=summary)  # fmt: skip


@subscribe("deal.created")
def deal_created(*, deal: Any, by: Any, **_: Any) -> None:
    _deal_row("deal.created", deal, by)


@subscribe("deal.won")
def deal_won(*, deal: Any, by: Any, **_: Any) -> None:
    _deal_row("deal.won", deal, by)


@subscribe("deal.lost")
def deal_lost(*, deal: Any, by: Any, reason: str = "", note: str = "", **_: Any) -> None:
    from daifuku.sales.models import LostReason

    label = str(dict(LostReason.choices).get(reason, reason))
    _deal_row("deal.lost", deal, by, summary=" / ".join(part for part in (label, note) if part))


@subscribe("deal.deleted")
def deal_deleted(*, deal: Any, **_: Any) -> None:
    """A trashed deal leaves the timeline (its rows would link to a page that answers 404)."""
    timeline.remove(deal)


@subscribe("quote.issued")
def quote_issued(*, quote: Any, by: Any, **_: Any) -> None:
    contacts = [quote.contact_id] if quote.contact_id else []
    _row("quote.issued", quote, by, title=f"{quote.display_number} {quote.title}", object_type="quote",
         url_name="sales:quote_detail", amount=_money(quote, quote.total), contact_ids=contacts)  # fmt: skip


@subscribe("contract.created")
def contract_created(*, contract: Any, by: Any, **_: Any) -> None:
    contacts = [contract.contact_id] if contract.contact_id else []
    title = f"{contract.number} {contract.title}"
    _row("contract.created", contract, by, title=title, object_type="contract",
         url_name="sales:contract_detail", amount=_money(contract), contact_ids=contacts)  # fmt: skip
