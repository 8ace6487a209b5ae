"""Background jobs of the shared kernel (Huey). Tasks take ids, load rows and call services.

``daifuku serve`` runs the consumer in-process; ``daifuku manage run_huey`` runs it on its own.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from daifuku.core import search, services


@db_periodic_task(crontab(minute="7"))
def clear_expired_login_locks() -> int:
    """Hourly: forget login lockouts that have run out."""
    return services.login_locks_clear_expired()


@db_periodic_task(crontab(hour="18", minute="17"))
def refresh_query_statistics() -> str:
    """Nightly, 03:17 JST (crontabs are in UTC): refresh the planner's statistics so list and search
    queries keep their index plans."""
    return services.database_statistics_refresh()


@db_task(retries=3, retry_delay=10)
def reindex_object(object_type: str, object_id: int) -> bool:
    """Rewrite one record's search row (after bulk work); removes the row if the record is gone or trashed."""
    model = search.registration(object_type).model
    obj = model._default_manager.filter(pk=object_id).first()
    if obj is None or getattr(obj, "deleted_at", None) is not None:
        search.remove(object_type, object_id)
        return False
    search.reindex(object_type, obj)
    return True


@db_task(retries=3, retry_delay=60)
def send_notification_email(notification_id: int) -> bool:
    """Mail one notification (enqueued by ``services.notify`` after commit; retried if SMTP fails)."""
    return services.notification_email_send(notification_id=notification_id)
