"""Helpers shared by the feed generators: seeded randomness, enterprises with valid credit
codes, date spellings, and a byte-stable CSV writer (xlsx: orchestration.xlsx_files)."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import os
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from orchestration.domain import credit_code
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.xlsx_files import write_atomically

# The development zone has no national division code; its enterprises register under the
# city's own code, which is also what their credit codes carry.
CITY_DIVISION_CODE = "131000"


@dataclass(frozen=True)
class GenerationSummary:
    """What one generator run wrote; nothing derived from the data beyond injected errors."""

    files: tuple[Path, ...]
    rows_per_file: Mapping[Path, int]
    total_rows: int
    injected_errors: Mapping[str, int] = field(default_factory=dict)
    # Tallies that are not contract violations, e.g. reports a unit never sent (not_submitted).
    other_counts: Mapping[str, int] = field(default_factory=dict)


def check_arguments(scale: float, error_rate: float) -> None:
    """The arguments every generator refuses alike."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    if not 0 <= error_rate <= 1:
        raise ValueError("error_rate must be within [0, 1]")


def set_received(path: Path, received: dt.datetime) -> None:
    """Stamp a file with a receipt time given as naive Asia/Shanghai local time: the loader
    reads a file's modification time as when it was received."""
    epoch = received.replace(tzinfo=LOCAL_TIME).timestamp()
    os.utime(path, (epoch, epoch))


@dataclass
class Deliveries:
    """What a generator delivers, in writing order: each file with its rows and receipt time,
    the mistakes it injected by kind (`error_kinds` always reported, 0 included) and other
    tallies (`other_kinds` likewise)."""

    error_kinds: tuple[str, ...]
    other_kinds: tuple[str, ...] = ()
    rows_per_file: dict[Path, int] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    other: Counter[str] = field(default_factory=Counter)

    def add(self, path: Path, rows: int, received: dt.datetime) -> None:
        """A written file: `rows` data rows, received at `received` (Beijing time)."""
        set_received(path, received)
        self.rows_per_file[path] = rows

    def summary(self) -> GenerationSummary:
        return GenerationSummary(
            files=tuple(self.rows_per_file),
            rows_per_file=dict(self.rows_per_file),
            total_rows=sum(self.rows_per_file.values()),
            injected_errors={kind: self.errors[kind] for kind in self.error_kinds},
            other_counts={kind: self.other[kind] for kind in self.other_kinds},
        )


class FeedGenerator(Protocol):
    """Signature every feed generator offers to the CLI registry."""

    def __call__(
        self,
        out_dir: Path,
        years: Sequence[int],
        scale: float = 1.0,
        seed: int = 20151209,
        error_rate: float = 0.01,
    ) -> GenerationSummary: ...


def rng_for(seed: int, *parts: object) -> random.Random:
    """An independent generator per purpose: string seeds hash with SHA-512, so the stream is
    stable across processes and unaffected by PYTHONHASHSEED."""
    return random.Random("|".join([str(seed), *map(str, parts)]))


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into integer parts proportional to `weights` (largest remainder), so the
    parts always add up exactly."""
    weight_sum = float(sum(weights))
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    shares = [total * weight / weight_sum for weight in weights]
    parts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - shares[i], i))
    for index in by_remainder[: total - sum(parts)]:
        parts[index] += 1
    return parts


def division_code(county: Mapping[str, str]) -> str:
    """The 6-digit division code a county's enterprises register under."""
    return county.get("division_code") or CITY_DIVISION_CODE


def enterprise_prefix(county: Mapping[str, str]) -> str:
    """How registered names start: districts carry the city name (廊坊市安次区…), counties and
    county-level cities their own (固安县…, 三河市…)."""
    if county.get("division_type") == "市辖区":
        return "廊坊市" + county["county_name"]
    return county["county_name"]


def _naming() -> dict[str, Any]:
    with (Path(__file__).with_name("layouts") / "enterprises.yaml").open(encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.CSafeLoader)


# How enterprises are named: layouts/enterprises.yaml.
_NAMING = _naming()
_TRADE_FIRST: str = _NAMING["trade_first"]
_TRADE_SECOND: str = _NAMING["trade_second"]
_COMPANY_FORMS = tuple(_NAMING["company_forms"].items())
# Org-code bodies for codes issued from late 2015 on start with "MA"; older ones are numeric.
_NEW_STYLE_SHARE: float = _NAMING["new_style_share"]
_NEW_STYLE_CHARS = credit_code.CHARSET


@dataclass(frozen=True)
class Enterprise:
    """A registered enterprise as it appears in result tables."""

    name: str
    credit_code: str
    county_code: str


class EnterpriseRegistry:
    """Hands out enterprises with unique names and unique, valid credit codes. Each pool is
    seeded by (seed, county, industry key) so an enterprise keeps its name and code across
    years, months and feeds."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._names: set[str] = set()
        self._codes: set[str] = set()
        self._pools: dict[tuple[str, str], list[Enterprise]] = {}

    def pool(
        self, county: Mapping[str, str], key: str, industries: Sequence[str], size: int
    ) -> list[Enterprise]:
        """The first `size` enterprises of the county's pool for `key` (grown on demand)."""
        pool_key = (county["county_code"], key)
        pool = self._pools.setdefault(pool_key, [])
        if len(pool) < size:
            rng = rng_for(self._seed, "enterprise", pool_key[0], key, len(pool))
            while len(pool) < size:
                pool.append(self._new_enterprise(rng, county, industries))
        return pool[:size]

    def _new_enterprise(
        self, rng: random.Random, county: Mapping[str, str], industries: Sequence[str]
    ) -> Enterprise:
        for _ in range(1000):
            roll = rng.random()
            # Some firms register under the city or province name instead of the county's.
            if roll < 0.85:
                prefix = enterprise_prefix(county)
            elif roll < 0.93:
                prefix = "廊坊"
            else:
                prefix = "河北"
            trade = rng.choice(_TRADE_FIRST) + rng.choice(_TRADE_SECOND)
            form = rng.choices(
                [name for name, _ in _COMPANY_FORMS], [w for _, w in _COMPANY_FORMS]
            )[0]
            name = prefix + trade + rng.choice(industries) + form
            if trade[0] != trade[1] and name not in self._names:
                break
        else:  # pragma: no cover - only reachable with absurd pool sizes
            raise RuntimeError(f"ran out of enterprise names for {county['county_name']}")
        while True:
            code = credit_code.build("91", division_code(county), _org_body(rng))
            if code not in self._codes:
                break
        self._names.add(name)
        self._codes.add(code)
        return Enterprise(name=name, credit_code=code, county_code=county["county_code"])


def _org_body(rng: random.Random) -> str:
    if rng.random() < _NEW_STYLE_SHARE:
        return "MA0" + "".join(rng.choice(_NEW_STYLE_CHARS) for _ in range(5))
    return rng.choice("0567") + "".join(rng.choice("0123456789") for _ in range(7))


def working_days(year: int, month: int) -> list[dt.date]:
    """Monday-to-Friday dates of a month (sampling teams rarely work weekends)."""
    days = calendar.monthrange(year, month)[1]
    dates = [dt.date(year, month, day) for day in range(1, days + 1)]
    return [day for day in dates if day.weekday() < 5]


_CHINESE_DIGITS = "〇一二三四五六七八九"


def chinese_number(value: int) -> str:
    """1..31 in Chinese numerals (三, 十七, 二十一) for hand-written style dates."""
    if value < 10:
        return _CHINESE_DIGITS[value]
    tens, ones = divmod(value, 10)
    return (
        ("" if tens == 1 else _CHINESE_DIGITS[tens])
        + "十"
        + ("" if ones == 0 else _CHINESE_DIGITS[ones])
    )


def date_variant(day: dt.date, style: str) -> str:
    """A date as publishers spell it: iso 2015-03-17, slash 2015/3/17, chinese 2015年3月17日."""
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if style == "chinese":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str
) -> None:
    """Write a CSV with Excel-style CRLF line ends in the given encoding."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    write_atomically(path, buffer.getvalue().encode(encoding))
