"""The ``grouped`` number filter used by large tables (no locale lookup per cell)."""

from decimal import Decimal

import pytest

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
