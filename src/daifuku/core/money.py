"""Money and consumption tax: per-rate tax with one rounding per document, and currency conversion.

The qualified-invoice system (インボイス制度) requires consumption tax to be computed once per
document and tax rate from the sum of that rate's lines, rounded once with the issuer's rounding
mode (``CompanyProfile.tax_rounding``). Rounding each line and adding is wrong: three lines of ¥105
at 10 % rounded down give ¥31 per rate, ¥30 per line.

Rates are data (``TaxRate`` rows, dated), amounts are ``Decimal`` and keep their currency; reports
convert to the base currency (JPY) at the rate of the relevant date (``ExchangeRate``).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from daifuku.core.models import Currency, ExchangeRate, TaxCategory, TaxRate, TaxRounding

BASE_CURRENCY = "JPY"
HUNDRED = Decimal(100)
_ONE = Decimal(1)
_ROUNDING: dict[str, str] = {
    TaxRounding.FLOOR: ROUND_FLOOR,
    TaxRounding.CEILING: ROUND_CEILING,
    TaxRounding.HALF_UP: ROUND_HALF_UP,
}
# Categories that carry consumption tax; exempt (非課税) and non-taxable (不課税) lines carry none.
TAXED = (TaxCategory.STANDARD, TaxCategory.REDUCED)


_QUANTA = {decimals: Decimal(1).scaleb(-decimals) for decimals in range(7)}


def quantum(decimals: int) -> Decimal:
    found = _QUANTA.get(decimals)
    return found if found is not None else Decimal(1).scaleb(-decimals)


def round_amount(value: Decimal, *, decimals: int = 0, rounding: str = TaxRounding.HALF_UP) -> Decimal:
    """Round ``value`` to the currency's minor unit with a rounding mode (``TaxRounding`` value)."""
    mode = _ROUNDING.get(rounding)  # a TextChoices member hashes like its value: plain text finds it
    if mode is None:
        mode = _ROUNDING[TaxRounding(rounding)]  # ValueError for an unknown mode
    return value.quantize(quantum(decimals), rounding=mode)


def tax_rate_on(category: str, day: dt.date) -> Decimal:
    """The rate (percent) of a tax category on a day, from the dated ``TaxRate`` table."""
    if category not in TAXED:
        return Decimal(0)
    row = TaxRate.objects.filter(category=category, valid_from__lte=day).order_by("-valid_from").first()
    if row is None:
        raise ValidationError(
            {"tax_category": _("%(day)s に適用される消費税率がありません。") % {"day": day}}
        )
    return row.rate


@dataclass(frozen=True)
class TaxLine:
    """One line's taxable amount (after discounts, before tax) with its category and rate."""

    amount: Decimal
    category: str
    rate: Decimal


@dataclass(frozen=True)
class RateTotal:
    category: str
    rate: Decimal
    base: Decimal  # sum of the lines at this rate, tax excluded
    tax: Decimal  # consumption tax on ``base``, rounded once

    @property
    def is_reduced(self) -> bool:
        return self.category == TaxCategory.REDUCED


@dataclass(frozen=True)
class DocumentTotals:
    by_rate: list[RateTotal]
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def document_totals(lines: Iterable[TaxLine], *, rounding: str, decimals: int = 0) -> DocumentTotals:
    """Totals per tax rate with the tax rounded once per rate (qualified-invoice rule).

    Rates come out in a stable order: standard before reduced, higher rate first, then the untaxed
    categories.
    """
    sums: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (str(line.category), Decimal(line.rate))
        sums[key] = sums.get(key, Decimal(0)) + Decimal(line.amount)
    order = {c: i for i, c in enumerate(TaxCategory.values)}
    by_rate = []
    for (category, rate), base in sorted(sums.items(), key=lambda kv: (order.get(kv[0][0], 99), -kv[0][1])):
        tax = (
            round_amount(base * rate / HUNDRED, decimals=decimals, rounding=rounding)
            if category in TAXED
            else Decimal(0)
        )
        by_rate.append(RateTotal(category=category, rate=rate, base=base, tax=tax))
    subtotal = sum((r.base for r in by_rate), Decimal(0))
    tax = sum((r.tax for r in by_rate), Decimal(0))
    return DocumentTotals(by_rate=by_rate, subtotal=subtotal, tax=tax, total=subtotal + tax)


# Currencies


def format_amount(value: Decimal | int, currency: Currency) -> str:
    """¥1,200,000 / $12,000.50: the currency's symbol (or code) and its decimals, no locale lookup."""
    return format_amount_in(value, currency.code, currency.symbol, currency.decimals)


def format_amount_in(value: Decimal | int, code: str, symbol: str, decimals: int) -> str:
    """:func:`format_amount` from the currency's columns (lists that read values rather than models)."""
    return f"{symbol or code}{Decimal(value):,.{decimals}f}"


def currency_decimals(code: str) -> int:
    currency = Currency.objects.filter(code=code).only("decimals").first()
    return currency.decimals if currency is not None else 0


def rate_on(code: str, day: dt.date) -> Decimal | None:
    """Yen per unit of ``code`` on ``day``: the latest rate entered on or before that day."""
    if code == BASE_CURRENCY:
        return Decimal(1)
    row = ExchangeRate.objects.filter(currency_id=code, date__lte=day).order_by("-date").only("rate").first()
    return row.rate if row is not None else None


class RateTable:
    """Rates of several currencies, loaded once, for converting many amounts in a report.

    ``to_base(amount, code, day)`` uses the latest rate on or before ``day``; a currency without any
    rate that early falls back to its earliest rate, and is listed in ``missing`` so reports can say so.
    """

    def __init__(self, codes: Iterable[str]) -> None:
        wanted = sorted({c for c in codes if c and c != BASE_CURRENCY})
        self._rates: dict[str, list[tuple[dt.date, Decimal]]] = {c: [] for c in wanted}
        for code, day, rate in (
            ExchangeRate.objects.filter(currency_id__in=wanted)
            .order_by("currency_id", "date")
            .values_list("currency_id", "date", "rate")
        ):
            self._rates[code].append((day, rate))
        self._days = {code: [day for day, _rate in rates] for code, rates in self._rates.items()}
        self._memo: dict[tuple[str, dt.date], Decimal | None] = {}
        self.missing: set[str] = set()

    def rate(self, code: str, day: dt.date) -> Decimal | None:
        if code == BASE_CURRENCY or not code:
            return Decimal(1)
        rates = self._rates.get(code) or []
        if not rates:
            self.missing.add(code)
            return None
        index = bisect_right(self._days[code], day) - 1  # the last rate on or before the day
        if index < 0:
            # Earlier than any rate: the earliest one stands in, and the report says so.
            self.missing.add(code)
            return rates[0][1]
        return rates[index][1]

    def to_base(self, amount: Decimal, code: str, day: dt.date) -> Decimal:
        """``amount`` in yen, rounded half up to the yen (``round_amount``'s result, without its
        lookups: an administrator's forecast converts ~11,000 sums a page, most of them at a rate)."""
        value = amount if type(amount) is Decimal else Decimal(amount)
        if code == BASE_CURRENCY:
            return value.quantize(_ONE, rounding=ROUND_HALF_UP)
        key = (code, day)
        if key in self._memo:
            found = self._memo[key]
        else:  # rate() notes a missing currency the first time
            found = self._memo[key] = self.rate(code, day)
        if found is None:
            return Decimal(0)
        return (value * found).quantize(_ONE, rounding=ROUND_HALF_UP)
