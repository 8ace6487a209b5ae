"""Number formatting for large tables (forecast grids): grouped digits without a locale lookup per cell;
choice labels without rebuilding the choices per row (``choice``).

Django's ``floatformat``/``intcomma`` look up the active locale's formats for every value; a forecast
of 200 reps × 12 months formats ~10,000 numbers, where that lookup was most of the page's time.
Japanese and English both group thousands with a comma, so one format serves both languages.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from daifuku.web.html import choice_label

register = template.Library()


@register.filter
def grouped(value: Any, places: int = 0) -> str:
    """1234567.8 → "1,234,568" (``places`` decimals, half-even as Python formats); blank stays blank."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{number:,.{int(places)}f}"


@register.filter
def choice(record: Any, field_name: str) -> str:
    """``{{ a|choice:"kind" }}`` shows what ``{{ a.get_kind_display }}`` shows, from the field's labels
    translated once per language (``web.html.choice_label``): Django rebuilds the choices and translates
    every label on each call — a deal page's 50 activities spent 17 % of its time there."""
    field = record._meta.get_field(field_name)
    return choice_label(field, getattr(record, field.attname))
