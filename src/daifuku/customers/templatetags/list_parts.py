"""``{% sort_link %}`` and ``{% list_pagination %}``: a list table's sortable headers and its pager,
written here rather than as included templates.

A list page included them three to four times; the include with its ``with``/``if`` nodes cost
1.5–2.5 ms a page (measured at 1m), where these functions take a few hundred µs. The markup is the
templates' own, byte for byte (tests/customers/test_list_parts.py keeps the templates as they were
and compares); query strings come from Django's ``{% querystring %}`` function itself.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaulttags import querystring
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from daifuku.web.html import conditional_escape

register = template.Library()
NL = "\n"


def _query(context: Any, **changes: Any) -> str:
    """``{% querystring … %}`` as the template showed it (escaped, as a simple tag's output is)."""
    return conditional_escape(querystring(context, **changes))


@register.simple_tag(takes_context=True)
def sort_link(context: Any, asc: str, label: Any, target: str) -> SafeString:
    """A sortable column header: ``asc`` is the ascending sort key (e.g. "kana"); ``sort`` in the
    context is the list's current one."""
    desc = f"-{asc}"
    sort = context.get("sort")
    text, hx_target = conditional_escape(label), conditional_escape(target)
    # The template's first two branches ended their line, the last did not: one newline less.
    if sort == asc:
        query, marker, arrow, end = _query(context, sort=desc, page=None), ' aria-sort="ascending"', " ▲", NL
    elif sort == desc:
        query, marker, arrow, end = _query(context, sort=asc, page=None), ' aria-sort="descending"', " ▼", NL
    else:
        query, marker, arrow, end = _query(context, sort=asc, page=None), "", "", ""
    return mark_safe(  # noqa: S308  (every value escaped above)
        f'\n<a href="{query}" hx-get="{query}" hx-target="{hx_target}" hx-push-url="true" class="link-dark"'
        f"{marker}>{text}{arrow}</a>{end}\n\n"
    )


@register.simple_tag(takes_context=True)
def list_pagination(context: Any, target: str, prefix: str) -> SafeString:
    """The pager of a ``ListPage`` (``page`` in the context): the page total and "»" arrive with the
    list's count (customers/_count.html)."""
    page = context.get("page")
    if not page.has_other_pages:
        return mark_safe("\n")
    hx_target, key = conditional_escape(target), conditional_escape(prefix)

    def link(number: int, text: str) -> str:
        query = _query(context, page=number)
        return (
            f'\n    <li class="page-item"><a class="page-link" href="{query}" hx-get="{query}" '
            f'hx-target="{hx_target}" hx-push-url="true">{text}</a></li>'
        )

    label = conditional_escape(gettext("ページ"))
    parts = [f'\n<nav aria-label="{label}">\n  <ul class="pagination pagination-sm flex-wrap">\n    ']
    if page.has_previous:
        parts.append(link(1, "«"))
        parts.append(link(page.previous_page_number, conditional_escape(gettext("前へ"))))
        parts.append("\n    ")
    total = ""
    if page.known:
        total = f" / {page.num_pages}{'+' if page.capped else ''}"
    parts.append(
        f'\n    <li class="page-item disabled"><span class="page-link" id="{key}-pages">{page.number}{total}'
        "</span></li>\n    "
    )
    if page.has_next:
        parts.append(link(page.next_page_number, conditional_escape(gettext("次へ"))))
        parts.append(f'\n    <li class="page-item d-none" id="{key}-last" aria-hidden="true"></li>\n    ')
    parts.append("\n  </ul>\n</nav>\n\n")
    return mark_safe("".join(parts))  # noqa: S308  (every value escaped above)
