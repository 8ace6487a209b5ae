"""Template context every page needs: the navigation and the unread notification count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from daifuku.core.selectors import unread_notification_count
    from daifuku.web import nav

    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    settings_nav = nav.settings_items_for(user, view_name)
    return {
        "unread_notifications": unread_notification_count(user=user),
        "module_nav": nav.items_for(user, view_name),
        "settings_nav": settings_nav,
        "settings_nav_active": any(item["active"] for item in settings_nav),
    }
