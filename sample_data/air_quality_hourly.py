"""Sample station-hourly air-quality releases (空气质量小时数据) in the 中国环境监测总站 layout:
one file per day, raw/air_quality_hourly/<YYYY-MM-DD>/站点_YYYYMMDD.csv, lines date | hour |
type (AQI, PM2.5, PM2.5_24h, … CO_24h), one column per station code.

- Stations: scale 0.25 → 1 national station (1067A); scale 1 → the 4 national stations and
  2 county stations (LF01, LF02); in general max(1, round(4 × scale)) stations taken in seed
  order (national, county LF01–LF11, then the synthetic benchmark stations LFS01–LFS40 of
  ref_air_stations), plus the 2 county stations from scale 1 on (scale 12.5 → 52 stations).
- Daily level: the city's real daily PM2.5 of 2014–2016 (realdata/langfang_pm25_daily_*
  _SpTe2M.csv, CRAN SpTe2M pm25_dat from 中国环境监测总站) is the baseline of those years;
  other years a synthetic seasonal baseline peaking in the heating season (Nov 15–Mar 15).
  Each station-day varies around it; hours follow a diurnal cycle whose day mean is the
  station-day level, so a station's daily mean tracks the real series. PM10, SO2, NO2 and CO
  follow PM2.5; O3 peaks in summer afternoons. The *_24h, O3_8h rows and the hourly AQI are
  computed from the hours of the same year (so a year does not depend on the one before).
- Hourly data has no prior-year baseline (the feed's figures need no earlier year): only
  the requested years are written.
- Mistakes at `error_rate` (from their own random streams, so clean values do not move):
  station-hours with no value (empty cells, incl. outages that leave some station-days with
  19 or fewer valid hours: realistic, not a contract violation, tallied in other_counts);
  and, each quarantined: negative, impossible (above the contract maximum) and non-numeric
  cells, an unknown station column, an hour block dated outside its day, an hour block
  repeated; one duplicate delivery and one corrected re-delivery (xlsx, title row, the
  hour 23 the first file lacked, some PM2.5 values changed) per year.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    GenerationSummary,
    check_arguments,
    rng_for,
    write_csv,
)
from sample_data.delivery import deliver_again
from sample_data.excel_layouts import write_table_xlsx

FEED_DIR = "air_quality_hourly"
REALDATA = Path(__file__).parent / "realdata"
REAL_YEARS = (2014, 2015, 2016)
TYPES = (
    "AQI",
    "PM2.5",
    "PM2.5_24h",
    "PM10",
    "PM10_24h",
    "SO2",
    "SO2_24h",
    "NO2",
    "NO2_24h",
    "O3",
    "O3_24h",
    "O3_8h",
    "O3_8h_24h",
    "CO",
    "CO_24h",
)
MEASURED = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")
ERROR_KINDS = (
    "negative_value",
    "impossible_value",
    "non_numeric_value",
    "unknown_station",
    "date_outside_slot",
    "duplicate_hour",
)
OTHER_KINDS = ("missing_station_hours", "duplicate_deliveries", "redeliveries")
UNKNOWN_STATION = "1099A"
# HJ 633-2012 table 1, 1-h breakpoints (SO2/NO2/CO/O3) and 24-h ones (PM): the release's AQI
IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS = {
    "SO2": (0, 150, 500, 650, 800),
    "NO2": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "CO": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500),
    "PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
}
HEADER_SPELLINGS = (("date", "hour", "type"), ("日期", "小时", "类型"))
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")


def station_codes(scale: float) -> list[str]:
    """The stations written at `scale` (module docstring)."""
    codes = [row["station_code"] for row in load_seed("ref_air_stations")]
    count = max(1, round(4 * scale)) + (2 if scale >= 1 else 0)
    return codes[: min(count, len(codes))]


@cache
def _real_baseline(year: int) -> tuple[float, ...]:
    with (REALDATA / f"langfang_pm25_daily_{year}_SpTe2M.csv").open(encoding="utf-8") as f:
        return tuple(float(row["PM2.5"]) for row in csv.DictReader(f))


def _heating(day: dt.date) -> bool:
    return (day.month, day.day) >= (11, 15) or (day.month, day.day) <= (3, 15)


def daily_baseline(year: int, seed: int) -> list[float]:
    """City daily PM2.5 (µg/m³) of every day of `year`: real for 2014–2016, else synthetic."""
    days = _days(year)
    if year in REAL_YEARS:
        real = _real_baseline(year)
        return [real[min(i, len(real) - 1)] for i in range(len(days))]
    rng = rng_for(seed, FEED_DIR, "baseline", year)
    level = 1.0
    out = []
    for day in days:
        level = 0.7 * level + 0.3 * rng.lognormvariate(0, 0.45)  # multi-day episodes
        out.append((95.0 if _heating(day) else 55.0) * level)
    return out


def _days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


def _iaqi(kind: str, value: float) -> int | None:
    points = BREAKPOINTS[kind]
    for i in range(1, len(points)):
        if value <= points[i]:
            lo, hi = points[i - 1], points[i]
            return math.ceil((IAQI[i] - IAQI[i - 1]) * (value - lo) / (hi - lo) + IAQI[i - 1])
    return None  # beyond the table (e.g. SO2 1-h above 800): not in the hourly AQI


def _station_year(year: int, seed: int, code: str, base: list[float]) -> list[dict[str, float]]:
    """Every hour of the year at one station: the measured pollutants."""
    rng = rng_for(seed, FEED_DIR, "values", year, code)
    bias = rng.uniform(0.93, 1.07)
    hours: list[dict[str, float]] = []
    for day_index, level in enumerate(base):
        day = dt.date(year, 1, 1) + dt.timedelta(days=day_index)
        target = level * bias * rng.lognormvariate(0, 0.12)
        shape = [
            (1 + 0.3 * math.cos(2 * math.pi * (h - 22) / 24)) * rng.lognormvariate(0, 0.12)
            for h in range(24)
        ]
        norm = 24 / sum(shape)
        doy = day.timetuple().tm_yday
        summer = math.sin(math.pi * (doy - 80) / 200) if 80 < doy < 280 else 0.0
        heating = 1.6 if _heating(day) else 1.0
        for h in range(24):
            pm25 = max(1.0, target * shape[h] * norm)
            sun = max(0.0, math.sin(math.pi * (h - 7) / 13)) if 7 <= h <= 20 else 0.0
            hours.append(
                {
                    "PM2.5": round(pm25),
                    "PM10": round(pm25 * rng.uniform(1.4, 1.9)),
                    "SO2": round((6 + 0.12 * pm25) * heating * rng.uniform(0.8, 1.2)),
                    "NO2": round((18 + 0.22 * pm25) * (1.2 - 0.4 * sun) * rng.uniform(0.85, 1.15)),
                    "O3": round(
                        (20 + 130 * summer)
                        * (0.25 + 1.1 * sun)
                        * rng.uniform(0.8, 1.2)
                        / (1 + pm25 / 300)
                    ),
                    "CO": round((0.4 + 0.014 * pm25) * rng.uniform(0.85, 1.15), 3),
                }
            )
    return hours


def _with_derived(hours: list[dict[str, float]]) -> list[dict[str, object]]:
    """The release's derived lines: 24-h moving means, O3 8-h means and maxima, hourly AQI."""
    out: list[dict[str, object]] = []
    for i, hour in enumerate(hours):
        last24 = hours[max(0, i - 23) : i + 1]
        row: dict[str, object] = dict(hour)
        for kind in ("PM2.5", "PM10", "SO2", "NO2", "CO"):
            mean = sum(h[kind] for h in last24) / len(last24)
            row[f"{kind}_24h"] = round(mean, 3) if kind == "CO" else round(mean)
        o3_8h = [
            sum(h["O3"] for h in hours[max(0, j - 7) : j + 1]) / len(hours[max(0, j - 7) : j + 1])
            for j in range(max(0, i - 23), i + 1)
        ]
        row["O3_8h"] = round(o3_8h[-1])
        row["O3_24h"] = max(h["O3"] for h in last24)
        row["O3_8h_24h"] = round(max(o3_8h))
        subs = [
            _iaqi("SO2", hour["SO2"]),
            _iaqi("NO2", hour["NO2"]),
            _iaqi("CO", hour["CO"]),
            _iaqi("O3", hour["O3"]),
            _iaqi("PM2.5_24h", float(row["PM2.5_24h"])),  # type: ignore[arg-type]
            _iaqi("PM10_24h", float(row["PM10_24h"])),  # type: ignore[arg-type]
        ]
        row["AQI"] = max(s for s in subs if s is not None)
        out.append(row)
    return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class _Day:
    """One day's release being written: hour blocks of lines, station columns."""

    def __init__(self, day: dt.date, codes: list[str]) -> None:
        self.day = day
        self.codes = list(codes)
        self.blocks: list[tuple[str, int, list[dict[str, object] | None]]] = []

    def lines(self) -> list[list[str]]:
        rows = []
        for date_text, hour, cells in self.blocks:
            for kind in TYPES:
                values = [None if c is None else c.get(kind) for c in cells]
                rows.append([date_text, str(hour), kind, *(_cell(v) for v in values)])
        return rows

    @property
    def records(self) -> int:
        return len(self.codes) * len(self.blocks)


def _errors_for_day(
    rng: random.Random,
    day: _Day,
    error_rate: float,
    out: Deliveries,
) -> None:
    """Exactly one violation in a share `error_rate` of the day's filled station-hours."""
    for _, _, cells in day.blocks:
        for s, cell in enumerate(cells):
            if cell is None or rng.random() >= error_rate:
                continue
            kind = rng.choice(ERROR_KINDS[:3])
            pollutant = rng.choice(MEASURED)
            bad = dict(cell)
            bad[pollutant] = {
                "negative_value": -abs(float(cell[pollutant]) or 1.0),  # type: ignore[arg-type]
                "impossible_value": 9999.0 if pollutant != "CO" else 999.0,
                "non_numeric_value": "仪器故障",
            }[kind]
            cells[s] = bad
            out.errors[kind] += 1


def _write(path: Path, header: Sequence[str], rows: list[list[str]], encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, header, rows, encoding)


def generate_air_quality_hourly(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    check_arguments(scale, error_rate)
    codes = station_codes(scale)
    out = Deliveries(ERROR_KINDS, OTHER_KINDS)
    root = Path(out_dir) / FEED_DIR
    for year in sorted(set(years)):
        base = daily_baseline(year, seed)
        series = {code: _with_derived(_station_year(year, seed, code, base)) for code in codes}
        gaps = rng_for(seed, FEED_DIR, "gaps", year)
        errors = rng_for(seed, FEED_DIR, "errors", year)
        days = _days(year)
        # special days of the year, drawn from their own stream
        special = rng_for(seed, FEED_DIR, "special", year)
        drawn = special.sample(range(10, len(days) - 10), 5)
        corrected_day, duplicate_day = drawn[:2]
        block_days = drawn[2:] if error_rate > 0 else []
        for index, day in enumerate(days):
            release = _Day(day, codes)
            date_text = day.strftime("%Y%m%d")
            outage = {}
            for code in codes:  # an outage now and then: a run of hours without values
                if error_rate and gaps.random() < error_rate * 2:
                    start = gaps.randrange(24)
                    outage[code] = range(start, start + gaps.randint(3, 8))
            for hour in range(24):
                cells: list[dict[str, object] | None] = []
                for code in codes:
                    missing = hour in outage.get(code, ()) or (
                        error_rate and gaps.random() < error_rate / 2
                    )
                    cells.append(None if missing else series[code][index * 24 + hour])
                    out.other["missing_station_hours"] += bool(missing)
                release.blocks.append((date_text, hour, cells))
            if index not in drawn:  # a special day carries its one kind of mistake only
                _errors_for_day(errors, release, error_rate, out)
            if block_days and index == block_days[0]:  # an unknown station's column
                release.codes.append(UNKNOWN_STATION)
                for _, _, cells in release.blocks:
                    cells.append(series[codes[0]][index * 24])
                out.errors["unknown_station"] += 24
            if block_days and index == block_days[1]:  # hour 12 dated the next day
                date_next = (day + dt.timedelta(days=1)).strftime("%Y%m%d")
                _, hour, cells = release.blocks[12]
                release.blocks[12] = (date_next, hour, cells)
                out.errors["date_outside_slot"] += len(release.codes)
            if block_days and index == block_days[2]:  # hour 5 sent twice
                release.blocks.insert(6, release.blocks[5])
                out.errors["duplicate_hour"] += len(release.codes)
            corrected = None
            if index == corrected_day:  # the first release lacks hour 23: corrected later
                corrected = list(release.blocks)
                release.blocks = release.blocks[:23]
            header_names = HEADER_SPELLINGS[1 if day.month == 6 else 0]
            header = [*header_names, *release.codes]
            folder = root / day.isoformat()
            path = folder / f"站点_{date_text}.csv"
            _write(path, header, release.lines(), ENCODINGS[day.month % 3])
            received = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 40))
            out.add(path, release.records, received)
            if index == duplicate_day:
                copy = folder / f"站点_{date_text}(1).csv"
                deliver_again(out, path, copy, received + dt.timedelta(hours=5))
                out.other["duplicate_deliveries"] += 1
            if corrected is not None:
                release.blocks = _corrections(corrected)
                fixed = folder / f"站点_{date_text}_更正.xlsx"
                title = f"廊坊市空气质量小时数据（更正） {day.isoformat()}"
                write_table_xlsx(fixed, "站点", title, [(h, None) for h in header], release.lines())
                out.add(fixed, release.records, received + dt.timedelta(days=3))
                out.other["redeliveries"] += 1
    return out.summary()


def _corrections(blocks: list[tuple[str, int, list[dict[str, object] | None]]]) -> list:
    """The corrected day: every hour, PM2.5 of hours 0–2 of the first station raised by 5."""
    fixed = []
    for date_text, hour, cells in blocks:
        cells = list(cells)
        if hour < 3 and cells and cells[0] is not None and isinstance(cells[0]["PM2.5"], int):
            cells[0] = {**cells[0], "PM2.5": cells[0]["PM2.5"] + 5}
        fixed.append((date_text, hour, cells))
    return fixed
