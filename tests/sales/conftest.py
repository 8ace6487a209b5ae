"""Fixtures shared by the sales tests."""

import datetime as dt
from decimal import Decimal

import pytest

from daifuku.core.models import Currency
from tests.sales.factories import ExchangeRateFactory, SalesTargetFactory, open_deal, won_deal


@pytest.fixture
def october(rep_a, rep_b):
    """Rep A's October 2026: won ¥1,000,000 + $1,000 at 150, open ¥2,000,000 at 40 % and ¥500,000 at
    80 %, a target of ¥3,000,000; rep B (team B) won ¥3,000,000."""
    ExchangeRateFactory(
        currency=Currency.objects.get(code="USD"), date=dt.date(2026, 10, 1), rate=Decimal("150")
    )
    won_deal(rep_a, "1000000", dt.date(2026, 10, 5))
    won_deal(rep_a, "1000", dt.date(2026, 10, 20), currency="USD")
    open_deal(rep_a, "2000000", 40, dt.date(2026, 10, 28))
    open_deal(rep_a, "500000", 80, dt.date(2026, 10, 15))
    won_deal(rep_b, "3000000", dt.date(2026, 10, 7))
    SalesTargetFactory(user=rep_a, month=dt.date(2026, 10, 1), amount=Decimal("3000000"))
