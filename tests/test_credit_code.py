"""统一社会信用代码 (GB 32100) and organisation code (GB 11714) check digits."""

from __future__ import annotations

import pytest

from orchestration.domain import credit_code
from orchestration.domain.credit_code import (
    CHARSET,
    build,
    check_digit,
    is_valid,
    is_valid_org_code,
    org_check_digit,
    validate,
)

# Published codes, each verified by hand against the GB 32100 and GB 11714 algorithms.
PUBLISHED = [
    "91350100M000100Y43",  # worked example in GB 32100-2015 (letters in the org-code part)
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert validate(code) is None
    assert is_valid(code)
    assert check_digit(code[:17]) == code[17]
    assert is_valid_org_code(code[8:17])


def test_charset_excludes_ambiguous_letters():
    assert len(CHARSET) == 31
    assert not set("IOSVZ") & set(CHARSET)


def test_check_digit_by_hand():
    # sum = 9*1 + 1*3 + 1*9 + 3*27 + 1*19 + 0*26 + 2*16 + 2*17 = 187; 187 % 31 = 1;
    # 31 - 1 = 30 -> CHARSET[30] = "Y"
    assert check_digit("91131022000000000") == "Y"
    # a zero remainder maps to "0", not to CHARSET[31]
    assert check_digit("00000000000000000") == "0"


def test_built_codes_are_valid():
    for body in ("12345678", "60512345", "MA07QX1Y", "00000000"):
        code = build("91", "131082", body)
        assert len(code) == 18
        assert is_valid(code), code
        assert code[2:8] == "131082"
        assert is_valid_org_code(code[8:17])


def test_org_check_digit_special_values():
    # sum of weights * values: 6*2 = 12 -> 11 - 1 = 10 -> "X"; 0 -> 11 -> "0"
    assert org_check_digit("00000006") == "X"
    assert org_check_digit("00000000") == "0"
    assert org_check_digit("M000100Y") == "4"  # letters count 10..35 (M=22, Y=34)
    assert not is_valid_org_code("192203822")
    assert not is_valid_org_code("19220382")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91440300708461136", "must be 18 characters, got 17"),
        ("91440300708461136TT", "must be 18 characters, got 19"),
        ("", "must be 18 characters, got 0"),
        ("9144I300708461136T", "invalid character 'I' at position 5"),
        ("91440300708461136t", "invalid character 't' at position 18"),
        ("914403007O8461136T", "invalid character 'O' at position 10"),
        ("91440300708461136A", "check digit is A, expected T"),
        ("91440300708461137T", "check digit is T, expected X"),
    ],
)
def test_invalid_codes_give_reason(code, reason):
    assert validate(code) == reason
    assert not is_valid(code)


def test_any_single_change_breaks_the_check():
    code = PUBLISHED[1]
    for position in range(17):
        for char in CHARSET:
            if char != code[position]:
                changed = code[:position] + char + code[position + 1 :]
                assert not is_valid(changed)


def test_check_digit_rejects_bad_input():
    with pytest.raises(ValueError):
        check_digit("123")
    with pytest.raises(ValueError):
        check_digit("9113102200000000I")
    assert credit_code.LENGTH == 18
