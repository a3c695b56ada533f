"""Sample service-quality satisfaction survey results (服务质量满意度测评结果).

Four survey institutes deliver, each in its own way (the contract's enum `institute` lists
them): the city's NBS survey team counts satisfied respondents per sector and county in an
xlsx with a two-row header; the national public-service quality monitoring sends a city-wide
0–100 index only; a third-party tourism assessor sends county scores in GB18030; the health
commission's patient survey counts satisfied respondents per county. One file per institute
and survey wave, in raw/service_satisfaction/<institute folder>/<YYYY-MM>/, where the month
is the month the fieldwork ended; its modification time is when the institute delivered it.
Every year the survey team re-delivers one wave corrected (`…_更正.xlsx`, a week later).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from orchestration.ingest.contract import load_contract
from orchestration.reference import load_seed
from orchestration.sample_data.common import GenerationSummary, rng_for, working_days
from orchestration.sample_data.submissions import set_received
from orchestration.xlsx_files import save_workbook, write_atomically

FEED = "service_satisfaction"
ERROR_KINDS = (
    "unknown_sector",
    "unknown_county",
    "satisfied_exceeds_sample",
    "missing_result",
    "bad_date",
)
UNKNOWN_SECTORS = ("物业服务", "快递物流", "餐饮住宿", "家政服务")
UNKNOWN_COUNTIES = ("北京市通州区", "天津市武清区", "廊坊市新区", "保定市雄县")
CITY_WIDE = "全市"
# Extra survey months, in order, when a scale above 1 asks for more waves than the usual ones.
EXTRA_MONTHS = (3, 9, 4, 8, 5, 10, 7, 12, 2, 11, 6, 1)

# Top-2-box share (满意 + 非常满意) by sector around 2015; scores sit near the same level.
SECTOR_LEVELS = {
    "public_service": 0.80,
    "commerce": 0.84,
    "tourism": 0.80,
    "medical": 0.77,
    "transport": 0.75,
    "finance": 0.87,
}
# Respondents scale with population (三河, 霸州, 广阳, 安次 and 固安 are the largest).
COUNTY_WEIGHTS = {
    "131082": 1.4,
    "131081": 1.3,
    "131003": 1.3,
    "131002": 1.2,
    "131022": 1.2,
    "131028": 0.7,
    "LFKFQ": 0.7,
}


@dataclass(frozen=True)
class Institute:
    """How one institute surveys and delivers."""

    code: str  # contract enum value
    folder: str  # the delivery folder it uses (a code or its Chinese name)
    name: str  # as written in its tables (when it writes the column)
    prefix: str  # survey id prefix
    title: str  # survey name; {year} and {wave} are filled in
    sectors: tuple[str, ...]
    months: tuple[int, ...]  # months the fieldwork ends in, at scale 1
    measure: str  # top2_share | score
    measure_label: str  # how the institute spells its measure
    sample_per_cell: int
    counties: tuple[str, ...] | None  # None: every county; (): city-wide rows only
    headers: Mapping[str, str]  # contract column → header the institute writes
    file_type: str = "csv"
    encoding: str = "utf-8"
    two_row_county: bool = False  # 行政区划 merged over 市 | 县区
    empty: str = "/"
    delivery_days: tuple[int, int] = (14, 25)  # days after fieldwork until delivery


INSTITUTES: tuple[Institute, ...] = (
    Institute(
        code="lf_survey_team",
        folder="国家统计局廊坊调查队",
        name="国家统计局廊坊调查队",
        prefix="DCD",
        title="{year}年廊坊市服务业顾客满意度调查（第{wave}期）",
        sectors=("public_service", "commerce", "transport", "finance"),
        months=(6, 11),
        measure="top2_share",
        measure_label="满意率",
        sample_per_cell=300,
        counties=None,
        headers={
            "survey_id": "调查编号",
            "survey_name": "调查项目",
            "county_code": "县区",  # under 行政区划
            "sector_code": "行业",
            "fieldwork_start": "调查开始日期",
            "fieldwork_end": "调查结束日期",
            "measure": "测评口径",
            "sample_size": "有效样本数",
            "satisfied_count": "满意及非常满意样本数",
            "remarks": "备注",
        },
        file_type="xlsx",
        two_row_county=True,
        empty="",
    ),
    Institute(
        code="public_service_monitor",
        folder="public_service_monitor",
        name="质检总局公共服务质量监测",
        prefix="GGJC",
        title="{year}年公共服务质量监测（廊坊市）",
        sectors=("public_service", "transport", "medical", "tourism"),
        months=(9,),
        measure="score",
        measure_label="满意度指数",
        sample_per_cell=1000,
        counties=(),
        headers={
            "survey_id": "测评编号",
            "survey_name": "测评项目名称",
            "institute": "测评机构",
            "county_code": "测评区域",
            "sector_code": "服务领域",
            "fieldwork_end": "测评日期",
            "measure": "测评口径",
            "sample_size": "有效样本量",
            "satisfaction_score": "满意度指数",
        },
        encoding="utf-8-sig",
        delivery_days=(30, 45),
    ),
    Institute(
        code="tourism_assessor",
        folder="旅游服务质量第三方评估",
        name="旅游服务质量第三方评估",
        prefix="LYPG",
        title="{year}年廊坊市旅游服务质量第三方评估（第{wave}轮）",
        sectors=("tourism",),
        months=(5, 10),
        measure="score",
        measure_label="综合得分",
        sample_per_cell=200,
        counties=("131002", "131003", "131022", "131024", "131028", "131081", "131082", "LFKFQ"),
        headers={
            "survey_id": "项目编号",
            "survey_name": "项目名称",
            "county_code": "县（市、区）",
            "sector_code": "行业类别",
            "fieldwork_start": "开始日期",
            "fieldwork_end": "结束日期",
            "measure": "结果口径",
            "sample_size": "样本量",
            "satisfaction_score": "综合得分",
            "remarks": "备注",
        },
        encoding="gb18030",
        empty="—",
    ),
    Institute(
        code="health_survey",
        folder="health_survey",
        name="卫计委医疗服务满意度调查",
        prefix="YLMY",
        title="{year}年廊坊市医疗服务满意度调查（第{wave}次）",
        sectors=("medical",),
        months=(4, 10),
        measure="top2_share",
        measure_label="满意+非常满意",
        sample_per_cell=400,
        counties=None,
        headers={
            "survey_id": "问卷批次",
            "survey_name": "调查名称",
            "institute": "调查机构",
            "county_code": "所在县区",
            "sector_code": "领域",
            "fieldwork_start": "调查起始日期",
            "fieldwork_end": "调查截止日期",
            "measure": "统计口径",
            "sample_size": "有效问卷数",
            "satisfied_count": "满意人数",
            "remarks": "说明",
        },
    ),
)
# Sector names as each institute writes them (any accepted spelling of ref_service_sectors).
SECTOR_SPELLINGS = {
    "lf_survey_team": {"finance": "银行业", "transport": "公共交通"},
    "public_service_monitor": {"public_service": "公共服务", "medical": "医疗卫生"},
    "tourism_assessor": {"tourism": "旅游服务"},
    "health_survey": {"medical": "医疗服务"},
}
CORRECTED_INSTITUTE = "lf_survey_team"


@dataclass
class _Row:
    values: dict[str, Any]
    county_code: str | None


def _waves(institute: Institute, scale: float) -> tuple[int, ...]:
    """Fieldwork months of a year: the usual ones at scale 1, fewer or more otherwise."""
    count = min(12, max(1, round(len(institute.months) * scale)))
    ordered = list(institute.months) + [m for m in EXTRA_MONTHS if m not in institute.months]
    return tuple(sorted(ordered[:count]))


def _level(seed: int, sector: str, county: str, year: int) -> float:
    """Top-2-box share of a sector in a county and year: sector level, a stable county
    offset, yearly noise and a slow improvement."""
    offset = rng_for(seed, FEED, "county-level", sector, county).uniform(-0.05, 0.04)
    noise = rng_for(seed, FEED, "year-noise", sector, county, year).uniform(-0.02, 0.02)
    return min(
        0.98, max(0.5, SECTOR_LEVELS.get(sector, 0.8) + offset + noise + 0.012 * (year - 2015))
    )


def _fieldwork(rng: random.Random, year: int, month: int) -> tuple[dt.date, dt.date]:
    end = rng.choice([d for d in working_days(year, month) if 10 <= d.day <= 26])
    return end - dt.timedelta(days=rng.randint(10, 20)), end


def _clean_rows(
    seed: int,
    institute: Institute,
    year: int,
    month: int,
    wave: int,
    counties: Sequence[Mapping[str, str]],
    sector_names: Mapping[str, str],
) -> list[_Row]:
    rng = rng_for(seed, FEED, institute.code, year, month)
    start, end = _fieldwork(rng, year, month)
    if institute.counties is None:
        scope = [c["county_code"] for c in counties]
    else:
        known = {c["county_code"] for c in counties}
        scope = [code for code in institute.counties if code in known]
    by_code = {c["county_code"]: c for c in counties}
    rows = []
    for sector in institute.sectors:
        spelled = SECTOR_SPELLINGS.get(institute.code, {}).get(sector, sector_names[sector])
        for county in scope or [None]:
            weight = COUNTY_WEIGHTS.get(county or "", 1.0) if county else 1.0
            n = max(30, round(institute.sample_per_cell * weight * rng.uniform(0.9, 1.1)))
            if county is None:  # city-wide: the city's average
                share = sum(_level(seed, sector, c, year) for c in by_code) / len(by_code)
            else:
                share = _level(seed, sector, county, year)
            values: dict[str, Any] = {
                "survey_id": f"{institute.prefix}{year}-{wave:02d}",
                "survey_name": institute.title.format(year=year, wave=wave),
                "institute": institute.name,
                "county_code": by_code[county]["county_name"] if county else CITY_WIDE,
                "sector_code": spelled,
                "fieldwork_start": start.isoformat(),
                "fieldwork_end": end.isoformat(),
                "measure": institute.measure_label,
                "sample_size": n,
                "remarks": institute.empty,
            }
            if institute.measure == "top2_share":
                satisfied = round(n * share + rng.gauss(0, (n * share * (1 - share)) ** 0.5))
                values["satisfied_count"] = min(n, max(0, satisfied))
            else:
                values["satisfaction_score"] = round(100 * share + rng.uniform(-2.5, 1.5), 1)
            rows.append(_Row(values, county))
    return rows


def _inject(rng: random.Random, row: _Row, institute: Institute, kinds: Counter[str]) -> None:
    """Give one row exactly one contract violation."""
    applicable = ["unknown_sector", "unknown_county", "missing_result", "bad_date"]
    if institute.measure == "top2_share":
        applicable.append("satisfied_exceeds_sample")
    kind = rng.choice(applicable)
    values = row.values
    if kind == "unknown_sector":
        values["sector_code"] = rng.choice(UNKNOWN_SECTORS)
    elif kind == "unknown_county":
        values["county_code"] = rng.choice(UNKNOWN_COUNTIES)
    elif kind == "satisfied_exceeds_sample":
        values["satisfied_count"] = values["sample_size"] + rng.randint(1, 40)
    elif kind == "missing_result":
        key = "satisfied_count" if institute.measure == "top2_share" else "satisfaction_score"
        values[key] = institute.empty
    else:  # bad_date: a day that does not exist, or the end of the next month's fieldwork
        end = dt.date.fromisoformat(values["fieldwork_end"])
        if rng.random() < 0.5:
            values["fieldwork_end"] = f"{end.year}-{end.month:02d}-{rng.choice((32, 35, 40))}"
        else:
            values["fieldwork_end"] = (end + dt.timedelta(days=35)).isoformat()
    kinds[kind] += 1


def _correct(rng: random.Random, rows: list[_Row]) -> list[_Row]:
    """The institute's corrected re-delivery: a few county rows re-counted after invalid
    questionnaires were removed; everything else as first delivered."""
    corrected = [_Row(dict(row.values), row.county_code) for row in rows]
    for row in rng.sample(corrected, k=min(3, len(corrected))):
        removed = rng.randint(5, 25)
        sample = row.values["sample_size"] - removed
        row.values["sample_size"] = sample
        if "satisfied_count" in row.values:
            row.values["satisfied_count"] = min(
                sample, row.values["satisfied_count"] - removed // 2
            )
        row.values["remarks"] = f"更正：剔除无效问卷{removed}份"
    return corrected


def _header_and_table(
    institute: Institute, rows: Sequence[_Row]
) -> tuple[list[list[str]], list[list[Any]]]:
    """Header rows (one, or two with 行政区划 → 市 | 县区) and body rows with 序号."""
    columns = list(institute.headers)
    top, sub = ["序号"], [""]
    for column in columns:
        if column == "county_code" and institute.two_row_county:
            top += ["行政区划", ""]
            sub += ["市", institute.headers[column]]
        else:
            top.append(institute.headers[column])
            sub.append("")
    table = []
    for number, row in enumerate(rows, start=1):
        line: list[Any] = [number]
        for column in columns:
            if column == "county_code" and institute.two_row_county:
                line.append("廊坊市")
            value = row.values.get(column, institute.empty)
            line.append(value)
        table.append(line)
    headers = [top, sub] if institute.two_row_county else [top]
    return headers, table


def _write_csv(path: Path, headers: list[list[str]], table: list[list[Any]], encoding: str) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerows(headers)
    writer.writerows(table)
    write_atomically(path, buffer.getvalue().encode(encoding))


def _write_xlsx(path: Path, title: str, headers: list[list[str]], table: list[list[Any]]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "测评结果"
    width = len(headers[0])
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for header in headers:
        sheet.append([value or None for value in header])
    if len(headers) == 2:  # merge each single header over both rows, 行政区划 over its two
        for index, (top, sub) in enumerate(zip(*headers, strict=True), start=1):
            if top and not sub:
                sheet.merge_cells(start_row=2, start_column=index, end_row=3, end_column=index)
            elif top and sub:
                sheet.merge_cells(start_row=2, start_column=index, end_row=2, end_column=index + 1)
    for line in table:
        sheet.append([None if value == "" else value for value in line])
    save_workbook(path, workbook)


def _delivered(rng: random.Random, institute: Institute, end: dt.date) -> dt.datetime:
    days = rng.randint(*institute.delivery_days)
    day = end + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))


def generate_service_satisfaction(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write raw/service_satisfaction/<institute>/<YYYY-MM>/<YYYY-MM>_<institute>.{csv,xlsx}
    for every survey wave of `years`, plus one corrected re-delivery per year. `scale`
    multiplies the number of survey waves (at least one per institute and year)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    if not 0 <= error_rate <= 1:
        raise ValueError("error_rate must be within [0, 1]")
    contract = load_contract(FEED)
    landing = Path(out_dir) / contract.landing_dir
    counties = load_seed("ref_counties")
    sector_names = {
        row["sector_code"]: row["sector_name"] for row in load_seed("ref_service_sectors")
    }

    files: list[Path] = []
    rows_per_file: dict[Path, int] = {}
    errors: Counter[str] = Counter()
    redeliveries = 0
    for year in sorted(set(years)):
        for institute in INSTITUTES:
            waves = _waves(institute, scale)
            for wave, month in enumerate(waves, start=1):
                clean = _clean_rows(seed, institute, year, month, wave, counties, sector_names)
                error_rng = rng_for(seed, FEED, "errors", institute.code, year, month)
                delivered = [_Row(dict(row.values), row.county_code) for row in clean]
                for row in delivered:
                    if error_rng.random() < error_rate:
                        _inject(error_rng, row, institute, errors)
                folder = landing / institute.folder / f"{year}-{month:02d}"
                stem = f"{year}-{month:02d}_{institute.code}"
                end = dt.date.fromisoformat(clean[0].values["fieldwork_end"])
                timing = rng_for(seed, FEED, "delivery", institute.code, year, month)
                received = _delivered(timing, institute, end)
                versions = [(stem, delivered, received)]
                if institute.code == CORRECTED_INSTITUTE and wave == 1:
                    fix_rng = rng_for(seed, FEED, "correction", institute.code, year, month)
                    corrected = _correct(fix_rng, clean)
                    versions.append((f"{stem}_更正", corrected, received + dt.timedelta(days=7)))
                    redeliveries += 1
                for name, rows, at in versions:
                    path = folder / f"{name}.{institute.file_type}"
                    headers, table = _header_and_table(institute, rows)
                    if institute.file_type == "xlsx":
                        _write_xlsx(path, f"{rows[0].values['survey_name']}结果", headers, table)
                    else:
                        _write_csv(path, headers, table, institute.encoding)
                    set_received(path, at)
                    files.append(path)
                    rows_per_file[path] = len(rows)
    return GenerationSummary(
        files=tuple(files),
        rows_per_file=rows_per_file,
        total_rows=sum(rows_per_file.values()),
        injected_errors={kind: errors[kind] for kind in ERROR_KINDS},
        other_counts={"redeliveries": redeliveries},
    )
