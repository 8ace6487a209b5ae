"""The timeline's registry of entry kinds: kind → template, label and icon.

The timeline is one table (``TimelineEntry``) read in time order; it never knows where rows come from.
A module that wants its records on a company's or contact's timeline (deals, tickets, quotes …):

1. calls :func:`register` once (from its ``AppConfig.ready()``) with its ``kind``, a label, an icon
   and a template that renders one entry (the template gets ``entry``);
2. subscribes to its own domain events and calls :func:`write` with the company/contact, the
   source record's owner/team and its visibility object type.

Rows carry everything needed to render them (title, summary, ``data``), so a page of the timeline
costs the same few queries whatever mix of kinds it holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from daifuku.activities.models import TimelineEntry

GENERIC_TEMPLATE = "activities/timeline/_generic.html"


@dataclass(frozen=True)
class EntryKind:
    kind: str
    label: str | Promise
    template: str = GENERIC_TEMPLATE
    icon: str = "•"


_kinds: dict[str, EntryKind] = {}


def register(kind: str, *, label: str | Promise, template: str = GENERIC_TEMPLATE, icon: str = "•") -> None:
    """Make ``kind`` renderable on the timeline (idempotent; the last registration wins)."""
    _kinds[kind] = EntryKind(kind=kind, label=label, template=template, icon=icon)


def kind_info(kind: str) -> EntryKind:
    """The registration of ``kind``; unknown kinds (a module was removed) render with the generic template."""
    return _kinds.get(kind) or EntryKind(kind=kind, label=kind)


def kinds() -> list[EntryKind]:
    return list(_kinds.values())


def write(
    *,
    kind: str,
    occurred_at: dt.datetime,
    title: str,
    company_id: int | None = None,
    contact_ids: Iterable[int] = (),
    actor_id: int | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    object_type: str = "",
    source: models.Model | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> list[TimelineEntry]:
    """Write the rows of one timeline event.

    The first row carries the company and the first contact; every further contact gets a row of its
    own without the company, so the company timeline shows the event once and each contact's timeline
    shows it too. ``object_type`` names the visibility scope of the source record ("" = visible to
    whoever sees the company/contact).
    """
    contacts = list(dict.fromkeys(contact_ids))
    pairs: list[tuple[int | None, int | None]] = [(company_id, contacts[0] if contacts else None)]
    pairs += [(None, contact_id) for contact_id in contacts[1:]]
    source_type = f"{source._meta.app_label}.{source._meta.model_name}" if source is not None else ""
    rows = [
        TimelineEntry(
            kind=kind,
            occurred_at=occurred_at,
            company_id=company,
            contact_id=contact,
            actor_id=actor_id,
            owner_id=owner_id,
            team_id=team_id,
            object_type=object_type,
            source_type=source_type,
            source_id=source.pk if source is not None else None,
            title=title[:300],
            summary=summary,
            data=data or {},
        )
        for company, contact in pairs
        if company is not None or contact is not None
    ]
    return TimelineEntry.objects.bulk_create(rows)


def remove(source: models.Model) -> int:
    """Delete every timeline row written for ``source`` (before rewriting it, or when it is trashed)."""
    source_type = f"{source._meta.app_label}.{source._meta.model_name}"
    deleted, _details = TimelineEntry.objects.filter(source_type=source_type, source_id=source.pk).delete()
    return deleted


# Kinds the activities module itself writes (other modules register theirs the same way).
register("activity", label=_("活動"), template="activities/timeline/_activity.html", icon="✎")
register("company.handover", label=_("担当者変更"), template="activities/timeline/_handover.html", icon="⇄")
register("company.created", label=_("取引先登録"), icon="＋")
register("company.status", label=_("ステータス変更"), icon="◆")
register("contact.created", label=_("担当者登録"), icon="＋")
