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
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from daifuku.core import jp
from daifuku.core.models import User
from daifuku.customers.models import Company, Industry
from daifuku.web.html import choice_label, escape, iso_date, url_around_id

_STATUS = Company._meta.get_field("status")
_BADGE_CLASSES = {"customer": "text-bg-success", "prospect": "text-bg-info", "dormant": "text-bg-secondary"}


def status_badge(company: Any) -> str:
    """The status (and rank) badge; customers/_status_badge.html renders it too (one markup)."""
    return _badge(company.status, company.rank)


def _badge(status_value: str, rank_value: str) -> str:
    status = escape(status_value)
    badge = (
        f'<span class="badge {_BADGE_CLASSES.get(status_value, "text-bg-dark")}" data-status="{status}">'
        f"{escape(choice_label(_STATUS, status_value))}</span>"
    )
    if rank_value:
        rank = escape(rank_value)
        badge += f' <span class="badge text-bg-warning" data-rank="{rank}">{rank}</span>'
    return badge


# The columns a row shows, read as values for the page's ids (``visibility.values_in_order``): no model
# instances — a page of 51 contacts with their companies, owners and teams was ~2 ms to build.
COMPANY_COLUMNS = (
    "name", "legal_form", "legal_form_position", "name_kana", "status", "rank", "prefecture", "city",
    "phone", "industry", "industry__name", "industry__name_en", "owner", "owner__last_name",
    "owner__first_name", "owner__username", "team", "team__name", "updated_at",
)  # fmt: skip
CONTACT_COLUMNS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana", "company", "company__name",
    "company__legal_form", "company__legal_form_position", "department", "title", "mobile_phone",
    "office_phone", "email", "owner", "owner__last_name", "owner__first_name", "owner__username",
    "updated_at",
)  # fmt: skip


def company_rows(rows: Iterable[tuple[Any, ...]]) -> SafeString:
    """The rows of ``(pk, *COMPANY_COLUMNS)`` value tuples, as the model's properties show them."""
    head, tail = url_around_id("customers:company_detail")
    english = (get_language() or "ja").startswith("en")
    out: list[str] = []
    for row in rows:
        (pk, name, legal_form, position, name_kana, status, rank, prefecture, city, phone, industry_id,
         industry_name, industry_name_en, owner_id, owner_last, owner_first, owner_username, team_id,
         team_name, updated_at) = row  # fmt: skip
        kana = f'<div class="small text-muted">{escape(name_kana)}</div>' if name_kana else ""
        owner = "" if owner_id is None else escape(User.name_of(owner_last, owner_first, owner_username))
        team = f'<div class="small text-muted">{escape(team_name)}</div>' if team_id is not None else ""
        industry = (
            ""
            if industry_id is None
            else escape(Industry.label_of(industry_name, industry_name_en, english=english))
        )
        display_name = escape(jp.company_display_name(name, legal_form, position))
        out.append(
            f'\n      <tr data-company-id="{pk}">'
            f'\n        <td><a href="{head}{pk}{tail}">{display_name}</a>'
            f"\n          {kana}</td>"
            f"\n        <td>{_badge(status, rank)}\n</td>"
            f'\n        <td class="d-none d-md-table-cell">{escape(prefecture)}{escape(city)}</td>'
            f'\n        <td class="d-none d-lg-table-cell text-nowrap">{escape(jp.phone_display(phone))}</td>'
            f'\n        <td class="d-none d-md-table-cell small">{industry}</td>'
            f'\n        <td class="d-none d-sm-table-cell">{owner}{team}</td>'
            f'\n        <td class="d-none d-lg-table-cell small text-nowrap">{iso_date(updated_at)}</td>'
            "\n      </tr>\n      "
        )
    return mark_safe("".join(out))  # noqa: S308  (text escaped; ids are digits; our URLs)


def contact_rows(rows: Iterable[tuple[Any, ...]]) -> SafeString:
    """The rows of ``(pk, *CONTACT_COLUMNS)`` value tuples, as the model's properties show them."""
    head, tail = url_around_id("customers:contact_detail")
    personal = f'<span class="text-muted small">{escape(_("個人"))}</span>'
    out: list[str] = []
    for row in rows:
        (pk, family_name, given_name, family_kana, given_kana, company_id, company_name, legal_form,
         position, department, title, mobile_phone, office_phone, email, owner_id, owner_last,
         owner_first, owner_username, updated_at) = row  # fmt: skip
        kana = jp.full_name(family_kana, given_kana)
        kana_div = f'<div class="small text-muted">{escape(kana)}</div>' if kana else ""
        company = (
            personal
            if company_id is None
            else escape(jp.company_display_name(company_name, legal_form, position))
        )
        phone = jp.phone_display(mobile_phone if mobile_phone else office_phone)
        owner = "" if owner_id is None else escape(User.name_of(owner_last, owner_first, owner_username))
        post = f"{escape(department)} {escape(title)}"
        out.append(
            f'\n      <tr data-contact-id="{pk}">'
            f'\n        <td><a href="{head}{pk}{tail}">{escape(jp.full_name(family_name, given_name))}</a>'
            f"\n          {kana_div}</td>"
            f"\n        <td>{company}</td>"
            f'\n        <td class="d-none d-md-table-cell small">{post}</td>'
            f'\n        <td class="d-none d-lg-table-cell text-nowrap">{escape(phone)}</td>'
            f'\n        <td class="d-none d-lg-table-cell small">{escape(email)}</td>'
            f'\n        <td class="d-none d-sm-table-cell">{owner}</td>'
            f'\n        <td class="d-none d-lg-table-cell small text-nowrap">{iso_date(updated_at)}</td>'
            "\n      </tr>\n      "
        )
    return mark_safe("".join(out))  # noqa: S308  (text escaped; ids are digits; our URLs)
