"""Helpers for the few pieces of HTML written in Python rather than in templates (hot list rows)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone


def url_around_id(name: str) -> tuple[str, str]:
    """The text before and after the id in the URL of ``name`` (``/sales/deals/``, ``/``)."""
    head, tail = reverse(name, args=[987654321]).split("987654321")
    return head, tail


def iso_date(value: dt.datetime | dt.date | None) -> str:
    """What ``{{ value|date:"Y-m-d" }}`` shows: a datetime in the current time zone; "" for none."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d")
