"""The rows of the company and contact lists, written here rather than in their templates.

Fifty rows of ~10 values each, a status badge included per company row: the template engine's
variable look-ups and the include were the largest part of a list page once its query was fast.
The markup is the templates' own, byte for byte (tests/customers/test_rows.py renders both); each
row is what one ``{% for %}`` iteration wrote, leading and trailing white space included. Text is
escaped; ids are digits; URLs are ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from daifuku.customers.models import Company
from daifuku.web.html import choice_label, escape, iso_date, url_around_id

_STATUS = Company._meta.get_field("status")
_BADGE_CLASSES = {"customer": "text-bg-success", "prospect": "text-bg-info", "dormant": "text-bg-secondary"}


def status_badge(company: Any) -> str:
    """The status (and rank) badge; customers/_status_badge.html renders it too (one markup)."""
    status = escape(company.status)
    badge = (
        f'<span class="badge {_BADGE_CLASSES.get(company.status, "text-bg-dark")}" data-status="{status}">'
        f"{escape(choice_label(_STATUS, company.status))}</span>"
    )
    if company.rank:
        rank = escape(company.rank)
        badge += f' <span class="badge text-bg-warning" data-rank="{rank}">{rank}</span>'
    return badge


def company_rows(companies: Iterable[Any]) -> SafeString:
    head, tail = url_around_id("customers:company_detail")
    out: list[str] = []
    for c in companies:
        kana = f'<div class="small text-muted">{escape(c.name_kana)}</div>' if c.name_kana else ""
        owner = escape(c.owner.display_name) if c.owner else ""
        team = f'<div class="small text-muted">{escape(c.team.name)}</div>' if c.team else ""
        industry = escape(c.industry) if c.industry else ""
        out.append(
            f'\n      <tr data-company-id="{c.pk}">'
            f'\n        <td><a href="{head}{c.pk}{tail}">{escape(c.display_name)}</a>'
            f"\n          {kana}</td>"
            f"\n        <td>{status_badge(c)}\n</td>"
            f'\n        <td class="d-none d-md-table-cell">{escape(c.prefecture)}{escape(c.city)}</td>'
            f'\n        <td class="d-none d-lg-table-cell text-nowrap">{escape(c.phone_display)}</td>'
            f'\n        <td class="d-none d-md-table-cell small">{industry}</td>'
            f'\n        <td class="d-none d-sm-table-cell">{owner}{team}</td>'
            f'\n        <td class="d-none d-lg-table-cell small text-nowrap">{iso_date(c.updated_at)}</td>'
            "\n      </tr>\n      "
        )
    return mark_safe("".join(out))  # noqa: S308  (text escaped; ids are digits; our URLs)


def contact_rows(contacts: Iterable[Any]) -> SafeString:
    head, tail = url_around_id("customers:contact_detail")
    personal = f'<span class="text-muted small">{escape(_("個人"))}</span>'
    out: list[str] = []
    for c in contacts:
        kana = c.full_name_kana
        kana_div = f'<div class="small text-muted">{escape(kana)}</div>' if kana else ""
        company = escape(c.company.display_name) if c.company else personal
        phone = c.mobile_phone_display if c.mobile_phone else c.office_phone_display
        owner = escape(c.owner.display_name) if c.owner else ""
        post = f"{escape(c.department)} {escape(c.title)}"
        out.append(
            f'\n      <tr data-contact-id="{c.pk}">'
            f'\n        <td><a href="{head}{c.pk}{tail}">{escape(c.full_name)}</a>'
            f"\n          {kana_div}</td>"
            f"\n        <td>{company}</td>"
            f'\n        <td class="d-none d-md-table-cell small">{post}</td>'
            f'\n        <td class="d-none d-lg-table-cell text-nowrap">{escape(phone)}</td>'
            f'\n        <td class="d-none d-lg-table-cell small">{escape(c.email)}</td>'
            f'\n        <td class="d-none d-sm-table-cell">{owner}</td>'
            f'\n        <td class="d-none d-lg-table-cell small text-nowrap">{iso_date(c.updated_at)}</td>'
            "\n      </tr>\n      "
        )
    return mark_safe("".join(out))  # noqa: S308  (text escaped; ids are digits; our URLs)
