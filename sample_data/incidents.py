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
    write_csv,
)
from sample_data.excel_layouts import HeaderCell, write_table_xlsx
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
UNKNOWN_COUNTIES = ("北京市通州区", "天津市武清区", "燕郊", "保定市雄县")
UNKNOWN_DOMAINS = ("消防", "环境", "交通运输", "安全生产")
UNKNOWN_TYPES = ("火灾", "群体性事件", "交通事故", "待定")
UNKNOWN_LEVELS = ("严重", "待定", "未定级", "轻微")
BAD_CASUALTIES = ("约20", "3人", "若干", "十余人")


@dataclass(frozen=True)
class Department:
    """A lead department's monthly report: its folder, numbering and template."""

    code: str
    folder: str  # the folder the office files its reports in (any spelling 牵头部门 accepts)
    prefix: str  # incident numbers: <prefix>-<YYYYMM>-<nn>
    fmt: str  # xlsx | csv-utf8 | csv-bom | csv-gb18030
    stem: str  # file name; {year} {month} {mm}
    # The title line above the header names the month: a 零报告 is then never byte-identical
    # to another month's (the loader skips a file whose content it has already ingested).
    title: str
    header: tuple[tuple[str, HeaderCell], ...]  # contract column (or _no / _city) → header
    date_styles: tuple[tuple[str, float], ...] = (("iso", 1.0),)
    domain_names: Mapping[str, str] = field(default_factory=dict)  # how it writes 领域
    nature_default: str | None = None  # what its 性质 column says when not recognised


def _single(*pairs: tuple[str, str]) -> tuple[tuple[str, HeaderCell], ...]:
    return tuple((name, (header, None)) for name, header in pairs)


DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "SZJJ",
        "市质监局",
        "ZJ",
        "xlsx",
        "市质监局{year}年{month}月质量安全事件报告表",
        "廊坊市质量技术监督局{year}年{month}月产品质量、特种设备及服务质量安全事件报告表",
        _single(
            ("_no", "序号"),
            ("incident_id", "事件编号"),
            ("title", "事件名称"),
            ("occurred_on", "发生日期"),
            ("reported_on", "报告日期"),
            ("county_code", "县（市、区）"),
            ("domain_code", "领域"),
            ("incident_type", "事件类型"),
            ("level", "事件等级"),
            ("nature", "事件性质"),
            ("party", "涉事单位"),
            ("deaths", "死亡人数"),
            ("injured", "受伤人数"),
            ("summary", "简要情况"),
        ),
        domain_names={"product": "产品质量", "special_equipment": "特种设备", "service": "服务"},
        nature_default="否",
    ),
    Department(
        "SSYJJ",
        "市食药监局",
        "SY",
        "csv-gb18030",
        "食品药品安全事件月报_{year}{mm}",
        "廊坊市食品药品监督管理局食品药品安全事件月报（{year}年{month}月）",
        _single(
            ("_no", "序号"),
            ("incident_id", "编号"),
            ("title", "事件标题"),
            ("occurred_on", "发生时间"),
            ("reported_on", "上报时间"),
            ("county_code", "所在县区"),
            ("domain_code", "事件类别"),
            ("incident_type", "事故类型"),
            ("level", "事件等级"),
            ("setting", "发生场所"),
            ("injured", "发病人数"),
            ("deaths", "死亡人数"),
            ("party", "涉事单位"),
            ("summary", "事件概况"),
        ),
        date_styles=(("slash", 0.7), ("iso", 0.3)),
        domain_names={"food": "食品安全", "drug": "药品"},
    ),
    Department(
        "SNYJ",
        "农业局",
        "NY",
        "csv-utf8",
        "农产品质量安全事件报告_{year}-{mm}",
        "填报单位：廊坊市农业局　报告期：{year}年{month}月",
        _single(
            ("_no", "序号"),
            ("incident_id", "事件编号"),
            ("title", "事件名称"),
            ("occurred_on", "发生日期"),
            ("reported_on", "报告日期"),
            ("county_code", "县区"),
            ("domain_code", "领域"),
            ("incident_type", "事件类型"),
            ("level", "等级"),
            ("nature", "认定性质"),
            ("party", "涉事单位"),
            ("summary", "情况简介"),
        ),
        date_styles=(("chinese", 0.6), ("iso", 0.4)),
        domain_names={"agricultural": "农产品"},
        nature_default="/",
    ),
    Department(
        "SJSJ",
        "市建设局",
        "JS",
        "xlsx",
        "工程质量事故（质量问题）月报{year}年{month}月",
        "廊坊市建设局{year}年{month}月工程质量事故（质量问题）及调查处理情况表",
        (
            ("_no", ("序号", None)),
            ("incident_id", ("事故编号", None)),
            ("title", ("事故名称", None)),
            ("occurred_on", ("发生日期", None)),
            ("reported_on", ("报告日期", None)),
            ("_city", ("行政区划", "市")),
            ("county_code", ("行政区划", "县区")),
            ("domain_code", ("类别", None)),
            ("incident_type", ("事故类型", None)),
            ("level", ("事故等级", None)),
            ("party", ("工程名称", None)),
            ("deaths", ("伤亡情况", "死亡")),
            ("injured", ("伤亡情况", "受伤")),
            ("investigation", ("调查处理", "组织或参与")),
            ("investigation_status", ("调查处理", "进展")),
            ("summary", ("事故概况", None)),
        ),
        domain_names={"construction": "工程质量"},
    ),
    Department(
        "SLVYJ",
        "SLVYJ",
        "LY",
        "csv-bom",
        "旅游质量事故月报_{year}年{month}月",
        "廊坊市旅游局旅游质量事故月报 {year}年{month}月",
        _single(
            ("incident_id", "编号"),
            ("title", "事件名称"),
            ("occurred_on", "发生日期"),
            ("reported_on", "报送日期"),
            ("county_code", "县区"),
            ("domain_code", "类别"),
            ("incident_type", "事件类型"),
            ("level", "等级"),
            ("setting", "发生场所"),
            ("deaths", "死亡人数"),
            ("injured", "受伤人数"),
            ("lead_unit_code", "牵头部门"),
            ("summary", "简要经过"),
        ),
        domain_names={"tourism": "旅游"},
    ),
    Department(
        "SWJW",
        "市卫计委",
        "WJ",
        "csv-utf8",
        "医疗质量安全事件_{year}{mm}",
        "廊坊市卫生和计划生育委员会医疗质量安全事件报告表（{year}年{month}月）",
        _single(
            ("_no", "序号"),
            ("incident_id", "事件编号"),
            ("title", "事件名称"),
            ("occurred_on", "发生日期"),
            ("reported_on", "报告日期"),
            ("county_code", "县（市、区）"),
            ("domain_code", "领域"),
            ("incident_type", "事件类型"),
            ("level", "级别"),
            ("setting", "场所"),
            ("deaths", "死亡人数"),
            ("injured", "伤病人数"),
            ("summary", "情况说明"),
        ),
        date_styles=(("iso", 0.8), ("slash", 0.2)),
        domain_names={"medical": "医疗"},
    ),
)
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
    as_xlsx = department.fmt == "xlsx"
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
    columns = {name for name, _ in department.header}
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


def _write(
    path: Path, department: Department, title: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    names = [name for name, _ in department.header]
    table = [
        [number if name == "_no" else row[name] for name in names]
        for number, row in enumerate(rows, start=1)
    ]
    if department.fmt == "xlsx":
        write_table_xlsx(path, "事件报告", title, [cell for _, cell in department.header], table)
        return
    encoding = {"csv-utf8": "utf-8", "csv-bom": "utf-8-sig", "csv-gb18030": "gb18030"}[
        department.fmt
    ]
    header = [top for _, (top, _) in department.header]
    write_csv(path, [title], [header, *table], encoding)


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
                ext = "xlsx" if department.fmt == "xlsx" else "csv"
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
                _write(path, department, title, delivered)
                out.add(path, len(delivered), _received(timing, year, month))
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
                _write(fixed_path, department, f"{title}（更正）", corrected)
                out.add(fixed_path, len(corrected), fix.received)
                out.other["zero_reports"] += not corrected
                out.other["redeliveries"] += 1
    return out.summary()
