"""Write a value from the data into a cell so that it can never become a formula.

openpyxl stores a str starting with "=" as a formula and "#N/A"-like strings as errors; text
starting with "+", "-", "@" (or a tab / carriage return, or their full-width forms) is stored as
text but Excel turns it into a formula as soon as someone edits the cell. So every str is
stored as a string cell, and a risky one also gets Excel's quote prefix (what Excel itself sets
when a user types '=…), which keeps it text when edited. Numbers stay numbers: -2 is a number,
"-2" is text."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

# Leading characters that make Excel (or a CSV reader) start a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
TEXT_FORMAT = "@"
REPLACEMENT = "\ufffd"  # for control characters an xlsx cannot hold (XML 1.0)

CellData = str | int | float | Decimal | bool | dt.date | dt.datetime | None


def is_risky(text: str) -> bool:
    """True when Excel would read the text as a formula once the cell is edited."""
    return text.startswith(FORMULA_STARTS)


def put(cell: Cell, value: CellData) -> None:
    """Set `value` after the cell's style: str as string cells (quote-prefixed when risky),
    numbers as numbers (NaN and infinity, which a cell cannot hold, as empty), dates as dates."""
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        cell.value = value
        return
    # A bare carriage return does not survive XML (readers turn it into a line feed): write
    # every line break as the line feed Excel uses.
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, text)
    cell.value = text
    cell.data_type = "s"  # never "f" (formula) or "e" (error), whatever the text
    cell.number_format = TEXT_FORMAT
    if is_risky(text):
        cell.quotePrefix = True
