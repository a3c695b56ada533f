"""The bureau's Excel export: government-form layout, the published rows exactly, no formula
from data, the same bytes for the same version."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from orchestration import settings
from orchestration.cli import main
from orchestration.export.cells import REPLACEMENT
from orchestration.export.layouts import SHEETS, STATUS_LABELS
from orchestration.export.workbook import export_path, export_workbook
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.publication.reader import NotPublished, read_assessment
from tests.conftest import Pipeline

SHEET_NAMES = ["全市目标完成情况", "县(市、区)考核得分", "市直部门考核得分", "考核得分明细"]
FIRST_DATA_ROW = 5  # title, 填报单位 line, two header rows
FORMULA = re.compile(rb"<f[\s>/]")

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2",
    "@SUM(A1)",
    "=1+2",
    "\t=cmd|' /C calc'!A0",
    "\r=1",
    "＝SUM(A1)",
    "#N/A",
    "=",
]
PUBLISHED_AT = datetime(2016, 12, 31, 17, 5, 9, 123456)  # UTC: 2017-01-01 in Beijing
# Published text columns the hand-made file fills with the texts above.
TEXT_COLUMNS = {"kpi_name", "category", "data_note", "plan_clause", "unit_short_name"}
TEXT_COLUMNS |= {"rank_movement", "unit_name", "component_label", "item_label", "score_note"}


def _formula_parts(path: Path) -> list[str]:
    """Parts of the xlsx holding a formula element."""
    with zipfile.ZipFile(path) as archive:
        return [name for name in archive.namelist() if FORMULA.search(archive.read(name))]


def _data(sheet: Worksheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True) if row[0]]


def _rounded(row: tuple) -> tuple:
    """An xlsx keeps 15 significant digits, as Excel does."""
    return tuple(round(v, 9) if isinstance(v, float) else v for v in row)


def _local_date(published_at: datetime) -> str:
    local = published_at.replace(tzinfo=UTC).astimezone(LOCAL_TIME)
    return f"{local.year}年{local.month}月{local.day}日"


# ---------------------------------------------------------------- a hand-made published file


def _published(path: Path, versions: dict[int, list[str]]) -> Path:
    """A tiny published file: per version, one city target, one county, one unit and one item
    per text in the list, the texts in every text column a sheet shows."""
    with duckdb.connect(str(path)) as conn:
        conn.execute("""
            create table publications (assessment_year integer, version integer,
                published_at timestamp, content_sha256 varchar)""")
        conn.execute("""
            create table city_targets (publication_version integer, kpi_code varchar,
                kpi_name varchar, category varchar, assessment_year integer, unit varchar,
                comparator varchar, target_value double, actual_value double,
                prior_year_value double, yoy_change double, status varchar,
                status_label varchar, data_note varchar, plan_clause varchar)""")
        for table in ("county_scorecard", "unit_scorecard"):
            conn.execute(f"""
                create table {table} (publication_version integer, assessment_year integer,
                    unit_code varchar, unit_short_name varchar, kpi_score double,
                    task_score double,
                    submission_score double, total_score double, score_rank integer,
                    prior_total_score double, prior_rank integer, score_change double,
                    rank_movement varchar)""")
        conn.execute("""
            create table assessment_items (publication_version integer, scorecard varchar,
                assessment_year integer, unit_code varchar, unit_name varchar,
                component varchar, component_label varchar, item_code varchar,
                item_label varchar, status varchar, actual_value double, target_value double,
                item_weight double, score_rate double, weighted_score double,
                score_note varchar)""")
        for version, texts in versions.items():
            conn.execute(
                "insert into publications values (2016, ?, ?, 'c')",
                [version, PUBLISHED_AT + timedelta(days=version - 1)],
            )
            for n, text in enumerate(texts):
                code = f"K{n:02d}"
                conn.execute(
                    "insert into city_targets values "
                    "(?, ?, ?, ?, 2016, '%', 'gte', 92, 91.5, 94, -2.5, 'not_met', '未达标', ?, ?)",
                    [version, code, text, text, text, text],
                )
                for table in ("county_scorecard", "unit_scorecard"):
                    conn.execute(
                        f"insert into {table} values "
                        "(?, 2016, ?, ?, 80, 70, 100, 79.5, ?, 81, 1, -1.5, ?)",
                        [version, code, text, n + 1, text],
                    )
                conn.execute(
                    "insert into assessment_items values (?, 'county', 2016, ?, ?, 'kpi', "
                    "?, ?, ?, 'not_met', 91.5, 92, 2, 0.795, 1.59, ?)",
                    [version, code, text, text, code, text, text],
                )
        for table in ("city_targets", "county_scorecard", "unit_scorecard", "assessment_items"):
            conn.execute(
                f"create view {table}_latest as select * from {table} as t "
                "where publication_version = (select max(version) from publications as p "
                "where p.assessment_year = t.assessment_year)"
            )
    return path


def test_text_from_the_data_is_never_a_formula(tmp_path: Path) -> None:
    texts = [*HOSTILE, "a\x01b"]
    published = _published(tmp_path / "assessment.duckdb", {1: texts})
    result = export_workbook(published, 2016, out=tmp_path / "hostile.xlsx")

    assert _formula_parts(result.path) == []  # no <f> in any sheet, nor anywhere else
    workbook = load_workbook(result.path)
    # A control character an xlsx cannot hold is replaced; a carriage return is a line feed.
    expected = [t.replace("\r", "\n") for t in HOSTILE] + [f"a{REPLACEMENT}b"]
    for layout in SHEETS:
        sheet = workbook[layout.name]
        text_columns = [
            index
            for index, column in enumerate(layout.columns, start=1)
            if isinstance(column.value, str) and column.value in TEXT_COLUMNS
        ]
        assert text_columns, layout.name
        for index in text_columns:
            cells = [sheet.cell(FIRST_DATA_ROW + n, index) for n in range(len(texts))]
            assert sorted(c.value for c in cells) == sorted(expected), (layout.name, index)
            assert {c.data_type for c in cells} == {"s"}
            # Quote prefix: Excel keeps a risky text as text when the cell is edited.
            risky = {c.value for c in cells if c.quotePrefix}
            assert risky == {t for t in expected if t[0] in "=+-@\t\n＝"}
    # Negative numbers stay numbers.
    city = workbook["全市目标完成情况"]
    assert city["H5"].value == -2.5 and city["H5"].data_type == "n"
    county = workbook["县(市、区)考核得分"]
    assert {county.cell(row, 10).value for row in range(5, 5 + len(texts))} == {-1.5}


def test_a_version_is_exported_as_published_and_always_to_the_same_bytes(
    tmp_path: Path,
) -> None:
    published = _published(tmp_path / "assessment.duckdb", {1: ["第一版"], 2: ["第二版", "新增"]})
    first = export_workbook(published, 2016, version=1, out=tmp_path / "a.xlsx")
    again = export_workbook(published, 2016, version=1, out=tmp_path / "b.xlsx")
    latest = export_workbook(published, 2016, out=tmp_path / "c.xlsx")

    assert first.path.read_bytes() == again.path.read_bytes()  # reproducible
    assert first.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert (first.version, latest.version) == (1, 2)
    assert first.rows == dict.fromkeys(SHEET_NAMES, 1)
    assert latest.rows == dict.fromkeys(SHEET_NAMES, 2)
    sheet = load_workbook(first.path)["全市目标完成情况"]
    assert sheet["C5"].value == "第一版"
    assert sheet["F2"].value == "日期：2017年1月1日（第1版）"  # the publication's day in Beijing
    # The workbook carries the publication's time, not the time it was written.
    properties = load_workbook(first.path).properties
    assert properties.created == properties.modified == datetime(2016, 12, 31, 17, 5, 9)
    with pytest.raises(NotPublished, match="no publication version 3 of 2016"):
        read_assessment(published, 2016, version=3)
    with pytest.raises(NotPublished, match="assessment year 2015 is not published"):
        read_assessment(published, 2015)


def test_the_command_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    published = _published(tmp_path / "assessment.duckdb", {1: ["一"]})
    monkeypatch.setenv("LQ_PUBLISHED", str(published))
    with pytest.raises(SystemExit, match="assessment year 1999 is not published"):
        main(["export", "--year", "1999"])
    assert main(["export", "--year", "2016"]) == 0
    written = settings.exports_dir() / "langfang_assessment_2016_v1.xlsx"
    assert str(written) in capsys.readouterr().out and written.exists()


def test_export_names_are_ascii(tmp_path: Path) -> None:
    path = export_path(tmp_path, 2016, 3)
    assert path.name == "langfang_assessment_2016_v3.xlsx" and path.name.isascii()


# ---------------------------------------------------------------- the pipeline's publication


@pytest.fixture(scope="module")
def exported(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "2016.xlsx"
    assert main(["export", "--year", "2016", "--out", str(out)]) == 0
    return out


def test_the_export_is_a_government_form(pipeline: Pipeline, exported: Path) -> None:
    workbook = load_workbook(exported)
    assert workbook.sheetnames == SHEET_NAMES
    with duckdb.connect(str(pipeline.published), read_only=True) as conn:
        version, published_at = conn.execute(
            "select version, published_at from publications where assessment_year = 2016 "
            "order by version desc limit 1"
        ).fetchone()
    for layout in SHEETS:
        sheet = workbook[layout.name]
        last = sheet.cell(3, len(layout.columns)).column_letter
        assert sheet["A1"].value == f"廊坊市2016年度质量兴市工作考核结果——{layout.name}"
        assert sheet["A2"].value == "填报单位：市质量与名牌战略领导小组办公室"
        date_line = next(c.value for c in sheet[2][1:] if c.value)
        assert date_line == f"日期：{_local_date(published_at)}（第{version}版）"
        merged = {str(r) for r in sheet.merged_cells.ranges}
        assert {f"A1:{last}1", "A3:A4", "B3:B4"} <= merged  # title, 序号 and the next column
        assert sheet.freeze_panes == "A5"
        assert sheet.print_title_rows.replace("$", "") == "3:4"
        setup = sheet.page_setup
        shape = (setup.orientation, str(setup.paperSize), setup.fitToWidth, setup.fitToHeight)
        assert shape == ("landscape", sheet.PAPERSIZE_A4, 1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
        assert sheet.page_margins.left == 0.5
        assert sheet.column_dimensions["B"].width > 0
        numbers = [row[0] for row in _data(sheet)]
        assert numbers == list(range(1, len(numbers) + 1)), layout.name  # 序号 1..n
    # two-row header groups
    city, county = workbook["全市目标完成情况"], workbook["县(市、区)考核得分"]
    assert "F3:H3" in {str(r) for r in city.merged_cells.ranges}
    assert [city["F3"].value, city["F4"].value, city["G4"].value, city["H4"].value] == [
        "完成值",
        "本年",
        "上年",
        "同比增减",
    ]
    assert "C3:F3" in {str(r) for r in county.merged_cells.ranges}
    assert county["C3"].value == "考核得分（分）" and county["F4"].value == "总分"
    assert county["C5"].number_format == "0.00"
    # statuses in Chinese
    assert {r[8] for r in _data(city)} <= {"达标", "未达标", "暂无数据", "不考核"}
    assert {r[6] for r in _data(workbook["考核得分明细"])} <= set(STATUS_LABELS.values())
    assert _formula_parts(exported) == []


def test_every_row_is_the_published_row(pipeline: Pipeline, exported: Path) -> None:
    workbook = load_workbook(exported)
    with duckdb.connect(str(pipeline.published), read_only=True) as conn:
        city = conn.execute(
            "select kpi_name, unit, status_label, data_note from city_targets_latest "
            "where assessment_year = 2016"
        ).fetchall()
        scorecards = {
            name: conn.execute(
                "select unit_short_name, kpi_score, task_score, submission_score, total_score, "
                f"score_rank, prior_rank, rank_movement from {table}_latest "
                "where assessment_year = 2016"
            ).fetchall()
            for name, table in (
                ("县(市、区)考核得分", "county_scorecard"),
                ("市直部门考核得分", "unit_scorecard"),
            )
        }
        items = conn.execute(
            "select unit_name, item_code, weighted_score, score_note from assessment_items_latest "
            "where assessment_year = 2016"
        ).fetchall()
    assert city and all(scorecards.values()) and items
    shown = _data(workbook["全市目标完成情况"])
    assert Counter((r[2], r[3], r[8], r[9]) for r in shown) == Counter(city)  # text only
    for name, rows in scorecards.items():
        shown = _data(workbook[name])
        got = Counter(_rounded((r[1], *r[2:7], r[8], r[10])) for r in shown)
        assert got == Counter(map(_rounded, rows)), name
        ranks = [r[6] for r in shown]
        assert ranks == sorted(ranks)  # in order of 名次
    shown = _data(workbook["考核得分明细"])
    got = Counter(_rounded((r[2], r[4], r[11], r[12])) for r in shown)
    assert got == Counter(map(_rounded, items))


def test_refresh_all_writes_a_workbook_for_every_published_year(pipeline: Pipeline) -> None:
    materialised = [
        e.materialization
        for e in pipeline.result.get_asset_materialization_events()
        if e.asset_key == AssetKey(["exports", "assessment_workbook"])
    ]
    metadata = materialised[-1].metadata
    paths = [Path(p) for p in metadata["paths"].value]
    assert [p.name for p in paths] == [
        f"langfang_assessment_{year}_v1.xlsx" for year in (2015, 2016)
    ]
    assert all(p.parent == settings.exports_dir() and p.exists() for p in paths)
    assert metadata["bytes"].value == sum(p.stat().st_size for p in paths)
    assert metadata["sheets"].value == SHEET_NAMES
    assert set(metadata["rows"].value) == {"2015", "2016"}
