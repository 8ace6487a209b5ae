"""Authentication: password login with lockout, and API bearer tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from daifuku.core import prepared
from daifuku.core.models import ApiToken, User

TOKEN_PREFIX = "dfk_"  # noqa: S105  (a public marker, not a secret)


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing accounts locked after repeated failed logins.

    The failure counter is kept by :func:`daifuku.core.services.login_failed` /
    ``login_succeeded``; a locked account is refused even with the right password.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        from daifuku.core import services

        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is not None and services.is_locked(user):
            return None
        found = super().authenticate(request, username=username, password=password, **kwargs)
        if found is None:
            if user is not None:
                services.login_failed(user=user)
            return None
        services.login_succeeded(user=found)
        return found  # type: ignore[return-value]

    def get_user(self, user_id: Any) -> User | None:
        """The session's user, with the role and team every page reads (the scope, the menu), in one
        prepared statement: Django's ``get(pk=…)`` was compiled on every request and the role read
        by a second query."""
        try:
            pk = User._meta.pk.to_python(user_id)  # type: ignore[union-attr]
        except ValidationError:
            return None
        found = prepared.plan("session_user", _session_user_query).fetch([pk])
        if not found:
            return None
        user: User = found[0]
        return user if self.user_can_authenticate(user) else None


def _session_user_query() -> QuerySet[User]:
    return User.objects.select_related("role", "team").filter(pk=prepared.arg(0))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _token_query() -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.select_related("user", "user__role", "user__team")
        .filter(digest=prepared.arg(0), revoked_at__isnull=True, user__is_active=True)
        .order_by("pk")[:1]
    )


def user_for_token(token: str) -> User | None:
    """The active user owning an unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = prepared.plan("user_for_token", _token_query).fetch([digest(token)])
    if not found:
        return None
    row = found[0]
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def lock_duration() -> dt.timedelta:
    return dt.timedelta(minutes=settings.DAIFUKU_LOGIN_LOCK_MINUTES)
