"""Read delivered spot-check files for tests, without the project's readers: the header is
mapped to the contract's labels through the synonyms of the contract YAML, a two-row header
(行政区划 → 市 | 县区) is joined as `top/sub`, and a table without a 抽查类型 column takes the
stream named by its delivery folder."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import yaml

from orchestration.reference import load_seed
from orchestration.settings import FEEDS_DIR

CONTRACT = yaml.safe_load((FEEDS_DIR / "spot_checks.yaml").read_text(encoding="utf-8"))
COLUMNS = CONTRACT["columns"]
LABELS = [column["label"] for column in COLUMNS]
EMPTY = {*CONTRACT["empty_values"], None}
_LABEL_OF = {
    "".join(header.split()): column["label"]
    for column in COLUMNS
    for header in [column["label"], *column.get("headers", [])]
}
_STREAM_NAMES = {
    row["stream_code"]: row["stream_name"] for row in load_seed("ref_spot_check_streams")
}


def _cells(path: Path) -> list[list[object]]:
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        values = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        return values
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = path.read_text(encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
    return [list(row) for row in csv.reader(text.splitlines())]


def _text(value: object) -> str:
    return "".join(str(value or "").split())


def read_delivery(path: Path) -> list[tuple[int, dict[str, object]]]:
    """(row number as the user sees it, {contract label: cell value}) for every data row."""
    cells = _cells(path)
    start = next(i for i, row in enumerate(cells) if row and _text(row[0]) == "序号")
    header = [_text(value) for value in cells[start]]
    below = [_text(value) for value in cells[start + 1]] if start + 1 < len(cells) else []
    two_rows = "县区" in below and not below[0]
    if two_rows:
        group = ""
        for index, top in enumerate(header):
            group = top or group
            if below[index]:
                header[index] = f"{group}/{below[index]}"
        start += 1
    labels = [_LABEL_OF.get(h, h) for h in header]
    stream = _STREAM_NAMES.get(path.parent.parent.name)
    rows = []
    for offset, values in enumerate(cells[start + 1 :], start=start + 2):
        if not any(v not in (None, "") for v in values):
            continue
        row = dict(zip(labels, values, strict=False))
        row.setdefault("抽查类型", stream)
        rows.append((offset, row))
    return rows


def current_files(files: list[Path]) -> list[Path]:
    """The latest file (by modification time) of each delivery folder: the slot's current one."""
    latest: dict[Path, Path] = {}
    for path in files:
        if path.parent not in latest or path.stat().st_mtime > latest[path.parent].stat().st_mtime:
            latest[path.parent] = path
    return sorted(latest.values())
