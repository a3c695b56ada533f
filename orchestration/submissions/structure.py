"""Is a filled workbook still shaped like its template? Rows are identified by their code and
cells by their column, so an inserted, deleted or moved column or row would shift every value
into the wrong field: a blank column before G once turned 备注 into the template's 填报口径 text
and dropped 上年数值. The parser refuses such a file with one message per change, saying what
moved ("在G列前插入了一列", "删除了K列（上年数值）", "第8行前插入了一行"), instead of dozens of
problems derived from the shift.

Each check takes a sheet's grid (row number → cell values, blank rows absent) and returns the
changes it found, in Chinese, empty when the sheet has the template's shape."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from openpyxl.utils import get_column_letter

from orchestration.submissions import layout

Grid = Mapping[int, tuple[object, ...]]
# How far below its place a header row is still recognised (rows inserted above it).
HEADER_SEARCH_ROWS = 10
_COUNTS = dict(enumerate("一两三四五六七八九十", start=1))


def _count(n: int) -> str:
    return _COUNTS.get(n, str(n))


def label(value: object) -> str:
    """A header or label as compared: NFKC (全角 → half-width), no whitespace."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _cells(grid: Grid, row: int) -> list[str]:
    values = [label(v) for v in grid.get(row, ())]
    while values and not values[-1]:
        values.pop()
    return values


def _moves(
    deleted: list[tuple[int, str]], inserted: list[tuple[int, str]]
) -> list[tuple[int, int, str]]:
    """(from, to, name) for every name both deleted at one place and inserted at another;
    the matched entries are removed from both lists."""
    moves = []
    for old, name in list(deleted):
        found = next(((new, n) for new, n in inserted if n == name and name), None)
        if found is not None:
            moves.append((old, found[0], name))
            deleted.remove((old, name))
            inserted.remove(found)
    return moves


def _diff(
    expected: Sequence[str], actual: Sequence[str]
) -> tuple[list[tuple[int, list[int]]], list[tuple[int, str]], list[tuple[int, str]], list]:
    """Where `actual` departs from `expected`: insertions (before expected index, actual
    indices), deletions and replacements (expected index, name / actual index, name)."""
    insertions: list[tuple[int, list[int]]] = []
    deleted: list[tuple[int, str]] = []
    inserted: list[tuple[int, str]] = []
    replaced: list[tuple[int, str, int, str]] = []
    matcher = SequenceMatcher(None, list(expected), list(actual), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "insert":
            insertions.append((i1, list(range(j1, j2))))
            inserted += [(j, actual[j]) for j in range(j1, j2)]
        elif tag == "delete":
            deleted += [(i, expected[i]) for i in range(i1, i2)]
        elif tag == "replace":
            if i2 - i1 == j2 - j1:
                replaced += [
                    (i1 + k, expected[i1 + k], j1 + k, actual[j1 + k]) for k in range(i2 - i1)
                ]
            else:
                deleted += [(i, expected[i]) for i in range(i1, i2)]
                inserted += [(j, actual[j]) for j in range(j1, j2)]
                insertions.append((i1, list(range(j1, j2))))
    return insertions, deleted, inserted, replaced


@dataclass(frozen=True)
class _Comparison:
    """How `actual` departs from `expected` (headers of columns, or codes of rows): names
    moved (from, to, name); insertions (before expected index, actual indices) and deletions
    and replacements (expected index, name / actual index, name) other than those moves."""

    moves: list[tuple[int, int, str]]
    insertions: list[tuple[int, list[int]]]
    deleted: list[tuple[int, str]]
    replaced: list[tuple[int, str, int, str]]


def _compare(expected: Sequence[str], actual: Sequence[str]) -> _Comparison:
    insertions, deleted, inserted, replaced = _diff(expected, actual)
    gone = deleted + [(i, n) for i, n, _, _ in replaced]
    came = inserted + [(j, n) for _, _, j, n in replaced]
    moves = _moves(gone, came)
    moved_from = {old for old, _, _ in moves}
    moved_to = {new for _, new, _ in moves}
    added = [(before, [j for j in js if j not in moved_to]) for before, js in insertions]
    return _Comparison(
        moves,
        [(before, js) for before, js in added if js],
        [(i, n) for i, n in deleted if i not in moved_from and (i, n) in gone],
        [r for r in replaced if r[0] not in moved_from and r[2] not in moved_to],
    )


def column_changes(grid: Grid, columns: Sequence[layout.Column]) -> list[str]:
    """The header row of a task or metric sheet against the template's columns, and nothing
    written right of the last column."""
    expected = [label(c.header) for c in columns]
    found_at = _header_row(grid, expected)
    if found_at is None:
        names = "、".join(c.header for c in columns)
        return [f"第{layout.HEADER_ROW}行不是模板的表头（应依次为 {names}）"]
    if found_at != layout.HEADER_ROW:
        shift = found_at - layout.HEADER_ROW
        where = f"第{layout.HEADER_ROW}行（表头）"
        if shift > 0:
            return [f"{where}前插入了{_count(shift)}行（表头现在第{found_at}行）"]
        return [f"表头以上删除了{_count(-shift)}行（表头现在第{found_at}行）"]
    actual = _cells(grid, layout.HEADER_ROW)
    if actual == expected:
        return _beyond_last_column(grid, len(columns))
    letter = [c.letter for c in columns]
    if sorted(actual) == sorted(expected):  # the same columns in another order
        return [
            f"{letter[i]}列（{columns[i].header}）被移到了{letter[actual.index(name)]}列"
            for i, name in enumerate(expected)
            if actual.index(name) != i
        ]
    found = _compare(expected, actual)
    changes = [
        f"{letter[old]}列（{columns[old].header}）被移到了{get_column_letter(new + 1)}列"
        for old, new, _ in found.moves
    ]
    for before, added in found.insertions:
        shown = "、".join(f"“{actual[j]}”" for j in added if actual[j])
        named = f"（表头 {shown}）" if shown else ""
        if before < len(columns):
            changes.append(f"在{letter[before]}列前插入了{_count(len(added))}列{named}")
        else:
            changes.append(f"在{letter[-1]}列后增加了{_count(len(added))}列{named}")
    changes += [f"删除了{letter[i]}列（{columns[i].header}）" for i, _ in found.deleted]
    changes += [
        f"{get_column_letter(j + 1)}{layout.HEADER_ROW} 的表头应为“{columns[i].header}”，"
        f"现为“{name or '空白'}”"
        for i, _, j, name in found.replaced
    ]
    return changes


def _header_row(grid: Grid, expected: Sequence[str]) -> int | None:
    """The row that best matches the template's header (at least half of it), if any."""
    wanted = set(expected)
    best, best_score = None, 0
    for row in range(1, layout.HEADER_ROW + HEADER_SEARCH_ROWS + 1):
        score = sum(1 for value in _cells(grid, row) if value in wanted)
        if score > best_score or (score == best_score and row == layout.HEADER_ROW):
            best, best_score = row, score
    return best if best_score * 2 >= len(expected) else None


def _beyond_last_column(grid: Grid, width: int) -> list[str]:
    """Anything typed right of the form, from the header row down, would be read by no one."""
    last = get_column_letter(width)
    for row in sorted(r for r in grid if r >= layout.HEADER_ROW):
        extra = [(i, v) for i, v in enumerate(grid[row]) if i >= width and label(v)]
        if extra:
            index, value = extra[0]
            cell = f"{get_column_letter(index + 1)}{row}"
            return [f"在{last}列右侧增加了内容（{cell}：“{value}”），本表只有A–{last}列"]
    return []


def row_changes(
    grid: Grid,
    first_row: int,
    code_of: Callable[[int], str],
    expected: Sequence[str],
    what: str,
) -> list[str]:
    """The data rows against the template's: the row of every expected code (in template
    order from `first_row`). Rows added below the last template row are not a change of shape
    (the parser names each: a task not held, a duplicate, a row without code)."""
    last = max((r for r in grid if r >= first_row), default=first_row - 1)
    actual = [code_of(r) if r in grid else "" for r in range(first_row, last + 1)]
    while actual and not actual[-1]:
        actual.pop()
    if list(expected) == actual[: len(expected)]:
        return []
    template_rows = actual[: len(expected)]
    if sorted(template_rows) == sorted(expected):  # the same rows in another order
        moved = [(i, template_rows.index(code), code) for i, code in enumerate(expected)]
        return [
            f"第{first_row + old}行（{what} {code}）被移到了第{first_row + new}行"
            for old, new, code in moved
            if old != new
        ]
    found = _compare(expected, actual)
    changes = [
        f"第{first_row + old}行（{what} {code}）被移到了第{first_row + new}行"
        for old, new, code in found.moves
    ]
    changes += [
        f"第{first_row + before}行前插入了{_count(len(added))}行"
        for before, added in found.insertions
        if before < len(expected)
    ]
    changes += [f"删除了第{first_row + i}行（{what} {code}）" for i, code in found.deleted]
    changes += [
        f"第{first_row + j}行的{what}应为 {code}，现为 {found_code or '空白'}"
        for _, code, j, found_code in found.replaced
    ]
    return changes


def cover_changes(grid: Grid) -> list[str]:
    """The 封面 labels in column A, their values in B and the hints in C."""
    first = layout.COVER_FIELDS[0].row
    labels = [label(f.label) for f in layout.COVER_FIELDS]

    def label_in_a(row: int) -> str:
        values = grid.get(row, ())
        return label(values[0]) if values else ""

    # Only the rows up to the last field are a shape: notes below them change nothing.
    rows = {r: v for r, v in grid.items() if r < first + len(labels) + HEADER_SEARCH_ROWS}
    changes = row_changes(rows, first, label_in_a, labels, "标签")
    if changes:
        return changes
    value_column = layout.COVER_VALUE_COLUMN
    hint_index = 2  # column C: 必填 / 预填，请勿修改
    for spec in layout.COVER_FIELDS:
        values = [label(v) for v in grid.get(spec.row, ())]
        filled = [i for i, v in enumerate(values) if v]
        if filled and max(filled) > hint_index:
            return [f"在{value_column}列或C列前插入了列（第{spec.row}行的内容右移了）"]
    hints = [grid.get(spec.row, ())[hint_index:][:1] for spec in layout.COVER_FIELDS]
    if not any(label(hint[0]) for hint in hints if hint):
        return ["删除了封面的一列（C列的填写提示不见了，填写内容可能左移）"]
    return []
