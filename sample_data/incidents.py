"""Sample quality-safety incident reports (质量安全事件月报), as six lead departments send them
to the 市质量与名牌战略领导小组办公室 every month. What happens is incident_events.py; this
module is how each department writes it down and delivers it.

Layout (docs/feeds/incidents.md): `raw/incidents/<牵头部门>/<YYYY-MM>/<file>`, one file per
department and month of occurrence, delivered in the first days of the next month (its
modification time, Beijing time), a few late. Most department-months are a 零报告: the
department's template with its title line and header and no rows. Each department keeps its
own template: 市质监局 and 市建设局 send xlsx with a title row (市建设局 with a two-row header),
the others CSV in UTF-8, UTF-8 with BOM or GB18030, each with its own header wording, date and
value spellings. The year's correction is a second file `…_更正` in its slot's folder.

Errors: a share `error_rate` of the incidents (at least one a year when the rate is above 0)
gets a botched second entry in its first delivery (a line copied and mistyped), with exactly one
contract violation each; every file keeps its good rows, so the clean content and the KPIs are
the same at any error rate.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    EnterpriseRegistry,
    GenerationSummary,
    check_arguments,
    date_variant,
    rng_for,
)
from sample_data.delivery import TableLayout, deliver, layouts_file, table_layout
from sample_data.incident_events import (
    FEED,
    Incident,
    background_incidents,
    generic_correction,
    scripted_incidents,
    weighted,
)
from sample_data.violations import violating

DUE_DAY = 5  # a month's report is due by the 5th of the next month
LATE_SHARE = 0.05  # reports that arrive a few days after the due date

ERROR_KINDS = (
    "unknown_county",
    "unknown_domain",
    "unknown_type",
    "unknown_level",
    "bad_date",
    "outside_period",
    "reported_before_occurred",
    "missing_title",
    "bad_casualties",
    "food_without_setting",
    "construction_without_investigation",
    "duplicate_id",
)


@dataclass(frozen=True)
class Department:
    """A lead department's monthly report: its folder, numbering and template."""

    code: str
    folder: str  # the folder the office files its reports in (any spelling 牵头部门 accepts)
    prefix: str  # incident numbers: <prefix>-<YYYYMM>-<nn>
    stem: str  # file name; {year} {month} {mm}
    # The title line above the header names the month: a 零报告 is then never byte-identical
    # to another month's (the loader skips a file whose content it has already ingested).
    title: str
    layout: TableLayout  # format; contract columns (or _no / _city) and their headers
    date_styles: tuple[tuple[str, float], ...] = (("iso", 1.0),)
    domain_names: Mapping[str, str] = field(default_factory=dict)  # how it writes 领域
    nature_default: str | None = None  # what its 性质 column says when not recognised


def _department(raw: Mapping[str, Any]) -> Department:
    layout = table_layout(
        FEED, raw["format"], {"sheet": "事件报告", "csv_title": True, **raw}
    )  # the CSVs carry the title as their first line
    return Department(
        code=raw["code"],
        folder=raw["folder"],
        prefix=raw["prefix"],
        stem=raw["stem"],
        title=raw["title"],
        layout=layout,
        date_styles=tuple((raw.get("date_styles") or {"iso": 1.0}).items()),
        domain_names=raw["domain_names"],
        nature_default=raw.get("nature_default"),
    )


# The departments and the mistakes' candidates: layouts/incidents.yaml.
_DATA = layouts_file(FEED)
DEPARTMENTS: tuple[Department, ...] = tuple(_department(raw) for raw in _DATA["departments"])
UNKNOWN_COUNTIES = tuple(_DATA["unknown_counties"])
UNKNOWN_DOMAINS = tuple(_DATA["unknown_domains"])
UNKNOWN_TYPES = tuple(_DATA["unknown_types"])
UNKNOWN_LEVELS = tuple(_DATA["unknown_levels"])
BAD_CASUALTIES = tuple(_DATA["bad_casualties"])
BY_CODE = {department.code: department for department in DEPARTMENTS}


def _received(rng: random.Random, year: int, month: int) -> dt.datetime:
    """Office hours on the 1st–5th of the next month, a few days later for some."""
    first = dt.date(year + month // 12, month % 12 + 1, 1)
    day = (
        rng.randint(DUE_DAY + 1, DUE_DAY + 7)
        if rng.random() < LATE_SHARE
        else rng.randint(1, DUE_DAY)
    )
    clock = dt.time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))
    return dt.datetime.combine(first.replace(day=day), clock)


def _short_name(unit_code: str) -> str:
    """The department's name as it writes it (ref_incident_reporters.short_name)."""
    return next(
        r["short_name"] for r in load_seed("ref_incident_reporters") if r["unit_code"] == unit_code
    )


def _county_text(rng: random.Random, county: Mapping[str, str]) -> str:
    if county["county_code"] == "LFKFQ":
        return rng.choice(("廊坊开发区", "开发区"))
    return county["county_name"] if rng.random() < 0.8 else county["short_name"]


def _cells(
    seed: int, department: Department, incident: Incident, incident_id: str
) -> dict[str, Any]:
    """An incident's cells in the department's template, keyed by contract column. Spellings
    come from the incident's own generator, so a correction repeats them."""
    rng = rng_for(seed, FEED, "cells", incident.key)
    as_xlsx = department.layout.fmt == "xlsx"
    style = weighted(rng, department.date_styles)

    def day(value: dt.date) -> Any:
        return value if as_xlsx else date_variant(value, style)

    nature = incident.nature if incident.nature not in (None, "否") else department.nature_default
    return {
        "incident_id": incident_id,
        "title": incident.title,
        "occurred_on": day(incident.occurred_on),
        "reported_on": day(incident.reported_on),
        "_city": "廊坊市",
        "county_code": _county_text(rng, incident.county),
        "domain_code": department.domain_names.get(incident.domain, incident.domain),
        "incident_type": incident.incident_type,
        "level": incident.level,
        "nature": nature or "",
        "setting": incident.setting or "",
        "deaths": "" if incident.deaths is None else incident.deaths,
        "injured": "" if incident.injured is None else incident.injured,
        "investigation": incident.investigation or "",
        "investigation_status": incident.status or "",
        "party": incident.party or "",
        "summary": incident.summary,
        "lead_unit_code": _short_name(department.code),  # where the template has the column
    }


# kinds that need a column the template may lack, or an incident of one domain
_CONDITIONAL_KINDS = (
    "bad_casualties",
    "food_without_setting",
    "construction_without_investigation",
)


def _applicable(department: Department, incident: Incident) -> list[str]:
    """Error kinds the department's template can carry for this incident."""
    columns = set(department.layout.names)
    kinds = [kind for kind in ERROR_KINDS if kind not in _CONDITIONAL_KINDS]
    if "injured" in columns:
        kinds.append("bad_casualties")
    if incident.domain == "food" and "setting" in columns:
        kinds.append("food_without_setting")
    if incident.domain == "construction":
        kinds.append("construction_without_investigation")
    return kinds


def _botched(
    rng: random.Random, kind: str, cells: dict[str, Any], incident: Incident
) -> dict[str, Any]:
    """A second, mistyped entry of an incident: exactly one contract violation."""
    row = dict(cells)
    occurred = incident.occurred_on
    if kind == "unknown_county":
        row["county_code"] = rng.choice(violating(FEED, "county_code", UNKNOWN_COUNTIES))
    elif kind == "unknown_domain":
        row["domain_code"] = rng.choice(violating(FEED, "domain_code", UNKNOWN_DOMAINS))
    elif kind == "unknown_type":
        row["incident_type"] = rng.choice(violating(FEED, "incident_type", UNKNOWN_TYPES))
    elif kind == "unknown_level":
        row["level"] = rng.choice(violating(FEED, "level", UNKNOWN_LEVELS))
    elif kind == "bad_date":
        row["occurred_on"] = rng.choice(
            (
                f"{occurred.year}-02-30",
                f"{occurred.year}.13.{occurred.day}",
                f"{occurred.month}月{occurred.day}日",
            )
        )
    elif kind == "outside_period":
        # an incident of the month before, left in this month's report
        earlier = occurred.replace(day=1) - dt.timedelta(days=rng.randint(1, 20))
        row["occurred_on"] = earlier.isoformat()
        row["reported_on"] = earlier.isoformat()
    elif kind == "reported_before_occurred":
        row["reported_on"] = (occurred - dt.timedelta(days=rng.randint(3, 40))).isoformat()
    elif kind == "missing_title":
        row["title"] = ""
    elif kind == "bad_casualties":
        row["injured"] = rng.choice(violating(FEED, "injured", BAD_CASUALTIES))
    elif kind == "food_without_setting":
        row["setting"] = ""
    elif kind == "construction_without_investigation":
        row["investigation"] = ""
        row["investigation_status"] = ""
    elif kind != "duplicate_id":  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)
    return row


def _numbers(
    department: Department,
    year: int,
    month: int,
    rows: Sequence[Incident],
    added: Sequence[Incident],
) -> dict[str, str]:
    """事件编号 by incident key: numbered in order of occurrence, late additions after."""
    ordered = sorted(rows, key=lambda i: (i.occurred_on, i.key)) + list(added)
    return {
        incident.key: f"{department.prefix}-{year}{month:02d}-{number:02d}"
        for number, incident in enumerate(ordered, start=1)
    }


def _error_plan(
    seed: int, year: int, error_rate: float, by_slot: Mapping[tuple[str, int], list[Incident]]
) -> dict[str, str]:
    """Which incidents get a botched second entry, and of which kind (incident key → kind)."""
    if error_rate <= 0:
        return {}
    everything = sorted(
        (incident for rows in by_slot.values() for incident in rows), key=lambda i: i.key
    )
    if not everything:
        return {}
    rng = rng_for(seed, FEED, "errors", year)
    count = min(len(everything), max(1, round(error_rate * len(everything))))
    chosen = rng.sample(everything, count)
    return {
        incident.key: rng.choice(_applicable(BY_CODE[incident.department], incident))
        for incident in chosen
    }


def generate_incidents(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/incidents/<牵头部门>/<YYYY-MM>/…` for every department and month of
    `years` (零报告 where nothing happened, one correction per year), with delivery times as
    modification times."""
    check_arguments(scale, error_rate)
    landing = Path(out_dir) / FEED
    counties = load_seed("ref_counties")
    registry = EnterpriseRegistry(seed)
    out = Deliveries(ERROR_KINDS, ("redeliveries", "zero_reports"))
    for year in sorted(set(years)):
        scripted, correction = scripted_incidents(year, counties)
        late = {i.key for i in correction.added} if correction else set()
        by_slot: dict[tuple[str, int], list[Incident]] = {}
        for incident in [*background_incidents(seed, year, scale, counties, registry), *scripted]:
            if incident.key not in late:
                by_slot.setdefault((incident.department, incident.occurred_on.month), []).append(
                    incident
                )
        correction = correction or generic_correction(seed, year, by_slot, counties)
        errors = _error_plan(seed, year, error_rate, by_slot)
        error_rng = rng_for(seed, FEED, "botched", year)
        for department in DEPARTMENTS:
            timing = rng_for(seed, FEED, "received", department.code, year)
            for month in range(1, 13):
                rows = by_slot.get((department.code, month), [])
                fix = (
                    correction
                    if (correction.department, correction.month) == (department.code, month)
                    else None
                )
                ids = _numbers(department, year, month, rows, fix.added if fix else ())
                folder = landing / department.folder / f"{year}-{month:02d}"
                stem = department.stem.format(year=year, month=month, mm=f"{month:02d}")
                ext = department.layout.extension
                title = department.title.format(year=year, month=month)
                delivered: list[dict[str, Any]] = []
                for incident in sorted(rows, key=lambda i: ids[i.key]):
                    cells = _cells(seed, department, incident, ids[incident.key])
                    delivered.append(cells)
                    if incident.key in errors:
                        kind = errors[incident.key]
                        delivered.append(_botched(error_rng, kind, cells, incident))
                        out.errors[kind] += 1
                path = folder / f"{stem}.{ext}"
                received = _received(timing, year, month)
                deliver(out, path, department.layout, delivered, received, title=title)
                out.other["zero_reports"] += not delivered
                if fix is None:
                    continue
                changed = {i.key: i for i in fix.changed}
                current = [changed.get(i.key, i) for i in rows if i.key not in fix.dropped]
                corrected = [
                    _cells(seed, department, incident, ids[incident.key])
                    for incident in sorted([*current, *fix.added], key=lambda i: ids[i.key])
                ]
                fixed_path = folder / f"{stem}_更正.{ext}"
                deliver(
                    out, fixed_path, department.layout, corrected, fix.received,
                    title=f"{title}（更正）",
                )  # fmt: skip
                out.other["zero_reports"] += not corrected
                out.other["redeliveries"] += 1
    return out.summary()
