"""How each hotline's system exports its tickets (sample complaints feed): file format, header
names, how it spells a moment, a status, a domain, a county and a result — data in
sample_data/layouts/complaints.yaml. Every spelling there is one the contract
(orchestration/feeds/complaints.yaml) accepts; the generator in complaints.py decides what
happens to a ticket, this module only writes it down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sample_data.common import enterprise_prefix
from sample_data.delivery import TableLayout, layouts_file, table_layout

FEED = "complaints"
Moment = Callable[[dt.datetime], Any]


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _slash(moment: dt.datetime) -> str:
    return f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02d}"


def _chinese(moment: dt.datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour}时{moment.minute:02d}分"


def _cell(moment: dt.datetime) -> dt.datetime:
    return moment  # an Excel datetime cell


MOMENTS: Mapping[str, Moment] = {"iso": _iso, "slash": _slash, "chinese": _chinese, "cell": _cell}


@dataclass(frozen=True)
class Layout:
    """One hotline system's export (layouts/complaints.yaml)."""

    hotline: str
    table: TableLayout  # format, columns and headers
    stem: str  # file name; {year} {month} {export} are filled in
    title: str | None  # xlsx title row; same fields
    moment: Moment
    hotline_value: object | None  # what the 受理平台 column holds, when the export has one
    statuses: Mapping[str, str]
    types: Mapping[str, str]
    domains: Mapping[str, tuple[str, ...]]  # a ticket keeps one spelling for all exports
    outcomes: Mapping[str, str] | None  # None: the result is free text only
    county_style: str  # full | short | prefixed | mixed
    rejected_closed_at: bool  # the 办结时间 of a 不予受理 ticket is exported (the 告知 time)

    @property
    def extension(self) -> str:
        return self.table.extension

    def has(self, column: str) -> bool:
        return column in self.table.names

    def file_name(self, year: int, month: int, export: dt.datetime, corrected: bool) -> str:
        stem = self.stem.format(year=year, month=month, export=export)
        return f"{stem}{'_更正' if corrected else ''}.{self.extension}"


def _layout(hotline: str, raw: Mapping[str, Any]) -> Layout:
    return Layout(
        hotline=hotline,
        table=table_layout(FEED, raw["format"], {"sheet": "工单明细", **raw}),
        stem=raw["stem"],
        title=raw.get("title"),
        moment=MOMENTS[raw["moment"]],
        hotline_value=raw.get("hotline_value"),
        statuses=raw["statuses"],
        types=raw["types"],
        domains={domain: tuple(spellings) for domain, spellings in raw["domains"].items()},
        outcomes=raw.get("outcomes"),
        county_style=raw["county_style"],
        rejected_closed_at=raw["rejected_closed_at"],
    )


_DATA = layouts_file(FEED)
LAYOUTS: dict[str, Layout] = {
    hotline: _layout(hotline, raw) for hotline, raw in _DATA["systems"].items()
}
# Free-text results (办理结果) of systems that export no 办结方式 code.
OUTCOME_NOTES: Mapping[str, str] = _DATA["outcome_notes"]
CHANNELS: Mapping[str, str] = _DATA["channels"]
# the department of a county that handles a hotline's tickets (12345: by domain)
DEPARTMENTS: Mapping[str, str] = _DATA["departments"]
DEPARTMENT_BY_DOMAIN: Mapping[str, str] = _DATA["department_by_domain"]


def county_spelling(layout: Layout, county: Mapping[str, str], coin: float) -> str:
    """How the system writes a county; `coin` (0–1) picks a style where the system mixes."""
    style = layout.county_style
    if style == "mixed":
        style = "short" if coin < 0.5 else "full"
    if style == "short":
        return county["short_name"]
    if style == "prefixed":
        return enterprise_prefix(county)
    return county["county_name"]


def handling_unit(hotline: str, domain: str, county: Mapping[str, str]) -> str:
    department = DEPARTMENTS.get(hotline) or DEPARTMENT_BY_DOMAIN.get(domain, "工商局")
    return enterprise_prefix(county) + department


def _blank(name: str, value: Any) -> Any:
    return "" if value is None else value


def write_export(
    path: Path, layout: Layout, title: str | None, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Write one export: `rows` are keyed by contract column name (missing or None = blank)."""
    table = layout.table
    full = [{name: row.get(name) for name in table.names} for row in rows]
    table.write(path, full, title=title, value=None if table.fmt == "xlsx" else _blank)
