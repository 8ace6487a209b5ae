"""Helpers for HTML written in Python: URLs around an id, and dates as ``|date:"Y-m-d"`` shows them."""

import datetime as dt

from django.template import engines
from django.urls import reverse
from django.utils import timezone

from daifuku.web.html import iso_date, url_around_id


def test_url_around_id_puts_any_id_where_reverse_would():
    head, tail = url_around_id("customers:company_detail")
    assert f"{head}42{tail}" == reverse("customers:company_detail", args=[42])


def test_iso_date_is_what_the_date_filter_shows_in_the_current_time_zone():
    late = dt.datetime(2026, 1, 1, 15, 30, tzinfo=dt.UTC)  # 2026-01-02 00:30 in Tokyo
    template = engines["django"].from_string('{{ value|date:"Y-m-d" }}')
    with timezone.override("Asia/Tokyo"):
        for value in (late, dt.date(2026, 3, 4), None):
            assert iso_date(value) == template.render({"value": value})
        assert iso_date(late) == "2026-01-02"
    with timezone.override("UTC"):
        assert iso_date(late) == "2026-01-01"
