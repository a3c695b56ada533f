"""Service satisfaction surveys (服务质量满意度测评结果) through the real loader, dbt and GX:
hand-made deliveries for the contract, corrections and the KPI; the shared pipeline for the
generated files; and the generator itself. Expected values are computed here, independently."""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR, FEEDS_DIR
from sample_data.service_satisfaction import generate_service_satisfaction
from tests.conftest import Pipeline
from tests.feed_helpers import FeedWarehouse

FEED = "service_satisfaction"
CITY = "131000"
SUITE = EXPECTATIONS_DIR / "stg_raw__service_satisfaction.json"
STAGED = "staging.stg_raw__service_satisfaction"
# how an outcome names the compound key check: its columns, in the suite's order
SUITE_KEY = "institute, survey_id, sector_code, county_code, source_sha256"
CONTRACT = yaml.safe_load((FEEDS_DIR / f"{FEED}.yaml").read_text(encoding="utf-8"))
COLUMNS = {column["name"]: column for column in CONTRACT["columns"]}
EMPTY = set(CONTRACT["empty_values"])

TEAM = "国家统计局廊坊调查队"  # folder names as the institutes use them
MONITOR = "public_service_monitor"
TOURISM = "旅游服务质量第三方评估"
HEALTH = "health_survey"

# 国家统计局廊坊调查队: xlsx, title row, 行政区划 merged over 市 | 县区
TEAM_HEADER: list[tuple[str, str | None]] = [
    ("序号", None),
    ("调查编号", None),
    ("调查项目", None),
    ("行政区划", "市"),
    ("行政区划", "县区"),
    ("行业", None),
    ("调查开始日期", None),
    ("调查结束日期", None),
    ("测评口径", None),
    ("有效样本数", None),
    ("满意及非常满意样本数", None),
    ("备注", None),
]
JUNE_START, JUNE_END = dt.date(2015, 6, 1), dt.date(2015, 6, 15)


def _team(n: int, county: str, sector: str, sample: int, satisfied: int, note: str = "") -> list:
    return [
        n,
        "DCD2015-01",
        "2015年服务业顾客满意度调查（第1期）",
        "廊坊市",
        county,
        sector,
        JUNE_START,
        JUNE_END,
        "满意率",
        sample,
        satisfied,
        note or None,
    ]


# the current rows the KPI must pool: (year, scope county or None, measure, sample, satisfied
# or score); written down by hand from the deliveries below (corrections applied)
CURRENT = [
    # team June (corrected): 固安 公共服务, 霸州 公共服务 re-counted, 广阳 商贸 added
    (2015, "131022", "top2_share", 200, 170),
    (2015, "131081", "top2_share", 90, 70),
    (2015, "131003", "top2_share", 50, 40),
    # team November
    (2015, "131022", "top2_share", 100, 60),
    # public-service monitoring: city-wide scores
    (2015, None, "score", 1000, 78.0),
    (2015, None, "score", 1000, 74.0),
    # tourism assessor: county scores
    (2015, "131024", "score", 200, 85.0),
    (2015, "131028", "score", 100, 70.0),
    (2015, "131022", "score", 150, 90.0),
    # health survey 2016: 大城 without a valid questionnaire
    (2016, "131025", "top2_share", 0, 0),
    (2016, "131022", "top2_share", 400, 320),
    (2016, "131002", "top2_share", 300, 270),
]


def _split(text: str) -> list[str]:
    """A row written as one comma-separated line."""
    return text.split(",")


def pooled_values(rows: list[tuple]) -> dict[tuple[int, str, str], tuple[float, float, Any, str]]:
    """(year, scope_type, scope_code) → (numerator, denominator, value, measure): the share
    of satisfied respondents when there are share respondents, else the sample-weighted
    score, else no value. City-wide rows count for the city only."""
    groups: dict[tuple[int, str, str], list[tuple]] = defaultdict(list)
    for row in rows:
        year, county = row[0], row[1]
        groups[(year, "city", CITY)].append(row)
        if county is not None:
            groups[(year, "county", county)].append(row)
    result = {}
    for scope, members in groups.items():
        shares = [r for r in members if r[2] == "top2_share"]
        scores = [r for r in members if r[2] == "score"]
        share_n = sum(r[3] for r in shares)
        score_n = sum(r[3] for r in scores)
        if share_n > 0:
            satisfied = sum(r[4] for r in shares)
            result[scope] = (satisfied, share_n, 100 * satisfied / share_n, "top2_share")
        elif score_n > 0:
            points = sum(r[3] * r[4] for r in scores) / 100
            result[scope] = (points, score_n, 100 * points / score_n, "score")
        else:
            result[scope] = (0, 0, None, "none")
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    wh = FeedWarehouse(tmp_path_factory.mktemp("satisfaction"))
    first = [
        _team(1, "固安县", "公共服务", 200, 170),
        _team(2, "霸州市", "公共服务", 100, 80),
        _team(3, "霸州市", "银行业", 100, 90),
        _team(4, "全市", "公共服务", 300, 250, "合计"),
    ]
    title = "2015年服务业顾客满意度调查（第1期）结果"
    june = f"{TEAM}/2015-06"
    wh.deliver(
        FEED,
        june,
        "第1期.xlsx",
        TEAM_HEADER,
        first,
        received=dt.datetime(2015, 7, 10, 10),
        title=title,
    )
    # the correction: 霸州 re-counted, 霸州 banking withdrawn, 广阳 commerce added, total redone
    fixed = [
        first[0],
        _team(2, "霸州市", "公共服务", 90, 70, "更正：剔除无效问卷10份"),
        _team(3, "广阳区", "商贸", 50, 40, "补报"),
        _team(4, "全市", "公共服务", 290, 240, "合计"),
    ]
    received = dt.datetime(2015, 7, 17, 10)
    wh.deliver(
        FEED,
        june,
        "第1期_更正.xlsx",
        TEAM_HEADER,
        fixed,
        received=received,
        title=f"{title}（更正）",
    )
    # November, as a UTF-8 CSV with other header synonyms and spellings
    wh.deliver(
        FEED,
        f"{TEAM}/2015-11",
        "第2期.csv",
        _split("测评编号,测评项目,县（市、区）,服务行业,结束日期,结果口径,样本量,满意人数"),
        [_split("DCD2015-02,第2期,固安,商贸服务,2015-11-20,满意占比,100,60")],
        received=dt.datetime(2015, 12, 8, 9),
    )
    # the public-service monitoring: city-wide scores, no county column at all
    monitor = "GGJC2015-01,公共服务质量监测,质检总局公共服务质量监测"
    wh.deliver(
        FEED,
        f"{MONITOR}/2015-09",
        "公共服务质量监测.csv",
        _split("测评编号,测评项目名称,测评机构,服务领域,测评日期,测评口径,有效样本量,满意度指数"),
        [
            _split(f"{monitor},公共服务,2015-09-18,满意度指数,1000,78.0"),
            _split(f"{monitor},公共交通,2015-09-18,满意度指数,1000,74"),
        ],
        encoding="utf-8-sig",
        received=dt.datetime(2015, 10, 30, 15),
    )
    tourism = "2015年5月4日,2015年5月18日,综合得分"
    wh.deliver(
        FEED,
        f"{TOURISM}/2015-05",
        "旅游评估.csv",
        _split(
            "项目编号,项目名称,县（市、区）,行业类别,开始日期,结束日期,结果口径,样本量,综合得分,备注"
        ),
        [
            _split(f"LYPG2015-01,旅游评估,香河,旅游,{tourism},200,85.0,—"),
            _split(f"LYPG2015-01,旅游评估,大厂回族自治县,旅游,{tourism},100,70,—"),
            _split(f"LYPG2015-01,旅游评估,固安县,旅游服务,{tourism},150,90,—"),
        ],
        encoding="gb18030",
        received=dt.datetime(2015, 6, 5, 9),
    )
    health = "YLMY2016-01,医疗调查,卫计委医疗服务满意度调查"
    wh.deliver(
        FEED,
        f"{HEALTH}/2016-04",
        "医疗满意度.csv",
        _split(
            "问卷批次,调查名称,调查机构,所在县区,领域,调查起始日期,调查截止日期,统计口径,"
            "有效问卷数,满意人数,说明"
        ),
        [
            _split(f"{health},大城县,医疗,2016/4/1,2016/4/15,满意+非常满意,0,0,无有效问卷"),
            _split(f"{health},固安县,医疗,2016/4/1,2016/4/15,满意+非常满意,400,320,/"),
            _split(f"{health},廊坊市安次区,医疗服务,2016/4/1,2016/4/15,满意+非常满意,300,270,/"),
        ],
        received=dt.datetime(2016, 5, 6, 9),
    )
    reports = wh.ingest(FEED)
    assert [(r.status, r.rows_loaded, r.rows_quarantined) for r in reports] == [
        ("loaded", 3, 0),  # health 2016-04
        ("loaded", 2, 0),  # monitor
        ("loaded", 4, 0),  # team June
        ("loaded", 4, 0),  # team June, corrected
        ("loaded", 1, 0),  # team November
        ("loaded", 3, 0),  # tourism
    ]
    wh.build("int_kpi__service_satisfaction", "int_kpi_lineage__service_satisfaction")
    return wh


def test_a_correction_replaces_exactly_its_slot(built: FeedWarehouse) -> None:
    current = built.query(
        "select delivery_source, delivery_period, county_code, sector_code, sample_size, "
        "satisfied_count, delivery_version from intermediate.int_service_satisfaction__current "
        "where institute = 'lf_survey_team' order by delivery_period, source_row"
    )
    assert current == [
        ("lf_survey_team", "2015-06", "131022", "public_service", 200, 170, 2),
        ("lf_survey_team", "2015-06", "131081", "public_service", 90, 70, 2),
        ("lf_survey_team", "2015-06", "131003", "commerce", 50, 40, 2),
        ("lf_survey_team", "2015-06", None, "public_service", 290, 240, 2),
        ("lf_survey_team", "2015-11", "131022", "commerce", 100, 60, 1),
    ]
    # other institutes' slots are untouched, and staging keeps the replaced rows as history
    assert built.query(
        "select count(*), count(*) filter (where delivery_version = 1) "
        "from intermediate.int_service_satisfaction__current where institute != 'lf_survey_team'"
    ) == [(8, 8)]
    assert built.query(f"select count(*) from {STAGED}") == [(17,)]
    assert built.query(
        f"select count(*) from {STAGED} where source_file like '%第1期.xlsx' "
        "and sector_code = 'finance'"
    ) == [(1,)]


def test_staging_types_codes_and_keeps_what_was_delivered(built: FeedWarehouse) -> None:
    rows = built.records(
        f"select * from {STAGED} where institute = 'tourism_assessor' order by source_row"
    )
    first = rows[0]
    assert (first["county_code"], first["county_code_original"]) == ("131024", "香河")
    assert (first["institute"], first["institute_original"]) == ("tourism_assessor", TOURISM)
    assert (first["fieldwork_start"], first["fieldwork_end"]) == (
        dt.date(2015, 5, 4),
        dt.date(2015, 5, 18),
    )
    assert (first["survey_year"], first["measure"], first["satisfaction_score"]) == (
        2015,
        "score",
        85.0,
    )
    assert first["remarks"] is None and first["top2_share_pct"] is None
    assert rows[2]["sector_code_original"] == "旅游服务"
    assert first["source_file"] == f"{FEED}/{TOURISM}/2015-05/旅游评估.csv"
    assert [r["source_row"] for r in rows] == [2, 3, 4]
    monitor = built.records(f"select * from {STAGED} where institute = 'public_service_monitor'")
    assert {(r["county_code"], r["is_city_wide"]) for r in monitor} == {(None, True)}
    assert {r["institute_original"] for r in monitor} == {"质检总局公共服务质量监测"}
    share = built.records(f"select * from {STAGED} where county_code = '131002'")
    assert share[0]["county_code_original"] == "廊坊市安次区"
    assert share[0]["top2_share_pct"] == 90.0


def test_kpi_equals_an_independent_calculation(built: FeedWarehouse) -> None:
    expected = pooled_values(CURRENT)
    rows = built.records(
        "select kpi_code, kpi_year, scope_type, scope_code, numerator, denominator, "
        "actual_value, reported_prior_value, source_rows "
        "from intermediate.int_kpi__service_satisfaction"
    )
    assert {(r["kpi_year"], r["scope_type"], r["scope_code"]) for r in rows} == set(expected)
    for row in rows:
        numerator, denominator, value, _ = expected[
            (row["kpi_year"], row["scope_type"], row["scope_code"])
        ]
        assert row["kpi_code"] == "SERVICE_SATISFACTION"
        assert row["numerator"] == pytest.approx(numerator)
        assert row["denominator"] == denominator
        if value is None:
            assert row["actual_value"] is None
        else:
            assert row["actual_value"] == pytest.approx(value, abs=1e-4)
        assert row["reported_prior_value"] is None
    # the readings, spelt out: the city pools the county rows and leaves the scores aside;
    # the 全市 total row of the survey team is not counted again
    by_scope = {(r["kpi_year"], r["scope_code"]): r for r in rows}
    assert by_scope[(2015, CITY)]["numerator"] == 340
    assert by_scope[(2015, CITY)]["denominator"] == 440
    assert by_scope[(2015, CITY)]["source_rows"] == 4
    assert by_scope[(2015, "131024")]["actual_value"] == 85.0  # 香河: scores only
    assert by_scope[(2015, "131022")]["actual_value"] == pytest.approx(230 / 3, abs=1e-4)
    assert by_scope[(2016, "131025")]["denominator"] == 0  # 大城: no valid questionnaire
    assert (2015, "131026") not in by_scope  # 文安: no county rows, no county value


def test_lineage_lists_the_rows_of_the_measure_used(built: FeedWarehouse) -> None:
    """The city's 2015 满意率: rows 4–6 of the corrected June workbook (title row 1, two-row
    header rows 2–3; row 7 is its 全市 total) and row 2 of the November CSV, no score row.
    2016: the health survey's rows 3 and 4 for the city, not 大城's row 2 without a valid
    questionnaire, and 大城's own value (none) lists nothing."""
    lineage = built.query(
        "select lineage.kpi_year, lineage.scope_code, "
        "regexp_extract(files.source_file, '[^/]+$'), lineage.source_row "
        "from intermediate.int_kpi_lineage__service_satisfaction as lineage "
        "inner join raw.ingested_files as files on files.sha256 = lineage.source_sha256 "
        "where lineage.scope_code in (?, '131025')",
        [CITY],
    )
    assert sorted(lineage) == sorted(
        [
            (2015, CITY, "第1期_更正.xlsx", 4),
            (2015, CITY, "第1期_更正.xlsx", 5),
            (2015, CITY, "第1期_更正.xlsx", 6),
            (2015, CITY, "第2期.csv", 2),
            (2016, CITY, "医疗满意度.csv", 3),
            (2016, CITY, "医疗满意度.csv", 4),
        ]
    )


def test_pooled_model_shows_the_measure_used_and_both_values(built: FeedWarehouse) -> None:
    rows = {
        (r["kpi_year"], r["scope_code"]): r
        for r in built.records("select * from intermediate.int_service_satisfaction__pooled")
    }
    expected = pooled_values(CURRENT)
    assert {key: row["measure_used"] for key, row in rows.items()} == {
        (year, code): measure for (year, _, code), (_, _, _, measure) in expected.items()
    }
    city = rows[(2015, CITY)]
    assert city["score_value"] == pytest.approx(
        (200 * 85 + 100 * 70 + 150 * 90 + 78000 + 74000) / 2450, abs=1e-4
    )
    assert city["share_value"] == pytest.approx(100 * 340 / 440, abs=1e-4)
    assert rows[(2015, "131022")]["score_value"] == 90.0


# --------------------------------------------------------------------------- the contract

ERRORS_HEADER = _split(
    "问卷批次,调查名称,调查机构,所在县区,领域,调查起始日期,调查截止日期,统计口径,有效问卷数,"
    "满意人数,满意度得分,说明"
)


def _health(**changes: str) -> list[str]:
    row = {
        "问卷批次": "Y1",
        "调查名称": "医疗调查",
        "调查机构": "卫计委医疗服务满意度调查",
        "所在县区": "固安县",
        "领域": "医疗",
        "调查起始日期": "2015-10-01",
        "调查截止日期": "2015-10-12",
        "统计口径": "满意率",
        "有效问卷数": "100",
        "满意人数": "80",
        "满意度得分": "",
        "说明": "",
    }
    row.update(changes)
    return [row[h] for h in ERRORS_HEADER]


# (row, reason) for every kind of violation; row 2 is good
BAD_ROWS: list[tuple[list[str], str]] = [
    (_health(所在县区="北京市朝阳区"), "D3: 县区: unknown county '北京市朝阳区'"),
    (_health(领域="物业服务"), "E4: 行业: unknown service sector '物业服务'"),
    (
        _health(调查机构="旅游服务质量第三方评估"),
        "C5: 测评机构 '旅游服务质量第三方评估' does not match the delivery folder 'health_survey'",
    ),
    (_health(调查机构="某咨询公司"), "C6: 测评机构: unknown 测评机构 '某咨询公司' (allowed: "),
    (_health(统计口径="好评率"), "H7: 测评口径: unknown 测评口径 '好评率' (allowed: "),
    (_health(满意人数=""), "J8: 测评口径为满意率但未填写满意样本数"),
    (_health(统计口径="综合得分", 满意人数=""), "K9: 测评口径为综合得分但未填写满意度得分"),
    (_health(满意人数="120"), "J10: 满意样本数大于有效样本数"),
    (_health(调查起始日期="2015-10-20"), "F11: 调查开始日期晚于调查结束日期"),
    (
        _health(调查截止日期="2015-10-32"),
        "G12: 调查结束日期: '2015-10-32' is not a valid calendar date",
    ),
    (
        _health(调查截止日期="2015-11-03"),
        "G13: 调查结束日期 2015-11-03 is outside the delivery period 2015-10 of its folder",
    ),
    (_health(有效问卷数="约100"), "I14: 有效样本数: '约100' is not a number"),
    (_health(有效问卷数="-5", 满意人数="0"), "I15: 有效样本数: '-5' is below the minimum 0"),
    # reported once: an unreadable score is not also "not filled in"
    (
        _health(统计口径="综合得分", 满意人数="", 满意度得分="120"),
        "K16: 满意度得分: '120' is above the maximum 100",
    ),
    (_health(满意人数="-1"), "J17: 满意样本数: '-1' is below the minimum 0"),
    (_health(问卷批次="/"), "A18: 测评编号 is empty"),
    (
        _health(所在县区="固安"),
        "row 19: duplicate 测评机构/测评编号/行业/县区 health_survey/Y1/medical/131022 "
        "(first at row 2)",
    ),
    (_health(所在县区="全市", 有效问卷数="500", 满意人数="400"), ""),  # a good city-wide row
    (
        _health(所在县区="廊坊市"),
        "row 21: duplicate 测评机构/测评编号/行业/县区 health_survey/Y1/medical/ (first at row 20)",
    ),
    (
        _health(所在县区="天津市", 调查截止日期="2015-10-32"),
        "D22: 县区: unknown county '天津市'; "
        "G22: 调查结束日期: '2015-10-32' is not a valid calendar date",
    ),
]


@pytest.fixture(scope="module")
def quarantined(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    wh = FeedWarehouse(tmp_path_factory.mktemp("satisfaction-errors"))
    rows = [_health()] + [row for row, _ in BAD_ROWS]
    wh.deliver(FEED, f"{HEALTH}/2015-10", "errors.csv", ERRORS_HEADER, rows)
    # the next month repeats a county key and the city-wide key of another slot
    november = [
        _health(调查起始日期="2015-11-01", 调查截止日期="2015-11-12"),
        _health(所在县区="全市", 调查起始日期="2015-11-01", 调查截止日期="2015-11-12"),
        _health(问卷批次="Y2", 调查起始日期="2015-11-01", 调查截止日期="2015-11-12"),
    ]
    wh.deliver(FEED, f"{HEALTH}/2015-11", "repeat.csv", ERRORS_HEADER, november)
    no_sample = [h for h in ERRORS_HEADER if h != "有效问卷数"]
    wh.deliver(FEED, f"{HEALTH}/2015-12", "no_sample.csv", no_sample, [["Y3", *["x"] * 10]])
    wh.deliver(FEED, "某咨询公司/2015-10", "misplaced.csv", ERRORS_HEADER, [_health()])
    reports = wh.ingest(FEED)
    assert len(reports) == 3  # the misplaced file waits in its folder, unread
    return wh


def test_every_violation_is_quarantined_naming_its_cell(quarantined: FeedWarehouse) -> None:
    reasons = dict(
        quarantined.query(
            "select source_row, reason from raw.quarantine where source_file like '%errors.csv'"
        )
    )
    expected = {n: reason for n, (_, reason) in enumerate(BAD_ROWS, start=3) if reason}
    assert set(reasons) == set(expected)
    for row, reason in expected.items():
        if reason.endswith("(allowed: "):
            assert reasons[row].startswith(reason), reasons[row]
        else:
            assert reasons[row] == reason
    loaded = quarantined.query(
        "select _source_row, county_code from raw.service_satisfaction "
        "where _source_file like '%errors.csv' order by 1"
    )
    assert loaded == [(2, "131022"), (20, None)]


def test_keys_of_other_slots_and_missing_columns(quarantined: FeedWarehouse) -> None:
    reasons = quarantined.query(
        "select source_row, reason from raw.quarantine where source_file like '%repeat.csv' "
        "order by 1"
    )
    first = f"{FEED}/{HEALTH}/2015-10/errors.csv"
    key = "duplicate 测评机构/测评编号/行业/县区 health_survey/Y1/medical/"
    assert reasons == [
        (2, f"{key}131022: already loaded from {first} row 2"),
        (3, f"{key}: already loaded from {first} row 20"),
    ]
    [(status, reason, read, loaded, bad)] = quarantined.query(
        "select status, reason, rows_read, rows_loaded, rows_quarantined "
        "from raw.ingested_files where source_file like '%no_sample.csv'"
    )
    assert (status, read, loaded, bad) == ("rejected", 1, 0, 1)
    assert "required columns missing: 有效样本数." in reason


def test_rows_read_equal_loaded_plus_quarantined(quarantined: FeedWarehouse) -> None:
    files = quarantined.query(
        "select f.source_file, f.rows_read, f.rows_loaded, f.rows_quarantined, "
        "(select count(*) from raw.service_satisfaction s where s._source_sha256 = f.sha256), "
        "(select count(*) from raw.quarantine q where q.source_sha256 = f.sha256) "
        "from raw.ingested_files f order by 1"
    )
    delivered = {"errors.csv": len(BAD_ROWS) + 1, "repeat.csv": 3, "no_sample.csv": 1}
    assert len(files) == 3
    for name, read, loaded, bad, in_table, in_quarantine in files:
        assert read == delivered[name.rsplit("/", 1)[1]] == loaded + bad, name
        assert (loaded, bad) == (in_table, in_quarantine), name


# --------------------------------------------------------------------------- formats

# The same two rows, in each format, header layout and several synonyms and spellings.
FORMAT_ROWS = [
    ("DCD2015-07", "固安县", "金融", "满意率", 250, 200, "/"),
    ("DCD2015-07", "全市", "商贸", "满意+非常满意", 400, 300, "合计"),
]
LAYOUTS: dict[str, tuple[str, str, list]] = {
    "utf8.csv": (
        "utf-8",
        "",
        _split("调查编号,调查项目,县区,行业,调查结束日期,测评口径,有效样本数,满意样本数,备注"),
    ),
    "bom.csv": (
        "utf-8-sig",
        "",
        _split("项目编号,测评名称,调查区域,行业类别,调查截止日期,统计口径,样本数,满意数,说明"),
    ),
    "gb.csv": (
        "gb18030",
        "",
        _split(
            "测评项目编号,调查名称,所在县区,服务领域,测评日期,指标口径,调查样本数,"
            "满意和非常满意人数,备注"
        ),
    ),
    "one_row.xlsx": (
        "",
        "满意度调查结果",
        _split(
            "测评编号,测评项目,县（市、区）,测评行业,结束日期,结果类型,有效样本量,"
            "满意及非常满意样本数,备注"
        ),
    ),
    "two_rows.xlsx": (
        "",
        "满意度调查结果",
        [
            "调查编号",
            "调查项目",
            ("行政区划", "市"),
            ("行政区划", "县区"),
            *_split("行业,调查结束日期,测评口径,有效样本数,满意样本数,备注"),
        ],
    ),
}
SPELLINGS = {
    "utf8.csv": ({"固安县": "固安县", "金融": "金融"}, "2015-07-20"),
    "bom.csv": ({"固安县": "固安", "金融": "银行"}, "2015/7/20"),
    "gb.csv": ({"固安县": "131022", "金融": "金融服务"}, "2015年7月20日"),
    "one_row.xlsx": ({"固安县": "固安县", "金融": "银行业金融机构"}, dt.date(2015, 7, 20)),
    "two_rows.xlsx": ({"固安县": "固安县", "金融": "金融"}, dt.date(2015, 7, 20)),
}


def _format_rows(name: str) -> list[list[Any]]:
    spelled, end = SPELLINGS[name]
    rows = []
    for survey, county, sector, measure, sample, satisfied, note in FORMAT_ROWS:
        county_cell = spelled.get(county, county)
        cells: list[Any] = [survey, "第7期调查", county_cell, spelled.get(sector, sector), end]
        if name == "two_rows.xlsx":
            cells.insert(2, "廊坊市")
        numbers: list[Any] = (
            [sample, satisfied] if name.endswith("xlsx") else [str(sample), str(satisfied)]
        )
        rows.append([*cells, measure, *numbers, note])
    return rows


def test_every_format_and_header_layout_loads_the_same_rows(tmp_path: Path) -> None:
    loaded = {}
    for name, (encoding, title, header) in LAYOUTS.items():
        wh = FeedWarehouse(tmp_path / name)
        wh.deliver(
            FEED,
            f"{TEAM}/2015-07",
            name,
            header,
            _format_rows(name),
            encoding=encoding or "utf-8",
            title=title or None,
        )
        [report] = wh.ingest(FEED)
        assert (report.status, report.rows_loaded, report.rows_quarantined) == ("loaded", 2, 0)
        loaded[name] = wh.query(
            "select institute, survey_id, county_code, sector_code, fieldwork_end, measure, "
            "sample_size, satisfied_count, remarks from raw.service_satisfaction order by 2, 3"
        )
    day = dt.date(2015, 7, 20)
    expected = [
        ("lf_survey_team", "DCD2015-07", "131022", "finance", day, "top2_share", 250, 200, None),
        ("lf_survey_team", "DCD2015-07", None, "commerce", day, "top2_share", 400, 300, "合计"),
    ]
    assert {name: rows for name, rows in loaded.items()} == dict.fromkeys(LAYOUTS, expected)


# --------------------------------------------------------------------------- GX suite


def test_suite_passes_on_the_staged_table_and_on_an_empty_one(built: FeedWarehouse) -> None:
    outcome = validate_duckdb_table(built.warehouse, STAGED, SUITE)
    assert outcome.success, [o for o in outcome.failed_outcomes]
    assert outcome.row_count == 17
    empty = read_duckdb_table(built.warehouse, STAGED).head(0)
    assert validate_dataframe(empty, SUITE).success


def test_suite_fails_naming_the_bad_rows(built: FeedWarehouse) -> None:
    frame = read_duckdb_table(built.warehouse, STAGED)
    frame = frame.sort_values(["source_file", "source_row"]).reset_index(drop=True)
    share = frame.index[frame["measure"] == "top2_share"]
    score = frame.index[frame["measure"] == "score"]
    frame.loc[share[0], "satisfied_count"] = frame.loc[share[0], "sample_size"] + 5
    frame.loc[score[0], "satisfaction_score"] = 120.0
    frame.loc[score[1], "satisfaction_score"] = None
    frame.loc[share[1], "sector_code"] = "property"
    city_wide = frame[frame["is_city_wide"]].head(1)
    frame = pd.concat([frame, city_wide], ignore_index=True)  # a city-wide row twice
    outcome = validate_dataframe(frame, SUITE)
    failures = {(o.expectation_type, o.column): o for o in outcome.failed_outcomes}
    assert set(failures) == {
        ("expect_column_pair_values_a_to_be_greater_than_b", "sample_size, satisfied_count"),
        ("expect_column_values_to_be_between", "satisfaction_score"),
        ("expect_column_values_to_not_be_null", "satisfaction_score where measure == 'score'"),
        ("expect_column_values_to_be_in_set", "sector_code"),
        ("expect_compound_columns_to_be_unique", SUITE_KEY),
    }
    named = failures[
        ("expect_column_values_to_not_be_null", "satisfaction_score where measure == 'score'")
    ]
    row = frame.loc[score[1]]
    assert any(
        f"source_file={row['source_file']}" in value and f"source_row={row['source_row']}" in value
        for value in named.sample_unexpected
    ), named.sample_unexpected
    assert (
        "property"
        in failures[("expect_column_values_to_be_in_set", "sector_code")].sample_unexpected
    )
    assert failures[("expect_compound_columns_to_be_unique", SUITE_KEY)].unexpected_count == 2


# --------------------------------------------------------------------------- the pipeline


def _clean(text: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def _lookup(seed: str, code: str, columns: tuple[str, ...]) -> dict[str, str]:
    names = {}
    for row in load_seed(seed):
        for column in columns:
            for name in str(row[column]).split("|"):
                if name:
                    names[_clean(name)] = row[code]
        names[_clean(row[code])] = row[code]
    return names


COUNTY_NAMES = _lookup("ref_counties", "county_code", ("county_name", "short_name", "aliases"))
SECTOR_NAMES = _lookup("ref_service_sectors", "sector_code", ("sector_name", "aliases"))
MEASURES = {_clean(v): k for k, vs in COLUMNS["measure"]["values"].items() for v in vs}
HEADERS = {_clean(h): name for name, c in COLUMNS.items() for h in [c["label"], *c["headers"]]}


def _file_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(row number, contract column → cell) of a generated file, read without the project's
    readers: CSV with a header on line 1; xlsx with a title and one or two header rows."""
    if path.suffix == ".xlsx":
        sheet = load_workbook(path, read_only=True).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        top = next(i for i, r in enumerate(rows) if r[0] == "序号")
        header = [_clean(v) for v in rows[top]]
        first = top + 1
        if rows[first][0] is None:  # a second header row below merged cells
            carried = ""
            for i, sub in enumerate(rows[first]):
                carried = header[i] or carried
                if sub:
                    header[i] = f"{carried}/{_clean(sub)}"
            first += 1
        body = [(first + 1 + i, r) for i, r in enumerate(rows[first:])]
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        lines = list(csv.reader(text.splitlines()))
        header = [_clean(v) for v in lines[0]]
        body = [(i + 2, r) for i, r in enumerate(lines[1:]) if r]
    mapped = [HEADERS.get(h) for h in header]
    return [
        (number, {name: value for name, value in zip(mapped, row, strict=False) if name})
        for number, row in body
    ]


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    numbers = [int(part) for part in re.findall(r"\d+", str(value))]
    return dt.date(*numbers[:3])


def _empty(value: Any) -> bool:
    return value is None or _clean(value) in {_clean(v) for v in EMPTY}


def read_query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@dataclass(frozen=True)
class Generated:
    files: list[Path]
    current: list[tuple]  # as CURRENT: (year, county, measure, sample, result)
    quarantined: set[tuple[str, int]]


@pytest.fixture(scope="module")
def generated(pipeline: Pipeline) -> Generated:
    summary = pipeline.feeds[FEED]
    quarantined = {
        (source_file, row)
        for source_file, row in read_query(
            pipeline.warehouse,
            f"select source_file, source_row from raw.quarantine where feed = '{FEED}'",
        )
    }
    # the current file of a slot (institute folder × month) is the one received last
    latest: dict[Path, Path] = {}
    for path in summary.files:
        slot = path.parent
        if slot not in latest or path.stat().st_mtime > latest[slot].stat().st_mtime:
            latest[slot] = path
    rows: list[tuple] = []
    for path in latest.values():
        source_file = path.relative_to(pipeline.raw_dir).as_posix()
        for number, cells in _file_rows(path):
            if (source_file, number) in quarantined:
                continue
            measure = MEASURES[_clean(cells["measure"])]
            county = cells.get("county_code")
            result = (
                cells["satisfied_count"] if measure == "top2_share" else cells["satisfaction_score"]
            )
            rows.append(
                (
                    _date(cells["fieldwork_end"]).year,
                    None if _empty(county) else COUNTY_NAMES[_clean(county)],
                    measure,
                    int(cells["sample_size"]),
                    float(result),
                    path,
                    cells["survey_id"],
                    SECTOR_NAMES[_clean(cells["sector_code"])],
                )
            )
    # a 全市 row of a survey and sector that has county rows is their total: not counted again
    with_counties = {(r[5], r[6], r[7]) for r in rows if r[1] is not None}
    current = [r[:5] for r in rows if r[1] is not None or (r[5], r[6], r[7]) not in with_counties]
    return Generated(list(summary.files), current, quarantined)


def test_pipeline_files_reconcile(pipeline: Pipeline, generated: Generated) -> None:
    files = {
        row[0]: row[1:]
        for row in read_query(
            pipeline.warehouse,
            "select source_file, status, rows_read, rows_loaded, rows_quarantined "
            "from raw.ingested_files where feed = 'service_satisfaction'",
        )
    }
    assert len(files) == len(generated.files) > 0
    summary = pipeline.feeds[FEED]
    for path in generated.files:
        status, read, loaded, bad = files[path.relative_to(pipeline.raw_dir).as_posix()]
        assert status == "loaded"
        assert read == len(_file_rows(path)) == summary.rows_per_file[path] == loaded + bad


ERROR_REASONS = {
    "unknown_sector": "unknown service sector",
    "unknown_county": "unknown county",
    "unknown_measure": "unknown 测评口径",
    "missing_result": "但未填写",
    "satisfied_exceeds_sample": "满意样本数大于有效样本数",
    "score_out_of_range": "is above the maximum 100",
    "bad_sample_size": "有效样本数: '",
    "bad_date": "is not a valid calendar date",
    "outside_period": "is outside the delivery period",
    "start_after_end": "调查开始日期晚于调查结束日期",
}


def _kinds(reasons: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    for reason in reasons:
        kinds = [kind for kind, text in ERROR_REASONS.items() if text in reason]
        assert len(kinds) == 1 and ";" not in reason, reason  # exactly one violation a row
        found[kinds[0]] += 1
    return found


def test_pipeline_quarantines_every_injected_mistake(pipeline: Pipeline) -> None:
    reasons = [
        r[0]
        for r in read_query(
            pipeline.warehouse,
            "select reason from raw.quarantine where feed = 'service_satisfaction'",
        )
    ]
    injected = {k: v for k, v in pipeline.feeds[FEED].injected_errors.items() if v}
    assert sum(injected.values()) > 0
    assert _kinds(reasons) == Counter(injected)
    assert all(re.match(r"^[A-Z]+\d+: ", reason) for reason in reasons)


def test_pipeline_gx_check_passed(pipeline: Pipeline) -> None:
    evaluations = {e.check_name: e for e in pipeline.result.get_asset_check_evaluations()}
    gx = evaluations["gx_stg_raw__service_satisfaction"]
    assert gx.passed
    assert gx.metadata["rows_validated"].value > 0


def test_pipeline_kpi_equals_an_independent_calculation(
    pipeline: Pipeline, generated: Generated
) -> None:
    expected = pooled_values(generated.current)
    values = read_query(
        pipeline.warehouse,
        "select kpi_year, scope_type, scope_code, numerator, denominator, actual_value "
        "from marts.fct_kpi_values where kpi_code = 'SERVICE_SATISFACTION'",
    )
    assert {(y, t, c) for y, t, c, *_ in values} == set(expected)
    for year, scope_type, code, numerator, denominator, value in values:
        want = expected[(year, scope_type, code)]
        assert (numerator, denominator) == (pytest.approx(want[0]), want[1])
        assert value == pytest.approx(want[2], abs=1e-4), (year, code)
    measures = {measure for *_, measure in expected.values()}
    assert {"top2_share", "score"} <= measures  # the sample data exercises both readings
    city = read_query(
        pipeline.warehouse,
        "select assessment_year, actual_value, status from marts.fct_city_targets "
        "where kpi_code = 'SERVICE_SATISFACTION' and actual_value is not null",
    )
    assert {year for year, *_ in city} == {2015, 2016}
    [target] = [
        float(row["target_value"])
        for row in load_seed("ref_kpi_catalogue")
        if row["kpi_code"] == "SERVICE_SATISFACTION"
    ]
    for year, value, status in city:
        assert value == pytest.approx(expected[(year, "city", CITY)][2], abs=1e-4)
        assert status == ("met" if value >= target else "not_met")


# --------------------------------------------------------------------------- the generator


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_generator_is_deterministic_and_a_year_does_not_depend_on_others(tmp_path: Path) -> None:
    one = generate_service_satisfaction(tmp_path / "a", [2015, 2016], scale=0.5, error_rate=0.05)
    again = generate_service_satisfaction(tmp_path / "b", [2015, 2016], scale=0.5, error_rate=0.05)
    alone = generate_service_satisfaction(tmp_path / "c", [2015], scale=0.5, error_rate=0.05)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert one.injected_errors == again.injected_errors
    both = _tree(tmp_path / "a")
    only_2015 = _tree(tmp_path / "c")
    assert only_2015 and all(both[name] == data for name, data in only_2015.items())
    assert {name for name in both if "/2015-" in name} == set(only_2015)
    assert alone.other_counts == {"redeliveries": 1}


def test_generator_clean_content_does_not_depend_on_the_error_rate(tmp_path: Path) -> None:
    clean = generate_service_satisfaction(tmp_path / "clean", [2015], error_rate=0)
    noisy = generate_service_satisfaction(tmp_path / "noisy", [2015], error_rate=0.3)
    assert sum(clean.injected_errors.values()) == 0 < sum(noisy.injected_errors.values())
    assert clean.rows_per_file.values() and list(clean.rows_per_file.values()) == list(
        noisy.rows_per_file.values()
    )
    clean_tree, noisy_tree = _tree(tmp_path / "clean"), _tree(tmp_path / "noisy")
    corrections = [name for name in clean_tree if "_更正" in name]
    assert corrections and all(clean_tree[n] == noisy_tree[n] for n in corrections)


def test_generator_mtimes_are_delivery_times(tmp_path: Path) -> None:
    summary = generate_service_satisfaction(tmp_path, [2015, 2016], scale=1, error_rate=0)
    for path in summary.files:
        received = dt.datetime.fromtimestamp(
            path.stat().st_mtime, dt.timezone(dt.timedelta(hours=8))
        )
        ends = {_date(cells["fieldwork_end"]) for _, cells in _file_rows(path)}
        assert (
            max(ends) + dt.timedelta(days=14)
            <= received.date()
            <= max(ends) + dt.timedelta(days=60)
        )
        assert 9 <= received.hour <= 16, path
        if "_更正" in path.name:
            original = path.with_name(path.name.replace("_更正", ""))
            assert path.stat().st_mtime - original.stat().st_mtime == 7 * 86400


def test_generator_volumes_scale_and_corrections_change_rows(tmp_path: Path) -> None:
    volumes = {
        scale: generate_service_satisfaction(tmp_path / str(scale), [2016], scale=scale).total_rows
        for scale in (0.25, 1, 2)
    }
    assert volumes[0.25] < volumes[1] < volumes[2]
    summary = generate_service_satisfaction(tmp_path / "fix", [2015], scale=1)
    [correction] = [p for p in summary.files if "_更正" in p.name]
    original = correction.with_name(correction.name.replace("_更正", ""))

    def cells(path: Path) -> dict[tuple, tuple]:
        return {
            (c["survey_id"], c["sector_code"], c.get("county_code")): (
                c["sample_size"],
                c.get("satisfied_count"),
            )
            for _, c in _file_rows(path)
        }

    before, after = cells(original), cells(correction)
    assert len(set(after) - set(before)) == 1  # one row added
    assert len(set(before) - set(after)) == 1  # one withdrawn
    changed = [k for k in set(before) & set(after) if before[k] != after[k]]
    assert len(changed) >= 3  # re-counted rows and their 全市 totals


def test_every_injected_error_kind_is_quarantined_by_the_contract(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    summary = generate_service_satisfaction(wh.raw_dir, [2015, 2016], scale=2, error_rate=0.5)
    assert all(summary.injected_errors[kind] > 0 for kind in ERROR_REASONS)
    reports = wh.ingest(FEED)
    assert sum(r.rows_quarantined for r in reports) == sum(summary.injected_errors.values())
    reasons = [r[0] for r in wh.query("select reason from raw.quarantine")]
    assert _kinds(reasons) == Counter(summary.injected_errors)
    # and without errors every row loads
    clean = FeedWarehouse(tmp_path / "clean")
    total = generate_service_satisfaction(clean.raw_dir, [2015, 2016], error_rate=0).total_rows
    assert sum(r.rows_loaded for r in clean.ingest(FEED)) == total
