"""Which delivery a landed file is: its slot (feed, source, period), read from where it lies.

One rule for every feed: raw/<landing_dir>/[<source>/]<period>/<file>. The period folder is
YYYY-MM (monthly deliveries), YYYY-MM-DD (daily ones) or YYYY (yearly ones, e.g. a city's
published daily series delivered once a year); the source folder exists only for
feeds whose contract names a `delivery.source_column` (e.g. the spot-check stream or the
hotline), and may be spelt any way that column accepts. A later file in the same slot is a
corrected re-delivery: it replaces the slot's current rows (chosen in dbt by receipt time) and
the rows it replaces stay in the raw table as history."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath

from orchestration.ingest.contract import FeedContract
from orchestration.ingest.errors import MISPLACED, FileRejected
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.ingest.normalise import parser_for

# The first month the platform keeps: the year before the plan, so 2015 has a prior year.
FIRST_MONTH = date(2014, 1, 1)

_PERIOD = {
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "day": re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    "year": re.compile(r"^(\d{4})$"),
}
_SHAPE = {"month": "YYYY-MM", "day": "YYYY-MM-DD", "year": "YYYY"}


@dataclass(frozen=True)
class Slot:
    source: str | None  # the source column's value (a code), None for single-source feeds
    source_folder: str | None  # the folder name as delivered
    period: str  # YYYY-MM, YYYY-MM-DD or YYYY
    first_day: date
    last_day: date

    @property
    def months(self) -> frozenset[str]:
        """The monthly partitions (YYYY-MM) the delivery belongs to: its own month, or every
        month of its year for a yearly slot."""
        if len(self.period) == 4:
            return frozenset(f"{self.period}-{m:02d}" for m in range(1, 13))
        return frozenset({self.period[:7]})

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def layout(contract: FeedContract) -> str:
    """The landing layout of a feed, as users read it in error messages and docs."""
    source = (
        f"<{contract.column(contract.delivery.source_column).label}>/"
        if (contract.delivery.source_column)
        else ""
    )
    return f"{contract.landing_dir}/{source}<{_SHAPE[contract.delivery.grain]}>/<file>"


def today_in_beijing() -> date:
    return datetime.now(LOCAL_TIME).date()


def _period(contract: FeedContract, folder: str, today: date) -> tuple[date, date]:
    grain = contract.delivery.grain
    match = _PERIOD[grain].match(folder)
    if not match:
        raise FileRejected(
            f"period folder '{folder}' is not {_SHAPE[grain]} (layout {layout(contract)})",
            MISPLACED,
        )
    year = int(match[1])
    if grain == "year":
        first, last = date(year, 1, 1), date(year, 12, 31)
    else:
        month = int(match[2])
        try:
            first = date(year, month, int(match[3]) if grain == "day" else 1)
        except ValueError:
            raise FileRejected(
                f"period folder '{folder}' is not a calendar date", MISPLACED
            ) from None
        last = first if grain == "day" else first.replace(day=calendar.monthrange(year, month)[1])
    if first < FIRST_MONTH:
        raise FileRejected(
            f"period {folder} is before {FIRST_MONTH:%Y-%m}, the first month kept", MISPLACED
        )
    if first > today:
        raise FileRejected(f"period {folder} has not begun yet (today is {today})", MISPLACED)
    return first, last


def slot_of(contract: FeedContract, relative: PurePosixPath, today: date | None = None) -> Slot:
    """The slot of a file at `relative` (below the feed's landing folder); FileRejected
    (kind misplaced) with the expected layout when it lies elsewhere."""
    folders = relative.parts[:-1]
    source_column = contract.delivery.source_column
    expected = 2 if source_column else 1
    if len(folders) != expected:
        raise FileRejected(
            f"file is not in a delivery folder: expected {layout(contract)}", MISPLACED
        )
    first, last = _period(contract, folders[-1], today or today_in_beijing())
    source = source_folder = None
    if source_column:
        source_folder = folders[0]
        value, problem = parser_for(contract.column(source_column))(source_folder)
        if problem:
            raise FileRejected(f"source folder '{source_folder}': {problem}", MISPLACED)
        source = str(value)
    return Slot(source, source_folder, folders[-1], first, last)
