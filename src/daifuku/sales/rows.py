"""The rows of the deal and quote lists, written here rather than in their templates (see
customers/rows.py).

The markup is the lists' former template loops, byte for byte (tests/sales/test_rows.py renders
both). Amounts go through Django's own ``floatformat`` (and ``intcomma``) filters, so grouping and
decimals follow the active language exactly as the templates did.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from daifuku.web.html import choice_label, escape, iso_date, url_around_id


def deal_rows(deals: Iterable[Any], shown_pipeline: Any) -> SafeString:
    """``shown_pipeline``: the pipeline the list is filtered to (other pipelines' names are shown)."""
    head, tail = url_around_id("sales:deal_detail")
    stale = f' <span class="badge text-bg-warning" data-stale>{escape(_("放置"))}</span>'
    out: list[str] = []
    for d in deals:
        pipeline = (
            f'<div class="small text-muted">{escape(d.pipeline.name)}</div>'
            if d.pipeline_id != shown_pipeline
            else ""
        )
        symbol = (d.currency.symbol if d.currency else "") or d.currency_id or ""
        close = iso_date(d.expected_close_date) or "—"
        next_date = (
            f' <span class="text-muted">({iso_date(d.next_action_date)})</span>' if d.next_action_date else ""
        )
        owner = escape(d.owner.display_name) if d.owner else ""
        team = f'<div class="small text-muted">{escape(d.team.name)}</div>' if d.team else ""
        out.append(
            f'\n      <tr data-deal-id="{d.pk}">'
            f'\n        <td><a href="{head}{d.pk}{tail}">{escape(d.name)}</a>'
            f"\n          {stale if getattr(d, 'is_stale', False) else ''}</td>"
            f"\n        <td>{escape(d.company.display_name) if d.company else ''}</td>"
            f"\n        <td>{escape(d.stage.name)}{pipeline}</td>"
            f'\n        <td class="text-end text-nowrap">{escape(symbol)}{floatformat(d.amount, "-2g")}</td>'
            f'\n        <td class="text-end d-none d-md-table-cell">{d.probability}%</td>'
            f'\n        <td class="text-nowrap">{close}</td>'
            f'\n        <td class="d-none d-lg-table-cell small">{escape(d.next_action)}{next_date}</td>'
            f'\n        <td class="d-none d-sm-table-cell">{owner}{team}</td>'
            "\n      </tr>\n      "
        )
    return mark_safe("".join(out))  # noqa: S308  (text escaped; ids and numbers; our URLs)


# The badge class of each quote status; any other (expired) is text-bg-warning.
QUOTE_BADGES = {
    "draft": "text-bg-secondary",
    "issued": "text-bg-primary",
    "sent": "text-bg-info",
    "accepted": "text-bg-success",
    "rejected": "text-bg-danger",
}


def quote_status_badge(quote: Any) -> str:
    """The status badge, with 改訂版あり when a later revision exists; sales/quotes/_status_badge.html
    renders it too (one markup for the list rows, the detail, the edit page and the deal's section)."""
    from daifuku.sales.models import Quote

    status, color = escape(quote.status), QUOTE_BADGES.get(quote.status, "text-bg-warning")
    badge = (
        f'<span class="badge {color}" data-quote-status="{status}">'
        f"{escape(choice_label(Quote._meta.get_field('status'), quote.status))}</span>"
    )
    if getattr(quote, "next_revision", None):
        badge += f' <span class="badge text-bg-light border" data-superseded>{escape(_("改訂版あり"))}</span>'
    return badge


def quote_rows(quotes: Iterable[Any]) -> SafeString:
    """The quote list's rows (sales/quotes/quote_list.html): 50 rows through the template, with its
    status-badge include, two ``{% url %}`` with arguments and the amount filters per row, were most
    of the page (30 ms at 100k)."""
    quote_head, quote_tail = url_around_id("sales:quote_detail")
    deal_head, deal_tail = url_around_id("sales:deal_detail")
    out: list[str] = []
    for q in quotes:
        badge = quote_status_badge(q) + "\n"  # the include's file ended in a newline
        currency = q.currency
        amount = intcomma(floatformat(q.total, currency.decimals if currency else -1))
        owner = escape(q.owner.display_name) if q.owner else ""
        out.append(
            f'\n      <tr data-quote-id="{q.pk}">'
            f'\n        <td class="text-nowrap"><a href="{quote_head}{q.pk}{quote_tail}">'
            f"{escape(q.display_number)}</a></td>"
            f"\n        <td>{escape(q.title)}"
            '<div class="small text-muted">'
            f'<a class="link-secondary" href="{deal_head}{q.deal_id}{deal_tail}">'
            f"{escape(q.deal.name)}</a></div></td>"
            f"\n        <td>{escape(q.company.display_name) if q.company else ''}</td>"
            f"\n        <td>{badge}</td>"
            f'\n        <td class="text-nowrap small">{iso_date(q.issue_date) or "—"}</td>'
            f'\n        <td class="text-end text-nowrap">{escape(currency.symbol if currency else "")}'
            f"{escape(amount)}</td>"
            f'\n        <td class="d-none d-md-table-cell small">{owner}</td>'
            "\n      </tr>\n      "
        )
    return mark_safe("".join(out))  # noqa: S308  (text escaped; ids and numbers; our URLs)
