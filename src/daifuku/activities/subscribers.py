"""Domain-event subscribers of the activities module: they write the timeline's rows.

Activities, handovers and highlights of the audit trail (company created, status changed, contact
added) become ``TimelineEntry`` rows here. Rows are denormalized (title, names, outcome) so that a
page of the timeline renders without a query per row; an activity's rows are rewritten when it changes.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from daifuku.activities import timeline
from daifuku.activities.models import Activity, TimelineEntry
from daifuku.core import inlist
from daifuku.core.events import subscribe
from daifuku.imports import fastinsert


def _activity_rows(activity: Activity) -> None:
    contacts = list(activity.contacts.all().order_by("pk"))
    participants = list(activity.participants.all().order_by("pk"))
    keywords = list(activity.keywords.order_by("name").values_list("name", flat=True))
    timeline.write(**_activity_entry(activity, contacts, participants, keywords))


def _activity_entry(
    activity: Activity, contacts: list[Any], participants: list[Any], keywords: list[str]
) -> dict[str, Any]:
    """The ``timeline.write`` arguments of an activity (one logged, or one of an imported batch)."""
    return dict(
        kind="activity",
        occurred_at=activity.occurred_at,
        title=activity.subject,
        company_id=activity.company_id,
        contact_ids=[c.pk for c in contacts],
        actor_id=activity.owner_id,
        owner_id=activity.owner_id,
        team_id=activity.team_id,
        object_type="activity",
        source=activity,
        summary=activity.body[:1000],
        data={
            "activity_id": activity.pk,
            "activity_kind": activity.kind,
            "duration_minutes": activity.duration_minutes,
            "contacts": [c.full_name for c in contacts],
            "participants": [u.display_name for u in participants],
            "outcome": activity.outcome[:1000],
            "status": activity.status,
            "response": activity.response[:1000],
            "keywords": keywords,
        },
    )


@subscribe("activity.logged")
def activity_logged(*, activity: Activity, **_: Any) -> None:
    _activity_rows(activity)


@subscribe("activity.imported")
def activities_imported(*, ids: list[int], updated: dict[int, dict[str, list[Any]]], **_: Any) -> None:
    """An imported batch: the rows ``activity.logged`` writes for each activity, in one insert (the rows
    of activities the import changed are rewritten, as on ``activity.updated``)."""
    source_type = f"{Activity._meta.app_label}.{Activity._meta.model_name}"
    if updated:
        TimelineEntry.objects.filter(source_type=source_type, source_id__in=list(updated)).delete()
    activities = (
        Activity.objects.filter(pk__in=[*ids, *updated])
        .prefetch_related("contacts", "participants", "keywords")
        .order_by("pk")
    )
    rows: list[dict[str, Any]] = []
    for activity in activities:
        contacts = sorted(activity.contacts.all(), key=lambda c: c.pk)
        participants = sorted(activity.participants.all(), key=lambda u: u.pk)
        keywords = sorted(t.name for t in activity.keywords.all())
        entry = _activity_entry(activity, contacts, participants, keywords)
        # As ``timeline.write``: the first row carries the company and the first contact, every further
        # contact a row of its own.
        contact_ids = entry.pop("contact_ids")
        source = entry.pop("source")
        entry["title"] = entry["title"][:300]
        pairs = [(entry.pop("company_id"), contact_ids[0] if contact_ids else None)]
        pairs += [(None, contact_id) for contact_id in contact_ids[1:]]
        rows += [
            {
                "company_id": company_id,
                "contact_id": contact_id,
                "source_type": source_type,
                "source_id": source.pk,
                **entry,
            }
            for company_id, contact_id in pairs
            if company_id is not None or contact_id is not None
        ]
    fastinsert.insert_values(TimelineEntry, rows)


@subscribe("activity.updated")
def activity_updated(*, activity: Activity, **_: Any) -> None:
    timeline.remove(activity)
    _activity_rows(activity)


@subscribe("activity.deleted")
def activity_deleted(*, activity: Activity, **_: Any) -> None:
    timeline.remove(activity)


@subscribe("company.owner_changed")
def company_owner_changed(
    *, company: Any, by: Any, old_owner_id: int | None, note: str = "", **_: Any
) -> None:
    from daifuku.core.models import User

    old = User.objects.filter(pk=old_owner_id).first() if old_owner_id else None
    timeline.write(
        kind="company.handover",
        occurred_at=timezone.now(),
        title=f"{old.display_name if old else '—'} → {company.owner.display_name if company.owner else '—'}",
        company_id=company.pk,
        actor_id=by.pk if by else None,
        summary=note,
        data={
            "from": old.display_name if old else "",
            "to": company.owner.display_name if company.owner else "",
            "by": by.display_name if by else "",
        },
    )


@subscribe("company.created")
def company_created(*, company: Any, by: Any, **_: Any) -> None:
    timeline.write(
        kind="company.created",
        occurred_at=timezone.now(),
        title=company.display_name,
        company_id=company.pk,
        actor_id=by.pk if by else None,
    )


@subscribe("company.updated")
def company_updated(*, company: Any, by: Any, changes: dict[str, list[Any]], **_: Any) -> None:
    if "status" not in changes:
        return
    from daifuku.customers.models import CompanyStatus

    old, new = changes["status"]
    labels = dict(CompanyStatus.choices)
    timeline.write(
        kind="company.status",
        occurred_at=timezone.now(),
        title=f"{labels.get(old, old or '—')} → {labels.get(new, new)}",
        company_id=company.pk,
        actor_id=by.pk if by else None,
        data={"from": old, "to": new},
    )


@subscribe("contact.created")
def contact_created(*, contact: Any, by: Any, **_: Any) -> None:
    timeline.write(
        kind="contact.created",
        occurred_at=timezone.now(),
        title=contact.full_name,
        company_id=contact.company_id,
        contact_ids=[contact.pk],
        actor_id=by.pk if by else None,
    )


@subscribe("company.imported")
def companies_imported(
    *, ids: list[int], updated: dict[int, dict[str, list[Any]]], by: Any, **_: Any
) -> None:
    """Bulk imports announce a batch: the same highlights as one by one, written in one insert."""
    from daifuku.customers.models import Company, CompanyStatus

    now = timezone.now()
    actor_id = by.pk if by else None
    labels = dict(CompanyStatus.choices)
    rows: list[dict[str, Any]] = [
        {"kind": "company.created", "occurred_at": now, "company_id": pk, "actor_id": actor_id, "title": name}
        for pk, name in _display_names(Company, ids)
    ]
    for pk, changes in updated.items():
        if "status" in changes:
            old, new = changes["status"]
            rows.append(
                {
                    "kind": "company.status",
                    "occurred_at": now,
                    "company_id": pk,
                    "actor_id": actor_id,
                    "title": f"{labels.get(old, old or '—')} → {labels.get(new, new)}",
                    "data": {"from": old, "to": new},
                }
            )
    fastinsert.insert_values(TimelineEntry, rows)


@subscribe("contact.imported")
def contacts_imported(*, ids: list[int], by: Any, **_: Any) -> None:
    from daifuku.customers.models import Contact

    now = timezone.now()
    actor_id = by.pk if by else None
    rows = [
        {
            "kind": "contact.created",
            "occurred_at": now,
            "company_id": company_id,
            "contact_id": pk,
            "actor_id": actor_id,
            "title": f"{family} {given}".strip()[:300],
        }
        for pk, company_id, family, given in Contact.objects.filter(pk__in=inlist.param(ids))
        .order_by("pk")
        .values_list("pk", "company_id", "family_name", "given_name")
    ]
    fastinsert.insert_values(TimelineEntry, rows)


def _display_names(model: Any, ids: list[int]) -> list[tuple[int, str]]:
    found = (
        model.objects.filter(pk__in=inlist.param(ids))
        .only("name", "legal_form", "legal_form_position")
        .order_by("pk")
    )
    return [(obj.pk, obj.display_name[:300]) for obj in found]
