"""Navigation entries contributed by modules (registered in their AppConfig.ready()).

The base layout lists them after 取引先/担当者, so a new module adds its menu without editing
``web/base.html``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    active_prefix: str  # a view name prefix, e.g. "activities:task_"
    order: int = 100
    admin_only: bool = False


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in _items):
        _items.append(item)
        _items.sort(key=lambda i: (i.order, i.url_name))


def items_for(user: object, view_name: str) -> list[dict[str, object]]:
    is_admin = bool(getattr(user, "is_administrator", False))
    return [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "active": view_name.startswith(item.active_prefix),
        }
        for item in _items
        if is_admin or not item.admin_only
    ]
