"""Drinking-water sources (县级以上集中式饮用水水源地): hand-made deliveries through the real
loader, dbt and GX; the shared pipeline on generated deliveries; and the generator itself.

Expected values are computed here from the hand-written rows (or, for the pipeline, from the
generated files read without the project's readers), by the reading documented in
docs/feeds/drinking_water.md: a source's monthly 取水量 is split equally among its samples of
the month; 按水量 = 达标样品的取水量 / 取水总量, 按样品 = 达标样品 / 样品, 按个数 = sources whose
every sample of the period complied / sources; the KPI is the city's yearly 按水量 rate."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import openpyxl
import pytest
import yaml

from orchestration.ingest.contract import ContractError, parse_contract
from orchestration.ingest.loader import FileReport
from orchestration.quality.gx_validation import (
    load_suite_file,
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR, FEEDS_DIR
from sample_data.drinking_water import generate_drinking_water
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse, assert_gx_check_passed, injected_kinds, stamp

FEED = "drinking_water"
CITY = "131000"
KPI = "DRINKING_WATER_COMPLIANCE_RATE"
SUITE = EXPECTATIONS_DIR / "stg_raw__drinking_water.json"
STAGED = "staging.stg_raw__drinking_water"
MART = "marts.fct_drinking_water_compliance"
CONTRACT = yaml.safe_load((FEEDS_DIR / f"{FEED}.yaml").read_text(encoding="utf-8"))
SOURCES = {row["source_code"]: row for row in load_seed("ref_drinking_water_sources")}

# What the deliveries say, written out here rather than taken from the contract.
PASS_WORDS = {"达标", "是"}
FAIL_WORDS = {"不达标", "否"}


def _source_lookup() -> dict[str, str]:
    names = {}
    for code, row in SOURCES.items():
        for name in [code, row["source_name"], *row["aliases"].split("|")]:
            names[name] = code
    return names


SOURCE_BY_NAME = _source_lookup()
CITY_WELLS, WENAN, BAZHOU, DACHENG = "DW131000G01", "DW131026G01", "DW131081G01", "DW131025G01"


# --------------------------------------------------------------------------- hand-made rows


@dataclass(frozen=True)
class Sample:
    """One sample as delivered (spellings as typed)."""

    source: str
    on: str
    volume: str
    verdict: str
    items: str = "/"
    fluoride: str = "0.52"

    @property
    def code(self) -> str:
        return SOURCE_BY_NAME[self.source]

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.on)

    @property
    def passed(self) -> bool:
        return self.verdict in PASS_WORDS


LABELS = ["序号", "水源地", "采样日期", "取水量（万吨）", "是否达标", "超标项目", "氟化物（mg/L）"]
SYNONYMS = ["序号", "水源地名称", "监测日期", "取水量(万吨)", "达标情况", "超标因子", "氟化物"]
OLD_SHEET = [
    "序号",
    "水源名称",
    "采样时间",
    "供水量（万吨）",
    "评价结果",
    "超标指标",
    "氟化物(mg/L)",
]
TWO_ROW: list[tuple[str, str | None]] = [
    ("序号", None),
    ("水源地", None),
    ("采样日期", None),
    ("取水量（万吨）", None),
    ("是否达标", None),
    ("超标项目", None),
    ("监测结果", "氟化物"),
]


def csv_row(number: int, s: Sample) -> list[object]:
    return [number, s.source, s.on, s.volume, s.verdict, s.items, s.fluoride]


def xlsx_row(number: int, s: Sample) -> list[object]:
    """Dates and numbers typed as Excel stores them."""
    return [number, s.source, s.day, float(s.volume), s.verdict, s.items, float(s.fluoride)]


def received(period: str, day: int = 8) -> dt.datetime:
    first = dt.date.fromisoformat(f"{period}-01")
    return dt.datetime.combine((first + dt.timedelta(days=32)).replace(day=day), dt.time(10))


JANUARY = [
    Sample(CITY_WELLS, "2015-01-12", "500", "达标"),
    Sample("文安县地下水饮用水水源地", "2015-01-13", "30", "达标"),
    Sample("霸州水源地", "2015-01-14", "60", "达标"),
]
# the large city well field fails: 1 of 4 samples, but 480 of 588 万吨
FEBRUARY = [
    Sample("廊坊市城区地下水饮用水水源地", "2015-02-10", "480", "不达标", "锰（超标0.30倍）"),
    Sample("文安县地下水饮用水水源地", "2015-02-11", "28", "达标"),
    Sample("霸州市地下水饮用水水源地", "2015-02-12", "55", "达标"),
    Sample("大城县地下水饮用水水源地", "2015-02-13", "25", "达标"),
]
# 文安 fails, is re-sampled (复测) and passes: the month's 32 万吨 split 16 / 16
MARCH = [
    Sample("城区水源地", "2015-03-10", "510", "是"),
    Sample("文安水源地", "2015-03-05", "32", "否", "氟化物（超标0.28倍）", "1.28"),
    Sample("文安水源地", "2015-03-15", "32", "是"),
    Sample("霸州水源地", "2015-03-11", "60", "是"),
]
APRIL = [
    Sample(CITY_WELLS, "2015-04-09", "530", "达标"),
    Sample(WENAN, "2015-04-10", "31", "达标"),
    Sample(BAZHOU, "2015-04-13", "61", "达标"),
]
MAY_FIRST = [
    Sample(CITY_WELLS, "2015-05-11", "520", "达标"),
    Sample(WENAN, "2015-05-12", "33", "达标"),
]
# the correction: the city's volume corrected, 文安 listed by mistake, 霸州 forgotten
MAY_FIXED = [
    replace(MAY_FIRST[0], volume="525"),
    Sample(BAZHOU, "2015-05-13", "62", "达标"),
]
GOOD_JUNE = Sample(CITY_WELLS, "2015-06-10", "550", "达标")
# (row as delivered, the reason the loader must give); rows 3.. of the June file
VIOLATIONS: list[tuple[Sample, str]] = [
    (
        replace(GOOD_JUNE, source=WENAN, volume="-30"),
        "D3: 取水量（万吨）: '-30' is below the minimum 0",
    ),
    (
        replace(GOOD_JUNE, source="燕郊水源地"),
        "B4: 水源地: unknown drinking-water source '燕郊水源地'",
    ),
    (replace(GOOD_JUNE, source=BAZHOU, verdict="不达标"), "F5: 不达标但未填写超标项目"),
    (replace(GOOD_JUNE, source=DACHENG, items="锰（超标0.1倍）"), "F6: 达标但填写了超标项目"),
    (
        replace(GOOD_JUNE, source=WENAN, on="2015-05-29"),
        "C7: 采样日期 2015-05-29 is outside the delivery period 2015-06 of its folder",
    ),
    (
        GOOD_JUNE,
        "row 8: duplicate 水源地/采样日期 DW131000G01/2015-06-10 (first at row 2)",
    ),
    (replace(GOOD_JUNE, source=DACHENG, volume=""), "D9: 取水量（万吨） is empty"),
    (
        replace(GOOD_JUNE, source=BAZHOU, verdict="基本达标"),
        "E10: 是否达标: unknown 是否达标 '基本达标' (allowed: ",
    ),
    (replace(GOOD_JUNE, source=DACHENG, volume="8000"), "D11: 取水量（万吨）: '8000' is above"),
]
# 2016: two sources that supplied nothing (standby): 0 / 0, no value
JANUARY_2016 = [
    Sample(WENAN, "2016-01-12", "0", "达标"),
    Sample(DACHENG, "2016-01-13", "0", "不达标", "氟化物（超标0.1倍）", "1.1"),
]
CURRENT = [*JANUARY, *FEBRUARY, *MARCH, *APRIL, *MAY_FIXED, GOOD_JUNE, *JANUARY_2016]


@dataclass(frozen=True)
class Seen:
    """What a rate needs of one sample, however it was read."""

    code: str
    day: dt.date
    volume: float
    passed: bool


def seen(samples: Iterable[Sample]) -> list[Seen]:
    return [Seen(s.code, s.day, float(s.volume), s.passed) for s in samples]


@dataclass
class Tally:
    sources: dict[str, bool]
    samples: int = 0
    compliant: int = 0
    volume: float = 0.0
    compliant_volume: float = 0.0


def tallies(rows: Sequence[Seen]) -> dict[tuple[str, str, str], Tally]:
    """(scope_type, scope_code, period) → tally, for source, county and city, each year and
    month: each sample stands for its source-month's mean volume / samples of that month."""
    by_source_month: dict[tuple[str, str], list[Seen]] = defaultdict(list)
    for r in rows:
        by_source_month[(r.code, f"{r.day:%Y-%m}")].append(r)
    out: dict[tuple[str, str, str], Tally] = {}
    for (code, month), group in by_source_month.items():
        share = sum(r.volume for r in group) / len(group) / len(group)
        scopes = [("source", code), ("county", SOURCES[code]["county_code"]), ("city", CITY)]
        for scope_type, scope_code in scopes:
            for period in (month, month[:4]):
                t = out.setdefault((scope_type, scope_code, period), Tally({}))
                for r in group:
                    t.samples += 1
                    t.compliant += r.passed
                    t.volume += share
                    t.compliant_volume += share if r.passed else 0.0
                    t.sources[code] = t.sources.get(code, True) and r.passed
    return out


def rate(numerator: float, denominator: float) -> float | None:
    return 100 * numerator / denominator if denominator else None


def expected_kpi(rows: Sequence[Seen]) -> dict[int, tuple[float, float, float | None]]:
    """year → (numerator, denominator, value) of the KPI: the city's yearly volume rate."""
    out = {}
    for (scope_type, _, period), t in tallies(rows).items():
        if scope_type == "city" and len(period) == 4:
            numerator = t.compliant_volume if t.volume else 0.0
            out[int(period)] = (numerator, t.volume, rate(t.compliant_volume, t.volume))
    return out


# --------------------------------------------------------------------------- one warehouse


@dataclass(frozen=True)
class Loaded:
    wh: FeedWarehouse
    reports: dict[str, FileReport]  # by file name


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """Every hand-made delivery loaded, then one dbt build up to the mart."""
    wh = FeedWarehouse(tmp_path_factory.mktemp("drinking_water"))

    def deliver(period, name, header, rows, *, row=csv_row, day=8, **kwargs) -> Path:
        table = [row(n, s) for n, s in enumerate(rows, start=1)]
        return wh.deliver(
            FEED, period, name, header, table, received=received(period, day), **kwargs
        )

    january = deliver("2015-01", "一月.csv", LABELS, JANUARY)
    deliver("2015-02", "二月.csv", SYNONYMS, FEBRUARY, encoding="utf-8-sig")
    deliver("2015-03", "三月.csv", OLD_SHEET, MARCH, encoding="gb18030")
    deliver(
        "2015-04",
        "四月.xlsx",
        TWO_ROW,
        APRIL,
        row=xlsx_row,
        title="廊坊市2015年4月县级以上集中式饮用水水源地水质监测月报",
    )
    deliver("2015-05", "五月.csv", LABELS, MAY_FIRST)
    deliver("2015-05", "五月_更正.csv", LABELS, MAY_FIXED, day=20)
    deliver("2015-06", "六月.csv", LABELS, [GOOD_JUNE, *(s for s, _ in VIOLATIONS)])
    deliver("2016-01", "2016-01.csv", LABELS, JANUARY_2016)
    # the January file sent again (same bytes) a few days later: a repeated delivery
    again = january.with_name("一月（重复报送）.csv")
    again.write_bytes(january.read_bytes())
    stamp(again, received("2015-01", 12))
    reports = {Path(r.source_file).name: r for r in wh.ingest(FEED)}
    wh.build(
        "fct_drinking_water_compliance",
        "int_kpi__drinking_water",
        "int_kpi_lineage__drinking_water",
    )
    return Loaded(wh, reports)


@pytest.fixture(scope="module")
def wh(loaded: Loaded) -> FeedWarehouse:
    return loaded.wh


def test_every_file_reconciles_and_violations_are_named_by_cell(loaded: Loaded) -> None:
    wh, reports = loaded.wh, loaded.reports
    counts = {
        name: (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined)
        for name, r in reports.items()
    }
    assert counts == {
        "一月.csv": ("loaded", 3, 3, 0),
        "一月（重复报送）.csv": ("repeated", 0, 0, 0),
        "二月.csv": ("loaded", 4, 4, 0),
        "三月.csv": ("loaded", 4, 4, 0),
        "四月.xlsx": ("loaded", 3, 3, 0),
        "五月.csv": ("loaded", 2, 2, 0),
        "五月_更正.csv": ("loaded", 2, 2, 0),
        "六月.csv": ("loaded", 10, 1, 9),
        "2016-01.csv": ("loaded", 2, 2, 0),
    }
    reasons = dict(
        wh.query(
            "select source_row, reason from raw.quarantine "
            "where source_file like '%六月.csv' order by source_row"
        )
    )
    assert sorted(reasons) == list(range(3, 12))
    for row, (_, reason) in enumerate(VIOLATIONS, start=3):
        assert reasons[row].startswith(reason), (row, reasons[row])
        assert ";" not in reasons[row]  # exactly one problem per row
    record = json.loads(
        wh.query(
            "select raw_record from raw.quarantine where source_file like '%六月.csv' "
            "and source_row = 4"
        )[0][0]
    )
    assert record["水源地"] == "燕郊水源地"
    in_tables = wh.query(
        "select f.rows_loaded, f.rows_quarantined, "
        "(select count(*) from raw.drinking_water t where t._source_sha256 = f.sha256), "
        "(select count(*) from raw.quarantine q where q.source_sha256 = f.sha256) "
        "from raw.ingested_files f where f.feed = ?",
        [FEED],
    )
    assert len(in_tables) == 8
    assert all((loaded, quarantined) == (rows, bad) for loaded, quarantined, rows, bad in in_tables)
    assert wh.query("select count(*) from raw.repeated_deliveries where feed = ?", [FEED]) == [(1,)]


def test_encodings_layouts_and_synonyms_load_the_same_rows(wh: FeedWarehouse) -> None:
    maps = dict(
        wh.query(
            "select regexp_extract(source_file, '[^/]+$'), header_map from raw.ingested_files "
            "where feed = ? and status = 'loaded'",
            [FEED],
        )
    )
    assert json.loads(maps["四月.xlsx"])["fluoride_mg_l"] == "监测结果/氟化物"
    assert json.loads(maps["二月.csv"])["sampled_on"] == "监测日期"
    assert json.loads(maps["三月.csv"])["volume_10k_t"] == "供水量(万吨)"
    files = {
        "一月.csv": JANUARY,
        "二月.csv": FEBRUARY,
        "三月.csv": MARCH,
        "四月.xlsx": APRIL,
        "五月.csv": MAY_FIRST,
        "五月_更正.csv": MAY_FIXED,
        "2016-01.csv": JANUARY_2016,
    }
    for name, samples in files.items():
        staged = wh.query(
            f"select source_code, sampled_on, volume_10k_t, is_pass, exceedance_items, "
            f"fluoride_mg_l from {STAGED} where source_file like ? order by source_row",
            [f"%/{name}"],
        )
        assert staged == [
            (
                s.code,
                s.day,
                float(s.volume),
                s.passed,
                None if s.items == "/" else unicodedata.normalize("NFKC", s.items),
                float(s.fluoride),
            )
            for s in samples
        ], name
    originals = wh.query(
        f"select source_code_original, verdict_original from {STAGED} "
        "where source_file like '%三月.csv' order by source_row"
    )
    assert originals[:2] == [("城区水源地", "是"), ("文安水源地", "否")]


def test_a_correction_replaces_exactly_its_month(wh: FeedWarehouse) -> None:
    current = wh.query(
        "select delivery_period, regexp_extract(source_file, '[^/]+$'), count(*) "
        "from intermediate.int_drinking_water__current group by 1, 2 order by 1"
    )
    assert current == [
        ("2015-01", "一月.csv", 3),
        ("2015-02", "二月.csv", 4),
        ("2015-03", "三月.csv", 4),
        ("2015-04", "四月.xlsx", 3),
        ("2015-05", "五月_更正.csv", 2),
        ("2015-06", "六月.csv", 1),
        ("2016-01", "2016-01.csv", 2),
    ]
    may = wh.query(
        "select source_code, volume_10k_t from intermediate.int_drinking_water__current "
        "where delivery_period = '2015-05' order by source_code"
    )
    assert may == [(CITY_WELLS, 525.0), (BAZHOU, 62.0)]
    # the replaced rows stay in staging as history
    history = wh.query(f"select count(*) from {STAGED} where source_file like '%五月.csv'")
    assert history == [(2,)]


def test_kpi_equals_an_independent_calculation(wh: FeedWarehouse) -> None:
    rows = wh.query(
        "select kpi_code, kpi_year, scope_type, scope_code, numerator, denominator, "
        "actual_value, source_rows from intermediate.int_kpi__drinking_water"
    )
    expected = expected_kpi(seen(CURRENT))
    assert {(k, y, t, s) for k, y, t, s, *_ in rows} == {(KPI, y, "city", CITY) for y in expected}
    for _, year, _, _, numerator, denominator, actual, source_rows in rows:
        want_numerator, want_denominator, want_value = expected[year]
        assert numerator == pytest.approx(want_numerator), year
        assert denominator == pytest.approx(want_denominator), year
        assert source_rows == sum(1 for s in CURRENT if s.day.year == year)
        if want_value is None:
            assert actual is None and denominator == 0 and numerator == 0
        else:
            assert actual == pytest.approx(want_value, abs=1e-3)
    assert expected[2016] == (0.0, 0.0, None)
    # by hand: 2015 volume 3539, of which 480 (city, February) and 16 (文安, March) failed
    assert expected[2015][1] == pytest.approx(3539.0)
    assert expected[2015][2] == pytest.approx(100 * 3043 / 3539)


def test_lineage_lists_exactly_the_counted_samples_of_a_value(wh: FeedWarehouse) -> None:
    """The auditor's query: a KPI value's lineage rows joined to the file register. 2015
    counts the current samples of January–June, by file and row as written above: CSV data
    from row 2, the April xlsx below its title and two header rows from row 4; May only from
    its correction, June only its good first row, the repeated January file not twice."""
    got = wh.query(
        "select f.source_file, l.source_row "
        "from intermediate.int_kpi_lineage__drinking_water as l "
        "inner join raw.ingested_files as f on f.sha256 = l.source_sha256 "
        "where l.kpi_code = ? and l.kpi_year = 2015 and l.scope_type = 'city' "
        "and l.scope_code = ? and l.feed = 'drinking_water' and l.source_part is null",
        [KPI, CITY],
    )
    expected = {
        ("一月.csv", 2),
        ("一月.csv", 3),
        ("一月.csv", 4),
        *(("二月.csv", r) for r in range(2, 6)),
        *(("三月.csv", r) for r in range(2, 6)),
        *(("四月.xlsx", r) for r in range(4, 7)),
        ("五月_更正.csv", 2),
        ("五月_更正.csv", 3),
        ("六月.csv", 2),
    }
    assert sorted((Path(name).name, row) for name, row in got) == sorted(expected)


def test_mart_rates_equal_an_independent_calculation(wh: FeedWarehouse) -> None:
    mart = wh.records(f"select * from {MART}")
    expected = tallies(seen(CURRENT))
    assert {(r["scope_type"], r["scope_code"], r["period"]) for r in mart} == set(expected)
    for r in mart:
        t = expected[(r["scope_type"], r["scope_code"], r["period"])]
        assert r["period_type"] == ("year" if len(r["period"]) == 4 else "month")
        assert (r["sample_count"], r["compliant_sample_count"]) == (t.samples, t.compliant)
        assert (r["source_count"], r["compliant_source_count"]) == (
            len(t.sources),
            sum(t.sources.values()),
        )
        assert r["volume_10k_t"] == pytest.approx(t.volume)
        assert r["sample_rate"] == pytest.approx(rate(t.compliant, t.samples), abs=1e-3)
        want = rate(t.compliant_volume, t.volume)
        assert r["volume_rate"] == (None if want is None else pytest.approx(want, abs=1e-3))
    labels = {(r["scope_type"], r["scope_label"]) for r in mart}
    assert labels == {("source", "水源地"), ("county", "县（市、区）"), ("city", "全市")}
    city = {r["period"]: r for r in mart if r["scope_type"] == "city"}
    # February: the large source fails, the volume rate falls far more than the sample rate
    assert city["2015-02"]["sample_rate"] == pytest.approx(75.0)
    assert city["2015-02"]["volume_rate"] == pytest.approx(100 * 108 / 588, abs=1e-3)
    # March: 文安 fails once and passes its re-sample: half its month's volume is compliant
    wenan = {r["period"]: r for r in mart if r["scope_code"] == WENAN}
    assert wenan["2015-03"]["volume_rate"] == pytest.approx(50.0)
    assert wenan["2015-03"]["compliant_source_count"] == 0
    # the KPI is the mart's city yearly volume rate
    kpi = dict(wh.query("select kpi_year, actual_value from intermediate.int_kpi__drinking_water"))
    assert kpi[2015] == pytest.approx(city["2015"]["volume_rate"])


def test_gx_suite_passes_on_the_staged_fixture_and_on_an_empty_table(wh: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(wh.warehouse, STAGED, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == len(CURRENT) + len(MAY_FIRST)
    assert outcome.evaluated == len(load_suite_file(SUITE).entries)  # compiled + hand-written
    empty = read_duckdb_table(wh.warehouse, STAGED).iloc[0:0]
    outcome = validate_dataframe(empty, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == 0


def test_gx_suite_fails_naming_the_bad_rows(wh: FeedWarehouse) -> None:
    frame = read_duckdb_table(wh.warehouse, STAGED).sort_values(
        ["source_file", "source_row"], kind="stable"
    )
    frame = frame.reset_index(drop=True)

    def at(file: str, row: int) -> int:
        return frame.index[frame.source_file.str.endswith(file) & (frame.source_row == row)][0]

    bad = frame.copy()
    bad.loc[at("一月.csv", 2), "source_code"] = "DW131099G01"
    bad.loc[at("一月.csv", 3), "volume_10k_t"] = -5.0
    bad.loc[at("二月.csv", 2), "exceedance_items"] = None  # 不达标 without items
    bad.loc[at("二月.csv", 3), "exceedance_items"] = "锰"  # 达标 with items
    bad.loc[at("三月.csv", 5), "is_pass"] = False  # verdict says pass
    outcome = validate_dataframe(bad, SUITE)
    failures = {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}
    assert set(failures) == {
        ("expect_column_values_to_be_in_set", "source_code"),
        ("expect_column_values_to_be_between", "volume_10k_t"),
        ("expect_column_values_to_not_be_null", "exceedance_items where verdict == 'fail'"),
        ("expect_column_values_to_be_null", "exceedance_items where verdict == 'pass'"),
        ("expect_column_values_to_be_in_set", "verdict where is_pass == False"),
    }
    for item in failures.values():
        assert item.unexpected_count == 1, item
        assert item.notes
    assert any(
        "DW131099G01" in s
        for s in failures[("expect_column_values_to_be_in_set", "source_code")].sample_unexpected
    )
    named = failures[
        ("expect_column_values_to_not_be_null", "exceedance_items where verdict == 'fail'")
    ]
    assert any("source_file=drinking_water/2015-02/二月.csv" in s for s in named.sample_unexpected)
    duplicated = validate_dataframe(frame.iloc[[0, 0, 1]], SUITE)
    [unique] = duplicated.failed_outcomes
    assert unique.expectation_type == "expect_compound_columns_to_be_unique"
    assert unique.unexpected_count == 2


# --------------------------------------------------------------------------- the pipeline

# every header the generator writes, as the tests read it (written out, not from the contract)
FIELDS = {
    "水源地名称": "source",
    "水源地编码": "source",
    "饮用水水源地": "source",
    "水源名称": "source",
    "采样日期": "on",
    "监测日期": "on",
    "采样时间": "on",
    "取水量（万吨）": "volume",
    "取水量(万吨)": "volume",
    "月取水量（万吨）": "volume",
    "是否达标": "verdict",
    "达标情况": "verdict",
    "达标与否": "verdict",
}


def file_rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """(row number as Excel shows it, {header: value}) of a generated file, read with csv and
    openpyxl directly."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        table = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        top = next(i for i, row in enumerate(table) if "采样日期" in row)
        header, carried = [], ""
        for name, sub in zip(table[top], table[top + 1], strict=True):
            carried = name or carried
            header.append(f"{carried}/{sub}" if sub else str(name))
        first = top + 2
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        table = list(csv.reader(text.splitlines()))
        header, first = table[0], 1
    return [
        (index + 1, dict(zip(header, table[index], strict=True)))
        for index in range(first, len(table))
    ]


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    match = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", str(value))
    assert match, value
    return dt.date(*map(int, match.groups()))


def current_generated_files(files: Iterable[Path]) -> list[Path]:
    """The latest received file of each month folder, a byte-identical repeat not counted."""
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        by_folder[path.parent].append(path)
    current = []
    for paths in by_folder.values():
        distinct = {p.read_bytes(): p for p in sorted(paths, key=lambda p: -p.stat().st_mtime)}
        current.append(max(distinct.values(), key=lambda p: p.stat().st_mtime))
    return current


def _query(pipeline: Pipeline, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def test_pipeline_files_reconcile(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    files = _query(
        pipeline,
        """
        select f.source_file, f.status, f.rows_read, f.rows_loaded, f.rows_quarantined,
            (select count(*) from raw.drinking_water t where t._source_sha256 = f.sha256),
            (select count(*) from raw.quarantine q where q.source_sha256 = f.sha256)
        from raw.ingested_files f where f.feed = ?""",
        [FEED],
    )
    repeats = {
        r[0]
        for r in _query(
            pipeline, "select source_file from raw.repeated_deliveries where feed = ?", [FEED]
        )
    }
    assert len(repeats) == summary.other_counts["duplicate_deliveries"] > 0
    assert len(files) + len(repeats) == len(summary.files)
    for source_file, status, read, loaded, quarantined, in_table, in_quarantine in files:
        path = pipeline.raw_dir / source_file
        assert status == "loaded", source_file
        assert read == len(file_rows(path)) == summary.rows_per_file[path], source_file
        assert read == loaded + quarantined, source_file
        assert (loaded, quarantined) == (in_table, in_quarantine), source_file
    # the prior-year baseline is delivered too
    assert {f[0].split("/")[1][:4] for f in files} == {"2014", "2015", "2016"}


ERROR_SIGNS = {
    "negative_volume": "is below the minimum 0",
    "unknown_source": "unknown drinking-water source",
    "fail_without_items": "不达标但未填写超标项目",
    "pass_with_items": "达标但填写了超标项目",
    "outside_period": "is outside the delivery period",
    "duplicate_key": "duplicate 水源地/采样日期",
}


def test_pipeline_quarantines_every_injected_mistake(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    assert sum(summary.injected_errors.values()) > 0
    reasons = [
        reason
        for (reason,) in _query(
            pipeline, "select reason from raw.quarantine where feed = ?", [FEED]
        )
    ]
    expected = {k: n for k, n in summary.injected_errors.items() if n}
    assert injected_kinds(reasons, ERROR_SIGNS) == expected


def test_pipeline_gx_check_passed(pipeline: Pipeline) -> None:
    assert_gx_check_passed(pipeline.result, pipeline.warehouse, "stg_raw__drinking_water")


def test_pipeline_kpi_equals_an_independent_calculation(pipeline: Pipeline) -> None:
    quarantined = set(
        _query(
            pipeline, "select source_file, source_row from raw.quarantine where feed = ?", [FEED]
        )
    )
    rows = []
    for path in current_generated_files(pipeline.feeds[FEED].files):
        source_file = path.relative_to(pipeline.raw_dir).as_posix()
        for number, raw in file_rows(path):
            if (source_file, number) in quarantined:
                continue
            row = {FIELDS[h]: v for h, v in raw.items() if h in FIELDS}
            assert row["verdict"] in PASS_WORDS | FAIL_WORDS, row
            rows.append(
                Seen(
                    SOURCE_BY_NAME[str(row["source"])],
                    _as_date(row["on"]),
                    float(row["volume"]),  # type: ignore[arg-type]
                    row["verdict"] in PASS_WORDS,
                )
            )
    expected = expected_kpi(rows)
    assert set(expected) == {2014, 2015, 2016}
    values = _query(
        pipeline,
        "select kpi_year, scope_code, numerator, denominator, actual_value "
        "from marts.fct_kpi_values where kpi_code = ?",
        [KPI],
    )
    assert {(y, s) for y, s, *_ in values} == {(y, CITY) for y in expected}
    for year, _, numerator, denominator, actual in values:
        assert (numerator, denominator, actual) == pytest.approx(expected[year], abs=1e-3), year
    targets = _query(
        pipeline,
        "select assessment_year, actual_value, status from marts.fct_city_targets "
        "where kpi_code = ?",
        [KPI],
    )
    assert {y for y, *_ in targets} >= {2015, 2016}
    for year, actual, status in targets:
        assert actual == pytest.approx(expected[year][2], abs=1e-3), year
        assert status == ("met" if expected[year][2] >= 90 else "not_met"), year


# --------------------------------------------------------------------------- the generator

SCALE = 0.25


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("generated") / "raw"
    return out, generate_drinking_water(out, [2015], scale=SCALE, error_rate=0.0)


def test_generator_bytes_are_deterministic(generated, tmp_path: Path) -> None:
    _, summary = generated
    again = generate_drinking_water(tmp_path, [2015], scale=SCALE, error_rate=0.0)
    assert [p.name for p in again.files] == [p.name for p in summary.files]
    for first, second in zip(summary.files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_generator_year_unchanged_by_other_years(generated, tmp_path: Path) -> None:
    out, summary = generated
    more = generate_drinking_water(tmp_path, [2015, 2016, 2017], scale=SCALE, error_rate=0.0)
    by_name = {p.relative_to(tmp_path).as_posix(): p for p in more.files}
    for path in summary.files:
        relative = path.relative_to(out).as_posix()
        assert by_name[relative].read_bytes() == path.read_bytes(), relative
    years = {p.parent.name[:4] for p in more.files}
    assert years == {"2014", "2015", "2016", "2017"}  # and the 2014 baseline


def test_generator_files_carry_their_delivery_time(generated) -> None:
    _, summary = generated
    for path in summary.files:
        period = dt.date.fromisoformat(path.parent.name + "-01")
        got = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone(dt.timedelta(hours=8)))
        following = (period + dt.timedelta(days=32)).replace(day=1)
        assert (got.year, got.month) == (following.year, following.month), path.name
        assert got.day in (8, 12, 20) and (got.hour, got.minute) == (10, 0), path.name


def test_generator_formats_corrections_and_repeats(generated) -> None:
    _, summary = generated
    assert {p.suffix for p in summary.files} == {".csv", ".xlsx"}
    encodings = set()
    for path in summary.files:
        data = path.read_bytes()
        if path.suffix == ".csv":
            if data.startswith(b"\xef\xbb\xbf"):
                encodings.add("utf-8-sig")
            else:
                try:
                    data.decode("utf-8")
                    encodings.add("utf-8")
                except UnicodeDecodeError:
                    encodings.add("gb18030")
    assert encodings == {"utf-8", "utf-8-sig", "gb18030"}
    assert summary.other_counts == {"redeliveries": 2, "duplicate_deliveries": 2}  # 2014, 2015
    corrections = [p for p in summary.files if "_更正" in p.name]
    assert len(corrections) == 2
    for fixed in corrections:
        [first] = [p for p in summary.files if p.parent == fixed.parent and p != fixed]
        before, after = file_rows(first), file_rows(fixed)
        assert len(before) == len(after)  # one row dropped, one added
        assert [r for _, r in before] != [r for _, r in after]


def test_generator_volumes_scale(generated, tmp_path: Path) -> None:
    _, summary = generated
    bigger = generate_drinking_water(tmp_path, [2015], scale=SCALE * 16, error_rate=0.0)
    assert 3.3 * summary.total_rows < bigger.total_rows < 4.5 * summary.total_rows
    # samples mostly comply; some groundwater samples exceed 氟化物 or 锰
    verdicts = Counter(
        str(row.get("是否达标") or row.get("达标情况") or row.get("达标与否"))
        for path in summary.files
        for _, row in file_rows(path)
    )
    failed = verdicts["不达标"] + verdicts["否"]
    assert 0 < failed < 0.1 * sum(verdicts.values())


def test_generator_errors_are_exactly_one_quarantined_violation_each(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    summary = generate_drinking_water(wh.raw_dir, [2015], scale=SCALE, error_rate=1.0)
    reports = wh.ingest(FEED)
    assert all(n > 0 for n in summary.injected_errors.values()), summary.injected_errors
    reasons = [r for (r,) in wh.query("select reason from raw.quarantine where feed = ?", [FEED])]
    assert injected_kinds(reasons, ERROR_SIGNS) == summary.injected_errors
    assert sum(r.rows_quarantined for r in reports) == sum(summary.injected_errors.values())


def test_a_rule_has_exactly_one_of_require_forbid_check() -> None:
    """The `forbid` rule kind this feed added: parsed alone, refused beside `require`."""
    raw = {**CONTRACT, "rules": [CONTRACT["rules"][1]]}
    [rule] = parse_contract(raw).rules
    assert (rule.forbid, rule.require, rule.when) == ("exceedance_items", None, {"verdict": "pass"})
    both = {**CONTRACT["rules"][1], "require": "exceedance_items"}
    with pytest.raises(ContractError, match="one of `require`, `forbid`, `check`"):
        parse_contract({**CONTRACT, "rules": [both]})
