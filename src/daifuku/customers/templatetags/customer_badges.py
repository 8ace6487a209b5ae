"""``{% company_status_badge company %}``: the status (and rank) badge, one markup for the detail page
and the list rows (``customers.rows.status_badge``)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from daifuku.customers.rows import status_badge

register = template.Library()


@register.simple_tag
def company_status_badge(company: Any) -> SafeString:
    return mark_safe(status_badge(company))  # noqa: S308  (status_badge escapes every value)
