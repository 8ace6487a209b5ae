"""Who may see and edit what: role scopes (none / own / team / all) per object type.

Every selector that reads customer data filters with :func:`visible`; every service that writes
checks :func:`check_can_edit`. A record outside the read scope is reported as missing (404), so its
existence never leaks through a detail page, a count or a search.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models

from daifuku.core.models import RoleScope, Scope

M = TypeVar("M", bound=models.Model)

# Defaults an administrator can change in the UI (role slug → object type → (read, edit)).
_CUSTOMER_DEFAULTS = {
    "administrator": (Scope.ALL, Scope.ALL),
    "manager": (Scope.TEAM, Scope.TEAM),
    "sales_rep": (Scope.TEAM, Scope.OWN),
    "support_agent": (Scope.ALL, Scope.NONE),
    "marketing": (Scope.ALL, Scope.NONE),
    "read_only": (Scope.ALL, Scope.NONE),
}
# Activities, tasks, events and daily reports: everyone who reads customers may log their own work.
_WORK_DEFAULTS = {
    "administrator": (Scope.ALL, Scope.ALL),
    "manager": (Scope.TEAM, Scope.TEAM),
    "sales_rep": (Scope.TEAM, Scope.OWN),
    "support_agent": (Scope.ALL, Scope.OWN),
    "marketing": (Scope.ALL, Scope.OWN),
    "read_only": (Scope.ALL, Scope.NONE),
}
DEFAULT_SCOPES: dict[str, dict[str, tuple[str, str]]] = {
    slug: {
        "company": scopes,
        "contact": scopes,
        "activity": _WORK_DEFAULTS[slug],
        "task": _WORK_DEFAULTS[slug],
        "event": _WORK_DEFAULTS[slug],
        "daily_report": _WORK_DEFAULTS[slug],
        "lead": _WORK_DEFAULTS[slug],
        "deal": scopes,
        "quote": scopes,
        "contract": scopes,
    }
    for slug, scopes in _CUSTOMER_DEFAULTS.items()
}

_CACHE_ATTR = "_daifuku_scopes"


def _scopes(user: Any) -> dict[str, tuple[str, str]]:
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    scopes: dict[str, tuple[str, str]] = {}
    if getattr(user, "is_authenticated", False) and user.is_active and user.role_id:
        for row in RoleScope.objects.filter(role_id=user.role_id).values_list(
            "object_type", "read_scope", "edit_scope"
        ):
            scopes[row[0]] = (row[1], row[2])
    setattr(user, _CACHE_ATTR, scopes)
    return scopes


def forget(user: Any) -> None:
    """Drop the scopes cached on this user object (after a role change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def scope_for(user: Any, object_type: str, action: str = "read") -> str:
    if getattr(user, "is_superuser", False) and user.is_active:
        return Scope.ALL
    read, edit = _scopes(user).get(object_type, (Scope.NONE, Scope.NONE))
    return read if action == "read" else edit


def _scope_q(user: Any, scope: str, owner_field: str, team_field: str) -> models.Q | None:
    """The filter for a scope; None means everything, an impossible Q means nothing."""
    if scope == Scope.ALL:
        return None
    if scope == Scope.OWN:
        return models.Q(**{f"{owner_field}_id": user.pk})
    if scope == Scope.TEAM:
        if user.team_id is None:
            return models.Q(**{f"{owner_field}_id": user.pk})
        return models.Q(**{f"{team_field}_id": user.team_id}) | models.Q(**{f"{owner_field}_id": user.pk})
    return models.Q(pk__in=[])


def visible(
    queryset: models.QuerySet[M],
    user: Any,
    object_type: str,
    *,
    action: str = "read",
    owner_field: str = "owner",
    team_field: str = "team",
) -> models.QuerySet[M]:
    """Restrict ``queryset`` to the rows ``user`` may read (or edit, with ``action="edit"``)."""
    scope = scope_for(user, object_type, action)
    if scope == Scope.NONE:
        return queryset.none()
    q = _scope_q(user, scope, owner_field, team_field)
    if action == "edit":
        read_q = _scope_q(user, scope_for(user, object_type, "read"), owner_field, team_field)
        if read_q is not None:
            queryset = queryset.filter(read_q)
    return queryset if q is None else queryset.filter(q)


def _in_scope(user: Any, scope: str, owner_id: int | None, team_id: int | None) -> bool:
    if scope == Scope.ALL:
        return True
    if scope == Scope.OWN:
        return owner_id == user.pk
    if scope == Scope.TEAM:
        return owner_id == user.pk or (user.team_id is not None and team_id == user.team_id)
    return False


def can_read(user: Any, obj: Any, object_type: str) -> bool:
    return _in_scope(user, scope_for(user, object_type, "read"), obj.owner_id, obj.team_id)


def can_edit(user: Any, obj: Any, object_type: str) -> bool:
    """May ``user`` change ``obj`` as it is now (owner/team as stored)."""
    return can_read(user, obj, object_type) and _in_scope(
        user, scope_for(user, object_type, "edit"), obj.owner_id, obj.team_id
    )


def can_create(user: Any, object_type: str) -> bool:
    return scope_for(user, object_type, "edit") != Scope.NONE


def check_can_edit(user: Any, obj: Any, object_type: str) -> None:
    if not can_edit(user, obj, object_type):
        raise PermissionDenied(f"{user} may not change this {object_type}")


def check_can_assign(user: Any, object_type: str, owner_id: int | None, team_id: int | None) -> None:
    """Refuse saving a record whose owner/team would put it outside the user's edit scope."""
    scope = scope_for(user, object_type, "edit")
    if not _in_scope(user, scope, owner_id, team_id):
        raise PermissionDenied(f"{user} may not assign this {object_type} to that owner or team")
