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
from dataclasses import dataclass
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
    write_csv,
)
from sample_data.excel_layouts import HeaderCell, write_table_xlsx

FEED = "special_equipment"
BASE_YEAR = 2015  # the fleet is drawn as registered at the end of BASE_YEAR - 1
FIRST_REGISTRATION = 1995
COVERAGE = 0.96  # share of due units inspected in their month
BRANCH, INSTITUTE = "hbtj_lf", "lf_tjs"
AGENCY_FOLDERS = {
    BRANCH: "河北省特种设备监督检验院廊坊分院",
    INSTITUTE: "廊坊市特种设备检验所",
}
NEW_SYSTEM_FROM = (2015, 7)  # the institute's new export (UTF-8 with BOM) from July 2015

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
UNKNOWN_COUNTIES = ("北京市通州区", "天津市武清区", "保定市雄县", "沧州市青县")
UNKNOWN_CATEGORIES = ("常压容器", "安全阀", "压力表", "防爆电气")
UNKNOWN_VERDICTS = ("待定", "见报告", "基本合格", "整改中")
UNKNOWN_TYPES = ("委托检验", "型式试验", "自检", "能效测试")
BAD_COUNTS = ("两处", "1.5", "-1", "若干")
COUNT_COLUMNS = (
    "hazards_found",
    "hazards_rectified",
    "major_hazards_found",
    "major_hazards_listed",
)

_ALL_YEAR = (1.0,) * 12
_BUILDING_SEASON = (0.4, 0.4, 0.8, 1.0, 1.1, 1.1, 1.0, 1.0, 1.1, 1.2, 1.4, 1.5)
_BEFORE_HEATING = (0.3, 0.3, 0.4, 0.4, 0.6, 1.0, 1.6, 2.2, 2.4, 2.0, 0.8, 0.3)  # 供暖期前
_BEFORE_SUMMER = (0.3, 0.5, 1.5, 2.0, 1.8, 1.2, 0.8, 0.6, 0.6, 0.8, 0.4, 0.3)
# Where the equipment is: high-rise housing (燕郊 in 三河, 广阳, 固安) for elevators; industry
# (霸州 metal, 文安 wood, 大城 insulation, 开发区) for the rest; unknown codes weigh 1.0.
_HOUSING = {
    "131082": 2.6,
    "131003": 2.0,
    "131002": 1.3,
    "131022": 1.5,
    "131024": 1.1,
    "131081": 0.9,
    "LFKFQ": 0.9,
    "131028": 0.6,
    "131023": 0.4,
    "131026": 0.4,
    "131025": 0.35,
}
_INDUSTRY = {
    "131081": 1.6,
    "LFKFQ": 1.3,
    "131082": 1.3,
    "131002": 1.2,
    "131026": 1.0,
    "131025": 1.0,
    "131022": 0.9,
    "131024": 0.9,
    "131003": 0.7,
    "131023": 0.6,
    "131028": 0.5,
}
_LEISURE = {"131003": 2.0, "131082": 1.2, "131002": 1.0, "131022": 1.0, "131024": 0.8}


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


PROFILES: tuple[Profile, ...] = (
    Profile(
        "elevator",
        INSTITUTE,
        19500,
        2600,
        0.05,
        0.005,
        (
            ("3110", "曳引驱动乘客电梯", 0.72),
            ("3120", "曳引驱动载货电梯", 0.12),
            ("3310", "自动扶梯", 0.09),
            ("3320", "自动人行道", 0.01),
            ("3430", "杂物电梯", 0.06),
        ),
        _HOUSING,
        _BUILDING_SEASON,
        (0.56, 0.25, 0.11, 0.05, 0.02, 0.01),
        0.0008,
        ("物业服务", "物业管理", "房地产开发", "商业管理", "酒店管理"),
    ),
    Profile(
        "boiler",
        BRANCH,
        2300,
        90,
        0.0,
        0.16,  # 燃煤锅炉淘汰 (燃煤锅炉节能减排攻坚战)
        (
            ("1100", "承压蒸汽锅炉", 0.35),
            ("1200", "承压热水锅炉", 0.6),
            ("1300", "有机热载体锅炉", 0.05),
        ),
        _INDUSTRY,
        _BEFORE_HEATING,
        (0.45, 0.27, 0.15, 0.08, 0.03, 0.02),
        0.004,
        ("热力", "供热", "食品", "纺织", "化工"),
    ),
    Profile(
        "pressure_vessel",
        BRANCH,
        12000,
        450,
        0.03,
        0.02,
        (("2100", "固定式压力容器", 0.97), ("2200", "移动式压力容器", 0.03)),
        _INDUSTRY,
        _ALL_YEAR,
        (0.6, 0.22, 0.11, 0.05, 0.01, 0.01),
        0.001,
        ("化工", "气体", "燃气", "制药", "机械制造", "食品"),
    ),
    Profile(
        "lifting",
        INSTITUTE,
        5200,
        450,
        0.02,
        0.04,
        (
            ("4100", "桥式起重机", 0.5),
            ("4200", "门式起重机", 0.15),
            ("4300", "塔式起重机", 0.15),
            ("4800", "施工升降机", 0.12),
            ("4400", "流动式起重机", 0.08),
        ),
        _INDUSTRY,
        _BUILDING_SEASON,
        (0.5, 0.26, 0.13, 0.07, 0.03, 0.01),
        0.0015,
        ("钢结构", "机械制造", "金属制品", "建筑工程", "物流"),
    ),
    Profile(
        "field_vehicle",
        INSTITUTE,
        4200,
        450,
        0.03,
        0.05,
        (("5110", "叉车", 0.95), ("5210", "观光车", 0.05)),
        _INDUSTRY,
        _ALL_YEAR,
        (0.55, 0.25, 0.12, 0.05, 0.02, 0.01),
        0.0005,
        ("物流", "仓储", "家具", "机械制造", "食品"),
    ),
    Profile(
        "amusement",
        BRANCH,
        150,
        8,
        0.0,
        0.03,
        (
            ("6100", "大型游乐设施", 0.2),
            ("6200", "大型游乐设施", 0.2),
            ("6400", "游乐设施", 0.2),
            ("6600", "大型游乐设施", 0.2),
            ("6900", "游乐设施", 0.2),
        ),
        _LEISURE,
        _BEFORE_SUMMER,
        (0.5, 0.27, 0.13, 0.06, 0.03, 0.01),
        0.005,
        ("游乐园", "文化旅游", "商业管理"),
    ),
    Profile(
        "pressure_piping",
        BRANCH,
        1500,
        100,
        0.02,
        0.01,
        (("8300", "工业管道", 0.55), ("8210", "燃气管道", 0.35), ("8220", "热力管道", 0.1)),
        _INDUSTRY,
        _ALL_YEAR,
        (0.5, 0.26, 0.13, 0.07, 0.03, 0.01),
        0.004,  # 燃气管道占压、腐蚀 (油气输送管道隐患整治攻坚战)
        ("燃气", "热力", "化工", "天然气"),
    ),
    # 客运索道: none in Langfang (a plain; no ropeway registered), so none is generated.
)
# How the institute's old system names a category (its new system writes the 品种).
OLD_SYSTEM_CATEGORY = {"elevator": "电梯", "lifting": "起重机械", "field_vehicle": "场车"}
REPORT_PREFIX = {"elevator": "DT", "lifting": "QZ", "field_vehicle": "CC"}

BRANCH_HEADER: tuple[tuple[str, HeaderCell], ...] = (
    ("_no", ("序号", None)),
    ("report_no", ("报告编号", None)),
    ("inspection_type", ("检验性质", None)),
    ("category_code", ("设备类别", None)),
    ("equipment_code", ("注册代码", None)),
    ("user_unit", ("使用单位", None)),
    ("county_code", ("县（市、区）", None)),
    ("inspected_on", ("检验日期", None)),
    ("verdict", ("检验结论", None)),
    ("next_due_on", ("下次检验日期", None)),
    ("hazards_found", ("隐患排查", "发现")),
    ("hazards_rectified", ("隐患排查", "已整改")),
    ("major_hazards_found", ("重大隐患", "发现")),
    ("major_hazards_listed", ("重大隐患", "挂牌督办")),
    ("remarks", ("备注", None)),
)
OLD_SYSTEM_HEADER = (
    ("_no", "序号"),
    ("report_no", "检验编号"),
    ("category_code", "设备种类"),
    ("equipment_code", "设备代码"),
    ("user_unit", "使用单位名称"),
    ("county_code", "所在县区"),
    ("inspection_type", "检验类型"),
    ("inspected_on", "检验时间"),
    ("verdict", "结论"),
    ("next_due_on", "下次检验时间"),
    ("hazards_found", "隐患数"),
    ("hazards_rectified", "整改数"),
    ("major_hazards_found", "重大隐患数"),
    ("major_hazards_listed", "挂牌督办数"),
    ("inspection_agency", "检验单位"),
    ("remarks", "备注"),
)
NEW_SYSTEM_HEADER = (
    ("report_no", "报告编号"),
    ("category_code", "设备类别"),
    ("equipment_code", "设备注册代码"),
    ("user_unit", "使用单位"),
    ("county_code", "使用地点所在县区"),
    ("inspection_type", "检验类别"),
    ("inspected_on", "检验完成日期"),
    ("verdict", "检验结论"),
    ("next_due_on", "下次检验日期"),
    ("hazards_found", "发现隐患数"),
    ("hazards_rectified", "已整改隐患数"),
    ("major_hazards_found", "发现重大隐患数"),
    ("major_hazards_listed", "已挂牌督办数"),
    ("inspection_agency", "检验检测机构"),
    ("remarks", "备注"),
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
        for profile in PROFILES:
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
    return f"LFTJ{year}{REPORT_PREFIX[profile.code]}"


def _new_system(year: int, month: int) -> bool:
    return (year, month) >= NEW_SYSTEM_FROM


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


_VERDICTS = {
    # (机电类, 锅炉/压力容器, 压力管道) wording of each contract value
    "pass": ("合格", "符合要求", "允许使用"),
    "retest_pass": ("复检合格", "复检符合要求", "复检符合要求"),
    "conditional": ("基本符合要求", "基本符合要求", "监督使用"),
    "fail": ("不合格", "不符合要求", "停止使用"),
}


def _verdict_text(rng: random.Random, inspection: Inspection) -> str:
    code = inspection.unit.profile.code
    if inspection.kind == "supervision":  # 监督检验 concludes 合格 / 不合格 for every category
        return "合格" if inspection.verdict != "fail" else "不合格"
    column = 2 if code == "pressure_piping" else 1 if code in ("boiler", "pressure_vessel") else 0
    text = _VERDICTS[inspection.verdict][column]
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
        category = unit.variety if new_system else OLD_SYSTEM_CATEGORY[unit.profile.code]
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
        row["county_code"] = rng.choice(UNKNOWN_COUNTIES)
    elif kind == "unknown_category":
        row["category_code"] = rng.choice(UNKNOWN_CATEGORIES)
    elif kind == "unknown_verdict":
        row["verdict"] = rng.choice(UNKNOWN_VERDICTS)
    elif kind == "unknown_inspection_type":
        row["inspection_type"] = rng.choice(UNKNOWN_TYPES)
    elif kind == "bad_date":
        row["inspected_on"] = _bad_date(rng, inspection.on)
        row["next_due_on"] = "/"  # nothing left to compare the broken date with
    elif kind == "outside_period":
        # an inspection of the month before, reported late in this month's list
        earlier = inspection.on.replace(day=1) - dt.timedelta(days=rng.randint(1, 20))
        row["inspected_on"] = earlier.isoformat()
    elif kind == "bad_count":
        row[rng.choice(COUNT_COLUMNS)] = rng.choice(BAD_COUNTS)
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


def _write(
    path: Path,
    agency: str,
    title: str,
    rows: Sequence[Mapping[str, Any]],
    encoding: str,
    new_system: bool,
) -> None:
    """The branch's workbook, or the institute's CSV in the layout of the system it came from
    (a correction keeps its month's layout, whatever its encoding)."""
    if agency == BRANCH:
        header = [cell for _, cell in BRANCH_HEADER]
        table = [
            [number if name == "_no" else row[name] for name, _ in BRANCH_HEADER]
            for number, row in enumerate(rows, start=1)
        ]
        write_table_xlsx(path, "检验结果", title, header, table)
        return
    layout = NEW_SYSTEM_HEADER if new_system else OLD_SYSTEM_HEADER
    heads = [label for _, label in layout]
    table = [
        [number if name == "_no" else row[name] for name, _ in layout]
        for number, row in enumerate(rows, start=1)
    ]
    write_csv(path, heads, table, encoding)


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
            folder = landing / AGENCY_FOLDERS[agency] / f"{year}-{month:02d}"
            name = AGENCY_FOLDERS[agency]
            if agency == BRANCH:
                stem, ext, encoding = f"{name}{year}年{month}月特种设备检验结果汇总表", "xlsx", ""
            else:
                stem = f"{name}{year}年{month:02d}月检验报告明细"
                ext, encoding = "csv", "utf-8-sig" if _new_system(year, month) else "gb18030"
            title = f"{name}{year}年{month}月特种设备定期检验、监督检验结果汇总表"
            path = folder / f"{stem}.{ext}"
            _write(path, agency, title, delivered, encoding, _new_system(year, month))
            received = delivered_at(
                rng_for(seed, FEED, "received", agency, year, month), agency, year, month
            )
            out.add(path, len(delivered), received)
            if (agency, month) != corrected_slot:
                continue
            fix = rng_for(seed, FEED, "correction", agency, year, month)
            forgotten = _forgotten(fix, skipped, agency, year, month)
            corrected = _correct(fix, clean, forgotten)
            fixed_path = folder / f"{stem}_更正.{ext}"
            # the institute's correction is exported by hand: UTF-8 without BOM
            _write(
                fixed_path,
                agency,
                title + "（更正）",
                corrected,
                "utf-8" if encoding else "",
                _new_system(year, month),
            )
            out.add(fixed_path, len(corrected), received + dt.timedelta(days=fix.randint(10, 14)))
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
