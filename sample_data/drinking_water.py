"""Sample monthly files of the 县级以上集中式饮用水水源地 monitoring (市环保局 / 市环境监测站):
one row per source and sampling date, with the source's 取水量 of the month, the verdict
(达标/不达标, or 是/否) and the 超标项目 of a failed sample.

Layout (docs/feeds/drinking_water.md): `raw/drinking_water/<YYYY-MM>/<file>`. Sources come from
`ref_drinking_water_sources` (廊坊市区 and the eight county seats, groundwater; the 南水北调
surface-water works from its `active_from` month). Every source is sampled once a month (the
national minimum for 县级以上 sources) times `scale`, at least once; a failed sample is
re-sampled 7–10 days later in the same month (复测). Volumes peak in summer and grow 3 % a
year. Groundwater of 文安 and 大城 occasionally exceeds 氟化物 (GB/T 14848 Ⅲ类 1.0 mg/L),
霸州's 锰 (0.1 mg/L); the city well field rarely fails.

Besides the requested years, the year before the first one is written as a prior-year baseline
(never before 2014, the platform's first month), so the first requested year has a
year-on-year comparison. Each month's file arrives on the 8th of the next month (its
modification time, Beijing time); every year one month is delivered again on the 20th as a
corrected file (…_更正) in the same folder (a volume corrected, a forgotten re-sample added, a
row listed by mistake dropped), and another month's file is sent twice (the same bytes again
on the 12th, recorded by the loader as a repeated delivery)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from orchestration.ingest.contract import load_contract
from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    GenerationSummary,
    check_arguments,
    date_variant,
    rng_for,
    working_days,
)
from sample_data.delivery import deliver_month, feed_layouts, layouts_file, years_with_baseline
from sample_data.violations import violating

FEED = "drinking_water"
BASE_YEAR = 2015
GROWTH_PER_YEAR = 0.03
# Supply peaks in July/August (irrigation-free city use: heat, showers, greening).
MONTH_WEIGHTS = (0.9, 0.86, 0.93, 0.97, 1.04, 1.12, 1.18, 1.16, 1.05, 0.98, 0.92, 0.9)

ERROR_KINDS = (
    "negative_volume",
    "unknown_source",
    "fail_without_items",
    "pass_with_items",
    "outside_period",
    "duplicate_key",
)


@dataclass(frozen=True)
class Profile:
    """A source's sample behaviour: 万吨 supplied a month in BASE_YEAR, the item that fails and
    how often a sample fails."""

    volume: float
    item: str
    fail_share: float


# The catalogue (profiles, limits, mistakes): layouts/drinking_water.yaml.
_DATA = layouts_file(FEED)
LIMITS: Mapping[str, float] = _DATA["limits"]
ITEM_NAMES: Mapping[str, str] = _DATA["item_names"]
UNKNOWN_SOURCES = tuple(_DATA["unknown_sources"])
PROFILES = {code: Profile(**raw) for code, raw in _DATA["profiles"].items() if code != "default"}
DEFAULT_PROFILE = Profile(**_DATA["profiles"]["default"])  # a source added to the seed later


@dataclass(frozen=True)
class Sample:
    source: Mapping[str, str]
    on: dt.date
    volume: float
    concentrations: Mapping[str, float]

    @property
    def failed_items(self) -> list[str]:
        return [k for k, v in self.concentrations.items() if v > LIMITS[k]]


def _active(source: Mapping[str, str], year: int, month: int) -> bool:
    return f"{year}-{month:02d}" >= source["active_from"]


def _concentrations(rng: random.Random, source: Mapping[str, str], fail: str | None) -> dict:
    surface = source["source_type"] == "地表水"
    values = {
        "fluoride_mg_l": rng.uniform(0.2, 0.4) if surface else rng.uniform(0.3, 0.92),
        "manganese_mg_l": rng.uniform(0.005, 0.03) if surface else rng.uniform(0.01, 0.08),
        "nitrate_n_mg_l": rng.uniform(0.4, 1.5) if surface else rng.uniform(0.5, 8.0),
    }
    if fail:
        values[fail] = LIMITS[fail] * rng.uniform(1.05, 1.7)
    return {k: round(v, 3) for k, v in values.items()}


def _month_samples(
    seed: int, year: int, month: int, scale: float, sources: Sequence[Mapping[str, str]]
) -> list[Sample]:
    """Every source's samples of a month: `scale` rounds a month (at least one), evenly spread
    over the working days, plus a re-sample 7–10 days after a failed one."""
    rounds = max(1, round(scale))
    days = working_days(year, month)
    samples: list[Sample] = []
    growth = (1 + GROWTH_PER_YEAR) ** (year - BASE_YEAR)
    for source in sources:
        if not _active(source, year, month):
            continue
        rng = rng_for(seed, FEED, "samples", source["source_code"], year, month)
        profile = PROFILES.get(source["source_code"], DEFAULT_PROFILE)
        volume = round(
            profile.volume * growth * MONTH_WEIGHTS[month - 1] * rng.uniform(0.95, 1.05), 2
        )
        step = len(days) / rounds
        taken: set[dt.date] = set()
        for index in range(rounds):
            on = days[min(len(days) - 1, int(index * step + rng.uniform(0, step)))]
            if on in taken:
                continue
            taken.add(on)
            fail = profile.item if rng.random() < profile.fail_share else None
            samples.append(Sample(source, on, volume, _concentrations(rng, source, fail)))
            again = on + dt.timedelta(days=rng.randint(7, 10))
            if fail and again.month == month and again not in taken:
                taken.add(again)
                samples.append(Sample(source, again, volume, _concentrations(rng, source, None)))
    return sorted(samples, key=lambda s: (s.source["source_code"], s.on))


def _items_text(sample: Sample) -> str:
    """超标项目 as monitoring reports write it: 氟化物（超标0.32倍）."""
    return "、".join(
        f"{ITEM_NAMES[k]}（超标{sample.concentrations[k] / LIMITS[k] - 1:.2f}倍）"
        for k in sample.failed_items
    )


def _row(rng: random.Random, sample: Sample, fmt: str) -> dict[str, Any]:
    """A sample as the month's file shows it, keyed by contract column name."""
    failed = bool(sample.failed_items)
    if fmt == "csv-gb18030":
        verdict = "否" if failed else "是"
        source = sample.source["aliases"].split("|")[0]
    else:
        verdict = "不达标" if failed else "达标"
        source = sample.source["source_code" if fmt == "csv-utf8" else "source_name"]
    on: Any = sample.on
    if fmt != "xlsx":
        on = date_variant(sample.on, rng.choices(("iso", "slash", "chinese"), (0.8, 0.15, 0.05))[0])
    return {
        "source_code": source,
        "sampled_on": on,
        "volume_10k_t": f"{sample.volume:.2f}",
        "verdict": verdict,
        "exceedance_items": _items_text(sample) if failed else "/",
        **{k: f"{v:.3f}" for k, v in sample.concentrations.items()},
    }


def _inject_error(rng: random.Random, kind: str, row: dict[str, Any], sample: Sample) -> None:
    """Exactly one contract violation (duplicate_key is a copied row, added by the caller)."""
    if kind == "negative_volume":
        row["volume_10k_t"] = f"-{sample.volume:.2f}"
    elif kind == "unknown_source":
        row["source_code"] = rng.choice(violating(FEED, "source_code", UNKNOWN_SOURCES))
    elif kind == "fail_without_items":
        row["verdict"], row["exceedance_items"] = "不达标", "/"
    elif kind == "pass_with_items":
        row["verdict"], row["exceedance_items"] = "达标", "锰（超标0.12倍）"
    elif kind == "outside_period":
        # a sample of the last days of the month before, listed in this month's file
        row["sampled_on"] = (
            sample.on.replace(day=1) - dt.timedelta(days=rng.randint(1, 5))
        ).isoformat()
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)


def _xlsx_cell(name: str, value: Any) -> Any:
    """Numbers are numbers in the station's workbook; blanks stay '/'."""
    if name not in ("source_code", "sampled_on", "verdict", "exceedance_items"):
        return float(value)
    return value


def _corrected(
    rng: random.Random, clean: list[dict[str, Any]], samples: Sequence[Sample], fmt: str
) -> list[dict[str, Any]]:
    """The corrected month: one volume corrected (all rows of its source), the last row dropped
    (listed by mistake), a forgotten re-sample of the first source added."""
    rows = [dict(row) for row in clean[:-1]]
    fixed = rng.choice(rows)["source_code"]
    factor = rng.uniform(0.9, 1.1)
    for row in rows:
        if row["source_code"] == fixed:
            row["volume_10k_t"] = f"{float(row['volume_10k_t']) * factor:.2f}"
    first = samples[0]
    used = {s.on for s in samples if s.source is first.source}
    free = [d for d in working_days(first.on.year, first.on.month) if d not in used]
    extra = replace(first, on=free[-1], concentrations=_concentrations(rng, first.source, None))
    rows.append({**_row(rng, extra, fmt), "volume_10k_t": rows[0]["volume_10k_t"]})
    return rows


def generate_drinking_water(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/drinking_water/<YYYY-MM>/…水质监测月报.{csv,xlsx}` for every month of
    `years` and the prior-year baseline, with delivery times as modification times; one
    corrected re-delivery and one duplicate delivery a year. A year's files are the same
    whichever other years are generated."""
    check_arguments(scale, error_rate)
    landing = Path(out_dir) / load_contract(FEED).landing_dir
    sources = load_seed("ref_drinking_water_sources")
    layouts = feed_layouts(FEED)
    delivery = layouts.delivery
    assert delivery is not None
    out = Deliveries(ERROR_KINDS, ("redeliveries", "duplicate_deliveries"))
    for year in years_with_baseline(years):
        pick = rng_for(seed, FEED, "redelivery", year)
        corrected_month, duplicated_month = pick.sample(range(1, 13), 2)
        for month in range(1, 13):
            samples = _month_samples(seed, year, month, scale, sources)
            layout = layouts.of_month(month)
            fmt = layout.fmt
            rng = rng_for(seed, FEED, "rows", year, month)
            clean = [_row(rng, s, fmt) for s in samples]
            # Errors draw from their own generator: the clean content is the same at any rate.
            error_rng = rng_for(seed, FEED, "errors", year, month)
            delivered: list[dict[str, Any]] = []
            for sample, row in zip(samples, clean, strict=True):
                delivered.append(dict(row))
                if error_rng.random() >= error_rate:
                    continue
                kind = error_rng.choice(ERROR_KINDS)
                if kind == "duplicate_key":
                    delivered.append(dict(row))  # the same sample typed in twice
                else:
                    _inject_error(error_rng, kind, delivered[-1], sample)
                out.errors[kind] += 1
            stem = f"廊坊市{year}年{month}月县级以上集中式饮用水水源地水质监测月报"
            corrected = None
            if month == corrected_month:
                fix = rng_for(seed, FEED, "correction", year, month)
                corrected = _corrected(fix, clean, samples, fmt)
            deliver_month(
                out,
                delivery,
                layout,
                landing / f"{year}-{month:02d}" / stem,
                delivered,
                year,
                month,
                title=stem,
                value=_xlsx_cell if fmt == "xlsx" else None,
                corrected=corrected,
                repeated=month == duplicated_month,
            )
    return out.summary()
