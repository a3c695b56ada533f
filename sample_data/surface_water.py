"""Sample surface-water section results (地表水断面监测), one file a month, as 市环境监测站
reports them to 市环保局 (docs/feeds/surface_water.md).

Layout: `raw/surface_water/<YYYY-MM>/<file>`, one row per section (ref_surface_water_sections)
and sampling day. Volumes at scale 1 (basis in the docs): each 出入境 section is sampled three
times a month (上、中、下旬: the cross-border sections of the 河北省 跨界断面考核 are sampled
more often than the monthly routine), each 境内 section once, so 10 × 3 + 2 = 32 rows a month,
384 a year; `scale` multiplies the samples of an 出入境 section (at least one a month).

Water quality is Langfang-shaped (sample figures, not measurements): the rivers coming from
Beijing and Baoding are 劣Ⅴ in 氨氮 and 总磷 in 2014–2015 and improve in 2016; 氨氮 is higher
in the cold dry season, 溶解氧 lower in the warm months; 永定河 carries water only in the flood
season (its outbound section 东沽港 is dry all of 2015, so the river is not evaluable that
year). A result below the detection limit is written as 未检出 / ND / <DL / DLL.

Besides the requested years the generator writes the year before the first one (never before
2014, the platform's first month) as the prior-year baseline, and lists its files too. A year's
files are the same whichever other years are generated.

Each month's file is delivered on the 8th of the next month (its modification time, Beijing
time); in every year one month is delivered again on the 20th as a corrected file (…_更正):
one 氨氮 value fixed, one sample withdrawn, one forgotten sample added; and another month's file
is sent again unchanged on the 25th (…_重发, a repeated delivery the loader records as such).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    GenerationSummary,
    check_arguments,
    rng_for,
    working_days,
)
from sample_data.delivery import deliver_month, feed_layouts, layouts_file, years_with_baseline
from sample_data.violations import checked, violating

FEED = "surface_water"
BOUNDARY_SAMPLES_PER_MONTH = 3  # 出入境 sections at scale 1

ERROR_KINDS = (
    "missing_value",
    "negative_concentration",
    "do_above_20",
    "unknown_section",
    "outside_period",
    "duplicate_key",
)
FACTORS = ("cod", "nh3n", "tp", "codmn", "bod5")


@dataclass(frozen=True)
class Profile:
    """A section's typical annual concentrations (mg/L) and, per year, a factor on them."""

    cod: float
    nh3n: float
    tp: float
    codmn: float
    do_saturation: float  # share of saturation the water keeps (oxygen demand lowers it)
    by_year: Mapping[int, float]
    wet_months: tuple[int, ...] = ()  # months with water; empty = all year

    def factor(self, year: int) -> float:
        return self.by_year.get(year, self.by_year[max(self.by_year)])


def _profile(raw: Mapping[str, Any]) -> Profile:
    return Profile(
        cod=raw["cod"],
        nh3n=raw["nh3n"],
        tp=raw["tp"],
        codmn=raw["codmn"],
        do_saturation=raw["do_saturation"],
        by_year=raw["by_year"],
        wet_months=tuple(raw.get("wet_months") or ()),
    )


# The catalogue (profiles, limits, decimals, mistakes): layouts/surface_water.yaml.
_DATA = layouts_file(FEED)
DETECTION_LIMITS: Mapping[str, float] = _DATA["detection_limits"]
DECIMALS: Mapping[str, int] = _DATA["decimals"]
UNKNOWN_SECTIONS = tuple(_DATA["unknown_sections"])


@cache
def _profiles() -> dict[str, Profile]:
    """Sample profiles by section code."""
    return {code: _profile(raw) for code, raw in _DATA["profiles"].items()}


DRY_YEARS = {(code, year) for code, year in _DATA["dry_years"]}

ROMAN = ("Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类")


@dataclass(frozen=True)
class Sample:
    section: Mapping[str, str]
    on: dt.date
    water_temp: float
    values: Mapping[str, float]  # mg/L, dissolved_oxygen included


def _water_temp(month: int, rng: random.Random) -> float:
    # North China Plain rivers: about 2 ℃ in January, 28 ℃ in July
    return round(15 - 13 * math.cos((month - 1) / 12 * 2 * math.pi) + rng.uniform(-1.5, 1.5), 1)


def _sample(
    rng: random.Random, section: Mapping[str, str], profile: Profile, day: dt.date
) -> Sample:
    temp = max(0.5, _water_temp(day.month, rng))
    level = profile.factor(day.year)
    # 氨氮 peaks in the cold dry season (little dilution, slow nitrification)
    cold = 1 + 0.35 * math.cos((day.month - 1) / 12 * 2 * math.pi)
    values = {
        "cod": profile.cod * level * rng.lognormvariate(0, 0.12),
        "nh3n": profile.nh3n * level * cold * rng.lognormvariate(0, 0.15),
        "tp": profile.tp * level * rng.lognormvariate(0, 0.12),
        "codmn": profile.codmn * level * rng.lognormvariate(0, 0.1),
    }
    values["bod5"] = values["cod"] * rng.uniform(0.18, 0.3)
    saturation = 14.6 - 0.39 * temp + 0.007 * temp * temp  # mg/L at the water temperature
    values["dissolved_oxygen"] = max(
        0.3, saturation * profile.do_saturation * rng.uniform(0.9, 1.05)
    )
    rounded = {k: round(v, DECIMALS[k]) for k, v in values.items()}
    return Sample(section, day, temp, rounded)


def _sampling_days(rng: random.Random, year: int, month: int, count: int) -> list[dt.date]:
    days = working_days(year, month)
    if count >= len(days):
        return days
    # spread over the month: one in each of `count` equal parts (上、中、下旬 at three)
    parts = [days[i * len(days) // count : (i + 1) * len(days) // count] for i in range(count)]
    return [rng.choice(part) for part in parts]


def _samples_of_month(
    seed: int, year: int, month: int, scale: float, sections: Sequence[Mapping[str, str]]
) -> list[Sample]:
    profiles = _profiles()
    rng = rng_for(seed, FEED, "samples", year, month)
    samples = []
    for section in sections:
        code = section["section_code"]
        profile = profiles[code]
        dry = (code, year) in DRY_YEARS or (profile.wet_months and month not in profile.wet_months)
        boundary = section["position"] != "境内"
        count = max(1, min(20, round(BOUNDARY_SAMPLES_PER_MONTH * scale))) if boundary else 1
        days = _sampling_days(rng, year, month, count)
        for day in days:
            sample = _sample(rng, section, profile, day)
            if not dry:  # a dry section is visited but yields no sample
                samples.append(sample)
    return samples


def _class_label(sample: Sample, limits: Sequence[Mapping[str, str]]) -> str:
    """The class the station states (single factor, GB 3838 表1), for the workbook column."""
    body = "lake" if sample.section["is_lake_reservoir"] == "true" else "river"
    worst = 1
    for limit in limits:
        if limit["water_body"] != body:
            continue
        value = sample.values[limit["parameter"]]
        bounds = [float(limit[f"class_{i}"]) for i in range(1, 6)]
        if limit["direction"] == "min":
            rank = next((i + 1 for i, b in enumerate(bounds) if value >= b), 6)
        else:
            rank = next((i + 1 for i, b in enumerate(bounds) if value <= b), 6)
        worst = max(worst, rank)
    return ROMAN[worst - 1]


def _measured(rng: random.Random, factor: str, value: float) -> str:
    """A result as reported: below the detection limit in one of the usual spellings."""
    limit = DETECTION_LIMITS[factor]
    if value >= limit:
        return f"{value:.{DECIMALS[factor]}f}"
    return rng.choice(("未检出", "ND", f"<{limit:g}", f"{limit:g}L"))


def _row(rng: random.Random, sample: Sample, limits: Sequence[Mapping[str, str]]) -> dict:
    section = sample.section
    row: dict[str, Any] = {
        "section_code": section["section_code"],
        "section_name": rng.choice((section["section_name"], section["aliases"].split("|")[0])),
        "river": section["river"],
        "sampled_on": sample.on.isoformat(),
        "water_temp": f"{sample.water_temp:.1f}",
        "dissolved_oxygen": f"{sample.values['dissolved_oxygen']:.2f}",
        "delivered_class": _class_label(sample, limits),
        "remarks": "",
    }
    for factor in FACTORS:
        row[factor] = _measured(rng, factor, sample.values[factor])
    return row


def _inject_error(rng: random.Random, kind: str, row: dict[str, Any], day: dt.date) -> None:
    """Exactly one contract violation per erroneous row (duplicate_key is a second row)."""
    if kind == "missing_value":
        row[rng.choice(("cod", "nh3n", "tp", "dissolved_oxygen"))] = ""
    elif kind == "negative_concentration":
        factor = rng.choice(("cod", "nh3n", "tp"))
        row[factor] = f"-{rng.uniform(0.1, 5):.{DECIMALS[factor]}f}"
    elif kind == "do_above_20":
        lost_point = f"{rng.uniform(25, 90):.1f}"  # a decimal point lost: above the maximum
        row["dissolved_oxygen"] = checked(FEED, "dissolved_oxygen", lost_point)
    elif kind == "unknown_section":
        row["section_code"] = row["section_name"] = rng.choice(
            violating(FEED, "section_code", UNKNOWN_SECTIONS)
        )
    elif kind == "outside_period":
        # a sample of the month before, left in this month's report
        row["sampled_on"] = (day.replace(day=1) - dt.timedelta(days=rng.randint(1, 10))).isoformat()
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)


def _forgotten_sample(rng: random.Random, samples: Sequence[Sample]) -> Sample:
    """A 补测 sample left out of the first file: a section's extra sampling day in the month,
    on a day it has no sample yet."""
    base = rng.choice(samples)
    taken = {s.on for s in samples if s.section is base.section}
    free = [d for d in working_days(base.on.year, base.on.month) if d not in taken]
    day = rng.choice(free or [base.on])
    return _sample(rng, base.section, _profiles()[base.section["section_code"]], day)


def _xlsx_value(name: str, value: Any) -> Any:
    """Numbers are numbers in the station's workbook; 未检出 and dates stay as typed."""
    if name == "sampled_on":
        return dt.date.fromisoformat(value)
    try:
        return float(value)
    except ValueError:
        return value


def generate_surface_water(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/surface_water/<YYYY-MM>/…地表水监测断面水质月报.{csv,xlsx}` for every
    month of `years` and of the prior-year baseline, with delivery times as mtimes."""
    check_arguments(scale, error_rate)
    sections = load_seed("ref_surface_water_sections")
    limits = load_seed("ref_gb3838_limits")
    landing = Path(out_dir) / FEED

    layouts = feed_layouts(FEED)
    delivery = layouts.delivery
    assert delivery is not None
    out = Deliveries(ERROR_KINDS, ("redeliveries", "repeated_deliveries"))
    for year in years_with_baseline(years):
        pick = rng_for(seed, FEED, "redelivery", year)
        corrected_month, repeated_month = pick.sample(range(1, 13), 2)
        for month in range(1, 13):
            samples = _samples_of_month(seed, year, month, scale, sections)
            layout = layouts.of_month(month)
            rng = rng_for(seed, FEED, "rows", year, month)
            clean = [_row(rng, sample, limits) for sample in samples]
            # Errors draw from their own generator: the clean content is the same at any rate.
            error_rng = rng_for(seed, FEED, "errors", year, month)
            delivered = []
            for sample, row in zip(samples, clean, strict=True):
                row = dict(row)
                if error_rng.random() < error_rate:
                    kind = error_rng.choice(ERROR_KINDS)
                    if kind == "duplicate_key":  # the same sample typed in twice
                        delivered.append(row)
                        row = {**row, "nh3n": _measured(error_rng, "nh3n", sample.values["nh3n"])}
                    else:
                        _inject_error(error_rng, kind, row, sample.on)
                    out.errors[kind] += 1
                delivered.append(row)
            corrected = None
            if month == corrected_month and len(clean) >= 3:
                fix = rng_for(seed, FEED, "correction", year, month)
                corrected = [dict(row) for row in clean]
                changed = fix.choice(corrected)
                value = float(changed["nh3n"]) if changed["nh3n"][0].isdigit() else 0.1
                changed["nh3n"] = f"{value * fix.uniform(0.8, 0.95):.3f}"  # 复核后更正
                corrected.pop(fix.randrange(len(corrected)))  # a sample withdrawn (采样不规范)
                extra = _forgotten_sample(fix, samples)
                corrected.append({**_row(fix, extra, limits), "remarks": "补测"})
            deliver_month(
                out,
                delivery,
                layout,
                landing / f"{year}-{month:02d}" / f"廊坊市{year}年{month}月地表水监测断面水质月报",
                delivered,
                year,
                month,
                title=f"廊坊市{year}年{month}月地表水监测断面水质监测结果",
                value=_xlsx_value if layout.fmt == "xlsx" else None,
                corrected=corrected,
                repeated=month == repeated_month,
            )
    return out.summary()
