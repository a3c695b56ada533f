"""Feed xlsx are read with calamine, cell for cell as openpyxl read them (the loaded rows and
their raw records must not change with the reader); a sheet too large to build is refused."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

from orchestration.ingest.errors import UNSAFE_FILE
from orchestration.ingest.readers import MAX_SHEET_CELLS, FileRejected, read_table

HEADERS = frozenset({"工单编号", "办结时间", "数量"})


def _openpyxl_rows(path: Path) -> list[tuple[object, ...]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_cells_read_as_openpyxl_read_them(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工单编号", "办结时间", "数量", "备注"])
    # 500 µs: calamine and openpyxl round the half millisecond differently
    sheet.append(["GS1", datetime(2016, 7, 26, 20, 58, 49, 754500), 3, None])
    sheet.append(["GS2", datetime(2015, 8, 31, 5, 42, 49, 942000), 2.5, "有"])
    sheet.append(["GS3", date(2015, 3, 1), 20151209, ""])
    sheet.append(["GS4", datetime(2015, 3, 1, 12, 0), -0.25, "x"])
    path = tmp_path / "tickets.xlsx"
    workbook.save(path)
    table = read_table(path, HEADERS)
    expected = _openpyxl_rows(path)[1:]
    assert [row.values for row in table.rows] == expected
    assert [[type(v) for v in row.values] for row in table.rows] == [
        [type(v) for v in row] for row in expected
    ]


def test_a_sheet_spanning_too_many_cells_is_refused_before_it_is_built(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工单编号", "办结时间"])
    sheet["XFD1048576"] = "far away"  # a grid from A1 to here would be 17 billion cells
    path = tmp_path / "far.xlsx"
    workbook.save(path)
    try:
        read_table(path, HEADERS)
    except FileRejected as refused:
        assert refused.kind == UNSAFE_FILE
        assert f"spans 1048576 rows × 16384 columns, over the {MAX_SHEET_CELLS} cell" in str(
            refused
        )
    else:
        raise AssertionError("the sheet was read")
