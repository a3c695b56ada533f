"""Sample service-quality satisfaction survey results (服务质量满意度测评结果).

Four survey institutes deliver, each in its own way (docs/feeds/service_satisfaction.md; the
contract's enum `institute` lists them):

* 国家统计局廊坊调查队 counts satisfied respondents (满意率) per sector in the districts, the
  development zone and the three largest counties, with a 全市 total row per sector, in an
  xlsx with a title row and a two-row header (行政区划 over 市 | 县区); twice a year.
* 质检总局公共服务质量监测 sends a city-wide 0–100 index per sector (UTF-8 with BOM CSV),
  once a year, five to six weeks after its fieldwork.
* 旅游服务质量第三方评估 sends 0–100 scores of the tourism sector per county (GB18030 CSV,
  dates written 2015年5月17日, short county names), twice a year.
* 卫计委医疗服务满意度调查 counts satisfied patients per county (UTF-8 CSV, dates 2016/4/8),
  twice a year from 2016, when the commission started it.

One file per institute and survey wave, in raw/service_satisfaction/<institute folder>/
<YYYY-MM>/, where the month is the month the fieldwork ended; its modification time is when
the institute delivered it. Every year the survey team re-delivers its first wave a week
later (`…_更正.xlsx`): some county rows re-counted after invalid questionnaires were removed,
one row withdrawn (too few valid questionnaires left), one row the first file lacked added,
and the 全市 totals recomputed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from orchestration.ingest.contract import load_contract
from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    GenerationSummary,
    check_arguments,
    date_variant,
    rng_for,
    working_days,
)
from sample_data.delivery import TableLayout, layouts_file
from sample_data.excel_layouts import HeaderCell
from sample_data.violations import violating

FEED = "service_satisfaction"
ERROR_KINDS = (
    "unknown_sector",
    "unknown_county",
    "unknown_measure",
    "missing_result",
    "satisfied_exceeds_sample",
    "score_out_of_range",
    "bad_sample_size",
    "bad_date",
    "outside_period",
    "start_after_end",
)
# Extra survey months, in order, when a scale above 1 asks for more waves than the usual ones.
EXTRA_MONTHS = (3, 9, 4, 8, 5, 10, 7, 12, 2, 11, 6, 1)
MIN_CELL_SAMPLE = 30  # below this a county × sector cell is not published


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
    fmt: str = "csv-utf8"  # xlsx, csv-utf8, csv-bom or csv-gb18030
    two_row_county: bool = False  # 行政区划 merged over 市 | 县区 (xlsx)
    city_total: bool = False  # a 全市 row per sector after its county rows
    city_spelling: str = "全市"  # the county cell of a city-wide row
    date_style: str = "iso"
    county_style: str = "full"  # full (安次区), short (安次) or prefixed (廊坊市安次区)
    empty: str = "/"
    delivery_days: tuple[int, int] = (14, 25)  # days after fieldwork until delivery
    first_year: int = 2000
    sector_spellings: Mapping[str, str] = field(default_factory=dict)

    @property
    def layout(self) -> TableLayout:
        """Its table: a running number, then its headers in order (行政区划 merged over 市 |
        县区 where it writes two rows)."""
        columns: list[tuple[str, HeaderCell]] = [("_no", ("序号", None))]
        for column, header in self.headers.items():
            if column == "county_code" and self.two_row_county:
                columns += [("_city", ("行政区划", "市")), (column, ("行政区划", header))]
            else:
                columns.append((column, (header, None)))
        return TableLayout(self.fmt, tuple(columns), "测评结果", {"_city": "廊坊市"})


def _institute(raw: Mapping[str, Any]) -> Institute:
    fields = dict(raw)
    fields["fmt"] = fields.pop("format")
    for name in ("sectors", "months", "delivery_days"):
        if name in fields:
            fields[name] = tuple(fields[name])
    if fields["counties"] is not None:
        fields["counties"] = tuple(fields["counties"])
    return Institute(**fields)


# The catalogue: layouts/service_satisfaction.yaml.
_DATA = layouts_file(FEED)
SECTOR_LEVELS: Mapping[str, float] = _DATA["sector_levels"]
IMPROVEMENT_PER_YEAR = 0.012  # the plan's years of 服务质量提升
COUNTY_WEIGHTS: Mapping[str, float] = _DATA["county_weights"]
INSTITUTES: tuple[Institute, ...] = tuple(_institute(raw) for raw in _DATA["institutes"])
UNKNOWN_SECTORS = tuple(_DATA["unknown_sectors"])
UNKNOWN_COUNTIES = tuple(_DATA["unknown_counties"])
UNKNOWN_MEASURES = tuple(_DATA["unknown_measures"])
BAD_SAMPLE_SIZES = tuple(_DATA["bad_sample_sizes"])


CORRECTED_INSTITUTE = "lf_survey_team"
CORRECTION_DELAY = dt.timedelta(days=7)


@dataclass(frozen=True)
class _Row:
    """One result row before it is spelled for a file: county None is a city-wide row."""

    sector: str
    county: str | None
    sample: int
    satisfied: int | None
    score: float | None
    remarks: str | None = None


@dataclass(frozen=True)
class _Wave:
    """One survey wave of an institute: what every row of its file shares."""

    institute: Institute
    year: int
    month: int
    number: int
    start: dt.date
    end: dt.date

    @property
    def survey_id(self) -> str:
        return f"{self.institute.prefix}{self.year}-{self.number:02d}"

    @property
    def title(self) -> str:
        return self.institute.title.format(year=self.year, wave=self.number)


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
    trend = IMPROVEMENT_PER_YEAR * (year - 2015)
    return min(0.98, max(0.5, SECTOR_LEVELS.get(sector, 0.8) + offset + noise + trend))


def _fieldwork(rng: random.Random, year: int, month: int) -> tuple[dt.date, dt.date]:
    end = rng.choice([d for d in working_days(year, month) if 10 <= d.day <= 26])
    return end - dt.timedelta(days=rng.randint(10, 20)), end


def _wave_rows(
    seed: int, wave: _Wave, rng: random.Random, county_codes: Sequence[str]
) -> list[_Row]:
    """The county (or city-wide) result rows of a wave, without totals."""
    institute = wave.institute
    if institute.counties is None:
        scope: list[str | None] = list(county_codes)
    else:
        scope = [code for code in institute.counties if code in county_codes] or [None]
    rows = []
    for sector in institute.sectors:
        for county in scope:
            weight = COUNTY_WEIGHTS.get(county, 1.0) if county else 1.0
            n = max(
                MIN_CELL_SAMPLE, round(institute.sample_per_cell * weight * rng.uniform(0.9, 1.1))
            )
            if county is None:  # city-wide: the city's average
                share = sum(_level(seed, sector, c, wave.year) for c in county_codes)
                share /= len(county_codes)
            else:
                share = _level(seed, sector, county, wave.year)
            if institute.measure == "top2_share":
                satisfied = round(n * share + rng.gauss(0, (n * share * (1 - share)) ** 0.5))
                rows.append(_Row(sector, county, n, min(n, max(0, satisfied)), None))
            else:
                score = round(100 * share + rng.uniform(-2.5, 1.5), 1)
                rows.append(_Row(sector, county, n, None, score))
    return rows


def _with_totals(institute: Institute, rows: Sequence[_Row]) -> list[_Row]:
    """Each sector's county rows followed by its 全市 row (their sums), for institutes that
    print totals."""
    if not institute.city_total:
        return list(rows)
    out: list[_Row] = []
    for sector in institute.sectors:
        of_sector = [row for row in rows if row.sector == sector]
        out += of_sector
        satisfied = [row.satisfied for row in of_sector if row.satisfied is not None]
        out.append(
            _Row(sector, None, sum(row.sample for row in of_sector), sum(satisfied), None, "合计")
        )
    return out


def _correct(rng: random.Random, rows: Sequence[_Row]) -> tuple[list[_Row], _Row]:
    """The survey team's corrected wave, from its clean county rows: three rows re-counted
    after invalid questionnaires were removed, one withdrawn (too few valid ones left).
    Returns the corrected rows and the row the first delivery lacked (added back here)."""
    late, withdrawn, *recounted = rng.sample(range(len(rows)), k=min(5, len(rows)))
    corrected = []
    for index, row in enumerate(rows):
        if index == withdrawn:
            continue
        if index in recounted:
            removed = rng.randint(5, 25)
            sample = row.sample - removed
            satisfied = None if row.satisfied is None else min(sample, row.satisfied - removed // 2)
            row = replace(
                row, sample=sample, satisfied=satisfied, remarks=f"更正：剔除无效问卷{removed}份"
            )
        elif index == late:
            row = replace(row, remarks="补报")
        corrected.append(row)
    return corrected, rows[late]


def _county_text(institute: Institute, county: Mapping[str, str] | None) -> str:
    if county is None:
        return institute.city_spelling
    if institute.county_style == "short":
        return county["short_name"]
    if institute.county_style == "prefixed" and county["division_type"] == "市辖区":
        return "廊坊市" + county["county_name"]
    return county["county_name"]


def _cells(
    wave: _Wave,
    row: _Row,
    counties: Mapping[str, Mapping[str, str]],
    sector_names: Mapping[str, str],
) -> dict[str, Any]:
    """A row as the institute writes it, keyed by contract column name."""
    institute = wave.institute
    as_xlsx = institute.fmt == "xlsx"
    start: Any = wave.start if as_xlsx else date_variant(wave.start, institute.date_style)
    end: Any = wave.end if as_xlsx else date_variant(wave.end, institute.date_style)
    values: dict[str, Any] = {
        "survey_id": wave.survey_id,
        "survey_name": wave.title,
        "institute": institute.name,
        "county_code": _county_text(institute, counties.get(row.county or "")),
        "sector_code": institute.sector_spellings.get(row.sector, sector_names[row.sector]),
        "fieldwork_start": start,
        "fieldwork_end": end,
        "measure": institute.measure_label,
        "sample_size": row.sample,
        "satisfied_count": row.satisfied,
        "satisfaction_score": row.score,
        "remarks": row.remarks,
    }
    return {name: institute.empty if value is None else value for name, value in values.items()}


def _inject(rng: random.Random, values: dict[str, Any], wave: _Wave) -> str:
    """Give one row exactly one contract violation; returns its kind."""
    institute = wave.institute
    applicable = [
        "unknown_sector",
        "unknown_county",
        "unknown_measure",
        "missing_result",
        "bad_sample_size",
        "bad_date",
        "outside_period",
    ]
    if institute.measure == "top2_share":
        applicable.append("satisfied_exceeds_sample")
    else:
        applicable.append("score_out_of_range")
    if "fieldwork_start" in institute.headers:
        applicable.append("start_after_end")
    kind = rng.choice(applicable)
    if kind == "unknown_sector":
        values["sector_code"] = rng.choice(violating(FEED, "sector_code", UNKNOWN_SECTORS))
    elif kind == "unknown_county":
        values["county_code"] = rng.choice(violating(FEED, "county_code", UNKNOWN_COUNTIES))
    elif kind == "unknown_measure":
        values["measure"] = rng.choice(violating(FEED, "measure", UNKNOWN_MEASURES))
    elif kind == "missing_result":
        result = "satisfied_count" if institute.measure == "top2_share" else "satisfaction_score"
        values[result] = institute.empty
    elif kind == "satisfied_exceeds_sample":
        values["satisfied_count"] = values["sample_size"] + rng.randint(1, 40)
    elif kind == "score_out_of_range":  # the decimal point forgotten: 865 for 86.5
        values["satisfaction_score"] = round(values["satisfaction_score"] * 10)
    elif kind == "bad_sample_size":
        values["sample_size"] = rng.choice(BAD_SAMPLE_SIZES).format(n=values["sample_size"])
    elif kind == "bad_date":  # a day the month does not have
        last = calendar.monthrange(wave.year, wave.month)[1]
        values["fieldwork_end"] = f"{wave.year}-{wave.month:02d}-{last + rng.randint(1, 3)}"
    elif kind == "outside_period":  # a row of the previous wave left in the table
        back = dt.timedelta(days=rng.randint(35, 50))
        values["fieldwork_end"] = date_variant(wave.end - back, institute.date_style)
        if "fieldwork_start" in institute.headers:
            values["fieldwork_start"] = date_variant(wave.start - back, institute.date_style)
    else:  # start_after_end: the start typed a few days after the end
        later = wave.end + dt.timedelta(days=rng.randint(1, 5))
        values["fieldwork_start"] = date_variant(later, institute.date_style)
    return kind


def _blank(name: str, value: Any) -> Any:
    return None if value == "" else value  # an empty cell of the workbook holds nothing


def _write(path: Path, wave: _Wave, rows: Sequence[Mapping[str, Any]], title: str) -> None:
    layout = wave.institute.layout
    layout.write(path, rows, title=title, value=_blank if layout.fmt == "xlsx" else None)


def _delivered(rng: random.Random, institute: Institute, end: dt.date) -> dt.datetime:
    day = end + dt.timedelta(days=rng.randint(*institute.delivery_days))
    return dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))


def generate_service_satisfaction(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write raw/service_satisfaction/<institute>/<YYYY-MM>/<survey title>.{csv,xlsx} for every
    survey wave of `years`, plus the survey team's corrected first wave of each year. `scale`
    multiplies the number of survey waves (at least one per institute and year)."""
    check_arguments(scale, error_rate)
    contract = load_contract(FEED)
    landing = Path(out_dir) / contract.landing_dir
    counties = {row["county_code"]: row for row in load_seed("ref_counties")}
    sector_names = {
        row["sector_code"]: row["sector_name"] for row in load_seed("ref_service_sectors")
    }

    out = Deliveries(ERROR_KINDS, ("redeliveries",))
    for year in sorted(set(years)):
        for institute in INSTITUTES:
            if year < institute.first_year:
                continue
            for number, month in enumerate(_waves(institute, scale), start=1):
                rng = rng_for(seed, FEED, institute.code, year, month)
                start, end = _fieldwork(rng, year, month)
                wave = _Wave(institute, year, month, number, start, end)
                clean = _wave_rows(seed, wave, rng, list(counties))
                versions: list[tuple[str, list[_Row], dt.datetime]] = []
                timing = rng_for(seed, FEED, "delivery", institute.code, year, month)
                received = _delivered(timing, institute, end)
                first = clean
                if institute.code == CORRECTED_INSTITUTE and number == 1:
                    fix = rng_for(seed, FEED, "correction", institute.code, year, month)
                    corrected, late = _correct(fix, clean)
                    first = [row for row in clean if row is not late]
                    versions.append(
                        ("_更正", _with_totals(institute, corrected), received + CORRECTION_DELAY)
                    )
                    out.other["redeliveries"] += 1
                versions.insert(0, ("", _with_totals(institute, first), received))
                folder = landing / institute.folder / f"{year}-{month:02d}"
                for suffix, rows, at in versions:
                    cells = [_cells(wave, row, counties, sector_names) for row in rows]
                    if not suffix:  # errors only in first deliveries; from their own stream
                        error_rng = rng_for(seed, FEED, "errors", institute.code, year, month)
                        for values in cells:
                            if error_rng.random() < error_rate:
                                out.errors[_inject(error_rng, values, wave)] += 1
                    path = folder / f"{wave.title}{suffix}.{institute.layout.extension}"
                    title = f"{wave.title}结果" + ("（更正）" if suffix else "")
                    _write(path, wave, cells, title)
                    out.add(path, len(cells), at)
    return out.summary()
