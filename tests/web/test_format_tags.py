"""The ``grouped`` number filter used by large tables (no locale lookup per cell), and ``choice``."""

from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from daifuku.activities.models import Activity, ActivityKind, IssueStatus
from daifuku.web.templatetags.daifuku_format import grouped


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("1234567"), 0, "1,234,567"),
        (Decimal("1234567.5"), 0, "1,234,568"),
        (Decimal("-980000"), 0, "-980,000"),
        (1234.5, 2, "1,234.50"),
        (0, 0, "0"),
        (None, 0, ""),
        ("", 0, ""),
        ("abc", 0, "abc"),
    ],
)
def test_grouped(value, places, expected):
    assert grouped(value, places) == expected


@pytest.mark.parametrize("language", ["ja", "en"])
def test_choice_shows_what_get_display_shows(language):
    # given: every kind, every status, no status, a value outside the choices
    records = [Activity(kind=kind, status="") for kind in ActivityKind.values]
    records += [Activity(kind=ActivityKind.values[0], status=status) for status in IssueStatus.values]
    records.append(Activity(kind="unknown<&>", status="other"))
    template = engines["django"].from_string(
        "{% load daifuku_format %}{% for a in records %}"
        '[{{ a|choice:"kind" }}|{{ a|choice:"status" }}]{% endfor %}'
    )
    django_way = engines["django"].from_string(
        "{% for a in records %}[{{ a.get_kind_display }}|{{ a.get_status_display }}]{% endfor %}"
    )
    with translation.override(language):
        # when
        shown = template.render({"records": records})
        # then
        assert shown == django_way.render({"records": records})
    assert "unknown&lt;&amp;&gt;" in shown
