"""``{% quote_status_badge quote %}``: the quote status badge, one markup for the pages that show it
and the list rows (``sales.rows.quote_status_badge``)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from daifuku.sales import rows

register = template.Library()


@register.simple_tag
def quote_status_badge(quote: Any) -> SafeString:
    return mark_safe(rows.quote_status_badge(quote))  # noqa: S308  (the badge escapes every value)
