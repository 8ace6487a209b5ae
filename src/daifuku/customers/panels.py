"""Sections other modules add to the company page (商談, 契約 …), loaded over htmx.

A module registers a URL name that takes the company's pk; the company page renders one lazy slot
per panel, so the page itself costs the same queries whatever modules are installed, and each panel
applies its own visibility (a user who may not read deals sees no deals in the panel).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class CompanyPanel:
    url_name: str
    order: int = 100


_panels: list[CompanyPanel] = []


def register(panel: CompanyPanel) -> None:
    if all(existing.url_name != panel.url_name for existing in _panels):
        _panels.append(panel)
        _panels.sort(key=lambda p: (p.order, p.url_name))


def urls_for(company_pk: int) -> list[str]:
    return [reverse(panel.url_name, args=[company_pk]) for panel in _panels]
