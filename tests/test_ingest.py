"""The shared ingestion machinery on small hand-made files: encodings, layouts, bad rows,
bad files, idempotency and reconciliation."""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from orchestration.domain.credit_code import check_digit
from orchestration.ingest import landing, loader
from orchestration.ingest.contract import load_contract
from orchestration.ingest.loader import ingest_feed, ingest_landed
from orchestration.ingest.normalise import (
    NOT_A_NUMBER,
    parse_date,
    parse_decimal,
    parse_integer,
    read_number,
)
from orchestration.submissions import cell_values
from orchestration.submissions.cell_values import Issue

CONTRACT = load_contract("spot_checks")
HEADER = [
    "序号",
    "抽样编号",
    "抽查类型",
    "抽样日期",
    "县区",
    "受检单位",
    "统一社会信用代码",
    "产品类别",
    "产品名称",
    "规格型号",
    "生产日期或批号",
    "抽样单位",
    "检验机构",
    "检验结论",
    "不合格项目",
]
CODE = "9113102210000001" + "2"
CODE += check_digit(CODE)

# A delivery folder of the landing layout: spot_checks/<stream>/<YYYY-MM>/.
SLOT_DIR = Path("spot_checks/manufacturing/2015-03")


def _row(n: int, **changes: str) -> list[str]:
    values = dict(
        zip(
            HEADER,
            [
                str(n),
                f"JD-T-{n}",
                "监督抽查",
                "2015-03-17",
                "固安县",
                "某电缆公司",
                CODE,
                "电线电缆",
                "电缆",
                "/",
                "/",
                "市质监局",
                "检验所",
                "合格",
                "/",
            ],
            strict=True,
        )
    )
    values.update(changes)
    return [values[h] for h in HEADER]


def _write_csv(
    path: Path, rows: list[list[str]], encoding: str = "utf-8", header: list[str] = HEADER
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding=encoding)
    return path


@pytest.fixture
def env(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path, Path]:
    conn = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield conn, tmp_path / "raw", tmp_path / "store"
    conn.close()


def _ingest(env: tuple[duckdb.DuckDBPyConnection, Path, Path]) -> list:
    conn, raw, store = env
    return ingest_feed(conn, CONTRACT, raw, store)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_load_the_same_rows(env, encoding: str) -> None:
    _write_csv(
        env[1] / SLOT_DIR / "a.csv",
        [_row(1), _row(2, 检验结论="F", 不合格项目="导体电阻")],
        encoding,
    )
    [report] = _ingest(env)
    assert (report.status, report.rows_loaded, report.rows_quarantined) == ("loaded", 2, 0)
    rows = (
        env[0]
        .execute("select county_code, verdict, sampled_on from raw.spot_checks order by sample_no")
        .fetchall()
    )
    assert rows == [("131022", "pass", date(2015, 3, 17)), ("131022", "fail", date(2015, 3, 17))]


def test_xlsx_with_a_title_row_and_synonym_headers(env) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "抽检结果"
    sheet.append(["廊坊市2015年3月监督抽查结果"])
    sheet.merge_cells("A1:O1")
    header = [
        h.replace("受检单位", "标称生产企业名称").replace("抽样日期", "监督抽查时间")
        for h in HEADER
    ]
    sheet.append(header)
    sheet.append(_row(1, 抽样日期=None))  # replaced below by a real date cell
    sheet["D3"] = date(2015, 3, 2)
    sheet.append(_row(2, 县区="北京市朝阳区"))
    path = env[1] / SLOT_DIR / "b.xlsx"
    path.parent.mkdir(parents=True)
    workbook.save(path)
    [report] = _ingest(env)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    assert env[0].execute(
        "select sampled_on, _source_sheet, _source_row from raw.spot_checks"
    ).fetchall() == [(date(2015, 3, 2), "抽检结果", 3)]
    reason, raw_record = (
        env[0].execute("select reason, raw_record from raw.quarantine").fetchall()[0]
    )
    assert reason == "E4: 县区: unknown county '北京市朝阳区'"
    assert json.loads(raw_record)["标称生产企业名称"] == "某电缆公司"


def test_every_problem_of_a_row_is_named_by_cell(env) -> None:
    bad = _row(3, 抽样日期="2015-13-45", 统一社会信用代码=CODE[:-1] + "0", 检验结论="待定")
    _write_csv(env[1] / SLOT_DIR / "c.csv", [_row(1), bad, _row(4, 检验结论="不合格")])
    [report] = _ingest(env)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 1, 2)
    reasons = [
        r[0]
        for r in env[0].execute("select reason from raw.quarantine order by source_row").fetchall()
    ]
    assert reasons[0].startswith("D3: 抽样日期: '2015-13-45' is not a valid calendar date; G3: ")
    assert "N3: 检验结论: unknown 检验结论 '待定'" in reasons[0]
    assert reasons[1] == "O4: 检验结论为不合格但未填写不合格项目"


def test_duplicate_sample_numbers_within_and_across_files(env) -> None:
    _write_csv(env[1] / SLOT_DIR / "d1.csv", [_row(1), _row(1)])
    april = "spot_checks/manufacturing/2015-04"
    _write_csv(
        env[1] / april / "d2.csv", [_row(1, 抽样日期="2015-04-02"), _row(2, 抽样日期="2015-04-02")]
    )
    reports = _ingest(env)
    assert [(r.rows_loaded, r.rows_quarantined) for r in reports] == [(1, 1), (1, 1)]
    reasons = [
        r[0]
        for r in env[0].execute("select reason from raw.quarantine order by source_file").fetchall()
    ]
    assert "duplicate 抽样编号 JD-T-1 (first at row 2)" in reasons[0]
    assert f"already loaded from {SLOT_DIR.as_posix()}/d1.csv row 2" in reasons[1]


def test_a_file_whose_write_fails_leaves_its_batch_loaded_and_is_read_again(
    env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are written in batches, one transaction each; a fault in one file's write (here
    a bookkeeping row the table refuses) falls back to file by file, so only that file fails,
    nothing of it is written, and the next pass reads it."""
    _write_csv(env[1] / SLOT_DIR / "a.csv", [_row(1)])
    _write_csv(env[1] / SLOT_DIR / "b.csv", [_row(2), _row(3, 检验结论="待定")])
    _write_csv(env[1] / SLOT_DIR / "c.csv", [_row(4)])
    real = loader.file_record

    def refused_for_b(*args, **kwargs):  # a record that breaks the table's NOT NULL rule
        record = real(*args, **kwargs)
        return {**record, "status": None} if record["source_file"].endswith("b.csv") else record

    monkeypatch.setattr(loader, "file_record", refused_for_b)
    reports = _ingest(env)
    assert [(r.source_file[-5:], r.status, r.rows_loaded) for r in reports] == [
        ("a.csv", "loaded", 1),
        ("b.csv", "failed", 0),
        ("c.csv", "loaded", 1),
    ]
    count = "select count(*) from raw.spot_checks where _source_file like ?"
    assert env[0].execute(count, ["%b.csv"]).fetchall() == [(0,)]
    assert env[0].execute("select count(*) from raw.quarantine").fetchall() == [(0,)]
    monkeypatch.setattr(loader, "file_record", real)
    [again] = [r for r in _ingest(env) if r.status != "already_ingested"]
    assert (again.source_file[-5:], again.rows_loaded, again.rows_quarantined) == ("b.csv", 1, 1)


def test_a_key_of_an_earlier_pass_and_of_an_earlier_file_of_the_batch_is_a_duplicate(
    env,
) -> None:
    _write_csv(env[1] / SLOT_DIR / "d1.csv", [_row(1)])
    _ingest(env)
    april = "spot_checks/manufacturing/2015-04"
    may = "spot_checks/manufacturing/2015-05"
    _write_csv(
        env[1] / april / "d2.csv", [_row(1, 抽样日期="2015-04-02"), _row(5, 抽样日期="2015-04-02")]
    )
    _write_csv(
        env[1] / may / "d3.csv", [_row(5, 抽样日期="2015-05-02"), _row(6, 抽样日期="2015-05-02")]
    )
    reports = [r for r in _ingest(env) if r.status == "loaded"]
    assert [(r.rows_loaded, r.rows_quarantined) for r in reports] == [(1, 1), (1, 1)]
    reasons = env[0].execute("select reason from raw.quarantine order by source_file").fetchall()
    assert reasons[0][0].endswith(f"already loaded from {SLOT_DIR.as_posix()}/d1.csv row 2")
    assert reasons[1][0].endswith(f"already loaded from {april}/d2.csv row 3")


def test_a_correction_in_the_same_slot_repeats_its_keys_without_duplicates(env) -> None:
    first = _write_csv(env[1] / SLOT_DIR / "d1.csv", [_row(1), _row(2)])
    os.utime(first, (first.stat().st_mtime - 3600,) * 2)
    _write_csv(env[1] / SLOT_DIR / "d1_更正.csv", [_row(1, 检验结论="不合格", 不合格项目="绝缘")])
    reports = _ingest(env)
    assert [(r.rows_loaded, r.rows_quarantined) for r in reports] == [(2, 0), (1, 0)]
    slots = (
        env[0]
        .execute(
            "select delivery_source, delivery_period, received_at from raw.ingested_files "
            "order by received_at"
        )
        .fetchall()
    )
    assert [s[:2] for s in slots] == [("manufacturing", "2015-03")] * 2
    assert slots[0][2] < slots[1][2]


def test_a_file_outside_the_landing_layout_is_left_in_place_and_reported(env) -> None:
    conn, raw, store = env
    misplaced = _write_csv(raw / "spot_checks" / "loose.csv", [_row(1)])
    unknown = _write_csv(raw / "spot_checks" / "火星抽查" / "2015-03" / "a.csv", [_row(1)])
    badmonth = _write_csv(raw / "spot_checks" / "manufacturing" / "2015-3" / "a.csv", [_row(1)])
    early = _write_csv(raw / "spot_checks" / "manufacturing" / "2013-12" / "a.csv", [_row(1)])
    landed = ingest_landed(conn, CONTRACT, raw, store, 0)
    assert landed.reports == []
    reasons = dict(landed.misplaced)
    assert "expected spot_checks/<抽查类型>/<YYYY-MM>/<file>" in reasons["spot_checks/loose.csv"]
    assert "unknown spot-check type '火星抽查'" in reasons["spot_checks/火星抽查/2015-03/a.csv"]
    assert "'2015-3' is not YYYY-MM" in reasons["spot_checks/manufacturing/2015-3/a.csv"]
    assert "before 2014-01" in reasons["spot_checks/manufacturing/2013-12/a.csv"]
    assert all(p.exists() for p in (misplaced, unknown, badmonth, early))
    assert conn.execute("select count(*) from raw.ingested_files").fetchall() == [(0,)]


def test_a_month_run_reads_only_that_month(env) -> None:
    conn, raw, store = env
    _write_csv(raw / SLOT_DIR / "march.csv", [_row(1)])
    _write_csv(
        raw / "spot_checks/food/2015-04/april.csv", [_row(2, 抽查类型="", 抽样日期="2015-04-01")]
    )
    april = ingest_landed(conn, CONTRACT, raw, store, 0, frozenset({"2015-04"}))
    assert [(r.source_file, r.rows_loaded) for r in april.reports] == [
        ("spot_checks/food/2015-04/april.csv", 1)
    ]
    assert conn.execute("select stream_code from raw.spot_checks").fetchall() == [("food",)]
    rest = ingest_landed(conn, CONTRACT, raw, store, 0)
    assert [r.status for r in rest.reports] == ["already_ingested", "loaded"]


def test_rows_must_agree_with_their_delivery_folder(env) -> None:
    _write_csv(
        env[1] / SLOT_DIR / "a.csv",
        [_row(1, 抽查类型="食品安全监督抽检"), _row(2, 抽样日期="2015-04-01"), _row(3)],
    )
    [report] = _ingest(env)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 2)
    reasons = [
        r[0]
        for r in env[0].execute("select reason from raw.quarantine order by source_row").fetchall()
    ]
    assert reasons == [
        "C2: 抽查类型 '食品安全监督抽检' does not match the delivery folder 'manufacturing'",
        "D3: 抽样日期 2015-04-01 is outside the delivery period 2015-03 of its folder",
    ]


def _received(path: Path, hours: float) -> Path:
    """Give a file a receipt time `hours` after a fixed morning (its modification time)."""
    stamp = time.mktime((2015, 4, 5, 9, 0, 0, 0, 0, -1)) + hours * 3600
    os.utime(path, (stamp, stamp))
    return path


def test_the_same_file_twice_loads_once(env) -> None:
    path = _received(_write_csv(env[1] / SLOT_DIR / "e.csv", [_row(1), _row(2)]), 0)
    first = _ingest(env)
    # a copy that keeps its time is the same receipt; one received later is a new receipt
    for name, hours in (("e-copy.csv", 0), ("e-again.csv", 2)):
        path.with_name(name).write_bytes(path.read_bytes())
        _received(path.with_name(name), hours)
    second = _ingest(env)
    third = _ingest(env)
    assert [r.status for r in first] == ["loaded"]
    by_name = {Path(r.source_file).name: r for r in second}
    assert {name: r.status for name, r in by_name.items()} == {
        "e.csv": "already_ingested",
        "e-copy.csv": "already_ingested",
        "e-again.csv": "repeated",
    }
    assert "delivered again" in (by_name["e-again.csv"].reason or "")
    assert {r.status for r in third} == {"already_ingested"}  # every receipt is known now
    assert env[0].execute("select count(*) from raw.spot_checks").fetchall()[0][0] == 2
    assert env[0].execute("select count(*) from raw.ingested_files").fetchall()[0][0] == 1
    assert env[0].execute("select count(*) from raw.repeated_deliveries").fetchall()[0][0] == 1


def test_known_content_in_another_slot_is_a_receipt_without_rows_of_its_own(env) -> None:
    """A header-only 零报告 copied into the next month is that month's delivery of "none";
    a file with rows copied into another month does not load its rows twice."""
    april = "spot_checks/manufacturing/2015-04"
    zero = _write_csv(env[1] / SLOT_DIR / "zero.csv", [])
    copied = _write_csv(env[1] / april / "zero.csv", [])
    assert zero.read_bytes() == copied.read_bytes()
    may = "spot_checks/manufacturing/2015-05"
    with_rows = _write_csv(env[1] / may / "m.csv", [_row(1, 抽样日期="2015-05-06")])
    misfiled = env[1] / "spot_checks/manufacturing/2015-06" / "m.csv"
    misfiled.parent.mkdir(parents=True)
    misfiled.write_bytes(with_rows.read_bytes())
    reports = {r.source_file: r for r in _ingest(env)}
    statuses = {name.split("/")[2]: r.status for name, r in reports.items()}
    assert statuses == {
        "2015-03": "loaded",
        "2015-04": "repeated",
        "2015-05": "loaded",
        "2015-06": "repeated",
    }
    reasons = {name.split("/")[2]: r.reason for name, r in reports.items()}
    assert "a delivery of no rows, counted for 2015-04" in reasons["2015-04"]
    assert "its rows count there only, not again for 2015-06" in reasons["2015-06"]
    assert all(r.rows_read == 0 for r in reports.values() if r.status == "repeated")
    assert env[0].execute("select count(*) from raw.spot_checks").fetchall()[0][0] == 1
    repeats = (
        env[0]
        .execute(
            "select delivery_period, first_source_file from raw.repeated_deliveries order by 1"
        )
        .fetchall()
    )
    assert repeats == [
        ("2015-04", f"{SLOT_DIR.as_posix()}/zero.csv"),
        ("2015-06", "spot_checks/manufacturing/2015-05/m.csv"),
    ]


def test_unreadable_and_foreign_files_are_rejected_kept_and_counted(env) -> None:
    folder = env[1] / SLOT_DIR
    folder.mkdir(parents=True)
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (folder / "legacy.xls").write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    _write_csv(folder / "other.csv", [["1", "x"], ["2", "y"]], header=["序号", "产品名称"])
    reports = {r.source_file: r for r in _ingest(env)}
    assert {r.status for r in reports.values()} == {"rejected"}
    assert (
        "not a readable xlsx workbook"
        in reports["spot_checks/manufacturing/2015-03/broken.xlsx"].reason
    )
    assert ".xls is not accepted" in reports["spot_checks/manufacturing/2015-03/legacy.xls"].reason
    other = reports["spot_checks/manufacturing/2015-03/other.csv"]
    assert "no header row found" in other.reason or "required columns missing" in other.reason
    files = (
        env[0]
        .execute(
            "select source_file, rows_read, rows_loaded, rows_quarantined, "
            "stored_path from raw.ingested_files"
        )
        .fetchall()
    )
    assert len(files) == 3
    for _, read, loaded, quarantined, stored in files:
        assert read == loaded + quarantined
        assert Path(stored).exists()


def test_missing_required_columns_quarantine_every_row(env) -> None:
    header = [h for h in HEADER if h != "检验结论"]
    rows = [[v for h, v in zip(HEADER, _row(n), strict=True) if h != "检验结论"] for n in (1, 2)]
    _write_csv(env[1] / SLOT_DIR / "f.csv", rows, header=header)
    [report] = _ingest(env)
    assert (report.status, report.rows_read, report.rows_quarantined) == ("rejected", 2, 2)
    assert "required columns missing: 检验结论" in report.reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2015-03-17", date(2015, 3, 17)),
        ("2015/3/7", date(2015, 3, 7)),
        ("2015.3.7", date(2015, 3, 7)),
        ("2015年3月7日", date(2015, 3, 7)),
        ("２０１５－０３－１７", date(2015, 3, 17)),
        ("20150317", date(2015, 3, 17)),
        (42080, date(2015, 3, 17)),
        ("2015-03-17 00:00:00", date(2015, 3, 17)),
    ],
)
def test_date_spellings(raw: object, expected: date) -> None:
    assert parse_date(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["三月十七日", "2015-02-30", "17/03/2015", 12])
def test_unreadable_dates_say_why(raw: object) -> None:
    value, problem = parse_date(raw)
    assert value is None and problem


def test_delivered_files_are_kept_as_delivered_by_content_hash(env) -> None:
    path = _write_csv(env[1] / SLOT_DIR / "g.csv", [_row(1)], encoding="gb18030")
    delivered = path.read_bytes()
    _ingest(env)
    path.unlink()  # people tidy the landing zone; lineage must not depend on it
    [(sha256, stored)] = (
        env[0].execute("select sha256, stored_path from raw.ingested_files").fetchall()
    )
    assert Path(stored).read_bytes() == delivered
    assert hashlib.sha256(delivered).hexdigest() == sha256 == Path(stored).name.split(".")[0]
    assert not Path(stored).stat().st_mode & 0o222  # read-only


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (20151209, date(2015, 12, 9)),  # a date typed as a number
        (20151209.0, date(2015, 12, 9)),
        (19000101, date(1900, 1, 1)),
        (21001231, date(2100, 12, 31)),
        ("42080", date(2015, 3, 17)),  # a serial date stored as text
        (80000, date(2119, 1, 11)),
    ],
)
def test_numbers_that_are_dates(raw: object, expected: date) -> None:
    assert parse_date(raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (20151345, "'20151345' is not a valid calendar date"),
        (21001232, "'21001232' is not a date"),
        (20151209.5, "'20151209.5' is not a date"),
        (80001, "'80001' is not a date"),
        (float("nan"), "'nan' is not a date"),
    ],
)
def test_numbers_that_are_not_dates(raw: object, problem: str) -> None:
    assert parse_date(raw) == (None, problem)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("92%", (92.0, True, None)),
        ("９２％", (92.0, True, None)),
        ("92 %", (92.0, True, None)),
        ("９２", (92.0, False, None)),
        ("1,234", (1234.0, False, None)),
        ("1，234,567.5", (1234567.5, False, None)),  # a full-width comma folds to ","
        (" 35 ", (35.0, False, None)),  # outer spaces are trimmed
        ("-0.5", (-0.5, False, None)),
        (".5", (0.5, False, None)),
        (42, (42.0, False, None)),
        (0.92, (0.92, False, None)),
    ],
)
def test_read_number_accepts(raw: object, expected: tuple) -> None:
    assert read_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1,23",  # thousands separators group by three
        "12,34,567",
        "3 5",  # inner spaces are not collapsed: "3 5" is not 35
        "1 234",
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        "1e3",
        "1E-2",
        "0x1A",
        "九十二",
        "٣",  # an Arabic-Indic digit: float() would take it, NFKC does not fold it
        "1" * 400,  # overflows to inf
        "",
        "%",
        float("nan"),
        float("inf"),
        True,
        None,
        date(2015, 1, 1),
    ],
)
def test_read_number_refuses(raw: object) -> None:
    assert read_number(raw) == (None, False, NOT_A_NUMBER)


@pytest.mark.parametrize(
    ("raw", "decimal", "integer"),
    [
        ("1,234", (1234.0, None), (1234, None)),
        ("１２", (12.0, None), (12, None)),
        (7.0, (7.0, None), (7, None)),
        ("2.5", (2.5, None), (None, "'2.5' is not a whole number")),
        ("1,23", (None, "'1,23' is not a number"), (None, "'1,23' is not a number")),
        ("nan", (None, "'nan' is not a number"), (None, "'nan' is not a number")),
        ("inf", (None, "'inf' is not a number"), (None, "'inf' is not a number")),
        ("1e3", (None, "'1e3' is not a number"), (None, "'1e3' is not a number")),
        ("3 5", (None, "'3 5' is not a number"), (None, "'3 5' is not a number")),
        (
            "92%",
            (None, "'92%' is a percentage, a plain number is expected"),
            (None, "'92%' is a percentage, a plain number is expected"),
        ),
    ],
)
def test_feed_number_parsers_share_the_reader(raw: object, decimal: tuple, integer: tuple) -> None:
    assert parse_decimal(raw) == decimal
    assert parse_integer(raw) == integer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("92%", (92.0, True, None)),
        ("９２", (92.0, False, None)),
        ("1,234", (1234.0, False, None)),
        ("1,23", (None, False, Issue("not_a_number", "“1,23” is not a number"))),
        ("nan", (None, False, Issue("not_a_number", "“nan” is not a number"))),
        ("inf", (None, False, Issue("not_a_number", "“inf” is not a number"))),
        ("1e3", (None, False, Issue("not_a_number", "“1e3” is not a number"))),
        (" 3 5 ", (None, False, Issue("not_a_number", "“3 5” is not a number"))),
    ],
)
def test_submission_cells_use_the_same_reader(raw: object, expected: tuple) -> None:
    assert cell_values.read_number(raw) == expected


def test_submission_booleans_and_statuses_match_like_names() -> None:
    assert cell_values.read_boolean(" y e s ") == (1.0, None)
    assert cell_values.read_boolean("ｎｏ") == (0.0, None)
    assert cell_values.read_status("已 完成") == ("已完成", None)
    assert cell_values.read_date(20151209) == (date(2015, 12, 9), None)
    assert cell_values.read_date("42080") == (date(2015, 3, 17), None)


def test_a_symlinked_file_is_never_ingested_and_is_counted(env, tmp_path: Path) -> None:
    conn, raw, store = env
    outside = _write_csv(tmp_path / "elsewhere" / "secret.csv", [_row(1)])
    folder = raw / SLOT_DIR
    folder.mkdir(parents=True)
    (folder / "link.csv").symlink_to(outside)
    (folder / "linked_folder").symlink_to(outside.parent, target_is_directory=True)
    _write_csv(folder / "real.csv", [_row(2)])
    landed = ingest_landed(conn, CONTRACT, raw, store, settle_seconds=0)
    assert [r.source_file for r in landed.reports] == ["spot_checks/manufacturing/2015-03/real.csv"]
    assert (landed.symlinks_ignored, landed.files_settling) == (2, 0)
    assert conn.execute("select sample_no from raw.spot_checks").fetchall() == [("JD-T-2",)]
    assert conn.execute("select count(*) from raw.ingested_files").fetchall() == [(1,)]


def test_a_fresh_file_waits_until_it_has_settled(env) -> None:
    conn, raw, store = env
    path = _write_csv(raw / SLOT_DIR / "fresh.csv", [_row(1)])
    waiting = ingest_landed(conn, CONTRACT, raw, store, settle_seconds=60)
    assert (waiting.reports, waiting.symlinks_ignored, waiting.files_settling) == ([], 0, 1)
    assert conn.execute("select count(*) from raw.ingested_files").fetchall() == [(0,)]
    old = time.time() - 120
    os.utime(path, (old, old))
    taken = ingest_landed(conn, CONTRACT, raw, store, settle_seconds=60)
    assert [r.status for r in taken.reports] == ["loaded"] and taken.files_settling == 0


def test_settle_time_defaults_to_the_environment(env, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_csv(env[1] / SLOT_DIR / "fresh.csv", [_row(1)])
    monkeypatch.setenv("LQ_SETTLE_SECONDS", "60")
    assert _ingest(env) == []
    monkeypatch.setenv("LQ_SETTLE_SECONDS", "0")
    assert [r.status for r in _ingest(env)] == ["loaded"]


def test_scan_lists_a_file_changed_exactly_at_the_cursor(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x", encoding="utf-8")
    (tmp_path / "~$a.xlsx").write_text("lock", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.csv").write_text("x", encoding="utf-8")
    changed = path.lstat().st_ctime_ns
    assert landing.scan(tmp_path, 0, changed_after_ns=changed).ready == (path,)
    assert landing.scan(tmp_path, 0, changed_after_ns=changed + 1).ready == ()
    assert landing.scan(tmp_path / "missing", 0) == landing.Landing((), (), ())
