"""The rows of the deal list, written here rather than in its template (see customers/rows.py).

The markup is sales/deals/deal_list.html's loop, byte for byte (tests/sales/test_rows.py renders
both). Amounts go through Django's own ``floatformat`` filter, so grouping and decimals follow the
active language exactly as the template did.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from daifuku.web.html import escape, iso_date, url_around_id


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
