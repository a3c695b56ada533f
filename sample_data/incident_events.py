"""What happens in a sample year of the incidents feed (质量安全事件): the ordinary incidents of
each domain, and the fixed demo incidents with the year's correction. How departments write
them down is sample_data/incidents.py.

Background (scale 1, basis in docs/feeds/incidents.md): about 40 一般 incidents a year
city-wide, by domain and season (food in summer, special equipment in the heating season,
construction in the building season), placed in counties by population. They are never
区域性/系统性, never in a school, never a 重大 tourism accident, and construction incidents are
always investigated, so the KPIs of the demo come from the scripted incidents alone:

* 2015: a furniture quality problem in 霸州市 (市质监局, June), recognised as 区域性 by a
  correction in August that also adds a forgotten escalator accident; a food poisoning in a
  固安 school canteen; two construction incidents, both investigated.
* 2016: a banquet food poisoning in 大城县 (市食药监局, July) upgraded to 较大 by a correction
  that also withdraws a suspected case; a 较大 tourism accident (not 重大); three construction
  incidents, one not investigated.

Nothing is 系统性. Other years get a generic correction (a late-recognised incident added).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sample_data.common import EnterpriseRegistry, rng_for
from sample_data.delivery import layouts_file

FEED = "incidents"


@dataclass(frozen=True)
class Incident:
    """One incident as its department reports it; text fields are spelt as written."""

    key: str  # a local handle, never written (ids are numbered per slot when writing)
    department: str
    domain: str
    occurred_on: dt.date
    reported_on: dt.date
    county: Mapping[str, str]
    title: str
    incident_type: str
    level: str = "一般"
    nature: str | None = None  # written only where the template has the column
    setting: str | None = None
    deaths: int | None = None
    injured: int | None = None
    investigation: str | None = None
    status: str | None = None
    party: str | None = None
    summary: str = ""


@dataclass(frozen=True)
class Profile:
    """Background incidents of one domain: volume, season, what they are and where."""

    domain: str
    department: str
    per_year: float
    months: tuple[float, ...]
    types: tuple[tuple[str, float], ...]
    titles: tuple[str, ...]  # {county} {party} {place}
    settings: tuple[tuple[str, float], ...] = ()
    injured: tuple[int, int] | None = None
    death_chance: float = 0.0
    industries: tuple[str, ...] = ("有限公司",)


def _profile(raw: Mapping[str, Any]) -> Profile:
    return Profile(
        domain=raw["domain"],
        department=raw["department"],
        per_year=raw["per_year"],
        months=tuple(raw["months"]),
        types=tuple(raw["types"].items()),
        titles=tuple(raw["titles"]),
        settings=tuple((raw.get("settings") or {}).items()),
        injured=(raw["injured"][0], raw["injured"][1]) if "injured" in raw else None,
        death_chance=raw.get("death_chance", 0.0),
        industries=tuple(raw.get("industries") or Profile.industries),
    )


# The background catalogue: layouts/incidents.yaml.
_DATA = layouts_file(FEED)
COUNTY_WEIGHTS: Mapping[str, float] = _DATA["background_county_weights"]
PROFILES: tuple[Profile, ...] = tuple(_profile(raw) for raw in _DATA["background"])
_PLACES = {domain: tuple(places) for domain, places in _DATA["background_places"].items()}


def weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in options], [weight for _, weight in options])[0]


def background_incidents(
    seed: int,
    year: int,
    scale: float,
    counties: Sequence[Mapping[str, str]],
    registry: EnterpriseRegistry,
) -> list[Incident]:
    """The year's ordinary (一般) incidents: never 区域性/系统性, never in a school, never a
    重大 tourism accident; construction incidents are always investigated."""
    weights = [COUNTY_WEIGHTS.get(c["county_code"], 30) for c in counties]
    incidents: list[Incident] = []
    for profile in PROFILES:
        rng = rng_for(seed, FEED, "background", profile.domain, year)
        for number in range(round(profile.per_year * scale)):
            month = rng.choices(range(1, 13), profile.months)[0]
            last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
            occurred = dt.date(year, month, rng.randint(1, last))
            county = rng.choices(counties, weights)[0]
            party = rng.choice(
                registry.pool(county, f"incident_{profile.domain}", profile.industries, 4)
            ).name
            place = county["county_name"] + rng.choice(_PLACES.get(profile.domain, ("",)))
            injured = rng.randint(*profile.injured) if profile.injured else None
            investigation = status = None
            if profile.domain == "construction":
                investigation = weighted(rng, (("组织调查处理", 0.6), ("参与调查处理", 0.4)))
                status = (
                    "调查中" if month >= 11 else weighted(rng, (("已结案", 0.8), ("调查中", 0.2)))
                )
            incidents.append(
                Incident(
                    key=f"{year}-{profile.domain}-{number}",
                    department=profile.department,
                    domain=profile.domain,
                    occurred_on=occurred,
                    reported_on=occurred + dt.timedelta(days=rng.randint(0, 2)),
                    county=county,
                    title=rng.choice(profile.titles).format(
                        county=county["short_name"], party=party, place=place
                    ),
                    incident_type=weighted(rng, profile.types),
                    setting=weighted(rng, profile.settings) if profile.settings else None,
                    deaths=(1 if rng.random() < profile.death_chance else 0)
                    if profile.injured
                    else None,
                    injured=injured,
                    investigation=investigation,
                    status=status,
                    party=party,
                    summary="已按程序处置，相关责任单位已整改。",
                )
            )
    return incidents


@dataclass(frozen=True)
class Correction:
    """A re-delivered month: incidents changed (same key), added and dropped."""

    department: str
    month: int
    received: dt.datetime
    changed: tuple[Incident, ...] = ()
    added: tuple[Incident, ...] = ()
    dropped: tuple[str, ...] = ()


def _county(counties: Sequence[Mapping[str, str]], code: str) -> Mapping[str, str]:
    return next(c for c in counties if c["county_code"] == code)


def scripted_incidents(
    year: int, counties: Sequence[Mapping[str, str]]
) -> tuple[list[Incident], Correction | None]:
    """The demo incidents of 2015 and 2016 and the year's correction (None: generic)."""
    c = {code: _county(counties, code) for code in COUNTY_WEIGHTS}
    if year == 2015:
        furniture = Incident(
            "2015-regional-furniture",
            "SZJJ",
            "product",
            dt.date(2015, 6, 16),
            dt.date(2015, 6, 18),
            c["131081"],
            "霸州市胜芳镇部分企业钢木家具甲醛释放量集中超标",
            "产品质量问题",
            nature="否",
            party="胜芳镇钢木家具生产企业（12家）",
            deaths=0,
            summary="监督抽查发现胜芳镇多家企业钢木家具甲醛释放量超标，已责令停产整改。",
        )
        escalator = Incident(
            "2015-late-escalator",
            "SZJJ",
            "special_equipment",
            dt.date(2015, 6, 23),
            dt.date(2015, 6, 23),
            c["131003"],
            "广阳区某商场自动扶梯梯级塌陷致顾客受伤",
            "特种设备事故",
            nature="否",
            party="廊坊市广阳区某商业管理有限公司",
            deaths=0,
            injured=1,
            summary="月报漏报，补报。",
        )
        school = Incident(
            "2015-school-poisoning",
            "SSYJJ",
            "food",
            dt.date(2015, 9, 17),
            dt.date(2015, 9, 17),
            c["131022"],
            "固安县某中学学生食堂发生一起食物中毒事件",
            "食物中毒",
            setting="学校食堂",
            deaths=0,
            injured=23,
            party="固安县第三中学学生食堂",
            summary="23名学生出现呕吐、腹泻症状，经救治全部出院；食堂已停业整改。",
        )
        construction = [
            Incident(
                "2015-construction-collapse",
                "SJSJ",
                "construction",
                dt.date(2015, 4, 21),
                dt.date(2015, 4, 22),
                c["131082"],
                "三河市燕郊某住宅项目模板支撑体系局部坍塌",
                "工程质量事故",
                deaths=0,
                injured=2,
                investigation="组织调查处理",
                status="已结案",
                party="燕郊某住宅小区二期7#楼",
                summary="浇筑楼板时模板支撑局部失稳坍塌，2名工人受轻伤。",
            ),
            Incident(
                "2015-construction-cracks",
                "SJSJ",
                "construction",
                dt.date(2015, 10, 12),
                dt.date(2015, 10, 14),
                c["131022"],
                "固安县某安置房项目填充墙大面积开裂",
                "工程质量问题",
                deaths=0,
                injured=0,
                investigation="参与调查处理",
                status="已结案",
                party="固安县某安置房项目3#楼",
                summary="交付前检查发现二次结构填充墙开裂，已返工处理。",
            ),
        ]
        recognised = replace(
            furniture,
            nature="区域性",
            summary="经市质量与名牌战略领导小组办公室组织研判，认定为区域性产品质量安全事件，"
            "已开展区域性集中整治。",
        )
        correction = Correction(
            "SZJJ", 6, dt.datetime(2015, 8, 18, 10, 20), changed=(recognised,), added=(escalator,)
        )
        return [furniture, school, *construction], correction
    if year == 2016:
        banquet = Incident(
            "2016-banquet-poisoning",
            "SSYJJ",
            "food",
            dt.date(2016, 7, 9),
            dt.date(2016, 7, 10),
            c["131025"],
            "大城县某村婚宴发生一起食物中毒事件",
            "食物中毒",
            setting="农村集体聚餐",
            deaths=0,
            injured=86,
            party="大城县某村村民家宴（流动厨师承办）",
            summary="就餐人员出现呕吐腹泻症状，86人就医。",
        )
        suspected = Incident(
            "2016-suspected-poisoning",
            "SSYJJ",
            "food",
            dt.date(2016, 7, 21),
            dt.date(2016, 7, 21),
            c["131026"],
            "文安县某餐馆疑似食物中毒",
            "食物中毒",
            setting="餐馆",
            deaths=0,
            injured=4,
            party="文安县某餐馆",
            summary="4名就餐人员腹泻，待流行病学调查。",
        )
        upgraded = replace(
            banquet,
            level="较大",
            injured=112,
            summary="后续排查新增病例，累计发病112人，按较大食品安全事故处置。",
        )
        tourism = Incident(
            "2016-tourism-crowding",
            "SLVYJ",
            "tourism",
            dt.date(2016, 10, 3),
            dt.date(2016, 10, 3),
            c["131024"],
            "香河县某景区国庆期间游客拥挤踩踏致多人受伤",
            "旅游安全事故",
            level="较大",
            setting="旅游景区",
            deaths=0,
            injured=12,
            summary="国庆假日客流超限，出口处发生拥挤踩踏，12人受伤。",
        )
        construction = [
            Incident(
                "2016-construction-welds",
                "SJSJ",
                "construction",
                dt.date(2016, 5, 17),
                dt.date(2016, 5, 18),
                c["131003"],
                "广阳区某商业综合体钢结构连廊焊缝开裂",
                "工程质量问题",
                deaths=0,
                injured=0,
                investigation="组织调查处理",
                status="已结案",
                party="广阳区某商业综合体项目",
                summary="竣工前检测发现连廊焊缝开裂，已加固处理。",
            ),
            Incident(
                "2016-construction-insulation",
                "SJSJ",
                "construction",
                dt.date(2016, 8, 25),
                dt.date(2016, 8, 26),
                c["131081"],
                "霸州市某棚户区改造项目外墙保温层大面积脱落",
                "工程质量事故",
                deaths=0,
                injured=1,
                investigation="参与调查处理",
                status="调查中",
                party="霸州市某棚户区改造项目5#楼",
                summary="大风天气外墙保温层脱落，砸伤1人。",
            ),
            Incident(
                "2016-construction-beam",
                "SJSJ",
                "construction",
                dt.date(2016, 11, 29),
                dt.date(2016, 12, 2),
                c["131082"],
                "三河市某厂房项目屋面钢梁局部失稳",
                "工程质量问题",
                deaths=0,
                injured=0,
                investigation="尚未调查",
                party="三河市某民营企业厂房项目",
                summary="县级住建部门已现场处置，市建设局尚未组织或参与调查处理。",
            ),
        ]
        correction = Correction(
            "SSYJJ",
            7,
            dt.datetime(2016, 8, 22, 15, 5),
            changed=(upgraded,),
            dropped=(suspected.key,),
        )
        return [banquet, suspected, tourism, *construction], correction
    return [], None


def generic_correction(
    seed: int,
    year: int,
    by_slot: Mapping[tuple[str, int], list[Incident]],
    counties: Sequence[Mapping[str, str]],
) -> Correction:
    """A late-recognised incident added to a month that had incidents (or 市质监局's June)."""
    rng = rng_for(seed, FEED, "correction", year)
    busy = sorted(slot for slot, rows in by_slot.items() if rows)
    department, month = rng.choice(busy) if busy else ("SZJJ", 6)
    rows = by_slot.get((department, month), [])
    base = rows[0] if rows else None
    county = base.county if base else _county(counties, "131003")
    kind = base.incident_type if base else "产品质量问题"
    late = Incident(
        f"{year}-late-{department}",
        department,
        base.domain if base else "product",
        dt.date(year, month, 28),
        dt.date(year, month, 28),
        county,
        f"{county['short_name']}一起{kind}（补报）",
        kind,
        setting=base.setting if base else None,
        investigation=base.investigation if base else None,
        status=base.status if base else None,
        summary="补报。",
    )
    received = dt.datetime(year + month // 12, month % 12 + 1, 20, 10, 0)
    return Correction(department, month, received, added=(late,))
