"""Published 不合格产品 lists: tables of failed batches only, declared by their file name.

A provincial or city bureau publishes its failures (不合格产品信息, 不合格产品及企业名单)
without a verdict column (every row failed) and without a sampling date (only the notice's
date). A delivered file whose name holds a marker of the contract's `failure_lists` (e.g.
"不合格") is read as such a list: its rows take the verdict the list declares where the table
has no verdict column, and the first day of the delivery folder's period where it has no
sampling date; the loader-filled columns say which rows came from a list and what their date
is (抽样日期 or 发布期间). A list that holds a passing verdict is not what its name says: that
row is quarantined. Which KPIs read such rows is the marts' decision (docs/feeds/spot_checks.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestration.ingest.contract import FeedContract
from orchestration.ingest.delivery import Slot
from orchestration.ingest.readers import CellValue, SourceTable
from orchestration.ingest.validate_rows import (
    BadRow,
    CellProblem,
    GoodRows,
    column_positions,
)


def list_fills(
    contract: FeedContract, file_name: str, headers: Sequence[str], slot: Slot | None
) -> tuple[dict[str, CellValue], str]:
    """The fills (validate_rows) of a file of `contract` named `file_name`, and the hint a
    missing-columns message gets. Empty for a feed without failure lists."""
    spec = contract.failure_lists
    if spec is None:
        return {}, ""
    present = column_positions(contract, headers)
    date_column = contract.delivery.date_column
    sampled, stand_in = spec.date_bases
    if not spec.marks(file_name):
        hint = ""
        if spec.verdict not in present or date_column not in present:
            markers = "、".join(f"“{m}”" for m in spec.file_markers)
            hint = (
                f" If this file is a published 不合格产品 list (every row failed, no sampling "
                f"date), put {markers} in its file name (docs/feeds/{contract.feed}.md)."
            )
        return {spec.flag_column: False, spec.date_basis_column: sampled}, hint
    fills: dict[str, CellValue] = {
        spec.flag_column: True,
        spec.verdict: spec.verdict_value,
        spec.date_basis_column: sampled,
    }
    if date_column not in present and slot is not None:
        fills[date_column] = slot.first_day
        fills[spec.date_basis_column] = stand_in
    return fills, ""


def passing_rows(
    contract: FeedContract, table: SourceTable, good: GoodRows, fills: dict[str, CellValue]
) -> tuple[GoodRows, list[BadRow]]:
    """Rows of a failure list whose own verdict cell says they passed: quarantined, the cell
    named, since the file is not the list its name declares (or the row is misplaced)."""
    spec = contract.failure_lists
    if spec is None or fills.get(spec.flag_column) is not True:
        return good, []
    verdicts = good.columns[spec.verdict]
    passing = [i for i, value in enumerate(verdicts) if value == "pass"]
    if not passing:
        return good, []
    index = column_positions(contract, table.headers)[spec.verdict]
    label = contract.column(spec.verdict).label
    originals = good.columns.get(f"{spec.verdict}_original") or verdicts
    rows = {row.row_number: row for row in table.rows}
    bad = []
    for i in passing:
        row = rows[good.row_numbers[i]]
        message = (
            f"{label} '{originals[i]}' in a 不合格产品 list (its file name says every row "
            "failed): correct the cell, or take the marker out of the file name if the file "
            "is a full results table"
        )
        problem = CellProblem(spec.verdict, table.cell_of(row, index), message)
        bad.append(BadRow(row.row_number, (problem,), good.delivered_json(i)))
    failing = set(range(len(good))) - set(passing)
    kept = sorted(failing)
    return good.take(kept), bad
