"""Navigation entries contributed by modules (registered in their AppConfig.ready()).

The base layout lists them after 取引先/担当者, so a new module adds its menu without editing
``web/base.html``. An entry with a ``group`` is shown inside that group's dropdown (活動, 営業 …);
the group ``settings`` puts it into the administrators' 設定 menu. Groups keep the bar on one line
however many modules register entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SETTINGS = "settings"


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    active_prefix: str  # a view name prefix, e.g. "activities:task_"
    order: int = 100
    admin_only: bool = False
    group: str = ""  # "" = on the bar itself; a NavGroup key; or SETTINGS


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str | Promise
    order: int


_items: list[NavItem] = []
_groups: dict[str, NavGroup] = {"sales": NavGroup("sales", _("営業"), 31)}


#: Built menus by (administrator?, view name, script prefix, URLconf): the same on every page of a
#: view, and reversing ~25 URL names took ~0.5 ms of each page. Labels stay lazy (translated when shown).
_built: dict[tuple[object, ...], list[dict[str, object]]] = {}


def register(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in _items):
        _items.append(item)
        _items.sort(key=lambda i: (i.order, i.url_name))
        _built.clear()


def register_group(group: NavGroup) -> None:
    _groups.setdefault(group.key, group)
    _built.clear()


def _entry(item: NavItem, view_name: str) -> dict[str, object]:
    return {
        "label": item.label,
        "url": reverse(item.url_name),
        "active": view_name.startswith(item.active_prefix),
    }


def _cached(kind: str, is_admin: bool, view_name: str, build: Callable[[], list[dict[str, object]]]) -> list:
    key = (kind, is_admin, view_name, get_script_prefix(), get_urlconf())
    found = _built.get(key)
    if found is None:
        if len(_built) > 2000:  # view names are finite; a guard all the same
            _built.clear()
        found = _built[key] = build()
    return found


def _visible(user: object) -> list[NavItem]:
    is_admin = bool(getattr(user, "is_administrator", False))
    return [item for item in _items if is_admin or not item.admin_only]


def items_for(user: object, view_name: str) -> list[dict[str, object]]:
    """The bar's entries in order; a group is one entry with ``children`` (shown as a dropdown).
    Shared between requests: read them, never change them."""
    is_admin = bool(getattr(user, "is_administrator", False))
    return _cached("bar", is_admin, view_name, lambda: _build_items(user, view_name))


def _build_items(user: object, view_name: str) -> list[dict[str, object]]:
    entries: list[tuple[int, str, dict[str, object]]] = []
    grouped: dict[str, list[dict[str, object]]] = {}
    for item in _visible(user):
        if item.group == SETTINGS:
            continue
        if item.group and item.group in _groups:
            grouped.setdefault(item.group, []).append(_entry(item, view_name))
        else:
            entries.append((item.order, item.url_name, _entry(item, view_name)))
    for key, children in grouped.items():
        group = _groups[key]
        entry = {
            "label": group.label,
            "children": children,
            "active": any(child["active"] for child in children),
        }
        entries.append((group.order, key, entry))
    return [entry for _order, _key, entry in sorted(entries, key=lambda e: (e[0], e[1]))]


def settings_items_for(user: object, view_name: str) -> list[dict[str, object]]:
    """Entries modules add to the 設定 menu (administrators only). Shared, as :func:`items_for`'s."""
    if not getattr(user, "is_administrator", False):
        return []
    items = [item for item in _items if item.group == SETTINGS]
    return _cached("settings", True, view_name, lambda: [_entry(item, view_name) for item in items])
