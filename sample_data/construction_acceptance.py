"""Sample construction acceptance files (建设工程竣工验收汇总), one per month, as 市建设局
compiles them from the county and city quality supervision stations (质量监督站).

Layout (docs/feeds/construction_acceptance.md): `raw/construction_acceptance/<YYYY-MM>/<file>`.
Volumes at scale 1 (basis in the docs): about 1,100 单位工程 accepted a year — 房建 900,
市政 130, 水利 40, 交通 35 — growing 4 % a year, with a year-end peak. About 1–2 % of first
acceptances are refused (不合格, with the reason) and most are accepted again 3–10 weeks later.
The three records of the 工程质量终身责任 system depend on when a project started: projects
started before the system (建质〔2014〕124号, September 2014) often lack one of them.

Each month's file is delivered on the 10th of the next month (its modification time, Beijing
time); in every year one month is delivered again on the 22nd as a corrected file (…_更正)
in the same folder: missing flags filled in, an area corrected, one forgotten project added,
and the rows the first file got wrong fixed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from orchestration.ingest.contract import load_contract
from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    Enterprise,
    EnterpriseRegistry,
    GenerationSummary,
    allocate,
    check_arguments,
    date_variant,
    division_code,
    rng_for,
    working_days,
)
from sample_data.delivery import deliver_month, feed_layouts, layouts_file
from sample_data.violations import violating

FEED = "construction_acceptance"
# 建质〔2014〕124号 (五方责任主体项目负责人质量终身责任追究暂行办法) took effect in September 2014.
LIFETIME_SYSTEM_START = dt.date(2014, 9, 1)
# Completions peak before winter and at year end; little is accepted around Spring Festival.
MONTH_WEIGHTS = (0.45, 0.35, 0.7, 0.85, 1.0, 1.1, 1.0, 0.9, 1.05, 1.15, 1.5, 1.95)
GROWTH_PER_YEAR = 0.04
BASE_YEAR = 2015

ERROR_KINDS = (
    "unknown_county",
    "unknown_project_type",
    "unknown_verdict",
    "bad_date",
    "outside_period",
    "fail_without_reason",
    "started_after_accepted",
    "bad_flag",
)


@dataclass(frozen=True)
class TypeProfile:
    """One 工程类别: volume, spellings, how long it builds and how acceptance goes."""

    code: str
    prefix: str
    per_year: int
    spellings: tuple[tuple[str, float], ...]
    build_months: tuple[int, int]
    refusal_rate: float
    flag_shortfall: float  # extra chance a record is missing (water/transport have own systems)
    reasons: tuple[str, ...]


def _type(raw: Mapping[str, Any]) -> TypeProfile:
    return TypeProfile(
        code=raw["code"],
        prefix=raw["prefix"],
        per_year=raw["per_year"],
        spellings=tuple(raw["spellings"].items()),
        build_months=(raw["build_months"][0], raw["build_months"][1]),
        refusal_rate=raw["refusal_rate"],
        flag_shortfall=raw["flag_shortfall"],
        reasons=tuple(raw["reasons"]),
    )


# The catalogue (types, where building happens, names, spellings): layouts/<feed>.yaml.
_DATA = layouts_file(FEED)
TYPES: tuple[TypeProfile, ...] = tuple(_type(raw) for raw in _DATA["types"])
COUNTY_WEIGHTS: Mapping[str, float] = _DATA["county_weights"]
CITY_STATION_COUNTIES = frozenset(_DATA["city_station_counties"])
_ESTATE_FIRST: str = _DATA["estate_first"]
_ESTATE_SECOND: str = _DATA["estate_second"]
_ESTATE_FORMS = tuple(_DATA["estate_forms"])
_ROADS = tuple(_DATA["roads"])
_MUNICIPAL_KINDS = tuple(_DATA["municipal_kinds"])
_RIVERS = tuple(_DATA["rivers"])
_HIGHWAYS = tuple(_DATA["highways"])
_PUBLIC_BUILDINGS = tuple(tuple(building) for building in _DATA["public_buildings"])
FLAG_STYLES = tuple((yes, no) for yes, no in _DATA["flag_styles"])
FLAG_COLUMNS = ("has_commitment_letter", "has_permanent_sign", "has_quality_archive")


@cache
def unknown(column: str) -> tuple[str, ...]:
    """What a mistake types in `column`, as far as the contract refuses it."""
    key = {"county_code": "unknown_counties", "project_type": "unknown_types"}
    return violating(FEED, column, _DATA[key.get(column, "unknown_verdicts")])


@cache
def bad_flags() -> tuple[str, ...]:
    """What a mistake types in a 终身责任 column: refused in each of them."""
    return violating(FEED, FLAG_COLUMNS, _DATA["bad_flags"])


@dataclass(frozen=True)
class Attempt:
    """One acceptance of a project: its date, verdict and, when refused, the reason."""

    on: dt.date
    passed: bool
    reason: str | None


@dataclass(frozen=True)
class Project:
    project_id: str
    name: str
    county: Mapping[str, str]
    profile: TypeProfile
    type_spelling: str
    started_on: dt.date
    supervising_body: str
    developer: str
    contractor: str
    floor_area: float | None
    flags: tuple[bool | None, bool | None, bool | None]
    attempts: tuple[Attempt, ...]


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in options], [weight for _, weight in options])[0]


def _public_building(rng: random.Random, county: Mapping[str, str]) -> tuple[str, str]:
    """A school, hospital or cultural building and the county bureau building it."""
    institution, part, bureau = rng.choice(_PUBLIC_BUILDINGS)
    return f"{county['county_name']}{institution}{part}", f"{county['county_name']}{bureau}"


def _name_and_owner(
    rng: random.Random,
    county: Mapping[str, str],
    profile: TypeProfile,
    developers: Sequence[Enterprise],
    factories: Sequence[Enterprise],
) -> tuple[str, str]:
    """A project's name as registered and its 建设单位."""
    short, name = county["short_name"], county["county_name"]
    if profile.code == "building":
        roll = rng.random()
        if roll < 0.75:  # housing estates, built by developers
            estate = "".join(rng.sample(_ESTATE_FIRST, 2))
            estate += (
                rng.choice(_ESTATE_SECOND) if rng.random() < 0.5 else rng.choice(_ESTATE_FORMS)
            )
            phase = rng.choice(("", "一期", "二期", "三期"))
            return f"{short}{estate}{phase}{rng.randint(1, 32)}#楼", rng.choice(developers).name
        if roll < 0.87:  # schools, hospitals, culture: the county bureau builds
            return _public_building(rng, county)
        park = rng.choice(("工业园区", "科技园", "物流园"))
        return f"{short}{park}{rng.randint(1, 12)}#厂房", rng.choice(factories).name
    if profile.code == "municipal":
        project = f"{short}{rng.choice(_ROADS)}{rng.choice(_MUNICIPAL_KINDS)}"
        return project, f"{name}住房和城乡建设局"
    if profile.code == "water":
        project = rng.choice(
            (
                f"{rng.choice(_RIVERS)}{short}段河道治理工程",
                f"{rng.choice(_RIVERS)}{short}段堤防加固工程",
                f"{name}农村饮水安全巩固提升工程",
                f"南水北调配套工程{short}段",
            )
        )
        return project, f"{name}水务局"
    kind = rng.choice(("改建工程", "大中修工程", "路面改造工程", "桥梁加固工程"))
    return f"{rng.choice(_HIGHWAYS)}{short}段{kind}", f"{name}交通运输局"


def _supervising_body(rng: random.Random, county: Mapping[str, str], profile: TypeProfile) -> str:
    if profile.code == "water":
        return "廊坊市水利工程质量监督站"
    if profile.code == "transport":
        return "廊坊市公路工程质量监督站"
    if county["county_code"] in CITY_STATION_COUNTIES:
        return "廊坊市建设工程质量监督站"
    return county["county_name"] + rng.choice(("建设工程质量监督站",) * 4 + ("建筑工程质量监督站",))


def _flags(
    rng: random.Random, profile: TypeProfile, started: dt.date, year: int
) -> tuple[bool | None, bool | None, bool | None]:
    """Projects started under the system have all three records nearly always; older ones
    had them added during the 工程质量治理两年行动 (2014-2016), not always in time."""
    if started >= LIFETIME_SYSTEM_START:
        chances = (0.985, 0.975, 0.99)
    else:
        catch_up = 0.05 * max(0, year - BASE_YEAR)
        chances = (0.86 + catch_up, 0.9 + catch_up, 0.93 + catch_up)
    flags: list[bool | None] = []
    for chance in chances:
        if rng.random() < 0.012:
            flags.append(None)  # the cell was left blank
        else:
            flags.append(rng.random() < chance - profile.flag_shortfall)
    return flags[0], flags[1], flags[2]


def _attempts(rng: random.Random, profile: TypeProfile, first: dt.date) -> tuple[Attempt, ...]:
    if rng.random() >= profile.refusal_rate:
        return (Attempt(first, True, None),)
    refused = Attempt(first, False, rng.choice(profile.reasons))
    if rng.random() < 0.15:
        return (refused,)  # not accepted again (yet)
    again = first + dt.timedelta(days=rng.randint(20, 70))
    while again.weekday() >= 5:
        again += dt.timedelta(days=1)
    return refused, Attempt(again, True, None)


@dataclass(frozen=True)
class CountyFirms:
    """A county's developers, factory owners and contractors, reused across years."""

    developers: tuple[Enterprise, ...]
    factories: tuple[Enterprise, ...]
    builders: tuple[Enterprise, ...]


def _county_weights(counties: Sequence[Mapping[str, str]]) -> list[float]:
    return [COUNTY_WEIGHTS.get(c["county_code"], 1.0) for c in counties]


def _firms(
    registry: EnterpriseRegistry, counties: Sequence[Mapping[str, str]], scale: float
) -> dict[str, CountyFirms]:
    """Every county's firms, drawn once in a fixed order before any year is generated: the
    registry hands out names in call order, so a year's files must not depend on which other
    years were drawn first. Sized by the base year's building volume (a third as many firms
    as projects); later years reuse them."""
    buildings = allocate(round(TYPES[0].per_year * scale), _county_weights(counties))
    firms = {}
    for county, count in zip(counties, buildings, strict=True):
        size = max(3, count // 3)
        firms[county["county_code"]] = CountyFirms(
            tuple(registry.pool(county, "developer", ("房地产开发", "置业", "房地产"), size)),
            tuple(registry.pool(county, "factory", ("机械制造", "电子科技", "物流"), size)),
            tuple(
                registry.pool(
                    county, "contractor", ("建筑工程", "建设集团", "建工", "市政工程", "路桥"), size
                )
            ),
        )
    return firms


def _projects_of_year(
    seed: int,
    year: int,
    scale: float,
    counties: Sequence[Mapping[str, str]],
    firms: Mapping[str, CountyFirms],
) -> list[Project]:
    """The 单位工程 whose first acceptance falls in `year`."""
    growth = (1 + GROWTH_PER_YEAR) ** (year - BASE_YEAR)
    projects: list[Project] = []
    for profile in TYPES:
        rng = rng_for(seed, FEED, "projects", profile.code, year)
        total = round(profile.per_year * growth * scale)
        per_county = allocate(total, _county_weights(counties))
        for county, count in zip(counties, per_county, strict=True):
            if count == 0:
                continue
            # small types deal with few firms: the first third-as-many of the county's
            size = max(3, count // 3)
            own = firms[county["county_code"]]
            developers, factories = own.developers[:size], own.factories[:size]
            builders = own.builders[:size]
            month_counts = allocate(count, MONTH_WEIGHTS)
            number = 0
            for month, in_month in enumerate(month_counts, start=1):
                days = working_days(year, month)
                for _ in range(in_month):
                    number += 1
                    first = rng.choice(days)
                    started = first - dt.timedelta(days=30 * rng.randint(*profile.build_months))
                    started = started.replace(day=rng.randint(1, 28))
                    area = None
                    if profile.code == "building":
                        area = round(rng.uniform(2500, 22000), 2)
                    name, developer = _name_and_owner(rng, county, profile, developers, factories)
                    projects.append(
                        Project(
                            project_id=f"{profile.prefix}{division_code(county)}-{year}-"
                            f"{number:04d}",
                            name=name,
                            county=county,
                            profile=profile,
                            type_spelling=_weighted(rng, profile.spellings),
                            started_on=started,
                            supervising_body=_supervising_body(rng, county, profile),
                            developer=developer,
                            contractor=rng.choice(builders).name,
                            floor_area=area,
                            flags=_flags(rng, profile, started, year),
                            attempts=_attempts(rng, profile, first),
                        )
                    )
    return projects


def _county_spelling(rng: random.Random, county: Mapping[str, str]) -> str:
    roll = rng.random()
    if roll < 0.8:
        return county["county_name"]
    if roll < 0.95 or county["division_type"] != "市辖区":
        return county["short_name"]
    return "廊坊市" + county["county_name"]


def _row(
    rng: random.Random, project: Project, attempt: Attempt, style: tuple[str, str], as_xlsx: bool
) -> dict[str, Any]:
    """A project's acceptance as the summary shows it, keyed by contract column name."""
    date_style = rng.choices(("iso", "slash", "chinese"), (0.85, 0.1, 0.05))[0]
    accepted: Any = date_variant(attempt.on, date_style)
    started: Any = date_variant(project.started_on, date_style)
    if as_xlsx:
        accepted, started = attempt.on, project.started_on  # typed as dates in Excel
    if attempt.passed:
        verdict = _weighted(
            rng, (("合格", 0.8), ("验收合格", 0.1), ("同意验收", 0.05), ("通过", 0.05))
        )
    else:
        verdict = _weighted(rng, (("不合格", 0.6), ("验收不合格", 0.25), ("不同意验收", 0.15)))
    flags = {
        name: "/" if value is None else style[0] if value else style[1]
        for name, value in zip(FLAG_COLUMNS, project.flags, strict=True)
    }
    return {
        "project_id": project.project_id,
        "project_name": project.name,
        "_city": "廊坊市",
        "county_code": _county_spelling(rng, project.county),
        "project_type": project.type_spelling,
        "started_on": started,
        "accepted_on": accepted,
        "verdict": verdict,
        "failure_reason": attempt.reason or "/",
        "supervising_body": project.supervising_body,
        "developer": project.developer,
        "contractor": project.contractor,
        "floor_area": "/" if project.floor_area is None else f"{project.floor_area:.2f}",
        **flags,
    }


def _bad_date(rng: random.Random, day: dt.date) -> str:
    return rng.choice(
        (
            f"{day.year}-02-30",
            f"{day.year}.13.{day.day}",
            f"{day.year}年{day.month}月",
            f"{day.month}/{day.day}",
        )
    )


def _inject_error(rng: random.Random, kind: str, row: dict[str, Any], attempt: Attempt) -> None:
    """Exactly one contract violation per erroneous row."""
    if kind == "unknown_county":
        row["county_code"] = rng.choice(unknown("county_code"))
    elif kind == "unknown_project_type":
        row["project_type"] = rng.choice(unknown("project_type"))
    elif kind == "unknown_verdict":
        row["verdict"] = rng.choice(unknown("verdict"))
    elif kind == "bad_date":
        row["accepted_on"] = _bad_date(rng, attempt.on)
    elif kind == "outside_period":
        # a late-reported acceptance of the month before, left in this month's list
        earlier = attempt.on.replace(day=1) - dt.timedelta(days=rng.randint(1, 20))
        row["accepted_on"] = earlier.isoformat()
    elif kind == "fail_without_reason":
        row["verdict"] = "不合格"
        row["failure_reason"] = "/"
    elif kind == "started_after_accepted":
        row["started_on"] = (attempt.on + dt.timedelta(days=rng.randint(30, 200))).isoformat()
    elif kind == "bad_flag":
        row[rng.choice(FLAG_COLUMNS)] = rng.choice(bad_flags())
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)


def _correct(
    rng: random.Random, rows: list[dict[str, Any]], extra: dict[str, Any], style: tuple[str, str]
) -> list[dict[str, Any]]:
    """The corrected month: records added after the first delivery and one forgotten project."""
    corrected = [dict(row) for row in rows]
    incomplete = [row for row in corrected if any(row[f] != style[0] for f in FLAG_COLUMNS)]
    for row in rng.sample(incomplete, k=min(3, len(incomplete))):
        for flag in FLAG_COLUMNS:
            row[flag] = style[0]  # 档案补录: the missing records were filed
    buildings = [row for row in corrected if row["floor_area"] != "/"]
    if buildings:
        row = rng.choice(buildings)
        row["floor_area"] = f"{float(row['floor_area']) * rng.uniform(0.9, 1.1):.2f}"
    corrected.append(extra)
    return corrected


def _forgotten_project(
    rng: random.Random,
    firms: Mapping[str, CountyFirms],
    counties: Sequence[Mapping[str, str]],
    year: int,
    month: int,
) -> Project:
    """A building accepted in the month but left out of the first delivery (补报)."""
    county = rng.choice(counties)
    building = TYPES[0]
    own = firms[county["county_code"]]
    developers, builders = own.developers[:3], own.builders[:3]
    day = rng.choice(working_days(year, month))
    name, developer = _name_and_owner(rng, county, building, developers, developers)
    return Project(
        # numbers from 9000 up are kept for late entries, clear of the month's running numbers
        project_id=f"{building.prefix}{division_code(county)}-{year}-9{month:03d}",
        name=name,
        county=county,
        profile=building,
        type_spelling="房屋建筑工程",
        started_on=day - dt.timedelta(days=30 * rng.randint(*building.build_months)),
        supervising_body=_supervising_body(rng, county, building),
        developer=developer,
        contractor=rng.choice(builders).name,
        floor_area=round(rng.uniform(3000, 15000), 2),
        flags=(True, True, True),
        attempts=(Attempt(day, True, None),),
    )


def _xlsx_value(name: str, value: Any) -> Any:
    """Areas are numbers in the office's workbook, not text; the CSVs write text."""
    if name == "floor_area" and value != "/":
        return float(value)
    return value


def generate_construction_acceptance(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/construction_acceptance/<YYYY-MM>/…汇总表.{csv,xlsx}` for every month of
    `years` (one corrected re-delivery per year) with delivery times as modification times.
    A year's files are the same whichever other years are generated."""
    check_arguments(scale, error_rate)
    contract = load_contract(FEED)
    layouts = feed_layouts(FEED)
    delivery = layouts.delivery
    assert delivery is not None
    landing = Path(out_dir) / contract.landing_dir
    counties = load_seed("ref_counties")
    firms = _firms(EnterpriseRegistry(seed), counties, scale)
    wanted = sorted(set(years))

    # Every acceptance in a wanted year, by month: of the projects first presented in that
    # year, and the re-acceptances of those refused late in the year before.
    by_month: dict[tuple[int, int], list[tuple[Project, Attempt]]] = {}
    for year in sorted(set(wanted) | {year - 1 for year in wanted}):
        for project in _projects_of_year(seed, year, scale, counties, firms):
            for attempt in project.attempts:
                if attempt.on.year in wanted:
                    by_month.setdefault((attempt.on.year, attempt.on.month), []).append(
                        (project, attempt)
                    )

    out = Deliveries(ERROR_KINDS, ("redeliveries",))
    for year in wanted:
        pick = rng_for(seed, FEED, "redelivery", year)
        busy = [m for m in range(1, 13) if len(by_month.get((year, m), [])) >= 3]
        corrected_month = pick.choice(busy) if busy else None
        for month in range(1, 13):
            entries = sorted(
                by_month.get((year, month), []),
                key=lambda e: (e[1].on, e[0].county["county_code"], e[0].project_id),
            )
            if not entries:
                continue
            layout = layouts.of_month(month)
            xlsx = layout.fmt == "xlsx"
            rng = rng_for(seed, FEED, "rows", year, month)
            style = FLAG_STYLES[0] if xlsx else rng.choice(FLAG_STYLES)
            clean = [_row(rng, p, a, style, xlsx) for p, a in entries]
            # Errors draw from their own generator: the clean content is the same at any rate.
            error_rng = rng_for(seed, FEED, "errors", year, month)
            delivered = []
            for (_, attempt), row in zip(entries, clean, strict=True):
                row = dict(row)
                if error_rng.random() < error_rate:
                    kind = error_rng.choice(ERROR_KINDS)
                    _inject_error(error_rng, kind, row, attempt)
                    out.errors[kind] += 1
                delivered.append(row)
            corrected = None
            if month == corrected_month:
                fix = rng_for(seed, FEED, "correction", year, month)
                forgotten = _forgotten_project(fix, firms, counties, year, month)
                extra = _row(fix, forgotten, forgotten.attempts[0], style, xlsx)
                corrected = _correct(fix, clean, extra, style)
            deliver_month(
                out,
                delivery,
                layout,
                landing / f"{year}-{month:02d}" / f"廊坊市{year}年{month}月建设工程竣工验收汇总表",
                delivered,
                year,
                month,
                title=f"廊坊市{year}年{month}月建设工程竣工验收情况汇总表",
                value=_xlsx_value if xlsx else None,
                corrected=corrected,
            )
    return out.summary()
