"""Seed the base currency and common foreign currencies, and the consumption-tax rates by date."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

CURRENCIES = [
    ("JPY", "日本円", "¥", 0),
    ("USD", "米ドル", "$", 2),
    ("EUR", "ユーロ", "€", 2),
    ("CNY", "人民元", "元", 2),
]
# National Tax Agency: 8 % from 2014-04-01; 10 % standard and 8 % reduced from 2019-10-01.
TAX_RATES = [
    ("standard", Decimal("8"), dt.date(2014, 4, 1)),
    ("standard", Decimal("10"), dt.date(2019, 10, 1)),
    ("reduced", Decimal("8"), dt.date(2019, 10, 1)),
]


def forward(apps, schema_editor):
    Currency = apps.get_model("core", "Currency")
    TaxRate = apps.get_model("core", "TaxRate")
    for code, name, symbol, decimals in CURRENCIES:
        Currency.objects.get_or_create(
            code=code, defaults={"name": name, "symbol": symbol, "decimals": decimals}
        )
    for category, rate, valid_from in TAX_RATES:
        TaxRate.objects.get_or_create(category=category, valid_from=valid_from, defaults={"rate": rate})


class Migration(migrations.Migration):
    dependencies = [("core", "0005_currencies_tax_rates_sequences_sales_object_types")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
