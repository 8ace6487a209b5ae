"""Currencies and exchange rates: conversion at the rate of a date, entry, deletion and CSV import."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from daifuku.catalog import services
from daifuku.catalog.services import RowError
from daifuku.core.models import AuditEntry, Currency, ExchangeRate
from daifuku.core.money import RateTable, rate_on
from tests.catalog.factories import CurrencyFactory
from tests.imports.helpers import csv_bytes
from tests.sales.factories import ExchangeRateFactory

pytestmark = pytest.mark.django_db

APRIL_1, APRIL_15, MAY_1 = dt.date(2026, 4, 1), dt.date(2026, 4, 15), dt.date(2026, 5, 1)


@pytest.fixture
def usd_rates():
    usd = Currency.objects.get(code="USD")
    ExchangeRateFactory(currency=usd, date=APRIL_1, rate=Decimal("150.25"))
    ExchangeRateFactory(currency=usd, date=MAY_1, rate=Decimal("155.50"))


# RateTable and rate_on (core.money)


def test_rate_table_uses_the_latest_rate_on_or_before_the_day(usd_rates):
    # given
    table = RateTable(["USD", "JPY"])
    # then
    assert table.rate("USD", APRIL_1) == Decimal("150.25")
    assert table.rate("USD", APRIL_15) == Decimal("150.25")
    assert table.rate("USD", MAY_1) == Decimal("155.50")
    assert table.rate("USD", dt.date(2027, 1, 1)) == Decimal("155.50")
    assert table.missing == set()


def test_rate_table_converts_and_rounds_to_whole_yen(usd_rates):
    # given
    table = RateTable(["USD"])
    # then
    assert table.to_base(Decimal("12.34"), "USD", APRIL_15) == Decimal("1854")  # 1854.085
    assert table.to_base(Decimal("0.01"), "USD", MAY_1) == Decimal("2")  # 1.555 half up
    assert table.to_base(Decimal("1000"), "JPY", APRIL_15) == Decimal("1000")
    assert table.to_base(Decimal("1000.5"), "JPY", APRIL_15) == Decimal("1001")  # half up, as round_amount
    assert table.to_base(Decimal("-2.5"), "JPY", APRIL_15) == Decimal("-3")
    assert table.to_base(7, "JPY", APRIL_15) == Decimal("7")
    assert table.to_base(Decimal("1000"), "", APRIL_15) == Decimal("1000")
    # the same day's rate again (remembered per currency and day), and a half yen at a rate
    assert table.to_base(Decimal("12.34"), "USD", APRIL_15) == Decimal("1854")
    assert table.to_base(Decimal("-0.01"), "USD", MAY_1) == Decimal("-2")
    assert table.to_base(2, "USD", MAY_1) == Decimal("311")


def test_rate_table_falls_back_to_the_earliest_rate_and_reports_it(usd_rates):
    # given
    table = RateTable(["USD"])
    # when
    rate = table.rate("USD", dt.date(2026, 3, 31))
    early = [table.to_base(Decimal("2"), "USD", dt.date(2026, 3, 30)) for _ in range(2)]
    # then
    assert rate == Decimal("150.25")
    assert early == [Decimal("301"), Decimal("301")]  # 2 × 150.25 = 300.50, half up
    assert table.missing == {"USD"}


def test_rate_table_without_any_rate_converts_to_zero_and_reports_it(usd_rates):
    # given
    table = RateTable(["EUR", "USD"])
    # when
    amount = table.to_base(Decimal("100"), "EUR", APRIL_15)
    # then
    assert amount == Decimal("0")
    assert table.rate("CNY", APRIL_15) is None  # not loaded at all
    assert table.missing == {"EUR", "CNY"}


def test_rate_table_loads_once(usd_rates, django_assert_num_queries):
    # when
    with django_assert_num_queries(1):
        table = RateTable(["USD", "EUR", "JPY"])
        values = [table.to_base(Decimal(10), "USD", day) for day in (APRIL_1, APRIL_15, MAY_1)]
    # then
    assert values == [Decimal("1503"), Decimal("1503"), Decimal("1555")]


def test_rate_on(usd_rates):
    # then
    assert rate_on("USD", APRIL_15) == Decimal("150.25")
    assert rate_on("USD", dt.date(2026, 3, 1)) is None
    assert rate_on("JPY", APRIL_15) == Decimal("1")


# Currencies


def test_administrator_adds_a_currency_and_it_is_audited(admin):
    # when
    currency = services.currency_create(
        by=admin, data={"code": "gbp", "name": "英ポンド", "symbol": "£", "decimals": 2}
    )
    # then
    assert (currency.code, currency.name, currency.decimals, currency.is_active) == (
        "GBP",
        "英ポンド",
        2,
        True,
    )
    entry = AuditEntry.objects.get(object_type="core.currency", object_id=services.currency_audit_id("GBP"))
    assert (entry.action, entry.object_repr, entry.changes["code"]) == ("create", "GBP", [None, "GBP"])


def test_currency_input_errors_name_the_fields(admin):
    # when
    with pytest.raises(ValidationError) as bad:
        services.currency_create(by=admin, data={"code": "US", "name": "", "decimals": "5"})
    with pytest.raises(ValidationError) as taken:
        services.currency_create(by=admin, data={"code": "USD", "name": "ドル", "decimals": "2"})
    # then
    assert bad.value.message_dict == {
        "code": ["通貨コードはISO 4217の英字3文字です（例: USD）。"],
        "name": ["入力してください。"],
        "decimals": ["0〜4の範囲で入力してください。"],
    }
    assert taken.value.message_dict == {"code": ["通貨「USD」は既に登録されています。"]}


def test_deactivate_a_currency_but_never_the_base_currency(admin):
    # given
    eur = Currency.objects.get(code="EUR")
    # when
    services.currency_set_active(currency=eur, by=admin, active=False)
    with pytest.raises(ValidationError) as error:
        services.currency_set_active(currency=Currency.objects.get(code="JPY"), by=admin, active=False)
    # then
    eur.refresh_from_db()
    assert eur.is_active is False
    assert error.value.message_dict == {"is_active": ["基準通貨（JPY）は無効にできません。"]}
    assert Currency.objects.get(code="JPY").is_active is True
    entry = AuditEntry.objects.get(object_type="core.currency", object_id=services.currency_audit_id("EUR"))
    assert entry.changes == {"is_active": [True, False]}


def test_manager_may_not_change_currencies_or_rates(manager_a, usd_rates):
    # given
    rate = ExchangeRate.objects.get(currency_id="USD", date=APRIL_1)
    # when
    with pytest.raises(PermissionDenied):
        services.currency_create(by=manager_a, data={"code": "GBP", "name": "ポンド", "decimals": 2})
    with pytest.raises(PermissionDenied):
        services.exchange_rate_set(by=manager_a, data={"currency": "USD", "date": "2026-04-01", "rate": "1"})
    with pytest.raises(PermissionDenied):
        services.exchange_rate_delete(rate=rate, by=manager_a)
    with pytest.raises(PermissionDenied):
        services.exchange_rates_import(by=manager_a, content=csv_bytes([["日付", "通貨", "レート"]]))
    # then
    assert not Currency.objects.filter(code="GBP").exists()
    assert ExchangeRate.objects.get(pk=rate.pk).rate == Decimal("150.25")
    assert not AuditEntry.objects.filter(object_type__in=["core.currency", "core.exchangerate"]).exists()


# Rates entered by hand


def test_enter_a_rate_then_correct_it_then_delete_it(admin):
    # when
    rate = services.exchange_rate_set(
        by=admin, data={"currency": "usd", "date": "2026/4/1", "rate": "150.123456"}
    )
    services.exchange_rate_set(by=admin, data={"currency": "USD", "date": APRIL_1, "rate": "151"})
    services.exchange_rate_delete(rate=rate, by=admin)
    # then
    assert not ExchangeRate.objects.exists()
    entries = AuditEntry.objects.filter(object_type="core.exchangerate", object_id=rate.pk).order_by("id")
    assert [(e.action, e.changes) for e in entries] == [
        ("create", {"rate": [None, "150.123456"]}),
        ("update", {"rate": ["150.123456", "151.000000"]}),
        ("delete", {"rate": ["151.000000", None]}),
    ]
    assert entries[0].object_repr == "USD 2026-04-01: 150.123456"


def test_rate_errors_name_the_fields(admin):
    # when
    with pytest.raises(ValidationError) as error:
        services.exchange_rate_set(by=admin, data={"currency": "XYZ", "date": "4月1日", "rate": "0"})
    with pytest.raises(ValidationError) as base:
        services.exchange_rate_set(
            by=admin, data={"currency": "JPY", "date": "2026-04-01", "rate": "1.0000001"}
        )
    # then
    assert error.value.message_dict == {
        "currency": ["通貨「XYZ」は登録されていません。"],
        "date": ["日付を「2026-04-01」の形で入力してください。"],
        "rate": ["0より大きい数値を入力してください。"],
    }
    assert base.value.message_dict == {
        "currency": ["基準通貨（JPY）のレートは常に1です。"],
        "rate": ["小数点以下は6桁までです。"],
    }
    assert not ExchangeRate.objects.exists()


# CSV import


def test_cp932_file_is_imported_with_japanese_headers(admin):
    # given
    CurrencyFactory(code="GBP")
    content = csv_bytes(
        [
            ["日付", "通貨", "レート", "備考（①㈱髙）"],
            ["2026/04/01", "USD", "150.25", "月初"],
            ["2026年4月2日", "ｕｓｄ", "１５１．５", ""],
            ["2026-04-01", "GBP", "190", ""],
        ],
        encoding="cp932",
    )
    # when
    result = services.exchange_rates_import(by=admin, content=content)
    # then
    assert (result.encoding, result.created, result.updated, result.unchanged, result.errors) == (
        "cp932",
        3,
        0,
        0,
        [],
    )
    rates = list(
        ExchangeRate.objects.order_by("currency_id", "date").values_list("currency_id", "date", "rate")
    )
    assert rates == [
        ("GBP", APRIL_1, Decimal("190")),
        ("USD", APRIL_1, Decimal("150.25")),
        ("USD", dt.date(2026, 4, 2), Decimal("151.5")),
    ]
    assert AuditEntry.objects.filter(object_type="core.exchangerate", action="create").count() == 3


def test_valid_rows_are_saved_and_error_rows_listed_with_row_and_column(admin, usd_rates):
    # given: English headers, UTF-8 with BOM, tab separated
    content = csv_bytes(
        [
            ["currency", "date", "rate"],
            ["USD", "2026-04-01", "152"],  # replaces 150.25
            ["USD", "2026-05-01", "155.5"],  # unchanged
            ["EUR", "2026-13-01", "160"],
            ["XYZ", "2026-04-01", "-3"],
            ["", "", ""],
            ["EUR", "2026-04-01", ""],
            ["USD", "2026-04-01", "153"],
            ["EUR", "2026-04-03", "162.1234567"],
            ["EUR", "2026-04-04", "163.4"],
        ],
        encoding="utf-8-sig",
        delimiter="\t",
    )
    # when
    result = services.exchange_rates_import(by=admin, content=content)
    # then
    assert (result.encoding, result.created, result.updated, result.unchanged) == ("utf-8-sig", 1, 1, 1)
    assert result.errors == [
        RowError(4, "date", "日付を「2026-04-01」の形で入力してください。"),
        RowError(5, "currency", "通貨「XYZ」は登録されていません。"),
        RowError(5, "rate", "0より大きい数値を入力してください。"),
        RowError(7, "rate", "入力してください。"),
        RowError(8, "", "2行目と同じ通貨・日付です。"),
        RowError(9, "rate", "小数点以下は6桁までです。"),
    ]
    rates = list(
        ExchangeRate.objects.order_by("currency_id", "date").values_list("currency_id", "date", "rate")
    )
    assert rates == [
        ("EUR", dt.date(2026, 4, 4), Decimal("163.4")),
        ("USD", APRIL_1, Decimal("152")),
        ("USD", MAY_1, Decimal("155.50")),
    ]
    update = AuditEntry.objects.get(object_type="core.exchangerate", action="update")
    assert update.changes == {"rate": ["150.250000", "152.000000"]}


def test_reimporting_the_same_file_changes_nothing(admin):
    # given
    content = csv_bytes([["日付", "通貨", "レート"], ["2026-04-01", "USD", "150"]], encoding="utf-8")
    services.exchange_rates_import(by=admin, content=content)
    # when
    result = services.exchange_rates_import(by=admin, content=content)
    # then
    assert (result.encoding, result.created, result.updated, result.unchanged) == ("utf-8", 0, 0, 1)
    assert ExchangeRate.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="core.exchangerate").count() == 1


def test_missing_columns_save_nothing_and_say_which(admin):
    # given
    content = csv_bytes([["日付", "金額"], ["2026-04-01", "150"]], encoding="cp932")
    # when
    with pytest.raises(ValidationError) as error:
        services.exchange_rates_import(by=admin, content=content)
    # then
    assert error.value.message_dict == {
        "file": ["1行目に「通貨」「レート」の列がありません（見出し: 日付, 通貨, レート）。"]
    }
    assert not ExchangeRate.objects.exists()


def test_empty_file_is_refused(admin):
    # when
    with pytest.raises(ValidationError) as error:
        services.exchange_rates_import(by=admin, content=b"")
    # then
    assert error.value.message_dict == {"file": ["ファイルが空です。"]}
