"""Writes of the sales module: competitors (競合) and the competitors of each deal.

Competitors are shared reference data: everyone reads them, managers and administrators change
them. A competitor is linked to a deal (with its offer price and notes) by whoever may edit the deal.
Every change is audited; a deal's competitor changes appear in the deal's 履歴.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from daifuku.core import audit, events, visibility
from daifuku.core.models import User
from daifuku.sales.models import Competitor, Deal, DealCompetitor
from daifuku.sales.services.common import Cleaner

DEAL = "deal"
MANAGER_ROLES = ("manager",)
COMPETITOR_FIELDS = ["name", "website", "strengths", "weaknesses", "products", "notes", "is_active"]
LINK_FIELDS = ["offer_price", "notes"]


def can_manage_competitors(user: User) -> bool:
    """Managers and administrators maintain the competitor list."""
    role = getattr(user, "role", None)
    return bool(
        user.is_active and (user.is_administrator or (role is not None and role.slug in MANAGER_ROLES))
    )


def _check_manager(by: User) -> None:
    if not can_manage_competitors(by):
        raise PermissionDenied(_("競合を登録・編集できるのはマネージャーと管理者です。"))


def _apply(competitor: Competitor, data: dict[str, Any]) -> None:
    cleaner = Cleaner(data, COMPETITOR_FIELDS)
    if "name" in cleaner or competitor.pk is None:
        competitor.name = cleaner.text("name", required=True, max_length=200)
    if "website" in cleaner:
        website = cleaner.text("website", max_length=200)
        if website and not website.startswith(("http://", "https://")):
            cleaner.error("website", _("Webサイトは http:// または https:// で始まるURLを入力してください。"))
        competitor.website = website
    for name in ("strengths", "weaknesses", "products", "notes"):
        if name in cleaner:
            setattr(competitor, name, cleaner.text(name))
    if "is_active" in cleaner:
        competitor.is_active = cleaner.boolean("is_active", default=True)
    if competitor.name and "name" not in cleaner.errors:
        clash = Competitor.objects.filter(name__iexact=competitor.name).exclude(pk=competitor.pk).first()
        if clash is not None:
            cleaner.error("name", _("競合「%(name)s」は既に登録されています。") % {"name": clash.name})
    cleaner.raise_errors()


@transaction.atomic
def competitor_create(*, by: User, data: dict[str, Any]) -> Competitor:
    _check_manager(by)
    competitor = Competitor()
    _apply(competitor, data)
    competitor.save()
    audit.record(competitor, by=by, action="create", changes=audit.diff({}, audit.snapshot(competitor)))
    events.emit("competitor.created", competitor=competitor, by=by)
    return competitor


@transaction.atomic
def competitor_update(*, competitor: Competitor, by: User, data: dict[str, Any]) -> Competitor:
    """Change a competitor; ``is_active=False`` keeps its history but hides it from new deals."""
    _check_manager(by)
    competitor = Competitor.objects.select_for_update().get(pk=competitor.pk)
    before = audit.snapshot(competitor)
    _apply(competitor, data)
    delta = audit.diff(before, audit.snapshot(competitor))
    if not delta:
        return competitor
    competitor.save()
    audit.record(competitor, by=by, action="update", changes=delta)
    events.emit("competitor.updated", competitor=competitor, by=by, changes=delta)
    return competitor


@transaction.atomic
def competitor_delete(*, competitor: Competitor, by: User) -> None:
    """Delete a competitor no deal refers to (one with deals is made inactive instead)."""
    _check_manager(by)
    competitor = Competitor.objects.select_for_update().get(pk=competitor.pk)
    if DealCompetitor.objects.filter(competitor=competitor).exists():
        raise ValidationError(
            {
                "__all__": _(
                    "商談に登録されている競合は削除できません。「有効」を外して使わないようにしてください。"
                )
            }
        )
    audit.record(competitor, by=by, action="delete", changes=audit.diff(audit.snapshot(competitor), {}))
    competitor.delete()


# Competitors of a deal


def _locked_deal(deal: Deal, by: User) -> Deal:
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    visibility.check_can_edit(by, deal, DEAL)
    if deal.deleted_at is not None:
        raise ValidationError({"__all__": _("ごみ箱の商談は変更できません。")})
    return deal


@transaction.atomic
def deal_competitor_set(
    *, deal: Deal, competitor: Competitor, by: User, data: dict[str, Any] | None = None
) -> DealCompetitor:
    """Add a competitor to a deal, or change its offer price and notes if it is already there."""
    deal = _locked_deal(deal, by)
    cleaner = Cleaner(data or {}, LINK_FIELDS)
    offer_price = cleaner.decimal("offer_price")
    notes = cleaner.text("notes")
    link = DealCompetitor.objects.select_for_update().filter(deal=deal, competitor=competitor).first()
    if link is None and not competitor.is_active:
        cleaner.error("competitor", _("無効の競合は商談に追加できません。"))
    cleaner.raise_errors()
    if link is None:
        link = DealCompetitor.objects.create(
            deal=deal, competitor=competitor, offer_price=offer_price, notes=notes
        )
        changes = {"competitor": [None, competitor.name], **_offer_changes(None, link)}
        action = "competitor_add"
    else:
        old = DealCompetitor(offer_price=link.offer_price, notes=link.notes)
        link.offer_price, link.notes = offer_price, notes
        changes = _offer_changes(old, link)
        if not changes:
            return link
        link.save(update_fields=["offer_price", "notes"])
        action = "competitor_update"
    audit.record(deal, by=by, action=action, changes=changes, note=competitor.name)
    events.emit("deal.competitor_set", deal=deal, competitor=competitor, link=link, by=by)
    return link


def _offer_changes(old: DealCompetitor | None, new: DealCompetitor) -> dict[str, list[Any]]:
    before = {"offer_price": _price(old.offer_price) if old else None, "notes": old.notes if old else ""}
    return audit.diff(before, {"offer_price": _price(new.offer_price), "notes": new.notes})


def _price(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@transaction.atomic
def deal_competitor_remove(*, deal: Deal, competitor: Competitor, by: User) -> None:
    deal = _locked_deal(deal, by)
    link = DealCompetitor.objects.filter(deal=deal, competitor=competitor).first()
    if link is None:
        raise ValidationError({"competitor": _("この競合は商談に登録されていません。")})
    link.delete()
    audit.record(deal, by=by, action="competitor_remove", changes={"competitor": [competitor.name, None]})
    events.emit("deal.competitor_removed", deal=deal, competitor=competitor, by=by)
