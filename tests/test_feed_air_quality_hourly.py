"""Station-hourly air quality (空气质量小时数据) on hand-made wide releases through the real
loader and dbt: the contract's `matrix:` reshaping into station-hour records (rows read,
quarantine by file cell, reconciliation), encodings and xlsx, corrected re-deliveries, HJ 663
validity and HJ 633 AQI against an independent Python calculation, the GX suite, the shared
pipeline and the generator."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from orchestration.ingest.contract import ContractError, load_contract, parse_contract
from orchestration.ingest.loader import ingest_landed
from orchestration.ingest.matrix import reshape_matrix
from orchestration.ingest.readers import SourceRow, SourceTable
from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.settings import EXPECTATIONS_DIR, FEEDS_DIR
from sample_data.air_quality_hourly import generate_air_quality_hourly
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse, assert_gx_check_passed

FEED = "air_quality_hourly"
CITY = "131000"
STAGED = "staging.stg_raw__air_quality_hourly"
SUITE = EXPECTATIONS_DIR / "stg_raw__air_quality_hourly.json"
CONTRACT = yaml.safe_load((FEEDS_DIR / f"{FEED}.yaml").read_text(encoding="utf-8"))
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")
FIELD = {"PM2.5": "pm25", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "CO": "co", "O3": "o3"}

# ---------------------------------------------------------------- independent HJ 663 / 633

# HJ 633-2012 表1, written out again here (not read from the seed under test)
IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS = {
    "pm25": (0, 35, 75, 115, 150, 250, 350, 500),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "so2": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "no2": (0, 40, 80, 180, 280, 565, 750, 940),
    "co": (0, 2, 4, 14, 24, 36, 48, 60),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
}


def iaqi(kind: str, value: float | None) -> int | None:
    if value is None:
        return None
    points = BREAKPOINTS[kind]
    for i in range(1, len(points)):
        if value <= points[i]:
            lo, hi = points[i - 1], points[i]
            return math.ceil(
                round((IAQI[i] - IAQI[i - 1]) * (value - lo) / (hi - lo) + IAQI[i - 1], 9)
            )
    return None if kind == "o3_8h" else 500


def station_day(hours: dict[int, dict[str, float | None]]) -> dict[str, object]:
    """HJ 663 daily values and HJ 633 AQI of one station-day from its valid station-hours."""
    day: dict[str, object] = {}
    for name in ("pm25", "pm10", "so2", "no2", "co"):
        values = [h[name] for h in hours.values() if h.get(name) is not None]
        day[name] = sum(values) / len(values) if len(values) >= 20 else None  # type: ignore[arg-type]
    windows = []
    for end in range(7, 24):
        values = [
            hours[h]["o3"]
            for h in range(end - 7, end + 1)
            if hours.get(h, {}).get("o3") is not None
        ]
        if len(values) >= 6:
            windows.append(sum(values) / len(values))  # type: ignore[arg-type]
    day["o3_8h_max"] = max(windows) if len(windows) >= 14 else None
    o3 = [h["o3"] for h in hours.values() if h.get("o3") is not None]
    day["o3_1h_max"] = max(o3) if o3 and day["o3_8h_max"] is not None else None  # type: ignore[type-var]
    subs = [iaqi(n, day[n]) for n in ("pm25", "pm10", "so2", "no2", "co")]  # type: ignore[arg-type]
    o3_8h, o3_1h = iaqi("o3_8h", day["o3_8h_max"]), iaqi("o3_1h", day["o3_1h_max"])  # type: ignore[arg-type]
    if any(day[n] is None for n in ("pm25", "pm10", "so2", "no2", "co", "o3_8h_max")):
        day["aqi"] = None
    else:
        day["aqi"] = max(s for s in [*subs, o3_8h, o3_1h] if s is not None)
    day["iaqi_pm25"] = subs[0]
    return day


# ----------------------------------------------------------------- hand-made wide releases


def release(
    day: str, stations: Sequence[str], cell, hours: Iterable[int] = range(24)
) -> list[list[object]]:
    """Lines date | hour | type | one value per station; cell(station, hour, type) → value."""
    return [
        [day, hour, kind, *(cell(s, hour, kind) for s in stations)]
        for hour in hours
        for kind in POLLUTANTS
    ]


CLEAN = {"PM2.5": 75, "PM10": 40, "SO2": 10, "NO2": 30, "CO": 1.0, "O3": 60}


def day_a(station: str, hour: int, kind: str) -> object:
    """2015-01-01: 1067A PM2.5 75 (one bad PM10 at hour 3); 1068A PM2.5 only 19 hours and two
    bad cells; 1099A is no station of the seed."""
    if station == "1067A" and hour == 3 and kind == "PM10":
        return -5
    if station == "1068A":
        if kind == "PM2.5" and hour >= 19:
            return ""
        if hour == 0 and kind == "SO2":
            return "abc"
        if hour == 1 and kind == "CO":
            return 999
    return CLEAN[kind]


def day_b(station: str, hour: int, kind: str) -> object:
    return 75.1 if kind == "PM2.5" else CLEAN[kind]


def day_c(station: str, hour: int, kind: str) -> object:
    return {"PM2.5": 20 + hour, "O3": 100 + 5 * hour}.get(kind, CLEAN[kind])


def day_c_fixed(station: str, hour: int, kind: str) -> object:
    return 40 if kind == "PM2.5" else day_c(station, hour, kind)


HEADER = ["date", "hour", "type"]
A_LINES = release("20150101", ["1067A", "1068A", "1099A"], day_a)
# 2015-01-02: Chinese headers, UTF-8 with BOM; hour 5 sent twice, one hour dated the 3rd
B_LINES = [
    *release("20150102", ["1067A"], day_b),
    *release("20150102", ["1067A"], day_b, [5]),
    *release("20150103", ["1067A"], day_b, [6]),
]
C_LINES = release("20150103", ["1067A"], day_c, range(23))  # hour 23 missing: corrected later
C_FIXED = release("20150103", ["1067A"], day_c_fixed)
D_LINES = release("20150104", ["1067A"], day_c, range(23))  # same values as C, in xlsx
E_LINES = release("20150105", ["1067A"], day_c, range(23))  # same, GB18030

DELIVERIES = [
    ("2015-01-01", "站点_20150101.csv", [*HEADER, "1067A", "1068A", "1099A"], A_LINES, "utf-8"),
    ("2015-01-02", "站点_20150102.csv", ["日期", "小时", "类型", "1067A"], B_LINES, "utf-8-sig"),
    ("2015-01-03", "站点_20150103.csv", [*HEADER, "1067A"], C_LINES, "utf-8"),
    ("2015-01-04", "站点_20150104.xlsx", [*HEADER, "1067A"], D_LINES, None),
    ("2015-01-05", "站点_20150105.csv", [*HEADER, "1067A"], E_LINES, "gb18030"),
]
CORRECTION = ("2015-01-03", "站点_20150103_更正.csv", [*HEADER, "1067A"], C_FIXED, "utf-8")


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    warehouse = FeedWarehouse(tmp_path_factory.mktemp("air_hourly"))
    for n, (slot, name, header, lines, encoding) in enumerate(DELIVERIES):
        warehouse.deliver(
            FEED,
            slot,
            name,
            header,
            lines,
            encoding=encoding or "utf-8",
            received=datetime(2015, 1, 6 + n, 1, 0),
            title="廊坊市空气质量小时数据" if name.endswith(".xlsx") else None,
        )
    warehouse.ingest(FEED)
    slot, name, header, lines, encoding = CORRECTION
    warehouse.deliver(
        FEED, slot, name, header, lines, encoding=encoding, received=datetime(2015, 1, 20)
    )
    warehouse.ingest(FEED)
    warehouse.build(
        "fct_air_quality_daily",
        "fct_air_quality_annual",
        "int_air_quality__city_daily_from_stations",
        "int_kpi_lineage__air_quality",
    )
    return warehouse


# ------------------------------------------------------------------ reshaping and quarantine


def test_reshaping_counts_station_hours_and_names_the_source_cells() -> None:
    contract = load_contract(FEED)
    lines = [
        SourceRow(2, ("20150101", "0", "PM2.5", "12", "")),
        SourceRow(3, ("20150101", "0", "PM10", "20", "7")),
        SourceRow(4, ("20150101", "1", "PM2.5", "", "")),
        SourceRow(5, ("20150101", "1", "PM1", "9", "9")),  # no contract column: not read
    ]
    wide = SourceTable(("date", "hour", "type", "1067A", "1068A"), 1, None, "utf-8", tuple(lines))
    flat = reshape_matrix(contract, wide)
    assert len(flat.rows) == 2 * 2  # 2 hours × 2 station columns, empty ones included
    assert [r.row_number for r in flat.rows] == [2, 2, 4, 4]
    first = dict(zip(flat.headers, flat.rows[0].values, strict=True))
    assert (first["日期"], first["小时"], first["站点编码"]) == ("20150101", "0", "1067A")
    assert (first["PM2.5"], first["PM10"], first["SO2"]) == ("12", "20", None)
    cells = dict(zip(flat.headers, flat.rows[1].cells or (), strict=True))
    assert (cells["站点编码"], cells["PM2.5"], cells["PM10"], cells["SO2"]) == (
        "E1",
        "E2",
        "E3",
        None,
    )


def test_a_matrix_block_naming_unknown_columns_is_refused() -> None:
    raw = {**CONTRACT, "matrix": {**CONTRACT["matrix"], "values": ["pm25", "pm1"]}}
    with pytest.raises(ContractError, match="pm1"):
        parse_contract(raw)


def test_other_feeds_have_no_matrix() -> None:
    from orchestration.ingest.contract import feed_names

    assert [f for f in feed_names() if load_contract(f).matrix is not None] == [FEED]


def _files(wh: FeedWarehouse) -> dict[str, tuple]:
    rows = wh.query(
        "select source_file, status, rows_read, rows_loaded, rows_quarantined, sha256 "
        "from raw.ingested_files where feed = ?",
        [FEED],
    )
    return {r[0].split("/")[-1]: r[1:] for r in rows}


def test_every_file_reconciles_station_hours(wh: FeedWarehouse) -> None:
    files = _files(wh)
    # rows read = station columns × distinct (date, hour) blocks, repeated blocks included
    expected_read = {
        "站点_20150101.csv": 3 * 24,
        "站点_20150102.csv": 24 + 1 + 1,
        "站点_20150103.csv": 23,
        "站点_20150104.xlsx": 23,
        "站点_20150105.csv": 23,
        "站点_20150103_更正.csv": 24,
    }
    assert {name: f[1] for name, f in files.items()} == expected_read
    for name, (status, read, loaded, quarantined, sha) in files.items():
        assert status == "loaded", name
        in_table = wh.query(f"select count(*) from raw.{FEED} where _source_sha256 = ?", [sha])
        in_quarantine = wh.query(
            "select count(*) from raw.quarantine where source_sha256 = ?", [sha]
        )
        assert read == loaded + quarantined == in_table[0][0] + in_quarantine[0][0], name
    assert files["站点_20150101.csv"][3] == 24 + 3  # the unknown station's hours and 3 bad cells
    assert files["站点_20150102.csv"][3] == 2


def test_quarantine_reasons_name_the_file_cell_and_pollutant(wh: FeedWarehouse) -> None:
    reasons = Counter(
        reason
        for (reason,) in wh.query(
            "select reason from raw.quarantine where feed = ? order by source_row", [FEED]
        )
    )
    # 站点_20150101.csv: lines start at row 2, 6 lines an hour (PM2.5, PM10, SO2, NO2, CO, O3)
    assert reasons["D21: PM10: '-5' is below the minimum 0"] == 1  # hour 3, PM10
    assert reasons["E4: SO2: 'abc' is not a number"] == 1  # 1068A, hour 0, SO2
    assert reasons["E12: CO: '999' is above the maximum 150"] == 1  # 1068A, hour 1, CO
    assert reasons["F1: 站点编码: unknown air station '1099A'"] == 24
    # 站点_20150102.csv: 24 hours (rows 2–145), hour 5 again (146–151), hour 6 dated the 3rd
    assert (
        reasons["A152: 日期 2015-01-03 is outside the delivery period 2015-01-02 of its folder"]
        == 1
    )
    assert (
        reasons["row 146: duplicate 日期/小时/站点编码 2015-01-02/5/1067A (first at row 32)"] == 1
    )
    assert sum(reasons.values()) == 24 + 3 + 2


def test_source_row_is_the_first_line_of_the_hour(wh: FeedWarehouse) -> None:
    rows = wh.query(
        f"select obs_hour, min(_source_row), max(_source_row) from raw.{FEED} "
        "where obs_date = '2015-01-01' group by obs_hour order by obs_hour"
    )
    assert [(h, lo) for h, lo, _ in rows] == [(h, 2 + 6 * h) for h in range(24)]
    assert all(lo == hi for _, lo, hi in rows)


def test_encodings_and_xlsx_load_the_same_records(wh: FeedWarehouse) -> None:
    def day(date: str) -> list[tuple]:
        return wh.query(
            f"select obs_hour, pm25, pm10, so2, no2, co, o3 from raw.{FEED} "
            "where obs_date = ? order by obs_hour",
            [date],
        )

    utf8 = wh.query(
        f"select obs_hour, pm25, pm10, so2, no2, co, o3 from raw.{FEED} "
        "where obs_date = '2015-01-03' and _source_file not like '%更正%' order by obs_hour"
    )
    assert len(utf8) == 23
    assert day("2015-01-04") == utf8  # xlsx with a title row
    assert day("2015-01-05") == utf8  # GB18030
    assert len(day("2015-01-02")) == 24  # UTF-8 BOM, Chinese headers
    original = wh.query(
        f"select distinct station_code_original from raw.{FEED} where obs_date = '2015-01-02'"
    )
    assert original == [("1067A",)]


def test_a_corrected_redelivery_replaces_exactly_its_day(wh: FeedWarehouse) -> None:
    current = wh.query(
        "select obs_date, count(*), avg(pm25) from intermediate.int_air_quality_hourly__current "
        "group by obs_date order by obs_date"
    )
    by_day = {d.isoformat(): (n, pm25) for d, n, pm25 in current}
    assert by_day["2015-01-03"] == (24, 40.0)
    assert by_day["2015-01-04"][0] == 23  # the other days untouched
    staged = wh.query(f"select count(*) from {STAGED} where obs_date = '2015-01-03'")
    assert staged == [(23 + 24,)]  # the replaced rows stay in staging


# ------------------------------------------------------------- HJ 663 / HJ 633 on the fixture


def _fixture_hours() -> dict[tuple[str, str], dict[int, dict[str, float | None]]]:
    """Valid station-hours of the current fixture deliveries, computed from the lines."""
    out: dict[tuple[str, str], dict[int, dict[str, float | None]]] = defaultdict(dict)
    current = [d for d in DELIVERIES if d[0] != CORRECTION[0]] + [CORRECTION]
    for slot, _, header, lines, _ in current:
        seen: set[tuple[str, int, str]] = set()
        records: dict[tuple[str, int, str, int], dict[str, object]] = defaultdict(dict)
        block = Counter()
        for line in lines:
            date, hour, kind, *values = line
            block_key = (str(date), int(hour))
            if kind == "PM2.5":
                block[block_key] += 1
            for station, value in zip(header[3:], values, strict=True):
                records[(str(date), int(hour), station, block[block_key])][FIELD[kind]] = value
        for (date, hour, station, copy), values in records.items():
            iso = f"{date[:4]}-{date[4:6]}-{date[6:]}"
            if iso != slot or station == "1099A" or copy > 1 or (station, hour, iso) in seen:
                continue
            seen.add((station, hour, iso))
            parsed: dict[str, float | None] = {}
            ok = True
            for name, value in values.items():
                if value in ("", None):
                    parsed[name] = None
                    continue
                try:
                    number = float(value)  # type: ignore[arg-type]
                except ValueError:
                    ok = False
                    break
                limit = 150 if name == "co" else 1500
                ok = ok and 0 <= number <= limit
                parsed[name] = number
            if ok:
                out[(station, iso)][hour] = parsed
    return out


def test_station_daily_equals_hj663_and_hj633_in_python(wh: FeedWarehouse) -> None:
    got = {
        (s, d.isoformat()): (pm25, hours, aqi, good)
        for s, d, pm25, hours, aqi, good in wh.query(
            "select station_code, obs_date, pm25, pm25_valid_hours, aqi, is_good_day "
            "from intermediate.int_air_quality__station_daily"
        )
    }
    expected = {}
    for key, hours in _fixture_hours().items():
        day = station_day(hours)
        valid = sum(1 for h in hours.values() if h.get("pm25") is not None)
        good = None if day["aqi"] is None else day["aqi"] <= 100
        expected[key] = (day["pm25"], valid, day["aqi"], good)
    assert set(got) == set(expected)
    for key, (pm25, hours, aqi, good) in expected.items():
        assert got[key][1:] == (hours, aqi, good), key
        assert got[key][0] == pytest.approx(pm25), key
    # the edge cases themselves
    assert got[("1068A", "2015-01-01")][:3] == (None, 17, None)  # 19 hours, 2 quarantined
    assert got[("1067A", "2015-01-01")][2] == 100  # PM2.5 75: IAQI 100, still 良
    assert got[("1067A", "2015-01-02")][2] == 101  # PM2.5 75.1: 101


def test_city_daily_interface_columns_and_values(wh: FeedWarehouse) -> None:
    records = wh.records(
        "select * from intermediate.int_air_quality__city_daily_from_stations order by obs_date"
    )
    assert list(records[0]) == [
        "obs_date",
        "pm25",
        "aqi",
        "is_good_day",
        "stations_valid",
        "source_rows",
    ]
    types = dict(
        wh.query(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'int_air_quality__city_daily_from_stations'"
        )
    )
    assert types == {
        "obs_date": "DATE",
        "pm25": "DOUBLE",
        "aqi": "INTEGER",
        "is_good_day": "BOOLEAN",
        "stations_valid": "INTEGER",
        "source_rows": "BIGINT",
    }
    first = records[0]
    # 1067A valid (75), 1068A not: the city is 1067A's mean, from one station
    assert (first["pm25"], first["aqi"], first["is_good_day"], first["stations_valid"]) == (
        75.0,
        100,
        True,
        1,
    )
    assert first["source_rows"] == 23 + 22  # current station-hours of the city stations
    county = wh.query(
        "select pm25, aqi from intermediate.int_air_quality__area_daily "
        "where scope_type = 'county' and scope_code = 'LFKFQ' and obs_date = '2015-01-01'"
    )
    assert county == [(None, None)]  # 1068A is the zone's only station and has no valid day


def test_lineage_lists_exactly_the_station_hours_of_a_value(wh: FeedWarehouse) -> None:
    """The auditor's query: the 2015 PM2.5 annual mean (no published city value in this
    fixture, so every day is from the stations) lists the current station-hours of the city
    stations, by file, row (the first line of the hour's block: row 2 + 6 × hour in CSV, 3 +
    6 × hour below the xlsx title) and station (source_part): 1 January 1067A without its
    quarantined hour 3 and 1068A without hours 0 and 1 (its day has no valid PM2.5, but its
    hours are the day's source rows), never the unknown 1099A; 2 January once per hour (the
    repeated hour 5 and the hour dated the 3rd were quarantined); 3 January only from the
    correction; 4 and 5 January hours 0–22."""
    got = wh.query(
        "select f.source_file, l.source_row, l.source_part "
        "from intermediate.int_kpi_lineage__air_quality as l "
        "inner join raw.ingested_files as f on f.sha256 = l.source_sha256 "
        "where l.kpi_code = 'AIR_PM25_ANNUAL_MEAN' and l.kpi_year = 2015 "
        "and l.scope_type = 'city' and l.scope_code = ? and l.feed = ?",
        [CITY, FEED],
    )
    expected = {("站点_20150101.csv", 2 + 6 * h, "1067A") for h in range(24) if h != 3}
    expected |= {("站点_20150101.csv", 2 + 6 * h, "1068A") for h in range(2, 24)}
    expected |= {("站点_20150102.csv", 2 + 6 * h, "1067A") for h in range(24)}
    expected |= {("站点_20150103_更正.csv", 2 + 6 * h, "1067A") for h in range(24)}
    expected |= {("站点_20150104.xlsx", 3 + 6 * h, "1067A") for h in range(23)}
    expected |= {("站点_20150105.csv", 2 + 6 * h, "1067A") for h in range(23)}
    assert sorted((Path(n).name, row, part) for n, row, part in got) == sorted(expected)
    # 双控 is judged on that annual mean: the same rows
    dual = wh.query(
        "select count(*) from intermediate.int_kpi_lineage__air_quality "
        "where kpi_code = 'AIR_DUAL_CONTROL_TARGET' and kpi_year = 2015"
    )
    assert dual == [(len(expected),)]


def test_annual_marks_an_incomplete_year_invalid_with_a_note(wh: FeedWarehouse) -> None:
    [(mean, days, valid, good, ratio, change, note)] = wh.query(
        "select pm25_annual_mean, pm25_valid_days, pm25_is_valid, good_days, good_day_ratio, "
        "pm25_change_pct, note from marts.fct_air_quality_annual "
        "where scope_type = 'city' and obs_year = 2015"
    )
    daily = [station_day(h) for (s, _), h in _fixture_hours().items() if s in ("1067A", "1068A")]
    city_days = wh.query(
        "select pm25, is_good_day from intermediate.int_air_quality__city_daily_from_stations"
    )
    assert days == sum(1 for p, _ in city_days if p is not None) == 5
    assert mean == pytest.approx(sum(p for p, _ in city_days if p is not None) / days)
    assert valid is False and change is None
    assert good == sum(1 for d in daily if d["aqi"] is not None and d["aqi"] <= 100)
    assert ratio == pytest.approx(100.0 * good / sum(1 for _, g in city_days if g is not None))
    assert "HJ 663" in note and "上年" in note


# ------------------------------------------------------------------------------ the GX suite


def test_gx_suite_passes_on_the_fixture_and_on_an_empty_table(wh: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(wh.warehouse, STAGED, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == wh.query(f"select count(*) from {STAGED}")[0][0] > 0
    empty = read_duckdb_table(wh.warehouse, STAGED).iloc[0:0]
    assert validate_dataframe(empty, SUITE).success


def test_gx_suite_fails_naming_the_bad_rows(wh: FeedWarehouse) -> None:
    frame = read_duckdb_table(wh.warehouse, STAGED).sort_values(
        ["source_file", "source_row"], kind="stable"
    )
    frame = frame.reset_index(drop=True)
    bad = frame.copy()
    bad.loc[0, "station_code"] = "9999A"
    bad.loc[1, "obs_hour"] = 24
    bad.loc[2, "pm25"] = -1.0
    outcome = validate_dataframe(bad, SUITE)
    failures = {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}
    assert set(failures) == {
        ("expect_column_values_to_be_in_set", "station_code"),
        ("expect_column_values_to_be_between", "obs_hour"),
        ("expect_column_values_to_be_between", "pm25"),
    }
    assert any(
        "9999A" in s
        for s in failures[("expect_column_values_to_be_in_set", "station_code")].sample_unexpected
    )
    duplicated = validate_dataframe(frame.iloc[[0, 0, 1]], SUITE)
    [unique] = duplicated.failed_outcomes
    assert unique.expectation_type == "expect_compound_columns_to_be_unique"


# ---------------------------------------------------------------------- the shared pipeline


def _query(pipeline: Pipeline, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def read_lines(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and lines of a generated release (CSV in any encoding, or xlsx with a title)."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        rows = [
            ["" if v is None else str(v) for v in r]
            for r in book.active.iter_rows(values_only=True)
        ]
        book.close()
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    start = next(i for i, r in enumerate(rows) if r and r[0] in ("date", "日期"))
    return rows[start], [r for r in rows[start + 1 :] if any(r)]


def file_records(path: Path) -> int:
    """Station-hour records of a release, counted from its lines."""
    header, lines = read_lines(path)
    blocks = 0
    open_blocks: dict[tuple[str, str], set[str]] = {}
    for date, hour, kind, *_ in lines:
        key = (date, hour)
        if key not in open_blocks or kind in open_blocks[key]:
            open_blocks[key] = set()
            blocks += 1
        open_blocks[key].add(kind)
    return blocks * (len(header) - 3)


def test_pipeline_files_reconcile(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    files = _query(
        pipeline,
        "select source_file, status, rows_read, rows_loaded, rows_quarantined, "
        f"(select count(*) from raw.{FEED} t where t._source_sha256 = f.sha256), "
        "(select count(*) from raw.quarantine q where q.source_sha256 = f.sha256) "
        "from raw.ingested_files f where f.feed = ?",
        [FEED],
    )
    repeated = _query(
        pipeline, "select source_file from raw.repeated_deliveries where feed = ?", [FEED]
    )
    assert len(files) + len(repeated) == len(summary.files)
    assert len(repeated) == summary.other_counts["duplicate_deliveries"] == 2
    for source_file, status, read, loaded, quarantined, in_table, in_quarantine in files:
        path = pipeline.raw_dir / source_file
        assert status == "loaded", source_file
        assert read == file_records(path) == summary.rows_per_file[path], source_file
        assert read == loaded + quarantined, source_file
        assert (loaded, quarantined) == (in_table, in_quarantine), source_file


ERROR_SIGNS = {
    "negative_value": "is below the minimum",
    "impossible_value": "is above the maximum",
    "non_numeric_value": "not a number",
    "unknown_station": "unknown air station",
    "date_outside_slot": "is outside the delivery period",
    "duplicate_hour": "duplicate 日期/小时/站点编码",
}


def test_pipeline_quarantines_every_injected_mistake(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    reasons = [
        r for (r,) in _query(pipeline, "select reason from raw.quarantine where feed = ?", [FEED])
    ]
    kinds: Counter[str] = Counter()
    for reason in reasons:
        [kind] = [k for k, sign in ERROR_SIGNS.items() if sign in reason]
        assert ";" not in reason, reason
        kinds[kind] += 1
    assert kinds == {k: n for k, n in summary.injected_errors.items() if n}
    assert summary.other_counts["missing_station_hours"] > 0  # empty cells: not quarantined


def test_pipeline_gx_check_passed(pipeline: Pipeline) -> None:
    assert_gx_check_passed(pipeline.result, pipeline.warehouse, "stg_raw__air_quality_hourly")


def _current_files(files: Iterable[Path]) -> list[Path]:
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        by_folder[path.parent].append(path)
    return [max(paths, key=lambda p: p.stat().st_mtime) for paths in by_folder.values()]


def _station_hours(path: Path, station: str) -> dict[int, dict[str, float | None]]:
    """Valid hours of `station` in a release: records with a bad cell, a repeated block or a
    date outside the day are left out, as the contract says."""
    header, lines = read_lines(path)
    day = path.parent.name.replace("-", "")
    column = header.index(station)
    limits = {c["name"]: c.get("max") for c in CONTRACT["columns"]}
    label_to_name = {c["label"]: c["name"] for c in CONTRACT["columns"]}
    blocks: list[tuple[str, int, dict[str, str]]] = []
    open_blocks: dict[tuple[str, str], dict[str, str]] = {}
    for line in lines:
        key = (line[0], line[1])
        block = open_blocks.get(key)
        if block is None or line[2] in block:
            block = {}
            open_blocks[key] = block
            blocks.append((line[0], int(float(line[1])), block))
        block[line[2]] = line[column] if column < len(line) else ""
    hours: dict[int, dict[str, float | None]] = {}
    for date, hour, block in blocks:
        if date != day or hour in hours:
            continue
        parsed: dict[str, float | None] = {}
        ok = True
        for label, text in block.items():
            name = label_to_name[label]
            if text == "":
                parsed[name] = None
                continue
            try:
                value = float(text)
            except ValueError:
                ok = False
                continue
            ok = ok and 0 <= value <= limits[name]
            parsed[name] = value
        if ok:
            hours[hour] = parsed
    return hours


def test_pipeline_station_annual_pm25_and_good_days_equal_a_python_calculation(
    pipeline: Pipeline,
) -> None:
    station = "1067A"
    days: dict[int, list[dict[str, object]]] = defaultdict(list)
    for path in _current_files(pipeline.feeds[FEED].files):
        days[int(path.parent.name[:4])].append(station_day(_station_hours(path, station)))
    got = {
        year: (mean, valid_days, good)
        for year, mean, valid_days, good in _query(
            pipeline,
            "select obs_year, pm25_annual_mean, pm25_valid_days, good_days "
            "from marts.fct_air_quality_annual where scope_type = 'station' and scope_code = ?",
            [station],
        )
    }
    assert set(got) == {2015, 2016}
    for year, daily in days.items():
        pm25 = [d["pm25"] for d in daily if d["pm25"] is not None]
        good = sum(1 for d in daily if d["aqi"] is not None and d["aqi"] <= 100)
        mean, valid_days, good_days = got[year]
        assert valid_days == len(pm25), year
        assert mean == pytest.approx(sum(pm25) / len(pm25)), year  # type: ignore[arg-type]
        assert good_days == good, year


# --------------------------------------------------------------------------- the generator


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generator_is_deterministic_and_a_year_does_not_depend_on_others(tmp_path: Path) -> None:
    generate_air_quality_hourly(tmp_path / "a", [2015], scale=0.25, error_rate=0.02)
    generate_air_quality_hourly(tmp_path / "b", [2015], scale=0.25, error_rate=0.02)
    generate_air_quality_hourly(tmp_path / "c", [2015, 2016], scale=0.25, error_rate=0.02)
    first = _digest(tmp_path / "a")
    assert first == _digest(tmp_path / "b")
    both = _digest(tmp_path / "c")
    assert {k: v for k, v in both.items() if "/2015-" in k} == first


def test_generator_mtimes_are_delivery_times_and_volumes_scale(tmp_path: Path) -> None:
    small = generate_air_quality_hourly(tmp_path / "s", [2016], scale=0.25, error_rate=0)
    large = generate_air_quality_hourly(tmp_path / "l", [2016], scale=1, error_rate=0)
    assert sum(small.injected_errors.values()) == 0
    assert small.other_counts["missing_station_hours"] == 0
    day = tmp_path / "l" / FEED / "2016-03-01" / "站点_20160301.csv"
    assert large.rows_per_file[day] == 6 * 24  # 4 national + 2 county stations
    assert small.rows_per_file[tmp_path / "s" / FEED / "2016-03-01" / "站点_20160301.csv"] == 24
    received = datetime.fromtimestamp(day.stat().st_mtime, tz=dt.UTC).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    assert received.replace(tzinfo=None) == datetime(2016, 3, 2, 0, 40)
    assert large.total_rows > 6 * 8760 * 0.99
    assert large.other_counts["redeliveries"] == 1


@pytest.fixture(scope="module")
def clean_2015(tmp_path_factory: pytest.TempPathFactory):
    """2015 generated without mistakes, once for the tests that only read it."""
    out = tmp_path_factory.mktemp("hourly-clean") / "raw"
    return out, generate_air_quality_hourly(out, [2015], scale=0.25, error_rate=0)


def test_generator_at_error_rate_zero_loads_every_record(clean_2015, tmp_path: Path) -> None:
    raw, summary = clean_2015
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        reports = ingest_landed(
            conn,
            load_contract(FEED),
            raw,
            tmp_path / "store",
            0,
            months=frozenset({"2015-01", "2015-02"}),
        ).reports
    loaded = [r for r in reports if r.status == "loaded"]
    assert loaded and all(r.rows_quarantined == 0 for r in loaded)
    assert sum(r.rows_read for r in loaded) == sum(
        n
        for p, n in summary.rows_per_file.items()
        if p.parent.name[:7] in ("2015-01", "2015-02")
        and any(r.source_file.endswith(p.name) for r in loaded)
    )


def test_generator_follows_the_real_daily_pm25_series(clean_2015) -> None:
    raw, _ = clean_2015
    real_path = Path(__file__).parents[1] / "sample_data/realdata"
    with (real_path / "langfang_pm25_daily_2015_SpTe2M.csv").open(encoding="utf-8") as f:
        real = [float(r["PM2.5"]) for r in csv.DictReader(f)]
    means = []
    for path in sorted((raw / FEED).glob("*/站点_*.csv")):
        if "(" in path.name:
            continue
        day = station_day(_station_hours(path, "1067A"))
        means.append(day["pm25"])
    assert len(means) == 365
    annual = sum(means) / len(means)  # type: ignore[arg-type]
    assert annual == pytest.approx(sum(real) / len(real), rel=0.15)
    # the winter peaks of the real series are there: correlation of the daily values
    mx, my = annual, sum(real) / len(real)
    cov = sum((a - mx) * (b - my) for a, b in zip(means, real, strict=True))  # type: ignore[operator]
    var = math.sqrt(sum((a - mx) ** 2 for a in means) * sum((b - my) ** 2 for b in real))  # type: ignore[operator]
    assert cov / var > 0.8
