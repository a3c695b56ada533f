"""Published spot-check layouts, as published (issue 13): real tables of six provinces load as
delivered, in UTF-8, UTF-8 with BOM, GB18030 and xlsx; 不合格产品 lists are declared by their
file name; the sampled unit and the manufacturer stay apart; rows of other cities are set
aside (不属于廊坊市) and counted; and every message says what a person needs to act.

The real tables (tests/data/realdata/, sources in its README) are read by the project's
readers and the real loader into a real DuckDB file; the expected values are written out here
from the published tables, not computed by the code under test."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import duckdb
import pytest
from openpyxl import Workbook

from orchestration.ingest.contract import load_contract
from orchestration.ingest.delivery import slot_of
from orchestration.ingest.failure_lists import list_fills
from orchestration.ingest.readers import read_table
from orchestration.ingest.validate_rows import validate_rows
from tests.feed_helpers import FeedWarehouse, stamp

FEED = "spot_checks"
REALDATA = Path(__file__).parent / "data" / "realdata"
CONTRACT = load_contract(FEED)

HEBEI = "failures_hebei_province_plastic_shopping_bag_2023.csv"
ORDOS = "failures_neimenggu_ordos_fire_products_2024.csv"
SHANDONG = "failures_shandong_province_mask_recheck_2020.csv"
GUANGZHOU = "spotcheck_guangdong_guangzhou_ebike_helmet_2023.csv"
HUZHOU = "spotcheck_zhejiang_huzhou_sintered_brick_2017.csv"
ZHENGZHOU = "failures_henan_zhengzhou_food_2022.csv"
FENGHUA = "failures_zhejiang_ningbo_fenghua_food_2018.csv"


def _readme_hashes() -> dict[str, str]:
    text = (REALDATA / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+\.csv)` \| `([0-9a-f]{64})` \|", text, re.MULTILINE))


def test_every_real_table_is_stored_as_its_readme_says() -> None:
    """Each stored table has its row in the README, with the sha256 of the stored bytes: a
    changed or unlisted copy is noticed."""
    hashes = _readme_hashes()
    stored = {p.name for p in REALDATA.glob("*.csv")}
    assert stored == set(hashes)
    assert len(stored) >= 7
    for name, sha256 in hashes.items():
        assert hashlib.sha256((REALDATA / name).read_bytes()).hexdigest() == sha256, name


# ------------------------------------------------------------------ each layout as published

# file, the name it is delivered under (a 不合格产品 list says so), the header map expected
# (contract column → header as published, after white space is removed), and per data row:
# (sampled unit, manufacturer, verdict, date basis). Written from the published tables.
LAYOUTS = {
    HEBEI: (
        "河北省塑料购物袋抽检不合格产品信息.csv",
        {
            "city_name": "行政区划/市",
            "county_code": "行政区划/县区",
            "product_name": "样品名称",
            "spec_model": "规格型号",
            "sampled_unit_name": "受检(样品采集)单位",
            "manufacturer_name": "标称生产单位",
            "verdict": "判定结果",
            "nonconforming_items": "不合格项目",
        },
        [
            (
                "保定市惠友万家福超级市场有限公司定州惠友生活超市",
                "任丘市晟一塑料制品有限公司",
                "fail",
                "发布期间",
            )
        ],
    ),
    ORDOS: (
        "2024年消防产品质量监督抽查不合格产品及企业名单.csv",
        {
            "county_code": "所在旗区",
            "sampled_unit_name": "受检单位",
            "manufacturer_name": "标称生产单位",
            "product_name": "产品名称",
            "spec_model": "规格型号",
            "batch_no": "生产日期/批号",
            "inspection_agency": "承检机构",
            "nonconforming_items": "主要不合格项目",
        },
        [
            ("鄂尔多斯市中安消防有限公司", "宁夏万汇云合消防科技有限公司", "fail", "发布期间"),
            ("杭锦旗锡尼多乐士五金消防器材经销部", "郑州创拓消防器材有限公司", "fail", "发布期间"),
        ],
    ),
    SHANDONG: (
        "监督抽查不合格复查仍不合格企业信息.csv",
        {
            "manufacturer_name": "企业名称",
            "city_name": "所属地市",
            "product_name": "产品名称",
            "spec_model": "规格型号",
            "batch_no": "生产日期/批号",
            "inspection_agency": "复查检验机构",
            "nonconforming_items": "不合格项目",
        },
        [(None, "青岛誉康科惠安防有限公司", "fail", "发布期间")],
    ),
    ZHENGZHOU: (
        "郑州市食品安全监督抽检不合格产品信息.csv",
        {
            "sample_no": "抽样单编号",
            "manufacturer_name": "标称生产企业名称",
            "sampled_unit_name": "被抽样单位名称",
            "sampled_unit_address": "被抽样单位地址",
            "product_name": "食品名称",
            "spec_model": "规格型号",
            "batch_no": "生产日期/批号",
            "inspection_agency": "检验机构",
            "nonconforming_items": "不合格项目║检验结果║标准值",
        },
        [("荥阳市金寨俊辉超市", "淇县聚香园食品有限公司", "fail", "发布期间")],
    ),
    FENGHUA: (
        "奉化区食品安全监督抽检不合格信息2018年第9期.csv",
        {
            "sample_no": "抽样单编号",
            "inspection_agency": "检验单位",
            "manufacturer_name": "标称生产企业名称",
            "sampled_unit_name": "被抽样单位名称",
            "credit_code": "被抽样单位统一社会信用代码",
            "sampled_unit_address": "被抽样单位地址",
            "product_name": "食品名称",
            "spec_model": "规格型号",
            "batch_no": "批号",
            "nonconforming_items": "不合格项目║检验结果║标准值",
        },
        [
            ("蒋孝夫", None, "fail", "发布期间"),
            ("宁波奉化杨广成粮油店(杨广成)", None, "fail", "发布期间"),
        ],
    ),
    HUZHOU: (
        HUZHOU,
        {
            "product_name": "产品名称",
            "spec_model": "规格型号",
            "batch_no": "生产日期或批号",
            "manufacturer_name": "生产企业名称",
            "sampled_on": "监督抽查时间",
            "verdict": "检验结论",
            "nonconforming_items": "不合格项目",
        },
        [(None, n, "pass", "抽样日期") for n in ("湖州德海新型建材有限公司",)],
    ),
}
PERIODS = {HEBEI: "2023-05", ORDOS: "2024-12", SHANDONG: "2020-09", ZHENGZHOU: "2022-04"}
PERIODS |= {FENGHUA: "2018-10", HUZHOU: "2017-04"}


@pytest.mark.parametrize("stored", sorted(LAYOUTS))
def test_a_real_layout_is_read_with_its_roles(stored: str) -> None:
    """The layout as published is recognised: every expected header feeds its column (two-level
    行政区划 → 市 | 县区, 标称生产单位 apart from 受检单位, ║-joined item headers, headers with
    spaces); a 不合格产品 list takes 不合格 and its publication period. Rows are read without
    the area check here (the loader sets other cities' rows aside: tests below)."""
    name, header_map, expected = LAYOUTS[stored]
    slot = slot_of(CONTRACT, PurePosixPath(f"manufacturing/{PERIODS[stored]}/{name}"))
    table = read_table(REALDATA / stored, CONTRACT.known_headers)
    fills, _ = list_fills(CONTRACT, name, table.headers, slot)
    validated = validate_rows(CONTRACT, table, slot, fills)
    assert {k: v for k, v in validated.header_map.items() if k in header_map} == header_map
    good = validated.good
    rows = list(
        zip(
            good.columns["sampled_unit_name"],
            good.columns["manufacturer_name"],
            good.columns["verdict"],
            good.columns["sampling_date_basis"],
            strict=True,
        )
    )
    if stored == ORDOS:  # 杭锦旗 is no county of 廊坊市: quarantined, never counted
        assert not rows
        unknown = "县区: unknown county '杭锦旗'"
        assert [b.reason for b in validated.bad] == [f"C3: {unknown}", f"C4: {unknown}"]
        return
    assert rows[: len(expected)] == expected
    assert validated.bad == [] or stored == HUZHOU
    if fills.get("failure_list"):
        first_day = date.fromisoformat(f"{PERIODS[stored]}-01")
        assert set(good.columns["sampled_on"]) == {first_day}
    if "verdict" not in header_map:
        assert set(good.columns["verdict_original"]) == {None}  # declared, not delivered


# ------------------------------------------------------------------ the loader, four encodings


def _grid(stored: str) -> list[list[str]]:
    with (REALDATA / stored).open(encoding="utf-8", newline="") as handle:
        return [list(row) for row in csv.reader(handle)]


def _as_xlsx(grid: list[list[str]], path: Path) -> None:
    """The table as a workbook a bureau would publish: one cell per CSV cell, a title row
    merged across, a group header merged over the sub-columns below it (行政区划 over 市|县区)."""
    workbook = Workbook()
    sheet = workbook.active
    width = max(len(row) for row in grid)
    for r, row in enumerate(grid, start=1):
        for c, value in enumerate(row, start=1):
            if value != "":
                sheet.cell(row=r, column=c, value=value)
    for r, row in enumerate(grid[:-1], start=1):
        filled = [c for c, v in enumerate(row) if v]
        if filled == [0] and width > 1:  # a title row
            sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
            continue
        below = grid[r]
        for c, value in enumerate(row):
            end = c
            while end + 1 < len(row) and not row[end + 1] and below[end + 1]:
                end += 1
            if value and end > c and below[c]:
                sheet.merge_cells(start_row=r, start_column=c + 1, end_row=r, end_column=end + 1)
    workbook.save(path)


ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "xlsx")


def _deliver_real(wh: FeedWarehouse, stored: str, name: str, month: str, kind: str) -> Path:
    folder = wh.raw_dir / FEED / "manufacturing" / month
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "xlsx":
        path = folder / f"{Path(name).stem}.xlsx"
        _as_xlsx(_grid(stored), path)
    else:
        path = folder / name
        text = (REALDATA / stored).read_text(encoding="utf-8")
        path.write_bytes(text.encode(kind))  # utf-8 is the stored file byte for byte
    stamp(path, datetime(int(month[:4]), int(month[5:]), 28, 9))
    return path


@pytest.fixture(scope="module")
def four_encodings(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    """The Hebei and Ordos 不合格产品 lists, each in the four formats, one month apart."""
    wh = FeedWarehouse(tmp_path_factory.mktemp("real-lists"))
    for stored, year in ((HEBEI, 2023), (ORDOS, 2024)):
        name = LAYOUTS[stored][0]
        for month, kind in enumerate(ENCODINGS, start=5):
            _deliver_real(wh, stored, name, f"{year}-{month:02d}", kind)
    reports = wh.ingest(FEED)
    assert len(reports) == 8
    return wh


def test_real_failure_lists_get_in_in_every_encoding(four_encodings: FeedWarehouse) -> None:
    """Every format is accepted (none rejected for 抽样日期 or 检验结论), with the same header
    map and the same outcome: Hebei's 定州市 row is set aside as 不属于廊坊市, Ordos' 杭锦旗
    rows are quarantined as an unknown county; rows read = loaded + quarantined."""
    files = four_encodings.records(
        "select source_file, status, encoding, sheet, rows_read, rows_loaded, rows_quarantined, "
        "rows_set_aside, header_map from raw.ingested_files order by delivery_period"
    )
    assert [f["status"] for f in files] == ["loaded"] * 8
    assert [f["encoding"] for f in files] == ["utf-8-sig", "utf-8-sig", "gb18030", None] * 2
    assert [f["sheet"] is None for f in files] == [True, True, True, False] * 2
    counts = [(f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) for f in files]
    assert counts == [(1, 0, 1)] * 4 + [(2, 0, 2)] * 4
    assert [f["rows_set_aside"] for f in files] == [1] * 4 + [0] * 4
    hebei_maps = {f["header_map"] for f in files[:4]}
    assert len(hebei_maps) == 1
    assert json.loads(hebei_maps.pop())["manufacturer_name"] == "标称生产单位"
    assert len({f["header_map"] for f in files[4:]}) == 1
    reasons = four_encodings.query(
        "select source_file, reason, set_aside from raw.quarantine order by source_file, source_row"
    )
    hebei = [r for r in reasons if "河北" in r[0]]
    assert {(reason, aside) for _, reason, aside in hebei} == {
        ("B3: 不属于廊坊市：市 '定州市'", True)
    }
    ordos = [r for r in reasons if "消防" in r[0]]
    assert {reason for _, reason, _ in ordos} == {
        "C3: 县区: unknown county '杭锦旗'",
        "C4: 县区: unknown county '杭锦旗'",
    }
    assert four_encodings.query("select count(*) from raw.spot_checks") == [(0,)]


@pytest.mark.parametrize(
    ("stored", "month", "reason"),
    [
        (SHANDONG, "2020-09", "C2: 不属于廊坊市：市 '青岛'"),
        (ZHENGZHOU, "2022-04", "F2: 不属于廊坊市：受检单位地址 '河南省郑州市荥阳市金寨乡金寨村'"),
        (FENGHUA, "2018-10", "H2: 不属于廊坊市：受检单位地址 '浙江省宁波市奉化区溪口镇集贸市场内'"),
    ],
)
def test_other_provinces_lists_are_set_aside_as_not_langfang(
    tmp_path: Path, stored: str, month: str, reason: str
) -> None:
    """A real list of another province loads as delivered and none of its rows counts for
    廊坊市: each is set aside with the cell that shows where it is from."""
    wh = FeedWarehouse(tmp_path)
    _deliver_real(wh, stored, LAYOUTS[stored][0], month, "utf-8")
    [report] = wh.ingest(FEED)
    expected = len(LAYOUTS[stored][2])
    assert (report.status, report.rows_read, report.rows_loaded) == ("loaded", expected, 0)
    assert report.rows_quarantined == report.rows_set_aside == expected
    reasons = wh.query("select reason, set_aside from raw.quarantine order by source_row")
    assert reasons[0] == (reason, True)


# ------------------------------------------------------------------ messages


def test_a_rejected_layout_lists_what_it_saw(tmp_path: Path) -> None:
    """The real Guangzhou table (a full result table without a sampling date): rejected, and
    the reason names the missing column with the headers it accepts, the headers found, those
    recognised (with their column) and those ignored, and how to declare a 不合格产品 list;
    the header map is kept. Its one row is set aside (广州市), so read = loaded + quarantined."""
    wh = FeedWarehouse(tmp_path)
    _deliver_real(wh, GUANGZHOU, GUANGZHOU, "2023-09", "utf-8")
    [report] = wh.ingest(FEED)
    assert (report.status, report.rows_read, report.rows_quarantined) == ("rejected", 1, 1)
    assert report.rows_set_aside == 1
    reason = report.reason or ""
    for part in (
        "required columns missing: 抽样日期.",
        "Accepted headers: 抽样日期: 抽样日期, 监督抽查时间, 抽查时间, 抽检日期.",
        "Headers found: 序号, 被抽查市场主体名称, 被抽样市场主体地址, 生产单位名称(标称)",
        "Recognised: 被抽查市场主体名称 → 受检单位, 被抽样市场主体地址 → 受检单位地址, "
        "生产单位名称(标称) → 生产单位",
        "综合判定 → 检验结论",
        "Ignored: 序号, 生产单位地址(标称), 商标(标称), 备注.",
        "put “不合格” in its file name",
    ):
        assert part in reason, (part, reason)
    [(header_map,)] = wh.query("select header_map from raw.ingested_files")
    assert json.loads(header_map)["manufacturer_name"] == "生产单位名称(标称)"
    assert json.loads(header_map)["verdict"] == "综合判定"


def test_a_rule_message_names_its_cell_and_the_unrecognised_column(tmp_path: Path) -> None:
    """检验结论 不合格 without a 不合格项目 column: the message names the verdict cell and says
    the file has no such column and which header looked like it (不合格内容)."""
    wh = FeedWarehouse(tmp_path)
    header = ["序号", "抽样日期", "县区", "受检单位", "产品名称", "检验结论", "不合格内容"]
    rows = [
        ["1", "2015-03-02", "固安县", "甲公司", "电缆", "合格", ""],
        ["2", "2015-03-03", "霸州市", "乙公司", "电缆", "不合格", "导体电阻"],
    ]
    wh.deliver(FEED, "manufacturing/2015-03", "a.csv", header, rows)
    [report] = wh.ingest(FEED)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert wh.query("select reason from raw.quarantine") == [
        (
            "F3: 检验结论为不合格但未填写不合格项目"
            "（本文件没有“不合格项目”列；未识别的列：不合格内容）",
        )
    ]


def test_a_workbook_of_300_bad_sheets_gives_a_short_reason(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    folder = wh.raw_dir / FEED / "manufacturing" / "2015-03"
    folder.mkdir(parents=True)
    workbook = Workbook()
    workbook.active.title = "S1"
    for n in range(2, 301):
        workbook.create_sheet(f"S{n}")
    for sheet in workbook.worksheets:
        sheet["A1"] = "说明"
    workbook.save(folder / "many.xlsx")
    [report] = wh.ingest(FEED)
    assert report.status == "rejected"
    reason = report.reason or ""
    assert len(reason) < 700, len(reason)
    assert "sheet S1, sheet S2, sheet S3 and 297 more: no header row found" in reason


def test_a_known_file_under_another_name_is_noted(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    header = ["抽样日期", "县区", "受检单位", "产品名称", "检验结论", "不合格项目"]
    first = wh.deliver(
        FEED,
        "manufacturing/2015-03",
        "a.csv",
        header,
        [["2015-03-02", "固安县", "甲公司", "电缆", "合格", "/"]],
        received=datetime(2015, 4, 5, 9),
    )
    wh.ingest(FEED)
    copy = first.with_name("a (1).csv")
    shutil.copy2(first, copy)
    reports = {Path(r.source_file).name: r for r in wh.ingest(FEED)}
    assert reports["a (1).csv"].status == "already_ingested"
    assert reports["a (1).csv"].reason == (
        "same content as spot_checks/manufacturing/2015-03/a.csv (loaded): not read again"
    )
    assert reports["a.csv"].reason is None


# ------------------------------------------------------------------ set aside, hand-made


def test_rows_of_other_cities_are_set_aside_and_counted(tmp_path: Path) -> None:
    """行政区划 → 市 | 县区: 廊坊市 rows load (with or without a county), 定州市 and 石家庄市
    rows are set aside, a blank 市 and 县区 loads as 未注明 (staging says so), an unknown
    county is quarantined; a row of a 不合格产品 list that says 合格 is quarantined too."""
    wh = FeedWarehouse(tmp_path)
    header = [
        ("序号", None),
        ("行政区划", "市"),
        ("行政区划", "县区"),
        ("样品名称", None),
        ("受检单位", None),
        ("标称生产企业", "名称"),
        ("标称生产企业", "地址"),
        ("判定结果", None),
        ("不合格项目", None),
    ]
    rows = [
        [1, "廊坊市", "固安县", "电缆", "甲商店", "乙电缆厂", "某地", "不合格", "导体电阻"],
        [2, "定州市", "", "塑料袋", "丙超市", "丁塑料厂", "某地", "不合格", "厚度"],
        [3, "石家庄市", "藁城区", "塑料袋", "戊商贸", "己包装", "某地", "不合格", "落镖冲击"],
        [4, "", "", "涂料", "庚建材", "辛涂料厂", "某地", "不合格", "VOC"],
        [5, "廊坊市", "", "插座", "壬五金", "癸电器", "某地", "不合格", "结构"],
        [6, "", "北京市朝阳区", "灯具", "子灯饰", "丑照明", "某地", "不合格", "标记"],
        [7, "廊坊", "三河", "钢筋", "寅建材", "卯钢铁", "某地", "合格", ""],
    ]
    wh.deliver(FEED, "manufacturing/2015-05", "2015年5月监督抽查不合格产品信息.csv", header, rows)
    [report] = wh.ingest(FEED)
    assert (report.status, report.rows_read, report.rows_loaded) == ("loaded", 7, 3)
    assert (report.rows_quarantined, report.rows_set_aside) == (4, 2)
    quarantine = wh.query("select source_row, reason, set_aside from raw.quarantine order by 1")
    assert quarantine == [
        (4, "B4: 不属于廊坊市：市 '定州市'", True),
        (5, "B5: 不属于廊坊市：市 '石家庄市'", True),
        (8, "C8: 县区: unknown county '北京市朝阳区'", False),
        (
            9,
            "H9: 检验结论 '合格' in a 不合格产品 list (its file name says every row failed): "
            "correct the cell, or take the marker out of the file name if the file is a full "
            "results table",
            False,
        ),
    ]
    loaded = wh.query(
        "select _source_row, city_name, county_code, sampled_unit_name, manufacturer_name, "
        "failure_list, sampling_date_basis, sampled_on from raw.spot_checks order by 1"
    )
    first = date(2015, 5, 1)
    assert loaded == [
        (3, "廊坊市", "131022", "甲商店", "乙电缆厂", True, "发布期间", first),
        (6, None, None, "庚建材", "辛涂料厂", True, "发布期间", first),
        (7, "廊坊市", None, "壬五金", "癸电器", True, "发布期间", first),
    ]
    [(header_map,)] = wh.query("select header_map from raw.ingested_files")
    assert json.loads(header_map)["manufacturer_name"] == "标称生产企业/名称"


def test_an_address_places_a_row_when_no_city_or_county_is_given(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path)
    header = ["抽样日期", "被抽样单位名称", "被抽样单位地址", "食品名称", "检验结论", "不合格项目"]
    rows = [
        ["2015-06-01", "甲超市", "河北省廊坊市固安县新昌街1号", "挂面", "合格", "/"],
        ["2015-06-02", "乙超市", "固安县新源街2号", "大米", "合格", "/"],
        ["2015-06-03", "丙超市", "广州市黄埔区萝岗街3号", "大米", "合格", "/"],
        ["2015-06-04", "丁超市", "新华路4号", "大米", "合格", "/"],
    ]
    wh.deliver(FEED, "food/2015-06", "f.csv", header, rows)
    [report] = wh.ingest(FEED)
    assert (report.rows_loaded, report.rows_set_aside) == (3, 1)
    assert wh.query("select reason from raw.quarantine") == [
        ("C4: 不属于廊坊市：受检单位地址 '广州市黄埔区萝岗街3号'",)
    ]


# ------------------------------------------------------------------ two-level headers


def _read(tmp_path: Path, lines: list[list[str]]) -> tuple[str, ...]:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(lines)
    path = tmp_path / "t.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return read_table(path, CONTRACT.known_headers).headers


def test_two_level_headers_whichever_row_is_found_first(tmp_path: Path) -> None:
    # the group row has more known headers: the row below completes 标称生产企业 → 名称 | 地址
    below = _read(
        tmp_path,
        [
            ["序号", "产品名称", "标称生产企业", "", "检验结论", "不合格项目"],
            ["", "", "名称", "地址", "", ""],
            ["1", "电缆", "甲厂", "某地", "合格", "/"],
        ],
    )
    assert below == (
        "序号",
        "产品名称",
        "标称生产企业/名称",
        "标称生产企业/地址",
        "检验结论",
        "不合格项目",
    )
    # the sub row has more known headers: the group row above completes it
    above = _read(
        tmp_path,
        [
            ["", "", "标称生产企业", "", "", ""],
            ["抽样日期", "受检单位", "名称", "地址", "产品名称", "检验结论"],
            ["2015-03-02", "甲店", "甲厂", "某地", "电缆", "合格"],
        ],
    )
    assert above == (
        "抽样日期",
        "受检单位",
        "标称生产企业/名称",
        "标称生产企业/地址",
        "产品名称",
        "检验结论",
    )
    # a title row above the header changes nothing
    titled = _read(
        tmp_path,
        [
            ["2015年监督抽查结果", "", "", ""],
            ["抽样日期", "受检单位", "产品名称", "检验结论"],
            ["2015-03-02", "甲店", "电缆", "合格"],
        ],
    )
    assert titled == ("抽样日期", "受检单位", "产品名称", "检验结论")


def test_an_older_warehouse_keeps_its_enterprises_in_the_role_their_header_named(
    tmp_path: Path,
) -> None:
    """Before the roles, one `enterprise_name` held whoever a file named. An upgraded
    warehouse moves each value to the role its file's header said (header_map), a value with
    no recorded header to the sampled unit, and drops the old column; the next pass loads
    as usual. Nothing is read again."""
    from orchestration.ingest.loader import BOOKKEEPING_DDL, ensure_tables

    contract = load_contract("spot_checks")
    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    try:
        conn.execute(BOOKKEEPING_DDL)
        conn.execute(
            "create table raw.spot_checks (sample_no varchar, enterprise_name varchar, "
            "_source_file varchar, _source_sha256 varchar, _source_sheet varchar, "
            "_source_row integer, _raw_record json, _loaded_at timestamp)"
        )
        rows = [
            ("A1", "甲商场", "a" * 64),
            ("B1", "乙电缆厂", "b" * 64),
            ("C1", "丙公司", "c" * 64),
        ]
        for sample, name, sha in rows:
            conn.execute(
                "insert into raw.spot_checks values (?, ?, 'f.csv', ?, null, 2, '{}', now())",
                [sample, name, sha],
            )
        for sha, header in (("a" * 64, "受检单位"), ("b" * 64, "标称生产企业名称")):
            conn.execute(
                "insert into raw.ingested_files (feed, sha256, source_file, file_bytes, status, "
                "rows_read, rows_loaded, rows_quarantined, header_map, stored_path, ingested_at) "
                "values ('spot_checks', ?, 'f.csv', 1, 'loaded', 1, 1, 0, ?, 's', now())",
                [sha, json.dumps({"enterprise_name": header}, ensure_ascii=False)],
            )
        ensure_tables(conn, contract)
        roles = conn.execute(
            "select sample_no, sampled_unit_name, manufacturer_name from raw.spot_checks "
            "order by sample_no"
        ).fetchall()
        columns = {
            r[0]
            for r in conn.execute(
                "select column_name from duckdb_columns() where table_name = 'spot_checks'"
            ).fetchall()
        }
        ensure_tables(conn, contract)  # again: nothing left to move
    finally:
        conn.close()
    assert roles == [("A1", "甲商场", None), ("B1", None, "乙电缆厂"), ("C1", "丙公司", None)]
    assert "enterprise_name" not in columns
