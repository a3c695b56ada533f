"""Read what people type into a submission cell. Accepts the usual ways of writing a value
(92%, 0.92, 92, ９２, 1,234, numbers stored as text, Excel serial dates, 2015年12月9日,
2015.12.9, 2015/12/9) and names precisely what it cannot read (“九十二” is not a number).

Every reader returns (value, None) or (None, Problem-kind and message)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from orchestration.ingest import normalise
from orchestration.ingest.normalise import match_key, normalise_text, parse_date
from orchestration.ingest.readers import CellValue
from orchestration.submissions.layout import BOOLEAN_CHOICES, TASK_STATUSES

_TRUE = {"是", "Y", "YES", "TRUE", "1", "√", "✓", "有", "已完成", "已建立"}
_FALSE = {"否", "N", "NO", "FALSE", "0", "×", "✗", "无", "未完成", "未建立"}


@dataclass(frozen=True)
class Issue:
    kind: str  # stable code, counted and explained in the feedback (feedback.KIND_LABELS)
    message: str


Read = tuple[object, Issue | None]


@dataclass(frozen=True)
class Uncalculated:
    """A formula cell saved without its calculated value (written by a program, not by Excel
    or WPS, which always store the result): its value is unknown, not blank."""

    formula: str

    def __str__(self) -> str:
        return self.formula


def is_blank(raw: CellValue | Uncalculated) -> bool:
    return raw is None or (isinstance(raw, str) and normalise_text(raw) == "")


def shown(raw: CellValue) -> str:
    """The value as the user typed it, for messages."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def read_text(raw: CellValue) -> Read:
    return normalise_text(raw), None


def read_number(raw: CellValue) -> tuple[float | None, bool, Issue | None]:
    """A number and whether it carried a % sign (normalise.read_number: ９２, 1,234, 92%;
    not 1,23, 3 5, 1e3, nan or inf)."""
    value, had_percent, reason = normalise.read_number(raw)
    if reason is not None:
        return None, False, Issue("not_a_number", f"“{shown(raw)}” is not a number")
    return value, had_percent, None


def read_percent(raw: CellValue, *, fraction_below_one: bool = True) -> Read:
    """A percentage in 0–100: 92%, 92 and 0.92 all read as 92 (a plain number strictly
    between 0 and 1 is a fraction, as Excel stores a %-formatted cell)."""
    value, had_percent, issue = read_number(raw)
    if issue or value is None:
        return None, issue
    if not had_percent and fraction_below_one and 0 < value < 1:
        value *= 100
    if not 0 <= value <= 100:
        return None, Issue("percent_out_of_range", f"“{shown(raw)}” is outside 0–100 %")
    return round(value, 6), None


def read_count(raw: CellValue, *, minimum: int = 0) -> Read:
    value, had_percent, issue = read_number(raw)
    if issue or value is None:
        return None, issue
    if had_percent:
        return None, Issue("not_a_number", f"“{shown(raw)}” is a percentage, a count is expected")
    if not value.is_integer():
        return None, Issue("not_whole_number", f"“{shown(raw)}” is not a whole number")
    if value < minimum:
        return None, Issue("negative_value", f"“{shown(raw)}” is below {minimum}")
    return value, None


def read_amount(raw: CellValue) -> Read:
    """A non-negative quantity (numerator or denominator of a rate)."""
    value, had_percent, issue = read_number(raw)
    if issue or value is None:
        return None, issue
    if had_percent:
        return None, Issue("not_a_number", f"“{shown(raw)}”: enter the amount, not a percentage")
    if value < 0:
        return None, Issue("negative_value", f"“{shown(raw)}” is negative")
    return value, None


def read_boolean(raw: CellValue) -> Read:
    if isinstance(raw, bool):
        return (1.0 if raw else 0.0), None
    key = match_key(str(raw))
    if key in _TRUE:
        return 1.0, None
    if key in _FALSE:
        return 0.0, None
    choices = "/".join(BOOLEAN_CHOICES)
    return None, Issue("unknown_boolean", f"“{shown(raw)}” is not {choices}")


def read_status(raw: CellValue) -> Read:
    text = match_key(str(raw))
    if text in TASK_STATUSES:
        return text, None
    allowed = " / ".join(TASK_STATUSES)
    return None, Issue("unknown_status", f"“{shown(raw)}” is not a status ({allowed})")


def read_date(raw: CellValue) -> Read:
    value, reason = parse_date(raw)
    if reason is None and isinstance(value, date):
        return value, None
    if reason and "valid calendar date" in reason:
        return None, Issue("not_a_date", f"“{shown(raw)}” is not a valid calendar date")
    return None, Issue(
        "not_a_date",
        f"“{shown(raw)}” is not a date: write it as 2015-12-09 (also 2015/12/9, 2015.12.9, "
        "2015年12月9日 or 20151209)",
    )


_PHONE = re.compile(r"^[0-9+()\-\s转]{7,24}$")


def read_phone(raw: CellValue) -> Read:
    text = normalise_text(raw)
    digits = sum(ch.isdigit() for ch in text)
    if _PHONE.match(text) and 7 <= digits <= 20:
        return text, None
    return None, Issue("bad_phone", f"“{shown(raw)}” is not a telephone number")
