"""Sample spot-check result files (产品质量抽检抽查结果), one per (stream, month), in
raw/spot_checks/<stream>/<YYYY-MM>/.

Streams, counties and categories come from the dbt seeds; the landing folder from
`orchestration/feeds/spot_checks.yaml`; everything else the samples add is data in
`sample_data/layouts/spot_checks.yaml`. Each stream's publisher writes its table its own way
(Publisher): its own header names (synonyms the contract accepts), columns it leaves out (the
stream, when the folder names it), its spelling of verdicts and of empty cells, CSV in UTF-8,
UTF-8 with BOM or GB18030, or xlsx with a title row and, for 农产品监测, a two-row header
(行政区划 → 市 | 县区). The catalogue only adds flavour (products, specifications, failing test
items) keyed by category code, with a generic fallback so a new category in the seed still
generates. Each file's modification time is the simulated delivery time of its month's
results (the 5th of the next month, 09:00 Beijing time). Every year one month of 食品安全监督抽检
is delivered again on the 25th, corrected (`…_更正`): a failed batch that passed its 复检, a
withdrawn 无效样品 removed, a batch the first list missed added.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from orchestration.domain.credit_code import CHARSET
from orchestration.ingest.contract import load_contract
from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    Enterprise,
    EnterpriseRegistry,
    GenerationSummary,
    allocate,
    check_arguments,
    chinese_number,
    date_variant,
    division_code,
    rng_for,
    working_days,
)
from sample_data.delivery import (
    MonthlyDelivery,
    TableLayout,
    deliver_month,
    feed_layouts,
    layouts_file,
    table_layout,
)
from sample_data.violations import violating

FEED = "spot_checks"
CORRECTED_STREAM = "food"  # 复检 results overturn a few food verdicts every year
XLSX_SHEET = "抽检结果"
ERROR_KINDS = ("unknown_county", "bad_credit_code", "unknown_verdict", "bad_date")


@dataclass(frozen=True)
class Publisher:
    """How a stream's publisher writes its results table: the file's layout, its verdict
    spellings as (pass, fail, weight) and how it fills an empty cell."""

    layout: TableLayout
    verdicts: tuple[tuple[str, str, float], ...] = (("合格", "不合格", 1.0),)
    empty: str = "/"

    def cell(self, name: str, value: Any) -> Any:
        """An empty ("/") value spelt the publisher's way (blank: no value at all)."""
        return (self.empty or None) if value == "/" else value


@dataclass(frozen=True)
class StreamProfile:
    """How one inspection stream publishes: volume, season, style and who does the work."""

    prefix: str
    batches_per_year: int
    pass_range: tuple[float, float]
    months: tuple[float, ...]
    visits_per_enterprise: float
    sampling_orgs: tuple[tuple[str, float], ...]
    agencies: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Product:
    """A product line with its usual specifications and, when it differs from the category,
    its own failing test items."""

    name: str
    specs: tuple[str, ...] = ("/",)
    fail_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryProfile:
    """Generation details of a product category."""

    weight: float
    industries: tuple[str, ...]
    products: tuple[Product, ...]
    fail_items: tuple[str, ...]
    batch_share: float  # how often a production date or batch number is recorded


def _pairs(raw: Sequence[Sequence[Any]]) -> tuple[tuple[str, float], ...]:
    return tuple((str(name), float(weight)) for name, weight in raw)


def _publisher(raw: Mapping[str, Any], written: Sequence[str]) -> Publisher:
    columns = list(written)
    if "manufacturer_name" in (raw.get("renamed") or {}):  # the enterprise as manufacturer
        columns[columns.index("sampled_unit_name")] = "manufacturer_name"
    spec = {"leading": [{"_no": "序号"}], "contract_columns": columns, "sheet": XLSX_SHEET, **raw}
    return Publisher(
        layout=table_layout(FEED, spec.get("format", "csv-utf8"), spec),
        verdicts=tuple((p, f, float(w)) for p, f, w in raw.get("verdicts") or [])
        or Publisher.verdicts,
        empty=raw.get("empty", "/"),
    )


def _stream(raw: Mapping[str, Any]) -> StreamProfile:
    return StreamProfile(
        prefix=raw["prefix"],
        batches_per_year=raw["batches_per_year"],
        pass_range=(raw["pass_range"][0], raw["pass_range"][1]),
        months=tuple(raw["months"]),
        visits_per_enterprise=raw["visits_per_enterprise"],
        sampling_orgs=_pairs(raw["sampling_orgs"]),
        agencies=_pairs(raw["agencies"]),
    )


def _category(raw: Mapping[str, Any]) -> CategoryProfile:
    return CategoryProfile(
        weight=raw["weight"],
        industries=tuple(raw["industries"]),
        products=tuple(
            Product(p["name"], tuple(p.get("specs") or ("/",)), tuple(p.get("fail_items") or ()))
            for p in raw["products"]
        ),
        fail_items=tuple(raw["fail_items"]),
        batch_share=raw["batch_share"],
    )


@dataclass(frozen=True)
class Catalogue:
    """layouts/spot_checks.yaml: publishers, streams and categories by code, weights."""

    delivery: MonthlyDelivery
    publishers: Mapping[str, Publisher]
    default_publisher: Publisher
    streams: Mapping[str, StreamProfile]
    default_stream: StreamProfile
    county_weights: Mapping[str, float]
    county_category_affinity: Mapping[tuple[str, str], float]
    categories: Mapping[str, CategoryProfile]
    unknown_counties: tuple[str, ...]
    unknown_verdicts: tuple[str, ...]


@cache
def catalogue() -> Catalogue:
    raw = layouts_file(FEED)
    delivery = feed_layouts(FEED).delivery
    assert delivery is not None
    return Catalogue(
        delivery=delivery,
        publishers={
            stream: _publisher(spec, raw["written"]) for stream, spec in raw["publishers"].items()
        },
        default_publisher=_publisher({}, raw["written"]),
        streams={stream: _stream(spec) for stream, spec in raw["streams"].items()},
        default_stream=_stream(raw["default_stream"]),
        county_weights=raw["county_weights"],
        county_category_affinity={(c, k): w for c, k, w in raw["county_category_affinity"]},
        categories={code: _category(spec) for code, spec in raw["categories"].items()},
        unknown_counties=violating(FEED, "county_code", raw["unknown_counties"]),
        unknown_verdicts=violating(FEED, "verdict", raw["unknown_verdicts"]),
    )


def _category_profile(category: Mapping[str, str]) -> CategoryProfile:
    profile = catalogue().categories.get(category["category_code"])
    if profile is not None:
        return profile
    name = category["category_name"]
    return CategoryProfile(0.05, ("制品", "科技"), (Product(name),), ("标志",), 0.5)


def _choice(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in options], [weight for _, weight in options])[0]


def _batch_label(rng: random.Random, sampled: dt.date, stream: str) -> str:
    # Food is sampled fresh; durable goods may sit in stock for months.
    max_age = 30 if stream in ("food", "agricultural") else 120
    made = sampled - dt.timedelta(days=rng.randint(1, max_age))
    roll = rng.random()
    if roll < 0.6:
        return made.isoformat()
    if roll < 0.8:
        return made.strftime("%Y%m%d")
    if roll < 0.9:
        return f"{made.year}/{made.month:02d}/{made.day:02d}"
    return f"{made.strftime('%Y%m%d')}{rng.choice('ABCDEFG')}{rng.randint(1, 9)}"


@dataclass(frozen=True)
class _Cell:
    """One (county, category) cell of a stream with its enterprise pool."""

    county: Mapping[str, str]
    category: Mapping[str, str]
    profile: CategoryProfile
    weight: float
    enterprises: tuple[Enterprise, ...]
    enterprise_weights: tuple[float, ...]


def _build_cells(
    registry: EnterpriseRegistry,
    profile: StreamProfile,
    scale: float,
    counties: Sequence[Mapping[str, str]],
    categories: Sequence[Mapping[str, str]],
) -> list[_Cell]:
    """Cells with their share of the stream's batches; pools are sized so an enterprise is
    visited a few times a year, which gives repeated sampling over time."""
    raw: list[tuple[Mapping[str, str], Mapping[str, str], CategoryProfile, float]] = []
    for county in counties:
        county_weight = catalogue().county_weights.get(county["county_code"], 1.0)
        for category in categories:
            category_profile = _category_profile(category)
            affinity = catalogue().county_category_affinity.get(
                (county["county_code"], category["category_code"]), 1.0
            )
            weight = county_weight * category_profile.weight * affinity
            raw.append((county, category, category_profile, weight))
    total_weight = sum(item[3] for item in raw)
    yearly = profile.batches_per_year * scale
    cells = []
    for county, category, category_profile, weight in raw:
        expected = yearly * weight / total_weight
        size = max(2, math.ceil(expected / profile.visits_per_enterprise))
        pool = registry.pool(county, category["category_code"], category_profile.industries, size)
        # A few enterprises are visited much more often than the rest (big producers).
        weights = tuple(1.0 / (rank + 1) ** 0.6 for rank in range(len(pool)))
        cells.append(_Cell(county, category, category_profile, weight, tuple(pool), weights))
    return cells


def _pass_rate(
    seed: int, stream: str, profile: StreamProfile, county_code: str, year: int
) -> float:
    """Pass rate for a county and year: a stable county level plus yearly noise and a small
    improvement trend, mapped into the stream's plausible range."""
    level = rng_for(seed, "pass-level", stream, county_code).uniform(0.2, 0.8)
    noise = rng_for(seed, "pass-noise", stream, county_code, year).uniform(-0.2, 0.2)
    trend = 0.1 * (year - 2015)
    position = min(1.0, max(0.0, level + noise + trend))
    low, high = profile.pass_range
    return low + (high - low) * position


def _verdict(rng: random.Random, passed: bool, publisher: Publisher) -> str:
    spellings = publisher.verdicts
    pass_word, fail_word, _ = rng.choices(spellings, [weight for *_, weight in spellings])[0]
    return pass_word if passed else fail_word


def _mutate_credit_code(rng: random.Random, code: str) -> str:
    roll = rng.random()
    if roll < 0.6:
        # Any single changed position breaks the GB 32100 checksum: weights are non-zero mod 31.
        position = rng.randrange(len(code) - 1)
        replacement = rng.choice([char for char in CHARSET if char != code[position]])
        return code[:position] + replacement + code[position + 1 :]
    if roll < 0.8:
        return code[:-1]
    return code + rng.choice(CHARSET)


def _bad_date(rng: random.Random, sampled: dt.date) -> str:
    return rng.choice(
        (
            f"{sampled.year}-13-45",
            f"{chinese_number(sampled.month)}月{chinese_number(sampled.day)}日",
            f"{sampled.year}-02-30",
            f"{sampled.year}-{sampled.month:02d}-00",
        )
    )


def _inject_error(rng: random.Random, kind: str, row: dict[str, Any], sampled: dt.date) -> None:
    if kind == "unknown_county":
        row["county_code"] = rng.choice(catalogue().unknown_counties)
    elif kind == "bad_credit_code":
        row["credit_code"] = _mutate_credit_code(rng, row["credit_code"])
    elif kind == "unknown_verdict":
        row["verdict"] = rng.choice(catalogue().unknown_verdicts)
    elif kind == "bad_date":
        row["sampled_on"] = _bad_date(rng, sampled)
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)


@dataclass(frozen=True)
class _Batch:
    """One sampled batch: when it was sampled and its row keyed by contract column name."""

    sampled: dt.date
    row: dict[str, Any]


def _month_batches(
    *,
    seed: int,
    stream_row: Mapping[str, str],
    profile: StreamProfile,
    publisher: Publisher,
    cells: Sequence[_Cell],
    year: int,
    month: int,
    count: int,
    pass_rates: Mapping[str, float],
    counters: defaultdict[str, int],
) -> list[_Batch]:
    """The clean batches of one (stream, year, month) list, in publication order."""
    stream = stream_row["stream_code"]
    rng = rng_for(seed, FEED, stream, year, month)
    days = working_days(year, month)
    cell_weights = [cell.weight for cell in cells]
    drafts = []
    for _ in range(count):
        cell = rng.choices(cells, cell_weights)[0]
        weekend = rng.random() < 0.03
        day = rng.randint(1, 28) if weekend else rng.choice(days).day
        drafts.append((dt.date(year, month, day), cell, rng.random()))
    county_order = {cell.county["county_code"]: i for i, cell in enumerate(cells)}
    # Published lists run by date, then county; the draw order breaks ties deterministically.
    drafts.sort(key=lambda d: (d[0], county_order[d[1].county["county_code"]], d[2]))
    batches = []
    for sampled, cell, _ in drafts:
        county = cell.county
        counters[county["county_code"]] += 1
        number = f"{division_code(county)}-{counters[county['county_code']]:06d}"
        passed = rng.random() < pass_rates[county["county_code"]]
        row = _batch_row(rng, profile, publisher, stream_row, cell, sampled, number, passed)
        batches.append(_Batch(sampled, row))
    return batches


def _batch_row(
    rng: random.Random,
    profile: StreamProfile,
    publisher: Publisher,
    stream_row: Mapping[str, str],
    cell: _Cell,
    sampled: dt.date,
    number: str,
    passed: bool,
) -> dict[str, Any]:
    """A batch's row as its publisher writes it, keyed by contract column name; `number` is the
    county part of its 抽样编号."""
    stream = stream_row["stream_code"]
    county = cell.county
    rank = rng.choices(range(len(cell.enterprises)), cell.enterprise_weights)[0]
    enterprise = cell.enterprises[rank]
    products = cell.profile.products
    # Enterprises keep to their own product line most of the time.
    product = products[rank % len(products)] if rng.random() < 0.85 else rng.choice(products)
    items = "/"
    if not passed:
        pool = product.fail_items or cell.profile.fail_items
        items = "、".join(rng.sample(pool, k=min(len(pool), rng.choice((1, 1, 1, 2, 3)))))
    style = rng.choices(("iso", "slash", "chinese"), (0.9, 0.05, 0.05))[0]
    sampled_value: Any = date_variant(sampled, style)
    if publisher.layout.fmt == "xlsx" and style == "iso":
        sampled_value = sampled  # Excel users type real dates; variants stay text
    has_batch = rng.random() < cell.profile.batch_share
    return {
        "sample_no": f"{profile.prefix}{sampled.year}-{number}",
        "stream_code": stream_row["stream_name"],
        "sampled_on": sampled_value,
        "county_code": county["short_name"] if rng.random() < 0.1 else county["county_name"],
        # one enterprise, written in the role its publisher's layout names
        "sampled_unit_name": enterprise.name,
        "manufacturer_name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "category_code": cell.category["category_name"],
        "product_name": product.name,
        "spec_model": rng.choice(product.specs),
        "batch_no": _batch_label(rng, sampled, stream) if has_batch else "/",
        "sampling_org": _choice(rng, profile.sampling_orgs).format(county=county["county_name"]),
        "inspection_agency": _choice(rng, profile.agencies),
        "verdict": _verdict(rng, passed, publisher),
        "nonconforming_items": items,
    }


def _with_errors(
    seed: int,
    stream: str,
    year: int,
    month: int,
    batches: Sequence[_Batch],
    error_rate: float,
    errors: Counter[str],
) -> list[dict[str, Any]]:
    """The delivered rows: a share `error_rate` of them with exactly one contract violation.
    Errors draw from their own generator, so the clean content is the same at any rate."""
    error_rng = rng_for(seed, FEED, "errors", stream, year, month)
    rows = []
    for batch in batches:
        row = dict(batch.row)
        if error_rng.random() < error_rate:
            kind = error_rng.choice(ERROR_KINDS)
            _inject_error(error_rng, kind, row, batch.sampled)
            errors[kind] += 1
        rows.append(row)
    return rows


def _corrected(
    rng: random.Random,
    batches: Sequence[_Batch],
    extra: dict[str, Any],
    publisher: Publisher,
) -> list[dict[str, Any]]:
    """The month's corrected list: a failed batch that passed its 复检 (re-test), a withdrawn
    无效样品 removed, and a batch the first list missed (补报) added at the end."""
    rows = [dict(batch.row) for batch in batches]
    failed = [row for row in rows if row["nonconforming_items"] != "/"]
    if failed:
        retested = rng.choice(failed)
        retested["verdict"] = publisher.verdicts[0][0]
        retested["nonconforming_items"] = "/"
    rows.pop(rng.randrange(len(rows)))
    rows.append(extra)
    return rows


def generate_spot_checks(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/spot_checks/<stream>/<YYYY-MM>/<YYYY-MM>_<stream>.{csv,xlsx}` for every
    stream and month of `years` (and each year's corrected `…_更正` list), each with its
    modification time set to its delivery time (delivered_at). Files are rewritten in place;
    nothing else in `out_dir` is touched."""
    check_arguments(scale, error_rate)
    contract = load_contract(FEED)
    landing = Path(out_dir) / contract.landing_dir
    counties = load_seed("ref_counties")
    categories = load_seed("ref_product_categories")
    streams = load_seed("ref_spot_check_streams")

    # Pools are built once, in seed order, so an enterprise is the same in every year.
    registry = EnterpriseRegistry(seed)
    cells_by_stream = {}
    for stream_row in streams:
        stream = stream_row["stream_code"]
        stream_categories = [c for c in categories if c["stream_code"] == stream]
        if not stream_categories:
            continue
        profile = catalogue().streams.get(stream, catalogue().default_stream)
        cells_by_stream[stream] = _build_cells(
            registry, profile, scale, counties, stream_categories
        )

    out = Deliveries(ERROR_KINDS, ("redeliveries",))
    for year in sorted(set(years)):
        corrected_month = rng_for(seed, FEED, "redelivery", year).randint(3, 11)
        for stream_row in streams:
            stream = stream_row["stream_code"]
            if stream not in cells_by_stream:
                continue
            profile = catalogue().streams.get(stream, catalogue().default_stream)
            publisher = catalogue().publishers.get(stream, catalogue().default_publisher)
            month_counts = allocate(round(profile.batches_per_year * scale), profile.months)
            pass_rates = {
                county["county_code"]: _pass_rate(
                    seed, stream, profile, county["county_code"], year
                )
                for county in counties
            }
            counters: defaultdict[str, int] = defaultdict(int)
            for month, count in enumerate(month_counts, start=1):
                batches = _month_batches(
                    seed=seed,
                    stream_row=stream_row,
                    profile=profile,
                    publisher=publisher,
                    cells=cells_by_stream[stream],
                    year=year,
                    month=month,
                    count=count,
                    pass_rates=pass_rates,
                    counters=counters,
                )
                rows = _with_errors(seed, stream, year, month, batches, error_rate, out.errors)
                corrected = None
                if stream == CORRECTED_STREAM and month == corrected_month and len(batches) >= 2:
                    fix = rng_for(seed, FEED, "correction", stream, year, month)
                    cell = fix.choice(cells_by_stream[stream])
                    county_code = cell.county["county_code"]
                    # numbers from 900000 up are kept for late entries, clear of the running ones
                    number = f"{division_code(cell.county)}-9{month:05d}"
                    sampled = fix.choice(working_days(year, month))
                    passed = fix.random() < pass_rates[county_code]
                    extra = _batch_row(
                        fix, profile, publisher, stream_row, cell, sampled, number, passed
                    )
                    corrected = _corrected(fix, batches, extra, publisher)
                deliver_month(
                    out,
                    catalogue().delivery,
                    publisher.layout,
                    landing / stream / f"{year}-{month:02d}" / f"{year}-{month:02d}_{stream}",
                    rows,
                    year,
                    month,
                    title=f"廊坊市{year}年{month}月{stream_row['stream_name']}抽查结果",
                    value=publisher.cell,
                    corrected=corrected,
                )
    return out.summary()
