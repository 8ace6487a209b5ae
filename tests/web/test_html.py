"""Helpers for HTML written in Python: URLs around an id, dates as ``|date:"Y-m-d"`` shows them, and
the labels of choices."""

import datetime as dt

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import html as django_html
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from daifuku.customers.models import Company, CompanyStatus
from daifuku.web.html import choice_label, conditional_escape, escape, iso_date, url_around_id


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


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
def test_choice_label_is_what_get_display_shows(language):
    # given
    field = Company._meta.get_field("status")
    with translation.override(language):
        for status in CompanyStatus.values:
            company = Company(status=status)
            # when / then
            assert choice_label(field, status) == company.get_status_display()
        assert choice_label(field, "unknown") == Company(status="unknown").get_status_display() == "unknown"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "<a href=\"x\">'&'</a>",
        "全角＆<タグ>",
        mark_safe("<b>safe</b>"),
        42,
        None,
        gettext_lazy("検索"),
    ],
)
def test_escapes_give_djangos_text(value):
    # given / when / then
    assert escape(value) == django_html.escape(value)
    assert conditional_escape(value) == django_html.conditional_escape(value)
