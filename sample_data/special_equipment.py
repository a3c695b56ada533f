"""Sample special-equipment inspection lists (特种设备检验结果), as the two inspection bodies in
Langfang deliver them to 市质监局 every month.

Layout (docs/feeds/special_equipment.md): raw/special_equipment/<检验机构>/<YYYY-MM>/<file>.
* 河北省特种设备监督检验院廊坊分院 inspects the 承压类 (锅炉, 压力容器, 压力管道) and the
  大型游乐设施: an xlsx with a title row and a two-row header (隐患排查 → 发现 | 已整改,
  重大隐患 → 发现 | 挂牌督办), no 检验机构 column (the folder says who delivered it), delivered
  on the 3rd–7th.
* 廊坊市特种设备检验所 inspects 电梯, 起重机械 and 场(厂)内专用机动车辆: a CSV, GB18030 from its
  old system until June 2015, UTF-8 with BOM and other headers from its new system after,
  delivered on the 4th–8th.

The registered fleet is simulated unit by unit, so a 设备代码 (注册代码: 4-digit 品种代码 +
6-digit division + registration year + serial) is the same every year. At scale 1 it is about
50,000 units at the end of 2015, half of them elevators (basis in the docs). A unit falls due
in its registration month every `periodic_interval_months` of ref_special_equipment_categories
(96 % of due units are inspected; the rest are out of service or overdue); a new installation
gets its 监督检验 (a new 场车 its 首次检验) in the month it is installed. Inspections find 0–3
隐患 mostly; 重大隐患 are rare (about 30 a year city-wide at scale 1) and most, not all, are
listed for supervision (挂牌督办) by the time the list is sent.

Every year one slot is delivered again about two weeks later (`…_更正`): the rows the first
file got wrong fixed, major hazards listed since then, hazards rectified since then, a report
withdrawn (dropped) and an inspection left out of the first list (added).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from orchestration.ingest.contract import load_contract
from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    EnterpriseRegistry,
    GenerationSummary,
    allocate,
    check_arguments,
    division_code,
    rng_for,
    working_days,
)
from sample_data.delivery import TableLayout, deliver, feed_layouts, layouts_file
from sample_data.violations import violating

FEED = "special_equipment"
BASE_YEAR = 2015  # the fleet is drawn as registered at the end of BASE_YEAR - 1
FIRST_REGISTRATION = 1995
COVERAGE = 0.96  # share of due units inspected in their month
BRANCH, INSTITUTE = "hbtj_lf", "lf_tjs"  # the branch writes xlsx, the institute CSV

ERROR_KINDS = (
    "unknown_county",
    "unknown_category",
    "unknown_verdict",
    "unknown_inspection_type",
    "bad_date",
    "outside_period",
    "bad_count",
    "rectified_over_found",
    "major_over_found",
    "listed_over_major",
    "next_due_not_after_inspection",
    "missing_equipment_code",
    "agency_mismatch",
)
# kinds that need a 检验机构 column in the file (the branch's workbook has none)
NEEDS_AGENCY_COLUMN = {"agency_mismatch"}
COUNT_COLUMNS = (
    "hazards_found",
    "hazards_rectified",
    "major_hazards_found",
    "major_hazards_listed",
)


@dataclass(frozen=True)
class Profile:
    """One category as Langfang has it: fleet, who inspects it, how inspections go."""

    code: str  # ref_special_equipment_categories.category_code
    agency: str
    base_units: int  # registered at the end of 2014, scale 1
    installs: int  # new registrations in 2015, scale 1
    install_growth: float  # per year
    retire_rate: float  # share of the fleet leaving service each year from 2015
    varieties: tuple[tuple[str, str, float], ...]  # (品种代码, 品种 as written, share)
    county_weights: Mapping[str, float]
    month_weights: tuple[float, ...]  # when units are installed, and so fall due
    hazard_weights: tuple[float, ...]  # chance of 0, 1, 2, 3, 4, 5 hazards found
    major_rate: float  # chance a periodic inspection finds a 重大隐患
    users: tuple[str, ...]  # industries of the 使用单位


@dataclass(frozen=True)
class Catalogue:
    """layouts/special_equipment.yaml: the fleet's profiles, the bodies' folders and layouts,
    wordings, and the mistakes' candidates (checked against the contract)."""

    profiles: tuple[Profile, ...]
    agency_folders: Mapping[str, str]
    new_system_from: tuple[int, int]
    layouts: Mapping[str, TableLayout]
    old_system_category: Mapping[str, str]
    report_prefix: Mapping[str, str]
    verdicts: Mapping[str, tuple[str, str, str]]
    unknown: Mapping[str, tuple[str, ...]]  # by column
    bad_counts: tuple[str, ...]  # wrong in every count column


def _profile(raw: Mapping[str, Any]) -> Profile:
    return Profile(
        code=raw["code"],
        agency=raw["agency"],
        base_units=raw["base_units"],
        installs=raw["installs"],
        install_growth=raw["install_growth"],
        retire_rate=raw["retire_rate"],
        varieties=tuple((str(code), name, share) for code, name, share in raw["varieties"]),
        county_weights=raw["county_weights"],
        month_weights=tuple(raw["month_weights"]),
        hazard_weights=tuple(raw["hazard_weights"]),
        major_rate=raw["major_rate"],
        users=tuple(raw["users"]),
    )


@cache
def catalogue() -> Catalogue:
    raw = layouts_file(FEED)
    unknown = {
        "county_code": raw["unknown_counties"],
        "category_code": raw["unknown_categories"],
        "verdict": raw["unknown_verdicts"],
        "inspection_type": raw["unknown_types"],
    }
    return Catalogue(
        profiles=tuple(_profile(spec) for spec in raw["profiles"]),
        agency_folders=raw["agencies"],
        new_system_from=tuple(raw["new_system_from"]),
        layouts=feed_layouts(FEED).formats,
        old_system_category=raw["old_system_category"],
        report_prefix=raw["report_prefix"],
        verdicts={verdict: tuple(words) for verdict, words in raw["verdicts"].items()},
        unknown={name: violating(FEED, name, values) for name, values in unknown.items()},
        bad_counts=violating(FEED, COUNT_COLUMNS, raw["bad_counts"]),
    )


@dataclass(frozen=True)
class Unit:
    """A registered piece of equipment; its code and user never change."""

    code: str
    profile: Profile
    variety: str
    county: Mapping[str, str]
    user: str
    registered: dt.date
    retired_from: int | None  # first year it is no longer inspected


@dataclass(frozen=True)
class Inspection:
    unit: Unit
    kind: str  # periodic | first (首次检验, periodic) | supervision
    on: dt.date
    hazards: int
    rectified: int
    major: int
    listed: int
    verdict: str  # contract value: pass | retest_pass | conditional | fail
    next_due: dt.date | None


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _retired_from(rng: random.Random, profile: Profile, registered: int) -> int | None:
    """The first year a unit is out of service: a geometric draw from 2015 on."""
    if profile.retire_rate <= 0:
        return None
    years = int(math.log(1.0 - rng.random()) / math.log(1.0 - profile.retire_rate))
    return max(BASE_YEAR, registered + 1) + years


def _registration_years(profile: Profile) -> list[float]:
    """Weights of FIRST_REGISTRATION..BASE_YEAR-1: elevators and cranes follow the housing
    boom (growing ~12 % a year), older industrial equipment is spread more evenly."""
    growth = 1.12 if profile.code in ("elevator", "lifting") else 1.04
    return [growth ** (year - FIRST_REGISTRATION) for year in range(FIRST_REGISTRATION, BASE_YEAR)]


class Fleet:
    """Every unit registered up to a year, built the same way whichever years are asked for:
    the end-2014 fleet from one stream per category and county, each later year's
    installations from their own stream."""

    def __init__(
        self, seed: int, scale: float, counties: Sequence[Mapping[str, str]], last_year: int
    ) -> None:
        self._seed = seed
        self._counties = counties
        self._serials: Counter[tuple[str, str, int]] = Counter()
        self.users: dict[tuple[str, str], list[str]] = {}
        registry = EnterpriseRegistry(seed)
        self.groups: dict[tuple[str, str], list[Unit]] = {}
        for profile in catalogue().profiles:
            weights = [profile.county_weights.get(c["county_code"], 1.0) for c in counties]
            base = allocate(round(profile.base_units * scale), weights)
            for county, count in zip(counties, base, strict=True):
                key = (profile.code, county["county_code"])
                size = max(2, (count + 11) // 12)  # a user runs about a dozen units
                pool = registry.pool(county, f"se_{profile.code}", profile.users, size)
                self.users[key] = [enterprise.name for enterprise in pool]
                self.groups[key] = self._base_units(profile, county, count)
            for year in range(BASE_YEAR, last_year + 1):
                total = round(
                    profile.installs * scale * (1 + profile.install_growth) ** (year - BASE_YEAR)
                )
                for county, count in zip(counties, allocate(total, weights), strict=True):
                    key = (profile.code, county["county_code"])
                    self.groups[key] += self._installed(profile, county, year, count)

    def _unit(
        self, rng: random.Random, profile: Profile, county: Mapping[str, str], registered: dt.date
    ) -> Unit:
        variety_code, variety = rng.choices(
            [(code, name) for code, name, _ in profile.varieties],
            [share for _, _, share in profile.varieties],
        )[0]
        serial_key = (variety_code, division_code(county), registered.year)
        self._serials[serial_key] += 1
        code = (
            f"{variety_code}{division_code(county)}{registered.year}{self._serials[serial_key]:06d}"
        )
        users = self.users[(profile.code, county["county_code"])]
        return Unit(
            code=code,
            profile=profile,
            variety=variety,
            county=county,
            user=rng.choice(users),
            registered=registered,
            retired_from=_retired_from(rng, profile, registered.year),
        )

    def _registered_on(self, rng: random.Random, profile: Profile, year: int) -> dt.date:
        month = rng.choices(range(1, 13), profile.month_weights)[0]
        return rng.choice(working_days(year, month))

    def _base_units(self, profile: Profile, county: Mapping[str, str], count: int) -> list[Unit]:
        rng = rng_for(self._seed, FEED, "fleet", profile.code, county["county_code"])
        years = list(range(FIRST_REGISTRATION, BASE_YEAR))
        weights = _registration_years(profile)
        units = []
        for _ in range(count):
            year = rng.choices(years, weights)[0]
            units.append(self._unit(rng, profile, county, self._registered_on(rng, profile, year)))
        return units

    def _installed(
        self, profile: Profile, county: Mapping[str, str], year: int, count: int
    ) -> list[Unit]:
        rng = rng_for(self._seed, FEED, "installs", profile.code, county["county_code"], year)
        return [
            self._unit(rng, profile, county, self._registered_on(rng, profile, year))
            for _ in range(count)
        ]


def _outcome(rng: random.Random, unit: Unit, kind: str, on: dt.date, interval: int) -> Inspection:
    """What an inspection finds, and the conclusion it comes to."""
    profile = unit.profile
    age = on.year - unit.registered.year
    weights = list(profile.hazard_weights)
    if age >= 15:  # old equipment: fewer clean inspections (老旧特种设备风险研判)
        weights[0] *= 0.7
    hazards = rng.choices(range(len(weights)), weights)[0]
    major = 0
    if kind != "supervision" and rng.random() < profile.major_rate * (1.6 if age >= 15 else 1.0):
        major = 2 if rng.random() < 0.08 else 1
        hazards = max(hazards, major) + rng.randint(0, 1)
    listed = sum(rng.random() < 0.85 for _ in range(major))  # 挂牌督办 before the list is sent
    rectified = hazards
    if hazards and (major or rng.random() < 0.1):
        rectified = hazards - rng.randint(1, hazards) if major == 0 else hazards - major
    pressure = profile.code in ("boiler", "pressure_vessel", "pressure_piping")
    if major:
        verdict = "fail"
    elif rectified < hazards:
        verdict = "conditional" if pressure and rng.random() < 0.7 else "fail"
    elif hazards and kind != "supervision" and rng.random() < 0.6:
        verdict = "pass" if pressure else "retest_pass"
    else:
        verdict = "pass"
    next_due = None if verdict == "fail" else _add_months(on, interval)
    return Inspection(unit, kind, on, hazards, rectified, major, listed, verdict, next_due)


def _inspections_of_year(
    seed: int, fleet: Fleet, year: int, categories: Mapping[str, Mapping[str, str]]
) -> tuple[list[Inspection], list[Inspection]]:
    """The year's inspections, and the due ones that were not reported (out of service or
    overdue: one of these is the inspection a correction adds)."""
    done: list[Inspection] = []
    skipped: list[Inspection] = []
    for (category, county), units in fleet.groups.items():
        rng = rng_for(seed, FEED, "inspections", category, county, year)
        interval = int(categories[category]["periodic_interval_months"])
        supervised = categories[category]["installation_supervised"] == "true"
        for unit in units:
            registered = unit.registered.year
            if registered > year or (unit.retired_from is not None and unit.retired_from <= year):
                continue
            if registered == year:
                kind = "supervision" if supervised else "first"
            elif (year - registered) % (interval // 12) == 0:
                kind = "periodic"
            else:
                continue
            month = unit.registered.month
            on = unit.registered if kind != "periodic" else rng.choice(working_days(year, month))
            inspection = _outcome(rng, unit, kind, on, interval)
            if kind == "periodic" and rng.random() >= COVERAGE:
                skipped.append(inspection)
            else:
                done.append(inspection)
    return done, skipped


def _report_numbers(year: int, inspections: Sequence[Inspection]) -> dict[int, str]:
    """报告编号 by position: each body numbers its reports through the year in date order."""
    order = sorted(
        range(len(inspections)), key=lambda i: (inspections[i].on, inspections[i].unit.code)
    )
    serials: Counter[str] = Counter()
    numbers = {}
    for index in order:
        inspection = inspections[index]
        prefix = _report_prefix(inspection, year)
        serials[prefix] += 1
        numbers[index] = f"{prefix}{serials[prefix]:05d}"
    return numbers


def _report_prefix(inspection: Inspection, year: int) -> str:
    profile = inspection.unit.profile
    if profile.agency == BRANCH:
        kind = "J" if inspection.kind == "supervision" else "D"
        return f"HB-LF{inspection.unit.code[0]}{kind}-{year}-"
    return f"LFTJ{year}{catalogue().report_prefix[profile.code]}"


def _new_system(year: int, month: int) -> bool:
    return (year, month) >= catalogue().new_system_from


def _county_spelling(rng: random.Random, county: Mapping[str, str]) -> str:
    roll = rng.random()
    if roll < 0.8:
        return county["county_name"]
    if roll < 0.93 or county["division_type"] not in ("市辖区", "开发区"):
        return county["short_name"]
    return (
        "廊坊经济技术开发区"
        if county["county_code"] == "LFKFQ"
        else "廊坊市" + county["county_name"]
    )


def _verdict_text(rng: random.Random, inspection: Inspection) -> str:
    code = inspection.unit.profile.code
    if inspection.kind == "supervision":  # 监督检验 concludes 合格 / 不合格 for every category
        return "合格" if inspection.verdict != "fail" else "不合格"
    column = 2 if code == "pressure_piping" else 1 if code in ("boiler", "pressure_vessel") else 0
    text = catalogue().verdicts[inspection.verdict][column]
    if text == "不合格" and rng.random() < 0.3:
        return "复检不合格"
    return text


def _type_text(rng: random.Random, inspection: Inspection, agency: str, new_system: bool) -> str:
    if inspection.kind == "first":
        return "首次检验"
    if inspection.kind == "periodic":
        return "定检" if agency == INSTITUTE and not new_system else "定期检验"
    if agency == BRANCH:
        return "安装监督检验" if rng.random() < 0.9 else "修理监督检验"
    return "监督检验" if new_system else "监检"


def _remarks(inspection: Inspection) -> str:
    if inspection.major and inspection.listed == inspection.major:
        return "重大隐患已报市质监局挂牌督办"
    if inspection.major:
        return "重大隐患待挂牌督办"
    if inspection.verdict == "fail":
        return "已下达整改通知，停止使用"
    return "/"


def _row(
    rng: random.Random, inspection: Inspection, report_no: str, agency: str, year: int, month: int
) -> dict[str, Any]:
    """An inspection as its body's list shows it, keyed by contract column name."""
    new_system = _new_system(year, month)
    unit = inspection.unit
    on: Any = inspection.on
    due: Any = inspection.next_due or "/"
    counts: list[Any] = [
        inspection.hazards,
        inspection.rectified,
        inspection.major,
        inspection.listed,
    ]
    if agency == BRANCH:
        category = unit.variety
        agency_text = ""
    else:
        category = (
            unit.variety if new_system else catalogue().old_system_category[unit.profile.code]
        )
        agency_text = "廊坊市特种设备检验所" if new_system else "市特检所"
        if new_system:
            on = on.isoformat()
            due = due.isoformat() if isinstance(due, dt.date) else due
        else:
            on = f"{on.year}/{on.month}/{on.day}"
            due = f"{due.year}/{due.month}/{due.day}" if isinstance(due, dt.date) else due
        counts = [str(count) for count in counts]
    return {
        "report_no": report_no,
        "equipment_code": unit.code,
        "category_code": category,
        "county_code": _county_spelling(rng, unit.county),
        "user_unit": unit.user,
        "inspection_agency": agency_text,
        "inspection_type": _type_text(rng, inspection, agency, new_system),
        "inspected_on": on,
        "verdict": _verdict_text(rng, inspection),
        "next_due_on": due,
        "hazards_found": counts[0],
        "hazards_rectified": counts[1],
        "major_hazards_found": counts[2],
        "major_hazards_listed": counts[3],
        "remarks": _remarks(inspection),
    }


def _bad_date(rng: random.Random, day: dt.date) -> str:
    return rng.choice(
        (f"{day.year}-02-30", f"{day.year}.13.{day.day}", f"{day.year}年{day.month}月", "待补")
    )


def _shift(row: dict[str, Any], column: str, value: int) -> None:
    """Set a count cell, typed like the other counts of the row (numbers in xlsx)."""
    row[column] = str(value) if isinstance(row["hazards_found"], str) else value


def _inject_error(
    rng: random.Random, kind: str, row: dict[str, Any], inspection: Inspection
) -> None:
    """Exactly one contract violation per erroneous row."""
    if kind == "unknown_county":
        row["county_code"] = rng.choice(catalogue().unknown["county_code"])
    elif kind == "unknown_category":
        row["category_code"] = rng.choice(catalogue().unknown["category_code"])
    elif kind == "unknown_verdict":
        row["verdict"] = rng.choice(catalogue().unknown["verdict"])
    elif kind == "unknown_inspection_type":
        row["inspection_type"] = rng.choice(catalogue().unknown["inspection_type"])
    elif kind == "bad_date":
        row["inspected_on"] = _bad_date(rng, inspection.on)
        row["next_due_on"] = "/"  # nothing left to compare the broken date with
    elif kind == "outside_period":
        # an inspection of the month before, reported late in this month's list
        earlier = inspection.on.replace(day=1) - dt.timedelta(days=rng.randint(1, 20))
        row["inspected_on"] = earlier.isoformat()
    elif kind == "bad_count":
        row[rng.choice(COUNT_COLUMNS)] = rng.choice(catalogue().bad_counts)
    elif kind == "rectified_over_found":
        _shift(row, "hazards_rectified", inspection.hazards + rng.randint(1, 2))
    elif kind == "major_over_found":
        _shift(row, "major_hazards_found", inspection.hazards + 1)
    elif kind == "listed_over_major":
        _shift(row, "major_hazards_listed", inspection.major + 1)
    elif kind == "next_due_not_after_inspection":
        row["next_due_on"] = (inspection.on - dt.timedelta(days=rng.randint(0, 30))).isoformat()
    elif kind == "missing_equipment_code":
        row["equipment_code"] = rng.choice(("", "/"))
    elif kind == "agency_mismatch":
        row["inspection_agency"] = "省特检院廊坊分院"
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)


def delivered_at(rng: random.Random, agency: str, year: int, month: int) -> dt.datetime:
    """When a body's list of a month arrives (naive Beijing time): by the 8th of the next."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = rng.randint(3, 7) if agency == BRANCH else rng.randint(4, 8)
    hour = 10 if agency == BRANCH else 15
    return dt.datetime(next_year, next_month, day, hour, rng.randint(0, 59))


def _correct(
    rng: random.Random, rows: list[dict[str, Any]], forgotten: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The corrected list: majors listed since, hazards rectified since, one withdrawn report
    dropped, the forgotten inspection added."""
    corrected = [dict(row) for row in rows]
    for row in corrected:
        if str(row["major_hazards_listed"]) != str(row["major_hazards_found"]):
            _shift(row, "major_hazards_listed", int(row["major_hazards_found"]))  # 补挂牌
            row["remarks"] = "重大隐患已报市质监局挂牌督办（补报）"
    open_rows = [
        row
        for row in corrected
        if int(row["hazards_rectified"]) < int(row["hazards_found"])
        and int(row["major_hazards_found"]) == 0
    ]
    for row in rng.sample(open_rows, k=min(2, len(open_rows))):
        _shift(row, "hazards_rectified", int(row["hazards_found"]))  # 整改完成
    withdrawn = [i for i, row in enumerate(corrected) if int(row["major_hazards_found"]) == 0]
    if withdrawn:
        del corrected[rng.choice(withdrawn)]  # a report withdrawn (作废) after the list was sent
    if forgotten is not None:
        corrected.append(forgotten)
    return corrected


def _layout(agency: str, new_system: bool) -> TableLayout:
    """The branch's workbook, or the institute's CSV in the layout of the system it came from."""
    if agency == BRANCH:
        return catalogue().layouts["branch"]
    return catalogue().layouts["institute_new" if new_system else "institute_old"]


def _categories() -> dict[str, Mapping[str, str]]:
    return {row["category_code"]: row for row in load_seed("ref_special_equipment_categories")}


def generate_special_equipment(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write raw/special_equipment/<检验机构>/<YYYY-MM>/… for every month of `years` and both
    inspection bodies (one corrected re-delivery per year), modification time = delivery."""
    check_arguments(scale, error_rate)
    contract = load_contract(FEED)
    landing = Path(out_dir) / contract.landing_dir
    wanted = sorted(set(years))
    categories = _categories()
    fleet = Fleet(seed, scale, load_seed("ref_counties"), max(wanted))

    out = Deliveries(ERROR_KINDS, ("redeliveries",))
    for year in wanted:
        done, skipped = _inspections_of_year(seed, fleet, year, categories)
        numbers = _report_numbers(year, done)
        slots: dict[tuple[str, int], list[tuple[Inspection, str]]] = {}
        for index, inspection in enumerate(done):
            key = (inspection.unit.profile.agency, inspection.on.month)
            slots.setdefault(key, []).append((inspection, numbers[index]))
        corrected_slot = _corrected_slot(rng_for(seed, FEED, "redelivery", year), slots)
        for (agency, month), entries in sorted(slots.items()):
            entries.sort(key=lambda entry: (entry[0].on, entry[1]))
            rng = rng_for(seed, FEED, "rows", agency, year, month)
            clean = [
                _row(rng, inspection, number, agency, year, month) for inspection, number in entries
            ]
            error_rng = rng_for(seed, FEED, "errors", agency, year, month)
            kinds = [k for k in ERROR_KINDS if agency == INSTITUTE or k not in NEEDS_AGENCY_COLUMN]
            delivered = []
            for (inspection, _), row in zip(entries, clean, strict=True):
                row = dict(row)
                if error_rng.random() < error_rate:
                    kind = error_rng.choice(kinds)
                    _inject_error(error_rng, kind, row, inspection)
                    out.errors[kind] += 1
                delivered.append(row)
            name = catalogue().agency_folders[agency]
            folder = landing / name / f"{year}-{month:02d}"
            layout = _layout(agency, _new_system(year, month))
            if agency == BRANCH:
                stem = f"{name}{year}年{month}月特种设备检验结果汇总表"
            else:
                stem = f"{name}{year}年{month:02d}月检验报告明细"
            title = f"{name}{year}年{month}月特种设备定期检验、监督检验结果汇总表"
            path = folder / f"{stem}.{layout.extension}"
            received = delivered_at(
                rng_for(seed, FEED, "received", agency, year, month), agency, year, month
            )
            deliver(out, path, layout, delivered, received, title=title)
            if (agency, month) != corrected_slot:
                continue
            fix = rng_for(seed, FEED, "correction", agency, year, month)
            forgotten = _forgotten(fix, skipped, agency, year, month)
            corrected = _correct(fix, clean, forgotten)
            # the institute's correction is exported by hand: UTF-8 without BOM, in its month's
            # layout
            if layout.fmt != "xlsx":
                layout = replace(layout, fmt="csv-utf8")
            fixed_path = folder / f"{stem}_更正.{layout.extension}"
            received += dt.timedelta(days=fix.randint(10, 14))
            deliver(out, fixed_path, layout, corrected, received, title=title + "（更正）")
            out.other["redeliveries"] += 1
    return out.summary()


def _corrected_slot(
    rng: random.Random, slots: Mapping[tuple[str, int], Sequence[tuple[Inspection, str]]]
) -> tuple[str, int] | None:
    """The slot re-delivered this year, among those with a few rows: half the time one with a
    major hazard listed only after the first list was sent (a usual reason to correct)."""
    busy = sorted(key for key, entries in slots.items() if len(entries) >= 5)
    late_listing = [k for k in busy if any(i.listed < i.major for i, _ in slots[k])]
    choices = late_listing if late_listing and rng.random() < 0.5 else busy
    return rng.choice(choices) if choices else None


def _forgotten(
    rng: random.Random, skipped: Sequence[Inspection], agency: str, year: int, month: int
) -> dict[str, Any] | None:
    """An inspection of the slot left out of the first list (补报), numbered B<month>01 after
    the prefix: late entries are kept clear of the year's running numbers."""
    candidates = [i for i in skipped if i.unit.profile.agency == agency and i.on.month == month]
    if not candidates:
        return None
    inspection = rng.choice(candidates)
    number = f"{_report_prefix(inspection, year)}B{month:02d}01"
    return _row(rng, inspection, number, agency, year, month)
