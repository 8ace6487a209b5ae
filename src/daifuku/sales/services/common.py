"""Input cleaning shared by the sales services: one ``Cleaner`` collects every field's error.

Services take a plain ``dict`` (from a form, the API or a script). A ``Cleaner`` turns each value into
its Python type, resolves ids against what the acting user may see, and records a message per field;
``raise_errors()`` raises one ``ValidationError`` keyed by field name, so the UI and the API can name
the bad field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from daifuku.core import jp
from daifuku.core.models import Currency, User
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.models import Company, Contact


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def pk_of(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def ids(value: Any) -> list[Any]:
    """A list of ids from a list, a model list or a comma-separated string (、 allowed)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.replace("、", ",").split(",") if part.strip()]
    return [pk_of(v) for v in value]


class Cleaner:
    """Collects per-field errors while values are cleaned; call :meth:`raise_errors` at the end."""

    def __init__(self, data: dict[str, Any], allowed: Iterable[str]) -> None:
        unknown = set(data) - set(allowed)
        if unknown:
            raise ValidationError({name: _("この項目はありません。") for name in sorted(unknown)})
        self.data = dict(data)
        self.errors: dict[str, str] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    # scalar values

    def text(self, field: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = text(self.data.get(field))
        if required and not value:
            self.error(field, _("入力してください。"))
        if max_length is not None and len(value) > max_length:
            self.error(field, _("%(n)s文字以内で入力してください。") % {"n": max_length})
        return value

    def decimal(
        self,
        field: str,
        *,
        lo: Decimal | None = Decimal(0),
        hi: Decimal | None = None,
        places: int = 2,
        default: Decimal | None = None,
    ) -> Decimal | None:
        raw = self.data.get(field)
        if raw in (None, ""):
            return default
        try:
            number = Decimal(jp.nfkc(str(raw)).replace(",", "").replace("¥", "").replace("円", "").strip())
        except InvalidOperation:
            self.error(field, _("数値を入力してください。"))
            return default
        if not number.is_finite():
            self.error(field, _("数値を入力してください。"))
            return default
        if lo is not None and number < lo:
            self.error(field, _("%(lo)s以上で入力してください。") % {"lo": lo})
        if hi is not None and number > hi:
            self.error(field, _("%(hi)s以下で入力してください。") % {"hi": hi})
        if number != number.quantize(Decimal(1).scaleb(-places)):
            self.error(field, _("小数点以下は%(n)s桁までです。") % {"n": places})
        return number

    def integer(
        self, field: str, *, lo: int = 0, hi: int = 2**31 - 1, default: int | None = None
    ) -> int | None:
        raw = self.data.get(field)
        if raw in (None, ""):
            return default
        try:
            number = int(jp.nfkc(str(raw)).replace(",", "").strip())
        except ValueError:
            self.error(field, _("整数を入力してください。"))
            return default
        if not lo <= number <= hi:
            self.error(field, _("%(lo)s〜%(hi)sの範囲で入力してください。") % {"lo": lo, "hi": hi})
        return number

    def date(self, field: str, *, required: bool = False) -> dt.date | None:
        raw = self.data.get(field)
        if raw in (None, ""):
            if required:
                self.error(field, _("日付を入力してください。"))
            return None
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        cleaned = jp.nfkc(str(raw)).strip().replace("/", "-")
        try:
            parsed = parse_date(cleaned)
        except ValueError:
            parsed = None
        if parsed is None:
            self.error(field, _("日付を「2026-04-01」の形で入力してください。"))
        return parsed

    def choice(self, field: str, choices: Iterable[str], *, default: str = "") -> str:
        value = text(self.data.get(field))
        if not value:
            return default
        if value not in set(choices):
            self.error(field, _("選択肢にない値です。"))
            return default
        return value

    def boolean(self, field: str, *, default: bool = False) -> bool:
        raw = self.data.get(field)
        if raw in (None, ""):
            return default
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in {"1", "true", "on", "yes"}

    # references

    def currency(self, field: str = "currency", *, default: str = "JPY") -> Currency | None:
        code = text(pk_of(self.data.get(field))).upper() or default
        currency = Currency.objects.filter(code=code, is_active=True).first()
        if currency is None:
            self.error(field, _("通貨「%(code)s」は登録されていません。") % {"code": code})
        return currency

    def company(self, by: User, field: str = "company", *, required: bool = False) -> Company | None:
        """The company by id, only if ``by`` may see it (an unseen company is reported as not found)."""
        raw = pk_of(self.data.get(field))
        if raw in (None, ""):
            if required:
                self.error(field, _("取引先を選んでください。"))
            return None
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            self.error(field, _("指定された取引先が見つかりません。"))
            return None
        company = customer_selectors.company_queryset(user=by).filter(pk=pk).first()
        if company is None:
            self.error(field, _("指定された取引先が見つかりません。"))
        return company

    def contacts(self, by: User, field: str = "contacts") -> list[Contact]:
        try:
            wanted = [int(v) for v in ids(self.data.get(field))]
        except (TypeError, ValueError):
            self.error(field, _("指定された担当者が見つかりません。"))
            return []
        found = {c.pk: c for c in customer_selectors.contact_queryset(user=by).filter(pk__in=wanted)}
        if len(found) != len(set(wanted)):
            self.error(field, _("指定された担当者が見つかりません。"))
        return [found[pk] for pk in dict.fromkeys(wanted) if pk in found]

    def contact(self, by: User, field: str = "contact") -> Contact | None:
        raw = pk_of(self.data.get(field))
        if raw in (None, ""):
            return None
        found = self.contacts_of([raw], by, field)
        return found[0] if found else None

    def contacts_of(self, raw_ids: list[Any], by: User, field: str) -> list[Contact]:
        saved = self.data.get(field)
        self.data[field] = raw_ids
        try:
            return self.contacts(by, field)
        finally:
            self.data[field] = saved

    def user(self, field: str, *, required: bool = False) -> User | None:
        raw = pk_of(self.data.get(field))
        if raw in (None, ""):
            if required:
                self.error(field, _("担当者を選んでください。"))
            return None
        try:
            user = User.objects.filter(pk=int(raw), is_active=True).select_related("team").first()
        except (TypeError, ValueError):
            user = None
        if user is None:
            self.error(field, _("指定されたユーザーが見つかりません。"))
        return user
