"""Plain numbers read in bulk: the common case of a measurement column, vectorised.

A column of hourly concentrations holds hundreds of thousands of distinct values, so reading
each distinct value once (validate_rows) still calls Python's parser for nearly every cell.
Text that is a plain ASCII decimal inside the column's range reads the same whatever else the
contract says of the column (no % sign, no separators, no detection-limit spelling, not an
empty spelling), so Arrow casts it in one call; everything else goes to the per-value parser,
which gives the exact reason for what it refuses."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from orchestration.ingest.contract import ColumnSpec

# At most 15 significant digits on each side: the cast and float() then agree to the bit, and
# nothing overflows. Longer, signed with +, or written otherwise: the per-value parser.
_DECIMAL = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
_INTEGER = r"^-?[0-9]{1,15}$"

Reading = tuple[object, str | None, str | None]


def bulk_readings(
    column: ColumnSpec, texts: Iterable[object], empty: Iterable[str]
) -> dict[str, Reading]:
    """value → (number, text as delivered, None) for the plain numbers among `texts` that lie
    within the column's range and are not one of the `empty` spellings; other values are left
    out (read one by one)."""
    if column.type not in ("decimal", "integer"):
        return {}
    empty = set(empty)
    strings = [t for t in texts if t.__class__ is str and t not in empty]
    if len(strings) < 64:  # not worth a vectorised call
        return {}
    values = pa.array(strings, pa.string())
    plain = values.filter(
        pc.match_substring_regex(values, _INTEGER if column.type == "integer" else _DECIMAL)
    )
    numbers = pc.cast(plain, pa.int64() if column.type == "integer" else pa.float64())
    inside = pc.is_valid(numbers)
    if column.minimum is not None:
        inside = pc.and_(inside, pc.greater_equal(numbers, column.minimum))
    if column.maximum is not None:
        inside = pc.and_(inside, pc.less_equal(numbers, column.maximum))
    texts_in = plain.filter(inside).to_pylist()
    numbers_in = numbers.filter(inside).to_pylist()
    return {text: (number, text, None) for text, number in zip(texts_in, numbers_in, strict=True)}
