"""Background jobs of the activities module (Huey).

``send_due_reminders`` runs every minute. Several consumers (or a retried run) may pick the same due
task; ``services.reminders_send_due`` claims each reminder with a conditional UPDATE before sending,
so every reminder is sent exactly once.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from daifuku.activities import services


@db_periodic_task(crontab(minute="*"))
def send_due_reminders() -> int:
    """Every minute: in-app notification (and e-mail per preference) for reminders now due."""
    return services.reminders_send_due()
