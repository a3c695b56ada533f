"""The one way a feed's sample files are delivered: a month's file on a day of the next month,
its corrected re-delivery (`…_更正`) and its repeated delivery (the same bytes again), in the
month's format — xlsx with a title over a one- or two-row header, or CSV in UTF-8, UTF-8 with
BOM or GB18030.

What differs between feeds is data, in `sample_data/layouts/<feed>.yaml`: the delivery days
and time, the formats in turn by month, and each format's columns with their headers (a
column without a header takes the contract's label)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from orchestration.ingest.contract import load_contract
from orchestration.ingest.delivery import FIRST_MONTH
from orchestration.xlsx_files import write_atomically
from sample_data.common import Deliveries, write_csv
from sample_data.excel_layouts import HeaderCell, write_table_xlsx

LAYOUTS_DIR = Path(__file__).with_name("layouts")
CSV_ENCODINGS = {"csv-utf8": "utf-8", "csv-bom": "utf-8-sig", "csv-gb18030": "gb18030"}
RUNNING_NUMBER = "_no"  # the 序号 column: 1, 2, 3 … in file order

# How a layout turns a row's value into a cell: (column name, value) → cell.
CellValue = Callable[[str, Any], Any]


@dataclass(frozen=True)
class TableLayout:
    """One file format of a feed: its columns (row keys, `_no` for the running number) with
    their header cells, the sheet of an xlsx, and values written whatever the row says
    (`constants`, e.g. 市 = 廊坊市 under a merged 行政区划)."""

    fmt: str  # xlsx, csv-utf8, csv-bom or csv-gb18030
    columns: tuple[tuple[str, HeaderCell], ...]
    sheet: str = "Sheet1"
    constants: Mapping[str, Any] | None = None
    csv_title: bool = False  # a CSV whose first line is the title, above the header

    @property
    def extension(self) -> str:
        return "xlsx" if self.fmt == "xlsx" else "csv"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def two_row_header(self) -> bool:
        return any(sub is not None for _, (_, sub) in self.columns)

    def table(self, rows: Sequence[Mapping[str, Any]], value: CellValue | None) -> list[list]:
        """The rows as lists in the layout's column order."""
        constants = self.constants or {}
        table = []
        for number, row in enumerate(rows, start=1):
            cells: list[Any] = []
            for name, _ in self.columns:
                if name == RUNNING_NUMBER:
                    cells.append(number)
                elif name in constants:
                    cells.append(constants[name])
                else:
                    cells.append(row[name] if value is None else value(name, row[name]))
            table.append(cells)
        return table

    def write(
        self,
        path: Path,
        rows: Sequence[Mapping[str, Any]],
        *,
        title: str | None = None,
        subtitle: str | None = None,
        value: CellValue | None = None,
    ) -> None:
        """Write `rows` (keyed by column name) as this format: xlsx with the title, subtitle and
        header; CSV with the header's top row in the format's encoding."""
        table = self.table(rows, value)
        header = [cell for _, cell in self.columns]
        if self.fmt == "xlsx":
            write_table_xlsx(path, self.sheet, title, header, table, subtitle=subtitle)
        elif self.csv_title:
            heads = [top for top, _ in header]
            write_csv(path, [title or ""], [heads, *table], CSV_ENCODINGS[self.fmt])
        else:
            write_csv(path, [top for top, _ in header], table, CSV_ENCODINGS[self.fmt])


@dataclass(frozen=True)
class MonthlyDelivery:
    """When a feed's monthly files arrive: the month's file on `day` of the next month at
    `time` (Beijing), a correction on `correction_day`, a repeat on `repeat_day` named with
    `repeat_suffix`; the format of month m is formats[m % len(formats)]."""

    day: int
    time: dt.time
    formats: tuple[str, ...]
    correction_day: int | None = None
    repeat_day: int | None = None
    repeat_suffix: str = "_重复报送"
    repeat_kind: str = "repeated_deliveries"  # the tally a repeat counts in

    def received(self, year: int, month: int, day: int | None = None) -> dt.datetime:
        """The `day` (default: the delivery day) of the month after (year, month): files carry
        it as their modification time, never "just written", so no run waits for them."""
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        return dt.datetime.combine(dt.date(next_year, next_month, day or self.day), self.time)

    def format_of(self, month: int) -> str:
        return self.formats[month % len(self.formats)]


@dataclass(frozen=True)
class FeedLayouts:
    """A feed's delivery calendar and its file formats, from its layouts file."""

    delivery: MonthlyDelivery | None
    formats: Mapping[str, TableLayout]

    def of_month(self, month: int) -> TableLayout:
        assert self.delivery is not None
        return self.formats[self.delivery.format_of(month)]


def _header(entry: Any, labels: Mapping[str, str]) -> tuple[str, HeaderCell]:
    """`name` (the contract's label), `{name: header}` or `{name: [group, sub]}`."""
    if isinstance(entry, str):
        return entry, (labels[entry], None)
    ((name, header),) = entry.items()
    if isinstance(header, list):
        return name, (header[0], header[1])
    return name, (header, None)


def table_layout(feed: str, fmt: str, raw: Mapping[str, Any]) -> TableLayout:
    """A format of a layouts file: `columns` listed, or `contract_columns` (every contract
    column with its label, or those listed, some `renamed`, a renamed to null left out) after
    `leading`."""
    labels = {column.name: column.label for column in load_contract(feed).columns}
    columns = [_header(entry, labels) for entry in raw.get("leading") or []]
    if raw.get("contract_columns"):
        renamed = raw.get("renamed") or {}
        chosen = raw["contract_columns"]
        for name in chosen if isinstance(chosen, list) else labels:
            label = labels[name]
            header = renamed.get(name, label)
            if header is None:
                continue
            if name in (raw.get("before") or {}):
                columns.append(_header(raw["before"][name], labels))
            columns.append(_header({name: header}, labels))
    columns += [_header(entry, labels) for entry in raw.get("columns") or []]
    return TableLayout(
        fmt=raw.get("format", fmt),
        columns=tuple(columns),
        sheet=raw.get("sheet", "Sheet1"),
        constants=raw.get("constants"),
        csv_title=bool(raw.get("csv_title", False)),
    )


def _delivery(raw: Mapping[str, Any] | None) -> MonthlyDelivery | None:
    if raw is None:
        return None
    hour, minute = (int(part) for part in str(raw["time"]).split(":"))
    return MonthlyDelivery(
        day=raw["day"],
        time=dt.time(hour, minute),
        formats=tuple(raw.get("formats") or ("csv-utf8",)),
        correction_day=raw.get("correction_day"),
        repeat_day=raw.get("repeat_day"),
        repeat_suffix=raw.get("repeat_suffix", "_重复报送"),
        repeat_kind=raw.get("repeat_kind", "repeated_deliveries"),
    )


@cache
def layouts_file(feed: str) -> Mapping[str, Any]:
    """The raw content of `layouts/<feed>.yaml` (catalogues included)."""
    with (LAYOUTS_DIR / f"{feed}.yaml").open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=yaml.CSafeLoader)


@cache
def feed_layouts(feed: str) -> FeedLayouts:
    raw = layouts_file(feed)
    return FeedLayouts(
        delivery=_delivery(raw.get("delivery")),
        formats={
            fmt: table_layout(feed, fmt, spec) for fmt, spec in (raw.get("layouts") or {}).items()
        },
    )


def years_with_baseline(years: Sequence[int]) -> list[int]:
    """The requested years and the year before the first (the prior-year baseline a
    comparison needs), not before the platform's first month (2014-01)."""
    wanted = sorted(set(years))
    if wanted and wanted[0] - 1 >= FIRST_MONTH.year:
        wanted.insert(0, wanted[0] - 1)
    return wanted


def deliver(
    out: Deliveries,
    path: Path,
    layout: TableLayout,
    rows: Sequence[Mapping[str, Any]],
    received: dt.datetime,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    value: CellValue | None = None,
) -> Path:
    """Write a file in `layout` and record it as received at `received`."""
    layout.write(path, rows, title=title, subtitle=subtitle, value=value)
    out.add(path, len(rows), received)
    return path


def deliver_again(out: Deliveries, original: Path, again: Path, received: dt.datetime) -> None:
    """The same file delivered a second time under another name: the same bytes and rows."""
    write_atomically(again, original.read_bytes())
    out.add(again, out.rows_per_file[original], received)


def deliver_month(
    out: Deliveries,
    delivery: MonthlyDelivery,
    layout: TableLayout,
    path: Path,
    rows: Sequence[Mapping[str, Any]],
    year: int,
    month: int,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    value: CellValue | None = None,
    corrected: Sequence[Mapping[str, Any]] | None = None,
    corrected_title: str | None = None,
    repeated: bool = False,
) -> Path:
    """A month's file (`path`, without extension) on the delivery day; with `corrected`, its
    corrected list `…_更正` on the correction day (titled `corrected_title`, by default the
    title with （更正）); when `repeated`, the same bytes again on the repeat day."""
    first = path.with_name(f"{path.name}.{layout.extension}")
    received = delivery.received(year, month)
    deliver(out, first, layout, rows, received, title=title, subtitle=subtitle, value=value)
    if corrected is not None:
        if corrected_title is None and title is not None:
            corrected_title = title + "（更正）"
        fixed = path.with_name(f"{path.name}_更正.{layout.extension}")
        received = delivery.received(year, month, delivery.correction_day)
        deliver(
            out, fixed, layout, corrected, received, title=corrected_title, subtitle=subtitle,
            value=value,
        )  # fmt: skip
        out.other["redeliveries"] += 1
    if repeated:
        again = path.with_name(f"{path.name}{delivery.repeat_suffix}.{layout.extension}")
        deliver_again(out, first, again, delivery.received(year, month, delivery.repeat_day))
        out.other[delivery.repeat_kind] += 1
    return first
