"""统一社会信用代码 (GB 32100-2015) and the embedded organisation code (GB 11714-1997).

`validate` enforces only the 18-character GB 32100 rules (length, character set, final check
digit): the embedded organisation code of codes issued after 2015 need not pass GB 11714, so the
loader must not reject on it. The GB 11714 helpers exist so generated codes look real.
"""

from __future__ import annotations

# GB 32100 code characters: digits and upper-case letters without I, O, S, V, Z.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CHAR_VALUE = {char: value for value, char in enumerate(CHARSET)}


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 characters of a credit code."""
    if len(first17) != LENGTH - 1:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    total = 0
    for position, (char, weight) in enumerate(zip(first17, WEIGHTS, strict=True), start=1):
        if char not in _CHAR_VALUE:
            raise ValueError(f"invalid character {char!r} at position {position}")
        total += _CHAR_VALUE[char] * weight
    return CHARSET[(31 - total % 31) % 31]


def validate(code: str) -> str | None:
    """None when `code` is a valid credit code, otherwise a short English reason."""
    if len(code) != LENGTH:
        return f"must be {LENGTH} characters, got {len(code)}"
    for position, char in enumerate(code, start=1):
        if char not in _CHAR_VALUE:
            return f"invalid character {char!r} at position {position}"
    expected = check_digit(code[:-1])
    if code[-1] != expected:
        return f"check digit is {code[-1]}, expected {expected}"
    return None


def is_valid(code: str) -> bool:
    """True when `code` passes the GB 32100 rules."""
    return validate(code) is None


def _org_value(char: str) -> int:
    # GB 11714 reads letters as 10..35 (A=10), unlike GB 32100's compact alphabet.
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    raise ValueError(f"invalid organisation code character {char!r}")


def org_check_digit(body8: str) -> str:
    """The 9th character of a GB 11714 organisation code for its first 8 characters."""
    if len(body8) != len(ORG_WEIGHTS):
        raise ValueError(f"need 8 characters, got {len(body8)}")
    total = sum(_org_value(char) * weight for char, weight in zip(body8, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    if value == 10:
        return "X"
    if value == 11:
        return "0"
    return str(value)


def is_valid_org_code(code9: str) -> bool:
    """True when a 9-character organisation code carries the right GB 11714 check digit."""
    if len(code9) != len(ORG_WEIGHTS) + 1:
        return False
    try:
        return org_check_digit(code9[:-1]) == code9[-1]
    except ValueError:
        return False


def build(registration: str, division: str, org_body8: str) -> str:
    """A full credit code from its parts: 2-char registration type, 6-digit division code and
    the 8-character organisation code body (its GB 11714 check digit is added here)."""
    if len(registration) != 2 or len(division) != 6:
        raise ValueError("registration must be 2 characters and division 6")
    first17 = registration + division + org_body8 + org_check_digit(org_body8)
    return first17 + check_digit(first17)
