"""JSON API of imports: job status, 名寄せ merge and undo, tombstone resolution."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from daifuku.core.models import User
from daifuku.customers import merge as merging
from daifuku.customers import selectors as customer_selectors
from daifuku.imports import selectors

router = Router(tags=["imports"])


class JobOut(Schema):
    id: int
    target: str
    status: str
    total_rows: int | None
    processed_rows: int
    created_count: int
    updated_count: int
    skipped_count: int
    error_count: int


class MergeIn(Schema):
    object_type: str
    survivor_id: int
    merged_id: int
    values: dict[str, str] = {}


class MergeOut(Schema):
    survivor_id: int
    merged_id: int
    merge_id: int | None = None


class ResolveOut(Schema):
    object_type: str
    id: int


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _get(user: User, object_type: str, pk: int) -> Any:
    if object_type == "company":
        return customer_selectors.company_get(user=user, pk=pk)
    if object_type == "contact":
        return customer_selectors.contact_get(user=user, pk=pk)
    raise Http404


@router.get("/imports/jobs/{job_id}", response=JobOut)
def job_get(request: HttpRequest, job_id: int) -> Any:
    return selectors.job_get(user=_user(request), pk=job_id)


@router.post("/imports/merge", response=MergeOut)
def merge(request: HttpRequest, payload: MergeIn) -> Any:
    """Merge ``merged_id`` into ``survivor_id``; ``values`` names fields whose value comes from "merged"."""
    user = _user(request)
    survivor = _get(user, payload.object_type, payload.survivor_id)
    merged = _get(user, payload.object_type, payload.merged_id)
    merging.merge(
        object_type=payload.object_type, survivor=survivor, merged=merged, by=user, values=payload.values
    )
    record = selectors.merge_list(user=user, object_type=payload.object_type).first()
    return {"survivor_id": survivor.pk, "merged_id": merged.pk, "merge_id": record.pk if record else None}


@router.post("/imports/merges/{merge_id}/undo", response=MergeOut)
def merge_undo(request: HttpRequest, merge_id: int) -> Any:
    user = _user(request)
    record = selectors.merge_get(user=user, pk=merge_id)
    merging.merge_undo(record=record, by=user)
    return {"survivor_id": record.survivor_id, "merged_id": record.merged_id, "merge_id": record.pk}


@router.get("/imports/resolve/{object_type}/{object_id}", response=ResolveOut)
def resolve(request: HttpRequest, object_type: str, object_id: int) -> Any:
    """The live record an id now stands for: itself, or the survivor it was merged into."""
    if object_type not in merging.MODELS:
        raise Http404
    target = merging.survivor_pk(object_type, object_id) or object_id
    record = _get(_user(request), object_type, target)
    return {"object_type": object_type, "id": record.pk}
