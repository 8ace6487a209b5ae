"""Logging a call, mail, visit or note about a sales record (lead, deal) from that record's page.

The activity is linked with ``related_type``/``related_id``, so it shows on the record's page, keeps a
deal from going stale, and moves along when a lead is converted.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from daifuku.activities import services as activity_services
from daifuku.activities.models import ActivityKind

LOG_KINDS = [
    ActivityKind.CALL_OUT,
    ActivityKind.CALL_IN,
    ActivityKind.EMAIL,
    ActivityKind.VISIT,
    ActivityKind.MEETING,
    ActivityKind.NOTE,
]


def log_kind_choices() -> list[tuple[str, str]]:
    return [(k.value, str(k.label)) for k in LOG_KINDS]


def log_related_activity(
    request: HttpRequest, *, related_type: str, related_id: int, company_id: int | None = None
) -> None:
    """Log the posted activity (kind, subject, body) about a record; the outcome goes to messages."""
    kind = request.POST.get("kind", "")
    data = {
        "kind": kind if kind in {k.value for k in LOG_KINDS} else ActivityKind.NOTE,
        "subject": request.POST.get("subject", ""),
        "body": request.POST.get("body", ""),
        "related_type": related_type,
        "related_id": related_id,
    }
    if company_id is not None:
        data["company"] = company_id
    try:
        activity_services.activity_log(by=request.user, data=data)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("活動を記録する権限がありません。"))
    else:
        messages.success(request, _("活動を記録しました。"))
