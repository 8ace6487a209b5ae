"""Reads of the shared kernel: users, roles and scopes, notifications, audit."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from daifuku.core import prepared
from daifuku.core.models import AuditEntry, Notification, Role, RoleScope, Team, User


def unread_notification_count(*, user: User) -> int:
    """The menu's badge on every page: one prepared statement (grouped by the recipient, so no row
    when nothing is unread)."""
    rows = prepared.plan("unread_notifications", _unread_query).fetch([user.pk])
    return int(rows[0][1]) if rows else 0


def _unread_query() -> QuerySet[Any, Any]:
    return (
        Notification.objects.filter(recipient_id=prepared.arg(0), read_at__isnull=True)
        .values_list("recipient_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def user_list(*, user: User) -> QuerySet[User]:
    """Active and inactive users with team and role (administrators manage all of them)."""
    return User.objects.select_related("team", "role").order_by("team__name", "username")


def role_list() -> QuerySet[Role]:
    return Role.objects.prefetch_related("scopes").order_by("pk")


def role_scopes() -> QuerySet[RoleScope]:
    return RoleScope.objects.select_related("role").order_by("role_id", "object_type")


def team_list() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def audit_for_user(*, target: User) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type="core.user", object_id=target.pk).select_related("actor")
