"""Database sessions read with one prepared statement (``SESSION_ENGINE``).

Every authenticated request reads its session row; Django's ``objects.get(...)`` compiled that
query anew each time. The row, the expiry test and what happens when it is missing or expired (an
empty session and no key, so a new one is issued) are Django's ``db`` backend's."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from daifuku.core import prepared


def _session_query() -> QuerySet[Session]:
    return Session.objects.filter(session_key=prepared.arg(0), expire_date__gt=prepared.arg(1))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        found = prepared.plan("session", _session_query).fetch([self.session_key, timezone.now()])
        if found:
            return found[0]
        self._session_key = None
        return None
