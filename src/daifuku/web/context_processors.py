"""Template context every page needs: the navigation and the unread notification count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Once per request: a page that renders parts of itself as templates of their own (the deal
    page's panels) ran this for each part, and counted the notifications three times."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    found: dict[str, Any] | None = getattr(request, "_daifuku_navigation", None)
    if found is None:
        found = request._daifuku_navigation = _navigation(request, user)  # type: ignore[attr-defined]
    return found


def _navigation(request: HttpRequest, user: Any) -> dict[str, Any]:
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
