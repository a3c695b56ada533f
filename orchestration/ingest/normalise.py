"""Turn one raw cell into a typed value, or say precisely why it cannot be read.

Every parser returns (value, None) or (None, reason). Reasons are short, in the form users
see in quarantine reports: "unknown county '北京市朝阳区'"."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import yaml

from orchestration.domain.credit_code import validate as validate_credit_code
from orchestration.ingest.contract import ColumnSpec, ContractError
from orchestration.ingest.readers import CellValue
from orchestration.reference import load_seed
from orchestration.settings import FEEDS_DIR

Parsed = tuple[object, str | None]

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 once its 1900 leap-year bug is accounted for
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
SERIAL_DAYS = (20000, 80000)  # Excel serial dates taken as dates: 1954-10-03 to 2119-01-11
YYYYMMDD = (19000101, 21001231)  # a date typed as the number 20151209
# ASCII digits only (NFKC has already folded full-width ones): float() would take ٣ too.
_SERIAL_TEXT = re.compile(r"^\d{5}$", re.ASCII)  # a serial date stored as text
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", re.ASCII)  # no exponent/nan/inf
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)  # 1,234,567.8
NOT_A_NUMBER = "not a number"


def normalise_text(value: object) -> str:
    """NFKC folds full-width letters and digits (ＡＢ１２ → AB12); outer white space goes."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def match_key(value: str) -> str:
    """Key used to match names against reference aliases: no spaces, upper case."""
    return "".join(normalise_text(value).split()).upper()


def parse_text(raw: CellValue) -> Parsed:
    return normalise_text(raw), None


def _date_from_number(raw: int | float) -> Parsed:
    """An Excel serial date left as a number (42080), or a date typed as the number
    20150317; any other number is not a date."""
    if SERIAL_DAYS[0] <= raw <= SERIAL_DAYS[1]:
        return EXCEL_EPOCH + timedelta(days=int(raw)), None
    whole = isinstance(raw, int) or raw.is_integer()
    shown = str(int(raw)) if whole else str(raw)  # 20151209.0 as typed: 20151209
    if YYYYMMDD[0] <= raw <= YYYYMMDD[1] and whole:
        year, month_day = divmod(int(raw), 10000)
        try:
            return date(year, *divmod(month_day, 100)), None
        except ValueError:
            return None, f"'{shown}' is not a valid calendar date"
    return None, f"'{shown}' is not a date"


def parse_date(raw: CellValue) -> Parsed:
    if isinstance(raw, datetime):
        return raw.date(), None
    if isinstance(raw, date):
        return raw, None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _date_from_number(raw)
    text = normalise_text(raw)
    if _SERIAL_TEXT.match(text):
        return _date_from_number(int(text))  # a serial date stored as text
    text = text.split(" ")[0] if re.match(r"^\d{4}-\d{1,2}-\d{1,2} \d", text) else text
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups())), None
            except ValueError:
                return None, f"'{text}' is not a valid calendar date"
    return None, f"'{text}' is not a date (expected e.g. 2015-03-17, 2015/3/17, 2015年3月17日)"


_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# The Chinese spelling of some ticket systems: 14时22分, 14时22分05秒, 9点5分.
_CHINESE_TIME = re.compile(r"^(\d{1,2})[时点](\d{1,2})分(?:(\d{1,2})秒)?$")


def parse_datetime(raw: CellValue) -> Parsed:
    """A moment as exported by ticket systems: 2015-03-07 14:22[:05], 2015/3/7 14:22,
    2015年3月7日 14:22, 2015年3月7日 14时22分[05秒] (the space may be missing after 日), an
    Excel datetime or serial with a fraction; a bare date is midnight."""
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=None, microsecond=0), None
    if isinstance(raw, date):
        return datetime.combine(raw, datetime.min.time()), None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        day, problem = _date_from_number(int(raw))
        if problem or not isinstance(day, date):
            return None, problem
        seconds = round((float(raw) - int(raw)) * 86400)
        return datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds), None
    text = re.sub(r"日(?=\d)", "日 ", normalise_text(raw).replace("T", " "))
    day_text, _, time_text = text.partition(" ")
    day, problem = parse_date(day_text)
    if problem or not isinstance(day, date):
        return None, f"'{text}' is not a date and time (expected e.g. 2015-03-07 14:22)"
    if not time_text.strip():
        return datetime.combine(day, datetime.min.time()), None
    match = _TIME.match(time_text.strip()) or _CHINESE_TIME.match(time_text.strip())
    if not match:
        return None, f"'{text}' has no readable time (expected e.g. 2015-03-07 14:22)"
    hour, minute, second = (int(part or 0) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        return None, f"'{text}' is not a valid time of day"
    return datetime(day.year, day.month, day.day, hour, minute, second), None


def read_number(raw: CellValue) -> tuple[float | None, bool, str | None]:
    """A finite number, whether it carried a % sign, and why not when it is not one.

    Text is NFKC-folded (９２ → 92, ９２％ → 92%) and trimmed; a trailing % may follow a
    space; thousands separators must group by three (1,234 but not 1,23). Refused: inner
    spaces (3 5), exponents (1e3), nan, inf, booleans, dates."""
    if isinstance(raw, bool):
        return None, False, NOT_A_NUMBER
    if isinstance(raw, int | float):
        try:
            number = float(raw)
        except OverflowError:
            return None, False, NOT_A_NUMBER
        return (number, False, None) if math.isfinite(number) else (None, False, NOT_A_NUMBER)
    if not isinstance(raw, str):
        return None, False, NOT_A_NUMBER
    text = normalise_text(raw)
    percent = text.endswith("%")
    if percent:
        text = text.removesuffix("%").rstrip()
    if _GROUPED_NUMBER.match(text):
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.match(text):
        return None, False, NOT_A_NUMBER
    number = float(text)
    if not math.isfinite(number):  # a few hundred digits overflow to inf
        return None, False, NOT_A_NUMBER
    return number, percent, None


def _number(raw: CellValue) -> tuple[float | None, str | None]:
    value, had_percent, reason = read_number(raw)
    if reason is None and had_percent:
        reason = "a percentage, a plain number is expected"
    return (value, None) if reason is None else (None, f"'{normalise_text(raw)}' is {reason}")


def parse_integer(raw: CellValue) -> Parsed:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, None  # exact, even past float precision
    number, problem = _number(raw)
    if number is None:
        return None, problem
    if not number.is_integer():
        return None, f"'{normalise_text(raw)}' is not a whole number"
    return int(number), None


def parse_decimal(raw: CellValue) -> Parsed:
    return _number(raw)


def parse_credit_code(raw: CellValue) -> Parsed:
    code = match_key(str(raw))
    problem = validate_credit_code(code)
    if problem:
        return None, f"'{code}': {problem}"
    return code, None


@cache
def _reference_specs() -> dict[str, dict[str, Any]]:
    with (FEEDS_DIR / "references.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def reference_lookup(reference: str) -> Mapping[str, str]:
    """Name or alias → code for a reference list of orchestration/feeds/references.yaml,
    built from its dbt seed (one source of truth). A name meaning two codes is an error."""
    specs = _reference_specs()
    if reference not in specs:
        raise ContractError(f"unknown reference list {reference!r} (see references.yaml)")
    spec = specs[reference]
    lookup: dict[str, str] = {}
    for row in load_seed(spec["seed"]):
        code = row[spec["code"]]
        names = [code, *(row[column] for column in spec.get("names", []))]
        if spec.get("aliases"):
            names += row[spec["aliases"]].split("|")
        for key in {match_key(name) for name in names} - {""}:
            if lookup.setdefault(key, code) != code:
                raise ContractError(f"{spec['seed']}: '{key}' names both {lookup[key]} and {code}")
    return lookup


@cache
def reference_names(reference: str) -> tuple[str, ...]:
    """The full names of a reference list (the first of its `names` columns, e.g. 固安县)."""
    spec = _reference_specs()[reference]
    return tuple(row[spec["names"][0]] for row in load_seed(spec["seed"]))


def _reference_parser(column: ColumnSpec) -> Callable[[CellValue], Parsed]:
    assert column.reference is not None
    lookup = reference_lookup(column.reference)
    noun = _reference_specs()[column.reference].get("noun", column.reference)

    def parse(raw: CellValue) -> Parsed:
        code = lookup.get(match_key(str(raw)))
        if code is None:
            return None, f"unknown {noun} '{normalise_text(raw)}'"
        return code, None

    return parse


def _enum_parser(column: ColumnSpec) -> Callable[[CellValue], Parsed]:
    lookup = {match_key(v): canonical for canonical, vs in column.values.items() for v in vs}
    allowed = "/".join(v for vs in column.values.values() for v in vs)

    def parse(raw: CellValue) -> Parsed:
        value = lookup.get(match_key(str(raw)))
        if value is None:
            return None, f"unknown {column.label} '{normalise_text(raw)}' (allowed: {allowed})"
        return value, None

    return parse


def _boolean_parser(column: ColumnSpec) -> Callable[[CellValue], Parsed]:
    lookup = {match_key(v): key == "true" for key, vs in column.values.items() for v in vs}
    allowed = "/".join(column.values["true"][:1] + column.values["false"][:1])

    def parse(raw: CellValue) -> Parsed:
        if isinstance(raw, bool):
            return raw, None
        value = lookup.get(match_key(str(raw)))
        if value is None:
            return None, f"'{normalise_text(raw)}' is not yes or no ({allowed})"
        return value, None

    return parse


_SIMPLE_PARSERS: dict[str, Callable[[CellValue], Parsed]] = {
    "text": parse_text,
    "date": parse_date,
    "datetime": parse_datetime,
    "integer": parse_integer,
    "decimal": parse_decimal,
    "credit_code": parse_credit_code,
}


def _bounded(
    column: ColumnSpec, parse: Callable[[CellValue], Parsed]
) -> Callable[[CellValue], Parsed]:
    """A number parser that also refuses values outside the column's min/max."""

    def parse_bounded(raw: CellValue) -> Parsed:
        value, problem = parse(raw)
        if problem or not isinstance(value, int | float):
            return value, problem
        if column.minimum is not None and value < column.minimum:
            return None, f"'{normalise_text(raw)}' is below the minimum {column.minimum:g}"
        if column.maximum is not None and value > column.maximum:
            return None, f"'{normalise_text(raw)}' is above the maximum {column.maximum:g}"
        return value, None

    return parse_bounded


def _below_detection(
    column: ColumnSpec, parse: Callable[[CellValue], Parsed]
) -> Callable[[CellValue], Parsed]:
    """A measurement parser that reads a result below the detection limit as half the limit:
    a spelling of the contract ("未检出", "ND") takes the method's limit, "<0.01" and the
    national report style "0.01L" (HJ 91.2) name their own."""
    below = column.below_detection
    assert below is not None
    spellings = {match_key(s) for s in below.spellings}

    def parse_censored(raw: CellValue) -> Parsed:
        if not isinstance(raw, str):
            return parse(raw)
        text = normalise_text(raw)
        if match_key(text) in spellings:
            return below.limit / 2, None
        stated = text[1:] if text.startswith("<") else text[:-1] if text.endswith("L") else None
        if stated is None:
            return parse(raw)
        limit, problem = parse(stated.strip())
        if problem or not isinstance(limit, int | float) or limit <= 0:
            return None, f"'{text}' is not a detection limit (e.g. <0.01 or 0.01L)"
        return limit / 2, None

    return parse_censored


def parser_for(column: ColumnSpec) -> Callable[[CellValue], Parsed]:
    simple = _SIMPLE_PARSERS.get(column.type)
    if column.below_detection is not None and simple is not None:
        simple = _below_detection(column, simple)
    if column.minimum is not None or column.maximum is not None:
        assert simple is not None
        return _bounded(column, simple)
    if column.type == "reference":
        return _reference_parser(column)
    if column.type == "enum":
        return _enum_parser(column)
    if column.type == "boolean":
        return _boolean_parser(column)
    assert simple is not None
    return simple
