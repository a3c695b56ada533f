"""Sample deliveries of the city's published daily PM2.5 (城市PM2.5日均浓度).

Layout (docs/feeds/air_quality_daily.md): `raw/air_quality_daily/<YYYY>/<file>`, one yearly
slot per year, the whole year's series in one file.

- 2014–2016 are REAL: the SpTe2M files in `realdata/` (daily means of Langfang's national
  stations, from 中国环境监测总站) are landed byte-identical as the year's official series,
  received on Jan 10 of the next year. They are never altered: mistakes go elsewhere. Before
  the official file, the year's provisional real-time series (实时发布, unaudited) arrives on
  Jan 3: the same days with values rounded to whole µg/m³ and the last day not yet in it; it
  carries the year's injected mistakes, and the official file, a later file in the same slot,
  is its corrected re-delivery (it changes rows and adds one).
- Other years are synthetic, in the same layout with other header synonyms and formats: a
  seasonal series peaking in the heating season (15 Nov – 15 Mar) with day-to-day
  log-normal noise; one day is missing from the first file (an analyser outage) and a
  correction (`…_更正`) on Feb 20 adds it and revises three values. Mistakes are injected into
  the first file.
- Prior-year baseline: besides `years`, the year before the first requested one (if ≥ 2014,
  the platform's first month) is written too, so the first requested year has a
  year-on-year comparison; its files are in the summary.
- The last year's official file is delivered a second time five days later (a duplicate
  delivery: same bytes, recorded by the loader as a repeated delivery).

`scale` does not change the volume: the feed is one value per day of the city, whatever the
size of the deployment (validated, not used). A share `error_rate` of a first file's rows
carries exactly one contract violation each (`injected_errors` by kind)."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from orchestration.ingest.contract import load_contract
from sample_data.common import (
    Deliveries,
    GenerationSummary,
    check_arguments,
    rng_for,
)
from sample_data.delivery import TableLayout, feed_layouts, layouts_file, years_with_baseline
from sample_data.violations import below_minimum, checked, missing, violating

FEED = "air_quality_daily"
REAL_DIR = Path(__file__).with_name("realdata")
REAL_YEARS = (2014, 2015, 2016)
CITY = ("Langfang", 116.68, 39.52)
ERROR_KINDS = (
    "missing_pm25",
    "negative_pm25",
    "impossible_pm25",
    "unknown_city",
    "date_outside_slot",
    "duplicate_date",
)
Row = list[object]  # date, year, doy, city, long, lat, pm2.5 (text as it is written)


def real_file(year: int) -> Path:
    return REAL_DIR / f"langfang_pm25_daily_{year}_SpTe2M.csv"


def _received(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute)


def _real_rows(year: int) -> list[Row]:
    lines = real_file(year).read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",") for line in lines]


def _synthetic_rows(seed: int, year: int, fmt: str) -> list[Row]:
    """A year of daily means: ~55 µg/m³ in summer, ~130 in the heating season, noisy."""
    rng = rng_for(seed, FEED, "series", year)
    start = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - start).days
    rows: list[Row] = []
    for index in range(days):
        day = start + dt.timedelta(days=index)
        season = 0.5 + 0.5 * math.cos(2 * math.pi * (index - 10) / days)  # 1 in mid-January
        level = 50 + 80 * season**2
        value = round(level * rng.lognormvariate(-0.08, 0.4), 1)
        rows.append([day.isoformat(), year, index + 1, _city(fmt), *CITY[1:], value])
    return rows


def _inject(
    clean: Sequence[Row], year: int, error_rate: float, seed: int, out: Deliveries
) -> list[Row]:
    """Copy of the rows with a share `error_rate` carrying one mistake each (their own
    random stream: the clean content does not depend on the rate)."""
    rng = rng_for(seed, FEED, "errors", year)
    rows = [list(r) for r in clean]
    hit: set[int] = set()
    for index in range(len(rows)):
        if rng.random() >= error_rate:
            continue
        kind = rng.choice(ERROR_KINDS)
        if kind == "duplicate_date" and (index == 0 or index - 1 in hit):
            kind = "missing_pm25"  # the day it repeats must itself load
        row = rows[index]
        # the mistakes the contract refuses (violations.py): empty where required, below the
        # minimum, a decimal point lost (above the maximum), a city it does not know
        if kind == "missing_pm25":
            row[6] = missing(FEED, "pm25")
        elif kind == "negative_pm25":
            row[6] = below_minimum(FEED, "pm25", round(rng.uniform(1, 80), 1))
        elif kind == "impossible_pm25":
            row[6] = checked(FEED, "pm25", round(rng.uniform(1600, 9000), 1))
        elif kind == "unknown_city":
            row[3] = rng.choice(violating(FEED, "city_code", ("保定市", "Tianjin", "北京")))
        elif kind == "date_outside_slot":
            row[0] = (dt.date(year - 1, 12, 31) - dt.timedelta(days=index % 20)).isoformat()
        else:  # duplicate_date: the previous day typed again
            row[0] = rows[index - 1][0]
        hit.add(index)
        out.errors[kind] += 1
    return rows


def _city(fmt: str) -> str:
    """How a format spells the city (layouts/air_quality_daily.yaml)."""
    return layouts_file(FEED)["layouts"][fmt]["city"]


def _format(year: int) -> TableLayout:
    """The year's file format, its sheet named for the year."""
    layouts = feed_layouts(FEED)
    assert layouts.delivery is not None
    return replace(layouts.of_month(year), sheet=f"{year}年")


def _write(path: Path, layout: TableLayout, rows: Sequence[Row], title: str) -> None:
    """Rows (date, year, doy, city, long, lat, pm2.5) in the layout's columns; the workbook
    types the dates."""
    keyed = [dict(zip(layout.names, row, strict=True)) for row in rows]
    layout.write(path, keyed, title=title, value=_xlsx_cell if layout.fmt == "xlsx" else None)


def _xlsx_cell(name: str, value: object) -> object:
    return _as_date(value) if name == "obs_date" else value


def _as_date(value: object) -> object:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return value


def _provisional(rows: Sequence[Row]) -> list[Row]:
    """The real-time series as first published: whole µg/m³, the last day not in it yet."""
    return [[*r[:6], str(round(float(r[6])))] for r in rows[:-1]]


def _deliver_real(year: int, folder: Path, seed: int, error_rate: float, out: Deliveries) -> Path:
    layout = _format(year)
    rows = _inject(_provisional(_real_rows(year)), year, error_rate, seed, out)
    path = folder / f"廊坊市{year}年PM2.5日均浓度_实时发布.{layout.extension}"
    _write(path, layout, rows, f"廊坊市{year}年城市PM2.5日均浓度（实时发布，未经审核）")
    out.add(path, len(rows), _received(year + 1, 1, 3, 10, 0))
    official = folder / real_file(year).name
    shutil.copyfile(real_file(year), official)
    out.add(official, len(_real_rows(year)), _received(year + 1, 1, 10, 9, 30))
    out.other["redeliveries"] += 1
    return official


def _deliver_synthetic(
    year: int, folder: Path, seed: int, error_rate: float, out: Deliveries
) -> Path:
    layout = _format(year)
    ext = layout.extension
    clean = _synthetic_rows(seed, year, layout.fmt)
    fix = rng_for(seed, FEED, "correction", year)
    outage = fix.randrange(150, 240)  # a summer day missing from the first file
    first = _inject([r for i, r in enumerate(clean) if i != outage], year, error_rate, seed, out)
    stem = f"廊坊市{year}年PM2.5日均浓度"
    path = folder / f"{stem}.{ext}"
    _write(path, layout, first, f"廊坊市{year}年城市PM2.5日均浓度")
    out.add(path, len(first), _received(year + 1, 1, 10, 9, 30))
    corrected = [list(r) for r in clean]
    for index in fix.sample(range(len(clean)), 3):
        corrected[index][6] = round(float(str(corrected[index][6])) * 1.05 + 1, 1)
    fixed = folder / f"{stem}_更正.{ext}"
    _write(fixed, layout, corrected, f"廊坊市{year}年城市PM2.5日均浓度（更正）")
    out.add(fixed, len(corrected), _received(year + 1, 2, 20, 15, 0))
    out.other["redeliveries"] += 1
    return fixed


def generate_air_quality_daily(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/air_quality_daily/<YYYY>/…` for `years` and the prior-year baseline,
    with delivery times as modification times. A year's files are the same whichever other
    years are generated."""
    check_arguments(scale, error_rate)
    landing = Path(out_dir) / load_contract(FEED).landing_dir
    out = Deliveries(ERROR_KINDS, ("redeliveries", "duplicate_deliveries"))
    current: Path | None = None
    for year in years_with_baseline(years):
        folder = landing / str(year)
        deliver = _deliver_real if year in REAL_YEARS else _deliver_synthetic
        current = deliver(year, folder, seed, error_rate, out)
    if current is not None:
        year = int(current.parent.name)
        again = current.with_name(f"{current.stem}_重发{current.suffix}")
        shutil.copyfile(current, again)
        out.add(again, out.rows_per_file[current], _received(year + 1, 2, 25, 11, 0))
        out.other["duplicate_deliveries"] += 1
    return out.summary()
