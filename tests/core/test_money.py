"""core.money: consumption tax per rate, rounded once per rate and document (インボイス制度)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from daifuku.core.models import Currency, ExchangeRate, TaxRate
from daifuku.core.money import (
    RateTable,
    TaxLine,
    document_totals,
    format_amount,
    round_amount,
    tax_rate_on,
)


def _lines(*specs):
    return [TaxLine(amount=Decimal(a), category=c, rate=Decimal(r)) for a, c, r in specs]


def test_three_105_yen_lines_at_10_percent_round_down_to_31_not_30():
    # given: per-line rounding would give 10 + 10 + 10 = 30
    lines = _lines(("105", "standard", "10"), ("105", "standard", "10"), ("105", "standard", "10"))
    # when
    totals = document_totals(lines, rounding="floor", decimals=0)
    # then
    assert [(r.category, r.rate, r.base, r.tax) for r in totals.by_rate] == [
        ("standard", Decimal("10"), Decimal("315"), Decimal("31"))
    ]
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("315"), Decimal("31"), Decimal("346"))


@pytest.mark.parametrize(
    ("rounding", "tax"),
    [("floor", Decimal("31")), ("ceiling", Decimal("32")), ("half_up", Decimal("32"))],
)
def test_rounding_modes_on_31_point_5(rounding, tax):
    # given: 315 at 10 % = 31.5, where floor, ceiling and half up differ from each other pairwise
    lines = _lines(("315", "standard", "10"))
    # when
    totals = document_totals(lines, rounding=rounding, decimals=0)
    # then
    assert totals.tax == tax


@pytest.mark.parametrize(
    ("rounding", "tax"),
    [("floor", Decimal("31")), ("ceiling", Decimal("32")), ("half_up", Decimal("31"))],
)
def test_rounding_modes_on_31_point_4(rounding, tax):
    # given: 314 at 10 % = 31.4: half up goes down, ceiling goes up
    lines = _lines(("314", "standard", "10"))
    # when
    totals = document_totals(lines, rounding=rounding, decimals=0)
    # then
    assert totals.tax == tax


def test_mixed_standard_and_reduced_lines_give_two_rate_totals_standard_first():
    # given
    lines = _lines(
        ("1080", "reduced", "8"),
        ("1005", "standard", "10"),
        ("999", "reduced", "8"),
        ("2000", "standard", "10"),
    )
    # when
    totals = document_totals(lines, rounding="floor", decimals=0)
    # then: 3005 × 10 % = 300.5 → 300; 2079 × 8 % = 166.32 → 166
    assert [(r.category, r.rate, r.base, r.tax, r.is_reduced) for r in totals.by_rate] == [
        ("standard", Decimal("10"), Decimal("3005"), Decimal("300"), False),
        ("reduced", Decimal("8"), Decimal("2079"), Decimal("166"), True),
    ]
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("5084"), Decimal("466"), Decimal("5550"))


def test_exempt_and_non_taxable_lines_carry_no_tax():
    # given
    lines = _lines(("1000", "standard", "10"), ("5000", "exempt", "0"), ("700", "non_taxable", "0"))
    # when
    totals = document_totals(lines, rounding="ceiling", decimals=0)
    # then
    assert [(r.category, r.base, r.tax) for r in totals.by_rate] == [
        ("standard", Decimal("1000"), Decimal("100")),
        ("exempt", Decimal("5000"), Decimal("0")),
        ("non_taxable", Decimal("700"), Decimal("0")),
    ]
    assert totals.tax == Decimal("100")
    assert totals.total == Decimal("6800")


def test_usd_amounts_round_to_cents():
    # given: 10.05 + 10.05 + 10.05 = 30.15 at 10 % = 3.015
    lines = _lines(("10.05", "standard", "10"), ("10.05", "standard", "10"), ("10.05", "standard", "10"))
    # when
    floor = document_totals(lines, rounding="floor", decimals=2)
    half_up = document_totals(lines, rounding="half_up", decimals=2)
    # then
    assert (floor.subtotal, floor.tax, floor.total) == (Decimal("30.15"), Decimal("3.01"), Decimal("33.16"))
    assert half_up.tax == Decimal("3.02")


def test_round_amount_modes_and_negative_values():
    assert round_amount(Decimal("2.5"), rounding="half_up") == Decimal("3")
    assert round_amount(Decimal("2.5"), rounding="floor") == Decimal("2")
    assert round_amount(Decimal("2.1"), rounding="ceiling") == Decimal("3")
    assert round_amount(Decimal("-2.5"), rounding="floor") == Decimal("-3")
    assert round_amount(Decimal("1.005"), decimals=2, rounding="half_up") == Decimal("1.01")
    assert round_amount(Decimal("1.2345"), decimals=8) == Decimal("1.23450000")
    with pytest.raises(ValueError):
        round_amount(Decimal("1"), rounding="banker")


@pytest.mark.django_db
def test_rate_table_takes_the_latest_rate_on_or_before_the_day():
    # given: dollar rates on the 10th and the 20th
    usd = Currency.objects.get(code="USD")
    ExchangeRate.objects.create(currency=usd, date=dt.date(2026, 1, 10), rate=Decimal("150"))
    ExchangeRate.objects.create(currency=usd, date=dt.date(2026, 1, 20), rate=Decimal("155.5"))
    table = RateTable(["USD"])
    # when / then
    assert [table.rate("USD", dt.date(2026, 1, d)) for d in (10, 15, 19, 20, 31)] == [
        Decimal("150"), Decimal("150"), Decimal("150"), Decimal("155.5"), Decimal("155.5"),
    ]  # fmt: skip
    assert table.missing == set()
    # earlier than any rate: the earliest stands in and the currency is reported
    assert table.rate("USD", dt.date(2026, 1, 9)) == Decimal("150")
    assert table.missing == {"USD"}
    assert table.to_base(Decimal("10.01"), "USD", dt.date(2026, 1, 25)) == Decimal("1557")
    # a currency without any rate converts to nothing and is reported
    assert RateTable(["EUR"]).to_base(Decimal("5"), "EUR", dt.date(2026, 1, 25)) == Decimal(0)


@pytest.mark.django_db
def test_yen_converts_at_rate_one_rounded_half_up():
    table = RateTable(["JPY"])
    day = dt.date(2026, 4, 1)
    for value, expected in (("1200.50", "1201"), ("1200.49", "1200"), ("-2.5", "-3"), ("7", "7")):
        converted = table.to_base(Decimal(value), "JPY", day)
        assert (converted, str(converted)) == (Decimal(expected), expected)
        assert converted == table.to_base(Decimal(value), "", day)  # no code: rate 1 the general way
    assert table.missing == set()


@pytest.mark.django_db
def test_tax_rate_on_follows_the_dated_table():
    # given: the seeded rates (8 % standard from 2014-04, 10 % from 2019-10, reduced 8 %)
    # when / then
    assert tax_rate_on("standard", dt.date(2019, 9, 30)) == Decimal("8")
    assert tax_rate_on("standard", dt.date(2019, 10, 1)) == Decimal("10")
    assert tax_rate_on("reduced", dt.date(2026, 4, 1)) == Decimal("8")
    assert tax_rate_on("exempt", dt.date(2026, 4, 1)) == Decimal("0")


@pytest.mark.django_db
def test_tax_rate_on_without_a_rate_names_the_field():
    # given
    TaxRate.objects.filter(category="reduced").delete()
    # when
    with pytest.raises(ValidationError) as info:
        tax_rate_on("reduced", dt.date(2026, 4, 1))
    # then
    assert info.value.message_dict == {"tax_category": ["2026-04-01 に適用される消費税率がありません。"]}


@pytest.mark.django_db
def test_format_amount_uses_the_currencys_symbol_and_decimals():
    from daifuku.core.models import Currency

    assert format_amount(Decimal("1200000"), Currency.objects.get(code="JPY")) == "¥1,200,000"
    assert format_amount(Decimal("12000.5"), Currency.objects.get(code="USD")) == "$12,000.50"
    assert format_amount(3, Currency(code="XYZ", symbol="", decimals=1)) == "XYZ3.0"
