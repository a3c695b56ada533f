"""The spot-check sample generator, checked against real files and an independent reading of
the feed contract (no generator internals are reused for the checks)."""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from orchestration.domain.credit_code import is_valid
from orchestration.reference import load_seed
from sample_data.__main__ import GENERATORS, main, parse_years
from sample_data.spot_checks import generate_spot_checks
from tests.spot_check_files import CONTRACT, EMPTY, LABELS, read_delivery

SCALE = 0.05
YEAR = 2015
BASE_VOLUMES = {
    "manufacturing": 1200,
    "food": 3000,
    "agricultural": 2400,
    "forestry": 240,
    "risk": 150,
}
PREFIXES = {
    "manufacturing": "JD",
    "food": "SP",
    "agricultural": "NC",
    "forestry": "LC",
    "risk": "FX",
}

VERDICTS = CONTRACT["columns"][[c["name"] for c in CONTRACT["columns"]].index("verdict")]["values"]
PASS_VALUES = set(VERDICTS["pass"])
FAIL_VALUES = set(VERDICTS["fail"])


def _county_names() -> set[str]:
    names = set()
    for county in load_seed("ref_counties"):
        names.update({county["county_name"], county["short_name"]})
        names.update(alias for alias in county["aliases"].split("|") if alias)
    return names


COUNTY_NAMES = _county_names()
DATE_PATTERNS = (
    r"(\d{4})-(\d{1,2})-(\d{1,2})",
    r"(\d{4})/(\d{1,2})/(\d{1,2})",
    r"(\d{4})年(\d{1,2})月(\d{1,2})日",
)


def parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    for pattern in DATE_PATTERNS:
        match = re.fullmatch(pattern, str(value).strip())
        if match:
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError:
                return None
    return None


def read_rows(path: Path) -> list[dict[str, object]]:
    """Rows of one delivery file as dicts keyed by the contract's labels."""
    return [row for _, row in read_delivery(path)]


def stream_of(path: Path) -> str:
    return path.parent.parent.name


def is_correction(path: Path) -> bool:
    return path.stem.endswith("_更正")


def violations(row: dict[str, object], year: int, month: int) -> list[str]:
    """Contract violations of one row, judged only from the contract and the seeds."""
    found = []
    if row["县区"] not in COUNTY_NAMES:
        found.append("unknown_county")
    if not is_valid(str(row["统一社会信用代码"])):
        found.append("bad_credit_code")
    if row["检验结论"] not in PASS_VALUES | FAIL_VALUES:
        found.append("unknown_verdict")
    sampled = parse_date(row["抽样日期"])
    if sampled is None or (sampled.year, sampled.month) != (year, month):
        found.append("bad_date")
    return found


def all_rows(summary) -> list[tuple[Path, dict[str, object]]]:
    return [(path, row) for path in summary.files for row in read_rows(path)]


def month_of(path: Path) -> tuple[int, int]:
    year, month = path.parent.name.split("-")
    return int(year), int(month)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    return out, generate_spot_checks(out, [YEAR], scale=SCALE, error_rate=0.0)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    out = tmp_path_factory.mktemp("dirty")
    return out, generate_spot_checks(out, [YEAR], scale=SCALE, error_rate=0.2)


def test_layout_and_counts(clean):
    out, summary = clean
    streams = [row["stream_code"] for row in load_seed("ref_spot_check_streams")]
    corrections = [path for path in summary.files if is_correction(path)]
    assert len(corrections) == summary.other_counts["redeliveries"] == 1
    assert len(summary.files) == 12 * len(streams) + 1
    for path in summary.files:
        stream = stream_of(path)
        assert path.parent == out / "spot_checks" / stream / path.name[:7]
        assert re.fullmatch(rf"\d{{4}}-\d{{2}}_{stream}(_更正)?\.(csv|xlsx)", path.name)
        assert len(read_rows(path)) == summary.rows_per_file[path]
    per_stream = Counter()
    for path, count in summary.rows_per_file.items():
        if not is_correction(path):
            per_stream[stream_of(path)] += count
    assert per_stream == {stream: round(base * SCALE) for stream, base in BASE_VOLUMES.items()}
    assert summary.total_rows == sum(summary.rows_per_file.values())
    assert all(count == 0 for count in summary.injected_errors.values())


def test_deterministic_bytes(clean, tmp_path):
    _, summary = clean
    again = generate_spot_checks(tmp_path, [YEAR], scale=SCALE, error_rate=0.0)
    assert [p.name for p in again.files] == [p.name for p in summary.files]
    for first, second in zip(summary.files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_files_carry_their_delivery_time(clean):
    # the 5th of the next month, 09:00 Beijing time: old enough for any settle time
    _, summary = clean
    beijing = dt.timezone(dt.timedelta(hours=8))
    for path in summary.files:
        year, month = month_of(path)
        day = 25 if is_correction(path) else 5  # a correction follows 20 days later
        delivered = dt.datetime(year + month // 12, month % 12 + 1, day, 9, tzinfo=beijing)
        assert path.stat().st_mtime == delivered.timestamp(), path.name


def test_other_years_do_not_change_a_year(clean, tmp_path):
    _, summary = clean
    both = generate_spot_checks(tmp_path, [2016, YEAR], scale=SCALE, error_rate=0.0)
    by_name = {path.name: path for path in both.files}
    assert len(both.files) == 2 * len(summary.files)
    for path in summary.files:
        assert by_name[path.name].read_bytes() == path.read_bytes(), path.name


def test_rows_scale(clean, tmp_path):
    _, summary = clean
    bigger = generate_spot_checks(tmp_path, [YEAR], scale=4 * SCALE, error_rate=0.0)
    expected = sum(round(base * 4 * SCALE) for base in BASE_VOLUMES.values())
    first_deliveries = [p for p in bigger.files if not is_correction(p)]
    assert sum(bigger.rows_per_file[p] for p in first_deliveries) == expected
    assert 3.8 < bigger.total_rows / summary.total_rows < 4.2


def test_clean_rows_meet_the_contract(clean):
    _, summary = clean
    sample_numbers = set()
    for path, row in all_rows(summary):
        year, month = month_of(path)
        assert violations(row, year, month) == [], (path.name, row)
        sample_no = str(row["抽样编号"])
        assert re.fullmatch(rf"{PREFIXES[stream_of(path)]}{year}-\d{{6}}-\d{{6}}", sample_no)
        if not is_correction(path):  # a correction repeats its month's numbers on purpose
            assert sample_no not in sample_numbers
            sample_numbers.add(sample_no)
        code = str(row["统一社会信用代码"])
        assert code[:2] == "91"
        if row["检验结论"] in FAIL_VALUES:
            assert row["不合格项目"] not in EMPTY  # rule fail_needs_items
        else:
            assert row["不合格项目"] in EMPTY


def _enterprise(row: dict) -> str:
    """The enterprise of a row, in whichever role its layout writes it."""
    return str(row.get("受检单位") or row.get("生产单位"))


def test_enterprises_are_stable(clean):
    _, summary = clean
    codes_by_name: dict[str, set[str]] = {}
    counties = {c["county_name"]: c for c in load_seed("ref_counties")}
    for _, row in all_rows(summary):
        codes_by_name.setdefault(_enterprise(row), set()).add(str(row["统一社会信用代码"]))
        county = counties.get(str(row["县区"]))
        if county is not None:
            assert str(row["统一社会信用代码"])[2:8] == (county["division_code"] or "131000")
    assert all(len(codes) == 1 for codes in codes_by_name.values())
    visits = Counter(_enterprise(row) for _, row in all_rows(summary))
    assert max(visits.values()) > 1  # enterprises are sampled repeatedly


def test_injected_errors_match_independent_check(dirty, clean):
    _, summary = dirty
    assert all(count > 0 for count in summary.injected_errors.values())
    found = Counter()
    broken_rows = 0
    for path, row in all_rows(summary):
        year, month = month_of(path)
        kinds = violations(row, year, month)
        assert len(kinds) <= 1, row  # exactly one violation per mistaken row
        found.update(kinds)
        broken_rows += bool(kinds)
    assert broken_rows == sum(summary.injected_errors.values())
    assert found == Counter({k: v for k, v in summary.injected_errors.items() if v})
    # a mistaken row replaces a good row: same count, and it differs in one column only
    _, clean_summary = clean
    assert list(summary.rows_per_file.values()) == list(clean_summary.rows_per_file.values())
    changed = 0
    for (_, good), (_, bad) in zip(all_rows(clean_summary), all_rows(summary), strict=True):
        differing = [label for label in LABELS if good.get(label) != bad.get(label)]
        assert len(differing) <= 1
        changed += bool(differing)
    assert changed == broken_rows


def test_each_publisher_writes_its_own_layout(clean):
    """Formats, encodings, header synonyms, two-row headers and empty spellings differ by stream;
    every header is one the contract accepts."""
    _, summary = clean
    by_stream: dict[str, list[Path]] = {}
    for path in summary.files:
        by_stream.setdefault(stream_of(path), []).append(path)
    suffixes = {stream: {p.suffix for p in paths} for stream, paths in by_stream.items()}
    assert suffixes == {
        "manufacturing": {".csv"},
        "food": {".csv"},
        "agricultural": {".xlsx"},
        "forestry": {".xlsx"},
        "risk": {".csv"},
    }
    food = by_stream["food"][0].read_bytes()
    assert food.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as Excel saves "CSV UTF-8"
    assert "标称生产企业名称" in food.decode("utf-8-sig").splitlines()[0]
    risk = max(by_stream["risk"], key=lambda p: p.stat().st_size)
    assert risk.read_text(encoding="gb18030").startswith("序号,抽样编号,抽查类型,抽查时间")
    with pytest.raises(UnicodeDecodeError):
        risk.read_text(encoding="utf-8")
    agricultural = openpyxl.load_workbook(by_stream["agricultural"][8])["抽检结果"]
    assert agricultural["A1"].value == "廊坊市2015年9月农产品质量安全监测抽查结果"
    merged = {str(r) for r in agricultural.merged_cells.ranges}
    assert "D2:E2" in merged and "A2:A3" in merged  # 行政区划 over 市 | 县区; 序号 down both rows
    assert (agricultural["D2"].value, agricultural["D3"].value, agricultural["E3"].value) == (
        "行政区划",
        "市",
        "县区",
    )
    assert any(isinstance(cell.value, dt.datetime) for cell in agricultural["C"][3:])
    forestry = openpyxl.load_workbook(by_stream["forestry"][8])["抽检结果"]
    assert [cell.value for cell in forestry[2]][5] == "被抽查单位"
    verdicts = {row["检验结论"] for path in by_stream["forestry"] for row in read_rows(path)}
    assert {"符合", "合格"} <= verdicts
    # every delivered header is the label or a synonym of a contract column
    for paths in by_stream.values():
        for row in read_rows(paths[-1]):
            assert set(row) - {"序号", "行政区划/市"} <= set(LABELS)


def test_a_correction_reissues_one_food_month(clean):
    _, summary = clean
    [fixed] = [path for path in summary.files if is_correction(path)]
    first = fixed.with_name(fixed.name.replace("_更正", ""))
    assert stream_of(fixed) == "food" and first in summary.files
    assert fixed.stat().st_mtime > first.stat().st_mtime
    # rows keyed by 抽样编号, without the running number (it shifts when a row goes)
    before = {row.pop("抽样编号"): row for row in read_rows(first) if row.pop("序号")}
    after = {row.pop("抽样编号"): row for row in read_rows(fixed) if row.pop("序号")}
    assert len(after) == len(before)
    assert len(set(before) - set(after)) == 1 and len(set(after) - set(before)) == 1
    [added] = set(after) - set(before)
    assert re.fullmatch(r"SP2015-\d{6}-9\d{5}", added)  # a late entry's number
    changed = [n for n in set(before) & set(after) if before[n] != after[n]]
    assert len(changed) <= 1  # the batch whose 复检 passed (when the month had a failure)
    for number in changed:
        assert before[number]["检验结论"] in FAIL_VALUES
        assert after[number]["检验结论"] in PASS_VALUES


def test_rewrites_own_files_and_keeps_others(tmp_path):
    landing = tmp_path / "spot_checks"
    slot = landing / "manufacturing" / "2015-03"
    slot.mkdir(parents=True)
    (slot / "2015-03_manufacturing.csv").write_text("stale", encoding="utf-8")
    (slot / "delivered_by_department.xlsx").write_bytes(b"keep")
    (tmp_path / "other_feed.csv").write_text("keep", encoding="utf-8")
    summary = generate_spot_checks(tmp_path, [YEAR], scale=0.02, error_rate=0.0)
    assert (slot / "2015-03_manufacturing.csv").read_text(encoding="utf-8").startswith("序号")
    assert (slot / "delivered_by_department.xlsx").read_bytes() == b"keep"
    assert (tmp_path / "other_feed.csv").read_text(encoding="utf-8") == "keep"
    written = {p for p in landing.rglob("*") if p.is_file()}
    assert written - set(summary.files) == {slot / "delivered_by_department.xlsx"}


def test_pass_rates_in_plausible_ranges(tmp_path):
    summary = generate_spot_checks(tmp_path, [YEAR], scale=1.0, error_rate=0.0)
    passed, total = Counter(), Counter()
    for path, row in all_rows(summary):
        stream = stream_of(path)
        total[stream] += 1
        passed[stream] += row["检验结论"] in PASS_VALUES
    rate = {stream: passed[stream] / total[stream] for stream in total}
    assert 0.89 <= rate["manufacturing"] <= 0.97
    assert 0.955 <= rate["food"] <= 0.99
    assert 0.955 <= rate["agricultural"] <= 0.995
    assert 0.93 <= rate["forestry"] <= 1.0


@pytest.mark.slow  # generates every feed through the CLI (≈ 35 s on a busy 2-core machine)
def test_cli(tmp_path, capsys):
    assert "spot_checks" in GENERATORS
    code = main(["--out", str(tmp_path), "--years", "2015", "--scale", "0.02", "--error-rate", "0"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(GENERATORS)  # one summary line per feed
    by_feed = {line.split(":", 1)[0]: line for line in lines}
    assert set(by_feed) == set(GENERATORS)
    assert by_feed["spot_checks"].startswith("spot_checks: 61 files")  # 60 months, 1 correction
    assert (tmp_path / "spot_checks" / "food" / "2015-01" / "2015-01_food.csv").exists()
    assert any((tmp_path / "submissions" / "2015").glob("2015Y_*.xlsx"))


@pytest.mark.parametrize(
    "args",
    [
        ["--scale", "0"],
        ["--scale", "-1"],
        ["--error-rate", "1.5"],
        ["--error-rate", "-0.1"],
        ["--years", "20x5"],
        ["--years", "2016-2015"],
        ["--feeds", "nope"],
    ],
)
def test_cli_refuses_bad_arguments(tmp_path, args):
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path), *args])
    assert exit_info.value.code == 2
    assert not (tmp_path / "spot_checks").exists()


def test_parse_years():
    assert parse_years("2015") == [2015]
    assert parse_years("2015-2016") == [2015, 2016]
    assert parse_years("2016,2015") == [2015, 2016]
    assert parse_years("2014, 2015-2016") == [2014, 2015, 2016]


def test_the_shipped_package_does_not_import_the_generators():
    """sample_data lives beside the package, not in it: no module of orchestration names it."""
    root = Path(__file__).parents[1]
    importing = [
        str(path.relative_to(root))
        for path in sorted((root / "orchestration").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            name.split(".")[0] == "sample_data"
            for name in (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        )
    ]
    assert importing == []
    assert not (root / "orchestration" / "sample_data").exists()
