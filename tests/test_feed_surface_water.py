"""Surface water (地表水断面监测): hand-made deliveries through the real loader, dbt and GX; the
shared pipeline on generated deliveries; and the generator itself.

Expected values are computed here, by the rules documented in docs/feeds/surface_water.md and
written out again in this file (GB 3838-2002 表1 limits, half the detection limit for a result
below it, single-factor method, annual means, the catalogue's "出境优于入境" reading), never
taken from the seeds or the models under test."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR, FEEDS_DIR
from sample_data.surface_water import generate_surface_water
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse, assert_gx_check_passed, injected_kinds

FEED = "surface_water"
KPI = "SURFACE_WATER_OUTBOUND_BETTER"
CITY = "131000"
SUITE = EXPECTATIONS_DIR / "stg_raw__surface_water.json"
STAGED = "staging.stg_raw__surface_water"
CONTRACT = yaml.safe_load((FEEDS_DIR / f"{FEED}.yaml").read_text(encoding="utf-8"))
BEIJING = dt.timezone(dt.timedelta(hours=8))

# GB 3838-2002 表1 (mg/L), Ⅰ…Ⅴ; DO is a lower bound; TP has lake/reservoir limits.
LIMITS: dict[str, tuple[float, ...]] = {
    "cod": (15, 15, 20, 30, 40),
    "nh3n": (0.15, 0.5, 1.0, 1.5, 2.0),
    "tp": (0.02, 0.1, 0.2, 0.3, 0.4),
    "tp_lake": (0.01, 0.025, 0.05, 0.1, 0.2),
    "dissolved_oxygen": (7.5, 6, 5, 3, 2),
    "codmn": (2, 4, 6, 10, 15),
    "bod5": (3, 3, 4, 6, 10),
}
DETECTION = {"cod": 4.0, "nh3n": 0.025, "tp": 0.01, "codmn": 0.5, "bod5": 0.5}
FACTORS = ("cod", "nh3n", "tp", "dissolved_oxygen", "codmn", "bod5")
LAKES = {"LHH-JN"}
PAIRS = {  # river: (入境, 出境), as the sample sections are laid out
    "北运河": ("BYH-RJ", "BYH-CJ"),
    "潮白河": ("CBH-RJ", "CBH-CJ"),
    "泃河": ("JH-RJ", "JH-CJ"),
    "永定河": ("YDH-RJ", "YDH-CJ"),
    "大清河": ("DQH-RJ", "DQH-CJ"),
}


def factor_rank(factor: str, value: float, lake: bool = False) -> int:
    limits = LIMITS["tp_lake" if factor == "tp" and lake else factor]
    if factor == "dissolved_oxygen":
        return next((i + 1 for i, limit in enumerate(limits) if value >= limit), 6)
    return next((i + 1 for i, limit in enumerate(limits) if value <= limit), 6)


def water_rank(values: Mapping[str, float | None], lake: bool) -> int:
    return max(factor_rank(f, v, lake) for f, v in values.items() if v is not None)


def measured(factor: str, text: object) -> float | None:
    """A delivered result as a number: below detection → half the limit."""
    if text is None or str(text).strip() in ("", "/", "-"):
        return None
    if isinstance(text, int | float):
        return float(text)
    value = str(text).strip()
    if value in ("未检出", "ND"):
        return DETECTION[factor] / 2
    if value.startswith("<"):
        return float(value[1:]) / 2
    if value.endswith("L"):
        return float(value[:-1]) / 2
    return float(value)


def outbound_better(inbound: Mapping[str, float], outbound: Mapping[str, float]) -> bool:
    if outbound["rank"] != inbound["rank"]:
        return outbound["rank"] < inbound["rank"]
    return all(outbound[f] < inbound[f] for f in ("cod", "nh3n", "tp"))


def expected_kpi(samples: Iterable[tuple[str, int, Mapping[str, float | None]]]) -> dict:
    """{year: (numerator, denominator, value)} from (section, year, values) samples."""
    by_section: dict[tuple[str, int], list[Mapping[str, float | None]]] = defaultdict(list)
    for section, year, values in samples:
        by_section[(section, year)].append(values)
    annual = {}
    for key, rows in by_section.items():
        means: dict[str, float | None] = {}
        for factor in FACTORS:
            got = [r[factor] for r in rows if r.get(factor) is not None]
            means[factor] = sum(got) / len(got) if got else None
        annual[key] = {**means, "rank": water_rank(means, key[0] in LAKES)}
    result = {}
    for year in sorted({y for _, y in by_section}):
        better = evaluable = 0
        for inbound, outbound in PAIRS.values():
            if (inbound, year) in annual and (outbound, year) in annual:
                evaluable += 1
                better += outbound_better(annual[(inbound, year)], annual[(outbound, year)])
        value = None if evaluable == 0 else float(better == evaluable)
        result[year] = (float(better), float(evaluable), value)
    return result


# --------------------------------------------------------------------------- hand-made files

CODE_HEADER = ["断面编码", "采样日期", "DO", "CODMn", "CODcr", "BOD5", "NH3-N", "TP"]
NAME_HEADER = [
    "监测断面",
    "监测日期",
    "溶解氧",
    "高锰酸盐指数",
    "化学需氧量",
    "氨氮(NH3-N)",
    "总磷(以P计)",
]
BASE = {"dissolved_oxygen": 8, "codmn": 1.5, "cod": 12, "bod5": 2, "nh3n": 0.1, "tp": 0.015}


def code_row(section: str, day: str, v: Mapping[str, object]) -> list[object]:
    """A row of CODE_HEADER."""
    factors = ("dissolved_oxygen", "codmn", "cod", "bod5", "nh3n", "tp")
    return [section, day, *(v.get(f) for f in factors)]


# 2015 river samples: 北运河 better by class (劣Ⅴ → Ⅴ), 潮白河 worse by class (Ⅲ → Ⅳ), 泃河 same
# class (Ⅳ) with all three annual means lower (though one January value is higher), 永定河 both
# 劣Ⅴ but TP higher outbound, 大清河 without its outbound section.
RIVERS_JAN = [
    ("BYH-RJ", {"cod": 45, "nh3n": 6, "tp": 0.6, "dissolved_oxygen": 4, "codmn": 11}),
    ("BYH-CJ", {"cod": 35, "nh3n": 1.8, "tp": 0.35, "dissolved_oxygen": 4, "codmn": 9}),
    ("CBH-RJ", {"cod": 18, "nh3n": 0.8, "tp": 0.15, "dissolved_oxygen": 6.5, "codmn": 5}),
    ("CBH-CJ", {"cod": 25, "nh3n": 0.9, "tp": 0.15, "dissolved_oxygen": 6.5, "codmn": 5}),
    ("JH-RJ", {"cod": 28, "nh3n": 1.4, "tp": 0.28, "dissolved_oxygen": 5.5, "codmn": 8}),
    ("JH-CJ", {"cod": 25, "nh3n": 1.45, "tp": 0.26, "dissolved_oxygen": 5.5, "codmn": 8}),
    ("YDH-RJ", {"cod": 50, "nh3n": 3, "tp": 0.3, "dissolved_oxygen": 3, "codmn": 12}),
    ("YDH-CJ", {"cod": 45, "nh3n": 2.5, "tp": 0.35, "dissolved_oxygen": 3, "codmn": 12}),
    ("DQH-RJ", {"cod": 60, "nh3n": 8, "tp": 0.5, "dissolved_oxygen": 2.5, "codmn": 14}),
]
RIVERS_FEB = [  # by section name, in the old system's GB18030 layout
    ("东店", {"cod": 26, "nh3n": 1.2, "tp": 0.22, "dissolved_oxygen": 5.5, "codmn": 8}),
    ("泃河双村", {"cod": 24, "nh3n": 0.9, "tp": 0.2, "dissolved_oxygen": 5.5, "codmn": 8}),
]
NAMES = {"东店": "JH-RJ", "泃河双村": "JH-CJ"}

# The same three samples in every layout (2016-01 … 2016-05): results below detection spelt
# four ways; 北运河 2016 is better (劣Ⅴ → Ⅴ).
FORMAT_ROWS = [
    ("BYH-RJ", "王家摆", 30, "2.5", "0.3", 5, 8, 6, 12.5),
    ("BYH-CJ", "土门楼", 28, "1.9", "0.25", 5.2, 7.5, 5, 12.8),
    ("LHH-JN", "龙河湖", "未检出", "0.025L", "<0.01", 9.1, 2.1, "ND", 13.0),
]
FORMAT_PARSED = {
    "BYH-RJ": (30.0, 2.5, 0.3, 5.0, 8.0, 6.0),
    "BYH-CJ": (28.0, 1.9, 0.25, 5.2, 7.5, 5.0),
    "LHH-JN": (2.0, 0.0125, 0.005, 9.1, 2.1, 0.25),
}
FORMATS = {
    "2016-01": ("utf8.csv", "utf-8"),
    "2016-02": ("bom.csv", "utf-8-sig"),
    "2016-03": ("gb.csv", "gb18030"),
    "2016-04": ("two_rows.xlsx", None),
    "2016-05": ("one_row.xlsx", None),
}

ERRORS_FILE = [  # 2015-06, rows 2…11
    ["FH-JN", "2015-06-02", 6, 5, 22, 4, 1.1, 0.2],
    ["FH-JN", "2015-06-03", 6, 5, -5, 4, 1.1, 0.2],
    ["FH-JN", "2015-06-04", 25, 5, 22, 4, 1.1, 0.2],
    ["王庄桥", "2015-06-05", 6, 5, 22, 4, 1.1, 0.2],
    ["FH-JN", "2015-05-31", 6, 5, 22, 4, 1.1, 0.2],
    ["FH-JN", "2015-06-02", 6, 5, 23, 4, 1.2, 0.2],
    ["FH-JN", "2015-06-08", 6, 5, 22, 4, "", 0.2],
    ["FH-JN", "2015-06-09", 6, 5, 22, 4, 1.1, "<x"],
    ["FH-JN", "2015-06-10", 6, 5, 20, 30, 1.1, 0.2],
    ["FH-JN", "2015-06-11", 6, 5, "未检出", "<0.5", "ND", "0.01L"],
]
ERROR_REASONS = [
    "E3: 化学需氧量: '-5' is below the minimum 0",
    "C4: 溶解氧: '25' is above the maximum 20",
    "A5: 断面: unknown monitoring section '王庄桥'",
    "B6: 采样日期 2015-05-31 is outside the delivery period 2015-06 of its folder",
    "row 7: duplicate 断面/采样日期 FH-JN/2015-06-02 (first at row 2)",
    "G8: 氨氮 is empty",
    "H9: 总磷: '<x' is not a detection limit (e.g. <0.01 or 0.01L)",
    "F10: 五日生化需氧量大于化学需氧量",
]

JULY_FIRST = [
    ["FH-JN", "2015-07-01", 5, 6, 30, 6, 2.5, 0.3],
    ["FH-JN", "2015-07-15", 5, 6, 31, 6, 2.6, 0.3],
    ["LHH-JN", "2015-07-01", 8, 3, 14, 2, 0.2, 0.03],
]
JULY_CORRECTED = [
    ["FH-JN", "2015-07-01", 5, 6, 33, 6, 2.5, 0.3],  # COD 复核 30 → 33
    ["LHH-JN", "2015-07-01", 8, 3, 14, 2, 0.2, 0.03],
    ["LHH-JN", "2015-07-20", 8, 3, 15, 2, 0.3, 0.04],  # added; FH-JN 07-15 withdrawn
]


def _single_factor_cases() -> list[tuple[str, str, object, int]]:
    """(section, factor, value, expected factor rank): each limit met exactly and just missed,
    DO downwards, equal limits giving the better class, lake TP, results below detection."""
    cases: list[tuple[str, str, object, int]] = []
    steps = {"cod": 0.1, "nh3n": 0.01, "tp": 0.001, "codmn": 0.01, "bod5": 0.01}
    for factor, limits in (
        ("cod", LIMITS["cod"]),
        ("nh3n", LIMITS["nh3n"]),
        ("tp", LIMITS["tp"]),
        ("codmn", LIMITS["codmn"]),
        ("bod5", LIMITS["bod5"]),
    ):
        # equal limits (COD and BOD5 Ⅰ = Ⅱ) are one step, in the better class
        distinct = [(limit, limits.index(limit) + 1) for limit in dict.fromkeys(limits)]
        for index, (limit, best) in enumerate(distinct):
            cases.append(("FH-JN", factor, limit, best))
            above = distinct[index + 1][1] if index + 1 < len(distinct) else 6
            cases.append(("FH-JN", factor, round(limit + steps[factor], 3), above))
    for index, limit in enumerate(LIMITS["dissolved_oxygen"]):
        cases.append(("FH-JN", "dissolved_oxygen", limit, index + 1))
        cases.append(("FH-JN", "dissolved_oxygen", round(limit - 0.01, 2), index + 2))
    for index, limit in enumerate(LIMITS["tp_lake"]):
        cases.append(("LHH-JN", "tp", limit, index + 1))
        cases.append(("LHH-JN", "tp", round(limit + 0.001, 3), index + 2))
    cases += [("FH-JN", "nh3n", "未检出", 1), ("LHH-JN", "tp", "<0.01", 1)]
    return cases


CASES = _single_factor_cases()
WORST = [  # (values over BASE, expected class rank): the worst factor decides, 劣Ⅴ above Ⅴ
    ({"cod": 25, "nh3n": 0.6}, 4),
    ({"cod": 45, "nh3n": 3, "dissolved_oxygen": 1}, 6),
]


def _case_rows() -> dict[str, list[tuple[str, str, dict[str, object], int | None, str | None]]]:
    """Single-factor and worst-factor samples spread over 2015-08 … 2015-12, one a day."""
    slots: dict[str, list] = defaultdict(list)
    used: Counter[tuple[str, str]] = Counter()
    items = [(s, {f: v}, rank, f) for s, f, v, rank in CASES]
    items += [("FH-JN", values, rank, None) for values, rank in WORST]
    for section, changes, rank, factor in items:
        number = sum(1 for key in used if key[0] == section)
        month, day = 8 + number // 28, number % 28 + 1
        used[(section, f"{month}-{day}")] += 1
        slot = f"2015-{month:02d}"
        slots[slot].append(
            (section, f"2015-{month:02d}-{day:02d}", {**BASE, **changes}, rank, factor)
        )
    return slots


CASE_ROWS = _case_rows()


def _format_header(two_rows: bool) -> list:
    if two_rows:
        # as many single columns as factor sub-columns, or the sub-row would be taken for
        # the header (the reader picks the row with most known names; the top row wins ties)
        return [
            "河流",
            "断面编码",
            "断面名称",
            "采样日期",
            ("监测结果(mg/L)", "化学需氧量"),
            ("监测结果(mg/L)", "氨氮"),
            ("监测结果(mg/L)", "总磷"),
            ("监测结果(mg/L)", "溶解氧"),
            ("监测结果(mg/L)", "高锰酸盐指数"),
            ("监测结果(mg/L)", "五日生化需氧量"),
            "水温(℃)",
            "水质类别",
        ]
    return ["断面名称", "采样日期", "COD", "氨氮", "总磷", "DO", "CODMn", "BOD5", "水温", "备注"]


def _deliver_formats(wh: FeedWarehouse) -> None:
    for slot, (name, encoding) in FORMATS.items():
        day = f"{slot}-10"
        rows: list[list[object]] = []
        for code, section_name, cod, nh3n, tp, do, codmn, bod5, temp in FORMAT_ROWS:
            if name == "two_rows.xlsx":
                rows.append(["", code, section_name, dt.date.fromisoformat(day), cod, nh3n, tp, do])
                rows[-1] += [codmn, bod5, temp, "劣Ⅴ类"]
            elif name == "one_row.xlsx":
                rows.append([section_name, dt.date.fromisoformat(day), cod, nh3n, tp, do, codmn])
                rows[-1] += [bod5, temp, ""]
            else:
                rows.append([code, day, do, codmn, cod, bod5, nh3n, tp])
        received = dt.datetime(2016, int(slot[5:]) + 1, 8, 10)
        if name.endswith(".xlsx"):
            header = _format_header(name == "two_rows.xlsx")
            wh.deliver(FEED, slot, name, header, rows, received=received, title="地表水监测结果")
        else:
            wh.deliver(FEED, slot, name, CODE_HEADER, rows, encoding=encoding, received=received)


def _deliver_all(wh: FeedWarehouse) -> None:
    jan = [code_row(s, "2015-01-12", v) for s, v in RIVERS_JAN]
    wh.deliver(FEED, "2015-01", "一月.csv", CODE_HEADER, jan, received=dt.datetime(2015, 2, 8))
    feb = [
        [n, "2015-02-10", *(v[f] for f in ("dissolved_oxygen", "codmn", "cod", "nh3n", "tp"))]
        for n, v in RIVERS_FEB
    ]
    wh.deliver(
        FEED,
        "2015-02",
        "二月.csv",
        NAME_HEADER,
        feb,
        encoding="gb18030",
        received=dt.datetime(2015, 3, 8),
    )
    wh.deliver(
        FEED, "2015-06", "六月.csv", CODE_HEADER, ERRORS_FILE, received=dt.datetime(2015, 7, 8)
    )
    wh.deliver(
        FEED, "2015-07", "七月.csv", CODE_HEADER, JULY_FIRST, received=dt.datetime(2015, 8, 8)
    )
    wh.deliver(
        FEED,
        "2015-07",
        "七月_更正.csv",
        CODE_HEADER,
        JULY_CORRECTED,
        received=dt.datetime(2015, 8, 20),
    )
    for slot, items in CASE_ROWS.items():
        rows = [code_row(section, day, values) for section, day, values, _, _ in items]
        wh.deliver(FEED, slot, f"{slot}.csv", CODE_HEADER, rows, received=dt.datetime(2016, 1, 8))
    _deliver_formats(wh)
    only_inland = [code_row("FH-JN", "2017-01-09", BASE)]
    wh.deliver(
        FEED, "2017-01", "一月.csv", CODE_HEADER, only_inland, received=dt.datetime(2017, 2, 8)
    )


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    warehouse = FeedWarehouse(tmp_path_factory.mktemp("surface_water"))
    _deliver_all(warehouse)
    reports = warehouse.ingest(FEED)
    assert all(r.status == "loaded" for r in reports), [r for r in reports if r.status != "loaded"]
    warehouse.build(
        "fct_surface_water_rivers", "int_kpi__surface_water", "int_kpi_lineage__surface_water"
    )
    return warehouse


def test_every_violation_is_quarantined_naming_the_cell(wh: FeedWarehouse) -> None:
    reasons = wh.query(
        "select source_row, reason from raw.quarantine where source_file like '%/2015-06/%' "
        "order by source_row"
    )
    assert [reason for _, reason in reasons] == ERROR_REASONS
    assert [row for row, _ in reasons] == list(range(3, 11))


def test_rows_read_equal_loaded_plus_quarantined(wh: FeedWarehouse) -> None:
    files = wh.query(
        "select source_file, rows_read, rows_loaded, rows_quarantined from raw.ingested_files "
        "where feed = ?",
        [FEED],
    )
    for source_file, read, loaded, quarantined in files:
        assert read == loaded + quarantined, source_file
    by_name = {f.split("/", 1)[1]: (r, lo, q) for f, r, lo, q in files}
    assert by_name["2015-06/六月.csv"] == (10, 2, 8)
    assert by_name["2015-01/一月.csv"] == (len(RIVERS_JAN), len(RIVERS_JAN), 0)


def test_below_detection_is_half_the_limit_and_kept_as_delivered(wh: FeedWarehouse) -> None:
    [row] = wh.records(
        f"select * from {STAGED} where section_code = 'FH-JN' and sampled_on = '2015-06-11'"
    )
    assert (row["cod"], row["bod5"], row["nh3n"], row["tp"]) == (2.0, 0.25, 0.0125, 0.005)
    assert (row["cod_original"], row["nh3n_original"], row["tp_original"]) == (
        "未检出",
        "ND",
        "0.01L",
    )


def test_encodings_layouts_and_synonyms_load_the_same_rows(wh: FeedWarehouse) -> None:
    tables = {}
    for slot in FORMATS:
        rows = wh.query(
            "select section_code, cod, nh3n, tp, dissolved_oxygen, codmn, bod5 "
            f"from {STAGED} where strftime(sampled_on, '%Y-%m') = ? order by section_code",
            [slot],
        )
        tables[slot] = {code: tuple(values) for code, *values in rows}
    for slot, table in tables.items():
        assert table == FORMAT_PARSED, slot
    # section names (one-row xlsx) and delivered classes (two-row xlsx) are kept as delivered
    originals = dict(
        wh.query(
            f"select section_code_original, section_code from {STAGED} "
            "where sampled_on = '2016-05-10'"
        )
    )
    assert originals == {"王家摆": "BYH-RJ", "土门楼": "BYH-CJ", "龙河湖": "LHH-JN"}
    delivered = wh.query(
        f"select distinct delivered_class, delivered_class_original from {STAGED} "
        "where sampled_on = '2016-04-10'"
    )
    assert delivered == [("劣V", "劣Ⅴ类")]


def test_a_correction_replaces_exactly_its_month(wh: FeedWarehouse) -> None:
    current = wh.query(
        "select section_code, cast(sampled_on as varchar), cod, delivery_version "
        "from intermediate.int_surface_water__current where delivery_period = '2015-07' "
        "order by 1, 2"
    )
    assert current == [
        ("FH-JN", "2015-07-01", 33.0, 2),
        ("LHH-JN", "2015-07-01", 14.0, 2),
        ("LHH-JN", "2015-07-20", 15.0, 2),
    ]
    history = wh.query(
        f"select regexp_extract(source_file, '[^/]+$'), count(*) from {STAGED} "
        "where strftime(sampled_on, '%Y-%m') = '2015-07' group by 1 order by 1"
    )
    assert history == [("七月.csv", 3), ("七月_更正.csv", 3)]
    others = wh.query(
        "select count(*) from intermediate.int_surface_water__current "
        "where delivery_period = '2015-01'"
    )
    assert others == [(len(RIVERS_JAN),)]


def test_single_factor_classes(wh: FeedWarehouse) -> None:
    found = {
        (section, day.isoformat()): row
        for section, day, *row in wh.query(
            "select section_code, sampled_on, class_rank, cod_class_rank, nh3n_class_rank, "
            "tp_class_rank, dissolved_oxygen_class_rank, codmn_class_rank, bod5_class_rank "
            "from intermediate.int_surface_water__section_months"
        )
    }
    position = dict(zip(FACTORS, range(1, 7), strict=True))
    checked = 0
    for items in CASE_ROWS.values():
        for section, day, _, rank, factor in items:
            row = found[(section, day)]
            if factor is not None:
                assert row[position[factor]] == rank, (section, day, factor)
            assert row[0] == rank, (section, day, factor)
            checked += 1
    assert checked == len(CASES) + len(WORST)
    # the independent classifier agrees with the cases written out above
    for section, factor, value, rank in CASES:
        assert factor_rank(factor, measured(factor, value), section in LAKES) == rank


def test_river_comparison(wh: FeedWarehouse) -> None:
    rivers = {
        (river, year): (result, basis, inbound, outbound)
        for river, year, result, basis, inbound, outbound in wh.query(
            "select river, assessment_year, comparison_result, comparison_basis, inbound_class, "
            "outbound_class from marts.fct_surface_water_rivers"
        )
    }
    assert rivers[("北运河", 2015)] == ("优于", "按年均水质类别比较", "劣Ⅴ类", "Ⅴ类")
    assert rivers[("潮白河", 2015)] == ("未优于", "按年均水质类别比较", "Ⅲ类", "Ⅳ类")
    basis = "同类别，按COD、氨氮、总磷年均浓度比较"
    assert rivers[("泃河", 2015)] == ("优于", basis, "Ⅳ类", "Ⅳ类")
    assert rivers[("永定河", 2015)] == ("未优于", basis, "劣Ⅴ类", "劣Ⅴ类")
    assert rivers[("大清河", 2015)][:2] == ("无法评价", "缺少入境或出境断面当年监测数据")
    assert rivers[("大清河", 2015)][3] == "无监测数据"
    assert rivers[("北运河", 2016)][0] == "优于"
    assert rivers[("潮白河", 2016)][0] == "无法评价"


def _fixture_samples() -> list[tuple[str, int, dict[str, float | None]]]:
    """The current, loadable fixture samples, read back from the hand-written rows."""
    samples = []
    for section, values in RIVERS_JAN:
        samples.append((section, 2015, {f: measured(f, values.get(f)) for f in FACTORS}))
    for name, values in RIVERS_FEB:
        samples.append((NAMES[name], 2015, {f: measured(f, values.get(f)) for f in FACTORS}))
    for code, _, cod, nh3n, tp, do, codmn, bod5, _ in FORMAT_ROWS:
        given = dict(zip(FACTORS, (cod, nh3n, tp, do, codmn, bod5), strict=True))
        for _ in FORMATS:
            samples.append((code, 2016, {f: measured(f, given[f]) for f in FACTORS}))
    samples.append(("FH-JN", 2017, dict(BASE)))
    return samples  # 境内 samples (errors, July, cases) do not enter the comparison


def test_kpi_equals_an_independent_calculation(wh: FeedWarehouse) -> None:
    expected = expected_kpi(_fixture_samples())
    assert expected == {2015: (2.0, 4.0, 0.0), 2016: (1.0, 1.0, 1.0), 2017: (0.0, 0.0, None)}
    rows = wh.query(
        "select kpi_year, scope_type, scope_code, numerator, denominator, actual_value, "
        "reported_prior_value from intermediate.int_kpi__surface_water order by kpi_year"
    )
    assert {y: (n, d, v) for y, _, _, n, d, v, _ in rows} == expected
    assert {(t, s, p) for _, t, s, _, _, _, p in rows} == {("city", CITY, None)}


# --------------------------------------------------------------------------- GX suite


def test_lineage_lists_exactly_the_counted_samples_of_a_value(wh: FeedWarehouse) -> None:
    """The auditor's query: the 2015 value's lineage rows joined to the file register are the
    samples of the 入境 and 出境 sections of the four rivers evaluable in 2015, by folder, file
    and row as delivered: January rows 2–9 (大清河's 入境 sample in row 10 has no 出境 partner),
    February's two 泃河 samples; the 境内 sections FH-JN and LHH-JN of the other 2015 files and
    the 2017 file of the same name never."""
    got = wh.query(
        "select f.source_file, l.source_row "
        "from intermediate.int_kpi_lineage__surface_water as l "
        "inner join raw.ingested_files as f on f.sha256 = l.source_sha256 "
        "where l.kpi_code = ? and l.kpi_year = 2015 and l.scope_type = 'city' "
        "and l.scope_code = ? and l.feed = 'surface_water' and l.source_part is null",
        [KPI, CITY],
    )
    expected = {("2015-01/一月.csv", r) for r in range(2, 10)}
    expected |= {("2015-02/二月.csv", 2), ("2015-02/二月.csv", 3)}
    folder_and_name = [(f"{Path(n).parent.name}/{Path(n).name}", row) for n, row in got]
    assert sorted(folder_and_name) == sorted(expected)


def test_gx_suite_passes_on_the_fixture_and_on_an_empty_table(wh: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(wh.warehouse, STAGED, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == wh.query(f"select count(*) from {STAGED}")[0][0] > 0
    empty = read_duckdb_table(wh.warehouse, STAGED).iloc[0:0]
    outcome = validate_dataframe(empty, SUITE)
    assert outcome.success, [o for o in outcome.outcomes if not o.success]
    assert outcome.row_count == 0


def test_gx_suite_fails_naming_the_bad_rows(wh: FeedWarehouse) -> None:
    frame = read_duckdb_table(wh.warehouse, STAGED)
    frame = frame.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True)
    bad = frame.copy()
    bad.loc[0, "section_code"] = "XX-RJ"
    bad.loc[1, "nh3n"] = -0.5
    bad.loc[2, "dissolved_oxygen"] = 25.0
    bad.loc[3, "bod5"] = bad.loc[3, "cod"] + 10
    bad.loc[4, "delivered_class"] = "VI"
    outcome = validate_dataframe(bad, SUITE)
    failures = {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}
    assert set(failures) == {
        ("expect_column_values_to_be_in_set", "section_code"),
        ("expect_column_values_to_be_between", "nh3n"),
        ("expect_column_values_to_be_between", "dissolved_oxygen"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "cod, bod5"),
        ("expect_column_values_to_be_in_set", "delivered_class"),
    }
    for item in failures.values():
        assert item.unexpected_count == 1, item
        assert item.notes
    assert (
        "XX-RJ" in failures[("expect_column_values_to_be_in_set", "section_code")].sample_unexpected
    )
    duplicated = validate_dataframe(frame.iloc[[0, 0, 1]], SUITE)
    [unique] = duplicated.failed_outcomes
    assert unique.expectation_type == "expect_compound_columns_to_be_unique"


def test_seed_limits_match_the_standard_and_the_contract() -> None:
    seeds = {(r["parameter"], r["water_body"]): r for r in load_seed("ref_gb3838_limits")}
    for (parameter, body), row in seeds.items():
        key = "tp_lake" if parameter == "tp" and body == "lake" else parameter
        assert tuple(float(row[f"class_{i}"]) for i in range(1, 6)) == LIMITS[key], key
        assert row["direction"] == ("min" if parameter == "dissolved_oxygen" else "max")
        if parameter in DETECTION:
            assert float(row["detection_limit"]) == DETECTION[parameter]
            contract = {c["name"]: c for c in CONTRACT["columns"]}[parameter]
            assert contract["below_detection"]["limit"] == DETECTION[parameter]
    assert {p for p, _ in seeds} == set(FACTORS)


# --------------------------------------------------------------------------- the pipeline

FIELDS = {  # generated headers → factor / field
    "断面编码": "section",
    "监测断面": "section",
    "采样日期": "day",
    "监测日期": "day",
    "DO": "dissolved_oxygen",
    "溶解氧": "dissolved_oxygen",
    "监测结果(mg/L)/溶解氧": "dissolved_oxygen",
    "CODMn": "codmn",
    "高锰酸盐指数": "codmn",
    "监测结果(mg/L)/高锰酸盐指数": "codmn",
    "CODcr": "cod",
    "化学需氧量": "cod",
    "监测结果(mg/L)/化学需氧量": "cod",
    "BOD5": "bod5",
    "监测结果(mg/L)/五日生化需氧量": "bod5",
    "NH3-N": "nh3n",
    "氨氮": "nh3n",
    "监测结果(mg/L)/氨氮": "nh3n",
    "TP": "tp",
    "总磷": "tp",
    "监测结果(mg/L)/总磷": "tp",
}


def _section_lookup() -> dict[str, str]:
    names = {}
    for row in load_seed("ref_surface_water_sections"):
        for name in [row["section_code"], row["section_name"], *row["aliases"].split("|")]:
            names[name] = row["section_code"]
    return names


def file_rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """A generated file's rows with their row numbers, keyed by FIELDS, read with openpyxl
    and csv only (a two-row header read as top/sub)."""
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
        (
            index + 1,
            {FIELDS[h]: v for h, v in zip(header, table[index], strict=True) if h in FIELDS},
        )
        for index in range(first, len(table))
    ]


def current_generated_files(files: Iterable[Path]) -> list[Path]:
    """The latest received file of each month folder; a resent copy stands for the file whose
    bytes it repeats (its rows were loaded, once, from that first file)."""
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        by_folder[path.parent].append(path)
    current = []
    for paths in by_folder.values():
        paths.sort(key=lambda p: p.stat().st_mtime)
        latest = paths[-1]
        current.append(next(p for p in paths if p.read_bytes() == latest.read_bytes()))
    return current


def _query(pipeline: Pipeline, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def test_pipeline_files_reconcile(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    files = _query(
        pipeline,
        """
        select f.source_file, f.status, f.rows_read, f.rows_loaded, f.rows_quarantined,
            (select count(*) from raw.surface_water t where t._source_sha256 = f.sha256),
            (select count(*) from raw.quarantine q where q.source_sha256 = f.sha256)
        from raw.ingested_files f where f.feed = ?""",
        [FEED],
    )
    resent = {p for p in summary.files if p.stem.endswith("_重发")}
    assert len(resent) == summary.other_counts["repeated_deliveries"] > 0
    assert {pipeline.raw_dir / f for f, *_ in files} == set(summary.files) - resent
    for source_file, status, read, loaded, quarantined, in_table, in_quarantine in files:
        path = pipeline.raw_dir / source_file
        assert status == "loaded", source_file
        assert read == len(file_rows(path)) == summary.rows_per_file[path], source_file
        assert read == loaded + quarantined, source_file
        assert (loaded, quarantined) == (in_table, in_quarantine), source_file
    repeats = _query(
        pipeline, "select source_file from raw.repeated_deliveries where feed = ?", [FEED]
    )
    assert {pipeline.raw_dir / f for (f,) in repeats} == resent


ERROR_SIGNS = {
    "missing_value": " is empty",
    "negative_concentration": "is below the minimum 0",
    "do_above_20": "溶解氧: '",
    "unknown_section": "unknown monitoring section",
    "outside_period": "is outside the delivery period",
    "duplicate_key": "duplicate 断面/采样日期",
}


def test_pipeline_quarantines_every_injected_mistake(pipeline: Pipeline) -> None:
    summary = pipeline.feeds[FEED]
    assert sum(summary.injected_errors.values()) > 0
    reasons = [
        r for (r,) in _query(pipeline, "select reason from raw.quarantine where feed = ?", [FEED])
    ]
    expected = {k: n for k, n in summary.injected_errors.items() if n}
    assert injected_kinds(reasons, ERROR_SIGNS) == expected


def test_pipeline_gx_check_passed(pipeline: Pipeline) -> None:
    assert_gx_check_passed(pipeline.result, pipeline.warehouse, "stg_raw__surface_water")


def test_pipeline_kpi_equals_an_independent_calculation(pipeline: Pipeline) -> None:
    quarantined = set(
        _query(
            pipeline, "select source_file, source_row from raw.quarantine where feed = ?", [FEED]
        )
    )
    sections = _section_lookup()
    samples = []
    for path in current_generated_files(pipeline.feeds[FEED].files):
        source_file = path.relative_to(pipeline.raw_dir).as_posix()
        for number, row in file_rows(path):
            if (source_file, number) in quarantined:
                continue
            day = row["day"]
            year = day.year if isinstance(day, dt.datetime) else int(str(day)[:4])
            values = {f: measured(f, row.get(f)) for f in FACTORS}
            samples.append((sections[str(row["section"])], year, values))
    expected = expected_kpi(samples)
    assert set(expected) == {2014, 2015, 2016}  # the prior-year baseline included
    found = _query(
        pipeline,
        "select kpi_year, numerator, denominator, actual_value from marts.fct_kpi_values "
        "where kpi_code = ? and scope_code = ?",
        [KPI, CITY],
    )
    found_by_year = {y: (n, d, v) for y, n, d, v in found}
    for year in (2015, 2016):
        assert found_by_year[year] == expected[year], year
    targets = _query(
        pipeline,
        "select assessment_year, actual_value, status from marts.fct_city_targets "
        "where kpi_code = ?",
        [KPI],
    )
    for year, actual, status in targets:
        if year in expected and expected[year][2] is not None:
            assert actual == expected[year][2]
            assert status == ("met" if actual == 1 else "not_met")
    assert {y for y, *_ in targets} >= {2015, 2016}


# --------------------------------------------------------------------------- the generator

SCALE = 0.25


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("generated") / "raw"
    return out, generate_surface_water(out, [2015], scale=SCALE, error_rate=0.0)


def _relative(summary, root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in summary.files}


def test_generator_bytes_are_deterministic(generated, tmp_path: Path) -> None:
    out, summary = generated
    again = generate_surface_water(tmp_path, [2015], scale=SCALE, error_rate=0.0)
    first, second = _relative(summary, out), _relative(again, tmp_path)
    assert list(first) == list(second)
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name


def test_generator_year_unchanged_by_other_years(generated, tmp_path: Path) -> None:
    out, alone_2015 = generated  # 2014 (baseline) and 2015
    both = generate_surface_water(tmp_path / "both", [2016, 2015], scale=SCALE, error_rate=0.0)
    alone_2016 = generate_surface_water(tmp_path / "2016", [2016], scale=SCALE, error_rate=0.0)
    by_name = _relative(both, tmp_path / "both")
    assert {n[:18] for n in by_name} == {f"surface_water/{y}" for y in (2014, 2015, 2016)}
    for summary, root in ((alone_2015, out), (alone_2016, tmp_path / "2016")):
        for name, path in _relative(summary, root).items():
            assert by_name[name].read_bytes() == path.read_bytes(), name


def test_generator_files_carry_their_delivery_time(generated) -> None:
    out, summary = generated
    days = {"_更正": 20, "_重发": 25}
    for path in summary.files:
        year, month = map(int, path.parent.name.split("-"))
        day = days.get(path.stem[-3:], 8)
        delivered = dt.datetime(year + month // 12, month % 12 + 1, day, 10, tzinfo=BEIJING)
        assert path.stat().st_mtime == delivered.timestamp(), path.name
        assert path.parent.parent == out / FEED


def test_generator_formats_corrections_and_volumes(generated, tmp_path: Path) -> None:
    _, summary = generated
    firsts = [p for p in summary.files if p.stem[-3:] not in ("_更正", "_重发")]
    assert [p.parent.name for p in firsts] == [
        f"{y}-{m:02d}" for y in (2014, 2015) for m in range(1, 13)
    ]
    encodings = Counter()
    for path in firsts:
        data = path.read_bytes()
        if path.suffix == ".xlsx":
            encodings["xlsx"] += 1
        elif data.startswith(b"\xef\xbb\xbf"):
            encodings["utf-8-sig"] += 1
        else:
            try:
                data.decode("utf-8")
                encodings["utf-8"] += 1
            except UnicodeDecodeError:
                encodings["gb18030"] += 1
    assert encodings == {"xlsx": 6, "utf-8": 6, "utf-8-sig": 6, "gb18030": 6}
    assert summary.other_counts == {"redeliveries": 2, "repeated_deliveries": 2}
    larger = generate_surface_water(tmp_path, [2015], scale=1.0, error_rate=0.0)
    assert larger.total_rows > 2 * summary.total_rows
    # at scale 1: 出入境 sections three times a month, 境内 once, minus 永定河's dry months
    rows_2015 = sum(
        n
        for p, n in larger.rows_per_file.items()
        if "/2015-" in p.as_posix() and p.stem[-3:] not in ("_更正", "_重发")
    )
    assert rows_2015 == 12 * 32 - 3 * (12 - 4) - 3 * 12


def test_generator_every_mistake_kind_is_quarantined(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    summary = generate_surface_water(wh.raw_dir, [2015], scale=SCALE, error_rate=0.3)
    assert all(summary.injected_errors.values()), summary.injected_errors
    wh.ingest(FEED)
    reasons = [r for (r,) in wh.query("select reason from raw.quarantine")]
    assert injected_kinds(reasons, ERROR_SIGNS) == summary.injected_errors
    clean = generate_surface_water(tmp_path / "clean", [2015], scale=SCALE, error_rate=0.0)
    assert sum(clean.injected_errors.values()) == 0
