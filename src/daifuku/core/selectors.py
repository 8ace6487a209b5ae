"""Reads of the shared kernel: users, roles and scopes, notifications, audit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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


# What ``User.display_name`` reads: a list shows its owners as {"id", "name"}.
USER_REF_FIELDS = ("username", "last_name", "first_name")


def refs_only(queryset: QuerySet[Any], **relations: Iterable[str]) -> QuerySet[Any]:
    """``queryset`` reading only the pk and the named fields of each ``select_related`` record named.

    An API page shows its rows' owner and parent company as references ({"id", "name"}), yet the join
    read all of their columns — a user's password hash and login times, a parent company's 40 columns —
    and converted each value of each row. The relation must already be in ``select_related``; a field
    read later that is not named costs a query per record, so each list's query-count test covers it."""
    deferred = []
    for relation, keep in relations.items():
        model = queryset.model._meta.get_field(relation).related_model
        wanted = set(keep)
        deferred += [
            f"{relation}__{field.name}"
            for field in model._meta.concrete_fields
            if not field.primary_key and field.name not in wanted
        ]
    return queryset.defer(*deferred)
