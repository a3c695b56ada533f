"""Sample monthly sewage treatment reports (城市污水处理情况月报), as 市建设局 compiles them from
the plants' operating records.

Layout (docs/feeds/sewage.md): `raw/sewage/<YYYY-MM>/<file>`, one file a month: one row per
污水处理厂 (项目类别 污水处理厂: treated volume 万吨/月, design capacity 万吨/日, days operated)
and one row of the month's 市区污水排放总量 (项目类别 排放总量). Every plant of
ref_sewage_plants reports, the county plants (is_urban false) too.

Volumes at scale 1: the three 市区 plants (28 万吨/日 design) treat about 22 万吨/日 in 2015,
growing 3 % a year; 市区 sewage generated follows water use (summer higher); the treatment rate
rises from about 86 % (2014) by two points a year. In the rain season (June–September) storm
water reaches the combined sewers, so treated volume rises while the generated figure (an
estimate from water supply) does not: a heavy-rain July or August may treat more than the
month's generated figure (rate above 100 %, a flag in the models, not an error). `scale`
multiplies every volume and the design capacities written in the files (rows do not scale:
the form has one row per plant).

Prior-year baseline: besides `years`, the year before the first requested one is written (when
it is 2014 or later, the platform's first year), so the first requested year has a year-on-year
comparison (ENVIRONMENT_CONTINUOUS_IMPROVEMENT). Its files are in the summary too.

Each month's report is delivered on the 10th of the next month (modification time, Beijing
time). Every year one month is delivered again on the 20th as a corrected file (…_更正) in the
same folder: a county plant the first file left out is added, one 市区 plant's volume and the
排放总量 are revised, and the mistakes of the first file are fixed. Every year another month's
file is sent again unchanged on the 13th (…_重复报送, same bytes: a repeated delivery).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    GenerationSummary,
    check_arguments,
    date_variant,
    rng_for,
)
from sample_data.delivery import deliver_month, feed_layouts, layouts_file, years_with_baseline
from sample_data.violations import violating

FEED = "sewage"
BASE_YEAR = 2015
URBAN_TREATED_PER_DAY = 22.0  # 万吨/日 treated by the 市区 plants in the base year
GROWTH_PER_YEAR = 0.03
BASE_RATE = 0.88  # 市区 treatment rate of the base year (treated ÷ generated, dry months)
RATE_GAIN_PER_YEAR = 0.02
MAX_RATE = 0.95
# Sewage generated follows water use: higher in summer, lowest around Spring Festival.
GENERATED_SEASON = (0.95, 0.92, 0.96, 0.98, 1.01, 1.04, 1.06, 1.06, 1.02, 0.99, 0.97, 0.95)
# Storm water reaching the plants in the rain season, as a share of the month's sewage.
RAIN_INFLOW = {6: (0.0, 0.05), 7: (0.04, 0.14), 8: (0.03, 0.12), 9: (0.0, 0.04)}
COUNTY_LOAD = (0.6, 0.85)  # county plants' load on their design capacity

ERROR_KINDS = (
    "negative_volume",
    "non_numeric_volume",
    "missing_volume",
    "unknown_plant",
    "missing_month",
    "outside_period",
    "duplicate_plant",
)
PLANT_ONLY_KINDS = ("unknown_plant",)
UNKNOWN_PLANTS = ("廊坊市第三污水处理厂", "永清县污水处理厂", "北京通州碧水再生水厂", "WS99")


@dataclass(frozen=True)
class PlantMonth:
    plant: Mapping[str, str]
    capacity: float  # 万吨/日, scaled
    days: int
    treated: float  # 万吨/月, scaled
    rainy: bool


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    plants: tuple[PlantMonth, ...]
    generated: float  # 市区污水排放总量, 万吨/月, scaled


def _urban(plant: Mapping[str, str]) -> bool:
    return plant["is_urban"].strip().lower() == "true"


def _months_of_year(
    seed: int, year: int, scale: float, plants: Sequence[Mapping[str, str]]
) -> list[Month]:
    """A year's twelve months of plant volumes and the 市区 generated figure."""
    rng = rng_for(seed, FEED, "volumes", year)
    growth = (1 + GROWTH_PER_YEAR) ** (year - BASE_YEAR)
    rate = min(MAX_RATE, BASE_RATE + RATE_GAIN_PER_YEAR * (year - BASE_YEAR))
    urban = [p for p in plants if _urban(p)]
    urban_capacity = sum(float(p["design_capacity_10k_t_per_day"]) for p in urban)
    months = []
    for month in range(1, 13):
        days = calendar.monthrange(year, month)[1]
        season = GENERATED_SEASON[month - 1]
        dry_treated = URBAN_TREATED_PER_DAY * growth * season * days * rng.uniform(0.98, 1.02)
        month_rate = rate + rng.uniform(-0.015, 0.015)
        low, high = RAIN_INFLOW.get(month, (0.0, 0.0))
        rain = rng.uniform(low, high)
        generated = dry_treated / month_rate
        rows = []
        for plant in plants:
            capacity = float(plant["design_capacity_10k_t_per_day"])
            operated = days - (rng.randint(1, 3) if rng.random() < 0.04 else 0)  # maintenance
            if _urban(plant):
                share = capacity / urban_capacity * rng.uniform(0.95, 1.05)
                treated = (dry_treated + generated * rain) * share * operated / days
            else:
                load = rng.uniform(*COUNTY_LOAD) * growth
                treated = capacity * operated * load * season * (1 + rain)
            rows.append(
                PlantMonth(
                    plant,
                    round(capacity * scale, 2),
                    operated,
                    round(treated * scale, 2),
                    rain >= 0.05,
                )
            )
        months.append(Month(year, month, tuple(rows), round(generated * scale, 2)))
    return months


def _name(rng: random.Random, plant: Mapping[str, str]) -> str:
    """Plants are written by name, now and then by a short name or the platform code."""
    roll = rng.random()
    aliases = [a for a in plant["aliases"].split("|") if a]
    if roll < 0.8 or not aliases:
        return plant["plant_name"]
    if roll < 0.95:
        return rng.choice(aliases)
    return plant["plant_code"]


def _rows(rng: random.Random, month: Month, fmt: str) -> list[dict[str, Any]]:
    """The month's report rows keyed by field, as the format spells them."""
    first_day = dt.date(month.year, month.month, 1)
    spelling = layouts_file(FEED)["spellings"][fmt]
    style = spelling["month"]
    when: Any = first_day if style == "date" else date_variant(first_day, style)
    plant_word, total_word = spelling["plant"], spelling["total"]
    rows = [
        {
            "stat_month": when,
            "row_type": plant_word,
            "plant_code": _name(rng, p.plant),
            "design_capacity": p.capacity,
            "days_operated": p.days,
            "treated_volume": p.treated,
            "generated_volume": None,
            "remarks": "汛期雨水混入，处理量偏高" if p.rainy and _urban(p.plant) else None,
        }
        for p in month.plants
    ]
    rows.append(
        {
            "stat_month": when,
            "row_type": total_word,
            "plant_code": None,
            "design_capacity": None,
            "days_operated": None,
            "treated_volume": None,
            "generated_volume": month.generated,
            "remarks": "按供水量折算",
        }
    )
    return rows


def _volume_field(row: Mapping[str, Any]) -> str:
    return "generated_volume" if row["generated_volume"] is not None else "treated_volume"


def _inject_error(
    rng: random.Random, kind: str, row: dict[str, Any], month: Month
) -> dict[str, Any] | None:
    """Exactly one contract violation on `row`; for a duplicate, the extra row to add."""
    volume = _volume_field(row)
    if kind == "negative_volume":
        row[volume] = -abs(float(row[volume]))
    elif kind == "non_numeric_volume":
        row[volume] = rng.choice((f"约{row[volume]}", f"{row[volume]}万吨", "待核"))
    elif kind == "missing_volume":
        row[volume] = None
    elif kind == "unknown_plant":
        row["plant_code"] = rng.choice(violating(FEED, "plant_code", UNKNOWN_PLANTS))
    elif kind == "missing_month":
        row["stat_month"] = rng.choice((f"{month.year}年", f"{month.year}--01", f"{month.year}"))
    elif kind == "outside_period":
        # last month's figure left in the sheet (copied from the previous report)
        earlier = dt.date(month.year, month.month, 1) - dt.timedelta(days=1)
        row["stat_month"] = earlier.replace(day=1).isoformat()
    elif kind == "duplicate_plant":
        extra = dict(row)
        if extra[volume] is not None:
            extra[volume] = round(float(extra[volume]) * rng.uniform(0.9, 1.1), 2)
        return extra
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)
    return None


def _with_errors(
    rng: random.Random, clean: Sequence[Mapping[str, Any]], month: Month, error_rate: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """The delivered rows: each clean row carries a mistake with probability `error_rate`."""
    delivered: list[dict[str, Any]] = []
    kinds: list[str] = []
    for clean_row in clean:
        row = dict(clean_row)
        extra = None
        if rng.random() < error_rate:
            is_plant = row["plant_code"] is not None
            choices = [k for k in ERROR_KINDS if is_plant or k not in PLANT_ONLY_KINDS]
            kind = rng.choice(choices)
            extra = _inject_error(rng, kind, row, month)
            kinds.append(kind)
        delivered.append(row)
        if extra is not None:
            delivered.append(extra)
    return delivered, kinds


def _csv_value(name: str, value: Any) -> Any:
    return "" if value is None else value


def _corrected(
    fix: random.Random, clean: list[dict[str, Any]], left_out: dict[str, Any]
) -> list[dict[str, Any]]:
    """The corrected month: one 市区 plant's volume and the 排放总量 revised, the county
    plant the first file left out added before the total row."""
    rows = [dict(row) for row in clean]
    plants = [r for r in rows if r["plant_code"] is not None]
    revised = fix.choice(plants[:3])  # a 市区 plant (the seed lists them first)
    revised["treated_volume"] = round(revised["treated_volume"] * fix.uniform(0.96, 0.99), 2)
    total = rows[-1]
    total["generated_volume"] = round(total["generated_volume"] * fix.uniform(1.01, 1.03), 2)
    return [*rows[:-1], dict(left_out), total]


def generate_sewage(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/sewage/<YYYY-MM>/…月报.{csv,xlsx}` for every month of `years` and of the
    prior-year baseline, with one corrected re-delivery and one repeated delivery a year and
    delivery times as modification times. A year's files are the same whichever other years
    are generated."""
    check_arguments(scale, error_rate)
    plants = load_seed("ref_sewage_plants")
    landing = Path(out_dir) / FEED
    layouts = feed_layouts(FEED)
    delivery = layouts.delivery
    assert delivery is not None
    out = Deliveries(ERROR_KINDS, ("redeliveries", "repeated_deliveries"))
    for year in years_with_baseline(years):
        pick = rng_for(seed, FEED, "redelivery", year)
        corrected_month, repeated_month = pick.sample(range(1, 13), 2)
        county_rows = [i for i, p in enumerate(plants) if not _urban(p)]
        left_out_index = pick.choice(county_rows)
        for month in _months_of_year(seed, year, scale, plants):
            layout = layouts.of_month(month.month)
            fmt = layout.fmt
            clean = _rows(rng_for(seed, FEED, "rows", year, month.month), month, fmt)
            first = clean
            if month.month == corrected_month:
                first = [r for i, r in enumerate(clean) if i != left_out_index]
            error_rng = rng_for(seed, FEED, "errors", year, month.month)
            delivered, kinds = _with_errors(error_rng, first, month, error_rate)
            out.errors.update(kinds)
            corrected = None
            if month.month == corrected_month:
                fix = rng_for(seed, FEED, "correction", year)
                kept = [r for i, r in enumerate(clean) if i != left_out_index]
                corrected = _corrected(fix, kept, clean[left_out_index])
            stem = f"廊坊市{year}年{month.month}月市区污水处理情况月报"
            title = f"廊坊市{year}年{month.month}月城市污水处理情况统计表"
            deliver_month(
                out,
                delivery,
                layout,
                landing / f"{year}-{month.month:02d}" / stem,
                delivered,
                year,
                month.month,
                title=title,
                subtitle="填报单位：廊坊市住房和城乡建设局　　　　计量单位：万吨、万吨/日",
                value=None if fmt == "xlsx" else _csv_value,
                corrected=corrected,
                corrected_title=title,
                repeated=month.month == repeated_month,
            )
    return out.summary()
