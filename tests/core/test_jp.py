"""Japanese text normalization and identifier validators (core/jp.py)."""

import random
import string
import threading

import phonenumbers
import pytest

from daifuku.core import jp

# fold


@pytest.mark.parametrize("text", ["ｶﾀｶﾅ", "カタカナ", "かたかな"])
def test_fold_makes_half_width_katakana_full_width_katakana_and_hiragana_equal(text):
    # when
    folded = jp.fold(text)
    # then
    assert folded == "かたかな"


def test_fold_makes_full_width_ascii_half_width_and_lower_case():
    # when
    folded = jp.fold("ＡＢＣ　Ｄｅｆ１２")
    # then
    assert folded == "abcdef12"


@pytest.mark.parametrize("text", ["㈱山田", "(株)山田", "（株）山田", "株式会社山田"])
def test_fold_expands_abbreviated_kabushiki_kaisha(text):
    # when
    folded = jp.fold(text)
    # then
    assert folded == "株式会社山田"


@pytest.mark.parametrize("text", ["03-1234-5678", "０３－１２３４－５６７８", "03ー1234ー5678", "0312345678"])
def test_fold_drops_hyphens_between_digits(text):
    # when
    folded = jp.fold(text)
    # then
    assert folded == "0312345678"


@pytest.mark.parametrize("text", ["ラーメン", "ﾗｰﾒﾝ", "らーめん"])
def test_fold_keeps_the_long_vowel_mark_in_words(text):
    # when
    folded = jp.fold(text)
    # then
    assert folded == "らーめん"


def test_fold_removes_spaces_of_both_widths():
    # when
    folded = jp.fold(" 山田　商事 ")
    # then
    assert folded == "山田商事"


# company_name_key, split_legal_form, company_display_name


@pytest.mark.parametrize(
    "name",
    [
        "株式会社山田商事",
        "㈱山田商事",
        "(株)山田商事",
        "（株）山田商事",
        "山田商事(株)",
        "山田商事株式会社",
        "株式会社 山田 商事",
    ],
)
def test_company_name_key_ignores_kabushiki_kaisha_spelling_and_position(name):
    # when
    key = jp.company_name_key(name)
    # then
    assert key == "山田商事"


@pytest.mark.parametrize("name", ["ﾔﾏﾀﾞｼｮｳｼﾞ㈱", "ヤマダショウジ株式会社", "やまだしょうじ", "ヤマダ ショウジ"])
def test_company_name_key_folds_kana_width_and_script(name):
    # when
    key = jp.company_name_key(name)
    # then
    assert key == "やまだしょうじ"


@pytest.mark.parametrize("name", ["有限会社山田商事", "㈲山田商事", "(有)山田商事", "山田商事有限会社"])
def test_company_name_key_strips_yugen_kaisha(name):
    # when
    key = jp.company_name_key(name)
    # then
    assert key == "山田商事"


def test_company_name_key_keeps_different_names_apart():
    # when
    keys = {jp.company_name_key("㈱山田商事"), jp.company_name_key("㈱山田商店")}
    # then
    assert keys == {"山田商事", "山田商店"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("株式会社山田商事", jp.SplitName("山田商事", "kk", "before")),
        ("㈱山田商事", jp.SplitName("山田商事", "kk", "before")),
        ("株式会社 山田商事", jp.SplitName("山田商事", "kk", "before")),
        ("山田商事株式会社", jp.SplitName("山田商事", "kk", "after")),
        ("山田商事（株）", jp.SplitName("山田商事", "kk", "after")),
        ("合同会社ミライ", jp.SplitName("ミライ", "gk", "before")),
        ("山田商事", jp.SplitName("山田商事", "", "none")),
        ("株式会社", jp.SplitName("株式会社", "", "none")),
    ],
)
def test_split_legal_form(raw, expected):
    # when
    split = jp.split_legal_form(raw)
    # then
    assert split == expected


@pytest.mark.parametrize(
    ("legal_form", "position", "expected"),
    [
        ("kk", "before", "株式会社山田商事"),
        ("kk", "after", "山田商事株式会社"),
        ("yk", "after", "山田商事有限会社"),
        ("kk", "none", "山田商事"),
        ("", "before", "山田商事"),
    ],
)
def test_company_display_name(legal_form, position, expected):
    # when
    name = jp.company_display_name("山田商事", legal_form, position)
    # then
    assert name == expected


@pytest.mark.parametrize(("family", "given"), [("田中", "一郎"), ("田中 ", "　一郎"), ("田中　一郎", "")])
def test_person_name_key_ignores_spacing(family, given):
    # when
    key = jp.person_name_key(family, given)
    # then
    assert key == "田中一郎"


def test_person_name_key_folds_kana():
    # when
    keys = {jp.person_name_key("ﾀﾅｶ", "ｲﾁﾛｳ"), jp.person_name_key("タナカ", "イチロウ")}
    # then
    assert keys == {"たなかいちろう"}


# kana_sort_key


def test_kana_sort_key_orders_by_gojuon_and_puts_entries_without_reading_last():
    # given
    entries = [("ｳｴﾀﾞ", "上田"), ("", "阿部"), ("いとう", "伊藤"), ("アベ", "阿部"), ("カトウ", "加藤")]
    # when
    ordered = sorted(entries, key=lambda e: jp.kana_sort_key(e[0], e[1]))
    # then
    assert ordered == [
        ("アベ", "阿部"),
        ("いとう", "伊藤"),
        ("ｳｴﾀﾞ", "上田"),
        ("カトウ", "加藤"),
        ("", "阿部"),
    ]


def test_kana_sort_key_of_entries_without_reading_sort_by_name():
    # when
    keys = [jp.kana_sort_key("", "b社"), jp.kana_sort_key("", "a社")]
    # then
    assert sorted(keys) == [jp.kana_sort_key("", "a社"), jp.kana_sort_key("", "b社")]
    assert jp.kana_sort_key("", "a社") > jp.kana_sort_key("ん", "")


# 法人番号


@pytest.mark.parametrize("number", ["7123456789012", "７１２３４５６７８９０１２", "7123-4567-89012"])
def test_corporate_number_with_right_check_digit_is_valid(number):
    # when / then
    assert jp.is_valid_corporate_number(number) is True


@pytest.mark.parametrize(
    "number",
    ["8123456789012", "7123456789013", "712345678901", "71234567890123", "", "712345678901a"],
)
def test_corporate_number_with_wrong_digit_or_length_is_invalid(number):
    # when / then
    assert jp.is_valid_corporate_number(number) is False


# Registration number (T + 13 digits)


@pytest.mark.parametrize(
    "raw", ["T7123456789012", "t7123456789012", "Ｔ７１２３４５６７８９０１２", " T7123456789012 "]
)
def test_registration_number_is_normalized(raw):
    # when
    check = jp.check_registration_number(raw)
    # then
    assert check == jp.TNumberCheck("T7123456789012", True, "")


@pytest.mark.parametrize("raw", ["T123", "7123456789012", "T712345678901a", "X7123456789012", ""])
def test_registration_number_with_wrong_format_is_not_ok(raw):
    # when
    check = jp.check_registration_number(raw)
    # then
    assert check == jp.TNumberCheck("", False, "")


def test_registration_number_with_check_digit_mismatch_is_ok_with_a_warning():
    # when
    check = jp.check_registration_number("T8123456789012")
    # then
    assert check.value == "T8123456789012"
    assert check.ok is True
    assert check.warning != ""


# Phones


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03-1234-5678", "+81312345678"),
        ("0312345678", "+81312345678"),
        ("０３－１２３４－５６７８", "+81312345678"),
        ("(03) 1234-5678", "+81312345678"),
        ("+81 3 1234 5678", "+81312345678"),
        ("090-1234-5678", "+819012345678"),
        ("０９０１２３４５６７８", "+819012345678"),
    ],
)
def test_parse_phone_to_e164(raw, expected):
    # when
    parsed = jp.parse_phone(raw)
    # then
    assert parsed == expected


@pytest.mark.parametrize("raw", ["garbage", "", "   ", "12", "電話なし"])
def test_parse_phone_of_garbage_is_none(raw):
    # when
    parsed = jp.parse_phone(raw)
    # then
    assert parsed is None


@pytest.mark.parametrize(
    ("e164", "expected"), [("+81312345678", "03-1234-5678"), ("+819012345678", "090-1234-5678"), ("", "")]
)
def test_phone_display_is_national(e164, expected):
    # when
    shown = jp.phone_display(e164)
    # then
    assert shown == expected


def test_phone_search_text_is_national_digits():
    # when / then
    assert jp.phone_search_text("+81312345678") == "0312345678"


# Postal codes


@pytest.mark.parametrize(
    "raw", ["100-0001", "1000001", "〒１００－０００１", "〒100-0001", "１００ ０００１"]
)
def test_clean_postal_code(raw):
    # when
    cleaned = jp.clean_postal_code(raw)
    # then
    assert cleaned == "1000001"


@pytest.mark.parametrize("raw", ["12345", "100-00011", "abc-defg", ""])
def test_clean_postal_code_of_wrong_length_is_none(raw):
    # when
    cleaned = jp.clean_postal_code(raw)
    # then
    assert cleaned is None


def test_postal_display():
    # when / then
    assert jp.postal_display("1000001") == "100-0001"


@pytest.mark.parametrize("code", ["1000001", "100-0001", "〒１００－０００１"])
def test_postal_lookup_finds_the_address(code):
    # when
    found = jp.postal_lookup(code)
    # then
    assert found == jp.PostalAddress(prefecture="東京都", city="千代田区", street="千代田")


@pytest.mark.parametrize("code", ["0000000", "12345", ""])
def test_postal_lookup_of_unknown_code_is_none(code):
    # when
    found = jp.postal_lookup(code)
    # then
    assert found is None


@pytest.mark.parametrize("reading", ["ﾔﾏﾀﾞ", "やまだ", "ヤマダ", " ﾔﾏﾀﾞ "])
def test_to_katakana(reading):
    # when / then
    assert jp.to_katakana(reading) == "ヤマダ"


def test_postal_lookup_works_from_another_thread():
    # given: the calling thread has used the lookup already (as a test or a first request would)
    assert jp.postal_lookup("1000001") is not None
    found = []
    # when
    worker = threading.Thread(target=lambda: found.append(jp.postal_lookup("5300001")))
    worker.start()
    worker.join()
    # then
    assert found[0] is not None
    assert (found[0].prefecture, found[0].city) == ("大阪府", "大阪市北区")


def _phonenumbers_e164(text):
    number = phonenumbers.parse(text, "JP")
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_parse_phone_fast_path_equals_phonenumbers_on_random_national_numbers():
    # given: 20,000 random national numbers 0[2-9] + 8–9 digits, with and without hyphens
    rng = random.Random(7)
    numbers = [
        "0" + str(rng.randint(2, 9)) + "".join(rng.choice(string.digits) for _ in range(rng.choice([7, 8])))
        for _ in range(20_000)
    ]
    # when / then
    for digits in numbers:
        for text in (digits, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", f"({digits[:2]}) {digits[2:]}"):
            assert jp.parse_phone.__wrapped__(text) == _phonenumbers_e164(text), text


def test_phone_display_fast_path_equals_phonenumbers_on_random_mobile_numbers():
    # given: random 050 / 070 / 080 / 090 numbers, including 0800 free dial (not on the fast path)
    rng = random.Random(11)
    e164s = [
        "+81" + prefix + "".join(rng.choice(string.digits) for _ in range(8))
        for prefix in ("50", "70", "80", "90")
        for _ in range(5_000)
    ]
    # when / then
    for e164 in e164s:
        expected = phonenumbers.format_number(
            phonenumbers.parse(e164, "JP"), phonenumbers.PhoneNumberFormat.NATIONAL
        )
        assert jp.phone_display.__wrapped__(e164) == expected, e164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0101234567", None), ("0800-123-4567", "+818001234567"), ("0120-123-456", "+81120123456")],
)
def test_parse_phone_outside_the_fast_path(raw, expected):
    # when / then: 010 is the international prefix; free dial numbers go through phonenumbers
    assert jp.parse_phone(raw) == expected


def test_phone_display_of_free_dial_0800_is_4_3_4():
    # when / then
    assert jp.phone_display("+818001234567") == "0800-123-4567"
