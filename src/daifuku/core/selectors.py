"""Reads of the shared kernel: users, roles and scopes, notifications, audit."""

from __future__ import annotations

from django.db.models import QuerySet

from daifuku.core.models import AuditEntry, Notification, Role, RoleScope, Team, User


def unread_notification_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


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
