"""Sections modules add to the global search (商談, 引合, 商品 …) after 取引先 and 担当者.

Each section's ``find`` reads through that module's own list selector, so its results respect the
user's scope exactly as the module's list page does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from daifuku.core import search


@dataclass(frozen=True)
class SearchHit:
    title: str
    subtitle: str
    url: str


@dataclass(frozen=True)
class SearchSection:
    key: str
    label: str | Promise
    find: Callable[[Any, str, int], list[SearchHit]]  # (user, query, limit) → hits
    order: int = 100


@dataclass(frozen=True)
class SectionResult:
    key: str
    label: str | Promise
    hits: list[SearchHit]


_sections: dict[str, SearchSection] = {}


def register(section: SearchSection) -> None:
    _sections[section.key] = section


def search_all(*, user: Any, q: str, limit: int) -> list[SectionResult]:
    """Every registered section's hits for ``q`` (empty sections included, in order); none for no terms."""
    if not search.query_terms(q):
        return []
    ordered = sorted(_sections.values(), key=lambda s: (s.order, s.key))
    return [SectionResult(s.key, s.label, s.find(user, q, limit)) for s in ordered]
