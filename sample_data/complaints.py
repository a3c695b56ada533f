"""Sample complaint tickets (质量申诉举报工单) from the hotlines 12315, 12365, 12312, 12331 and
the mayor's hotline 12345 (quality tickets it forwards), as each system exports them
(complaint_exports.py).

Layout (docs/feeds/complaints.md): `raw/complaints/<hotline>/<YYYY-MM>/<file>`, the month a
ticket was registered. A ticket's status changes after it is registered, so every hotline
exports a month's tickets on the 5th of the next month and again on the 5th of the following
months with the statuses updated, until the deadline of the month's last ticket has passed:
three times (after 1, 2 and 3 months) for the 60-day hotlines, twice for 12345 (21 days). Each
later export replaces the slot. Every year one
month of a CSV hotline is also corrected on the 8th (…_更正): two counties fixed, a ticket
registered late added and a duplicate registration dropped.

Volumes at scale 1 (2015, basis in the docs): 12315 4,000 quality-relevant tickets, 12331
1,800, 12345 600, 12365 500, 12312 150, growing by hotline; 3·15 and holiday peaks. Most
tickets close within weeks; about 1.5 % close after their deadline and 0.3 % never close in
the data, so the last export shows nearly all tickets closed and a few open past their
deadline.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from orchestration.reference import load_seed
from sample_data.common import (
    Deliveries,
    EnterpriseRegistry,
    GenerationSummary,
    check_arguments,
    rng_for,
)
from sample_data.complaint_exports import (
    CHANNELS,
    LAYOUTS,
    OUTCOME_NOTES,
    Layout,
    county_spelling,
    handling_unit,
    write_export,
)
from sample_data.delivery import layouts_file
from sample_data.violations import violating

FEED = "complaints"
EXPORT_DAY = 5  # a month's tickets are exported on the 5th of each following month
CORRECTION_DAY = 8
BASE_YEAR = 2015
NEVER_CLOSED = 0.003  # still open when the data ends
LATE = 0.015  # closed, but after the deadline

ERROR_KINDS = (
    "unknown_county",
    "unknown_domain",
    "unknown_status",
    "bad_datetime",
    "outside_period",
    "closed_without_time",
    "closed_before_received",
    "missing_ticket_no",
    "unknown_hotline",
    "due_before_received",
)


@dataclass(frozen=True)
class Hotline:
    """What one hotline receives and how its tickets are handled."""

    code: str
    per_year: int  # tickets at scale 1 in BASE_YEAR
    growth: float  # per year
    month_weights: tuple[float, ...]
    domains: tuple[tuple[str, float], ...]
    types: tuple[tuple[str, float], ...]
    channels: tuple[tuple[str, float], ...]
    reject_rate: float
    withdraw_rate: float  # of complaints
    median_days: float  # handling time of a closed ticket
    extension_rate: float = 0.0  # complex tickets granted 30 more days (12331)
    export_minute: int = 0  # the export's time after 09:00


def _hotline(raw: Mapping[str, Any]) -> Hotline:
    return Hotline(
        code=raw["code"],
        per_year=raw["per_year"],
        growth=raw["growth"],
        month_weights=tuple(raw["month_weights"]),
        domains=tuple(raw["domains"].items()),
        types=tuple(raw["types"].items()),
        channels=tuple(raw["channels"].items()),
        reject_rate=raw["reject_rate"],
        withdraw_rate=raw["withdraw_rate"],
        median_days=raw["median_days"],
        extension_rate=raw.get("extension_rate", 0.0),
        export_minute=raw.get("export_minute", 0),
    )


# The catalogue: layouts/complaints.yaml (with each system's export, complaint_exports.py).
_DATA = layouts_file(FEED)
HOTLINES: tuple[Hotline, ...] = tuple(_hotline(raw) for raw in _DATA["hotlines"])
COUNTY_WEIGHTS: Mapping[str, float] = _DATA["county_weights"]
COMPLAINT_OUTCOMES = tuple(_DATA["complaint_outcomes"].items())
REPORT_OUTCOMES = tuple(_DATA["report_outcomes"].items())
SUMMARIES = {domain: tuple(texts) for domain, texts in _DATA["summaries"].items()}
SUMMARIES_BY_SPELLING = {
    spelling: tuple(texts) for spelling, texts in _DATA["summaries_by_spelling"].items()
}
RESPONDENT_TRADES = {key: tuple(trades) for key, trades in _DATA["respondent_trades"].items()}


@cache
def unknown(column: str) -> tuple[str, ...]:
    """What a mistake types in `column`, as far as the contract refuses it."""
    key = {
        "county_code": "unknown_counties",
        "domain": "unknown_domains",
        "status": "unknown_statuses",
        "hotline_code": "unknown_hotlines",
    }[column]
    return violating(FEED, column, _DATA[key])


RESPONDENTS_PER_POOL = 12


@dataclass(frozen=True)
class Ticket:
    """One ticket and what becomes of it; an export shows its state at the export's time."""

    hotline: str
    number: str
    received_at: dt.datetime
    ticket_type: str
    channel: str
    domain: str
    domain_spelling: str
    county: Mapping[str, str]
    county_spelling: str
    respondent: str
    summary: str
    fate: str  # closed | withdrawn | rejected | open
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    outcome: str | None
    due_on: dt.date
    extended_at: dt.datetime | None = None  # when 30 more days were approved

    def status_at(self, at: dt.datetime) -> str:
        if self.ended_at is not None and self.ended_at <= at:
            return self.fate
        if self.started_at is not None and self.started_at <= at:
            return "in_progress"
        return "accepted"

    def due_at(self, at: dt.datetime) -> dt.date:
        extended = self.extended_at is not None and self.extended_at <= at
        return self.due_on + dt.timedelta(days=30) if extended else self.due_on


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in options], [weight for _, weight in options])[0]


def _received(
    rng: random.Random, hotline: Hotline, channel: str, year: int, month: int
) -> dt.datetime:
    """A registration moment: fewer on weekends, many on 3·15; web tickets at any hour."""
    days = [dt.date(year, month, 1) + dt.timedelta(days=i) for i in range(31)]
    days = [day for day in days if day.month == month]
    weights = [
        (4.0 if (day.month, day.day) == (3, 15) and hotline.code in ("12315", "12365") else 1.0)
        * (0.6 if day.weekday() >= 5 else 1.0)
        for day in days
    ]
    day = rng.choices(days, weights)[0]
    hour = rng.randint(0, 23) if channel == "web" else rng.randint(8, 18)
    return dt.datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59))


@dataclass(frozen=True)
class Lifecycle:
    """What becomes of a ticket: how it ends (closed | withdrawn | rejected | open: never
    within the data), when handling starts and ends, its 办结方式, and when 30 more days were
    approved (complex 12331 tickets)."""

    fate: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    outcome: str | None
    extended_at: dt.datetime | None = None


def _lifecycle(
    rng: random.Random, hotline: Hotline, kind: str, received: dt.datetime, deadline_days: int
) -> Lifecycle:
    if kind == "inquiry":  # answered on the phone or the next day
        answered = received + dt.timedelta(minutes=rng.randint(5, 2000))
        return Lifecycle("closed", None, answered, "informed")
    if rng.random() < hotline.reject_rate:  # decided within the 5–7 days of the rules
        return Lifecycle("rejected", None, received + dt.timedelta(hours=rng.uniform(4, 160)), None)
    started = received + dt.timedelta(hours=rng.uniform(1, 48))
    if kind == "complaint" and rng.random() < hotline.withdraw_rate:
        withdrawn = started + dt.timedelta(days=rng.uniform(1, 20))
        return Lifecycle("withdrawn", started, withdrawn, "withdrawn")
    outcome = _weighted(rng, COMPLAINT_OUTCOMES if kind == "complaint" else REPORT_OUTCOMES)
    roll = rng.random()
    if roll < NEVER_CLOSED:
        return Lifecycle("open", started, None, None)
    extended_at = None
    if roll < NEVER_CLOSED + LATE:
        days = deadline_days + rng.uniform(1, 45)
    elif rng.random() < hotline.extension_rate:  # complex: 30 more days approved near the end
        approved = rng.uniform(deadline_days - 10, deadline_days - 2)
        extended_at = received + dt.timedelta(days=approved)
        days = rng.uniform(deadline_days + 1, deadline_days + 28)
    else:
        days = rng.lognormvariate(math.log(hotline.median_days), 0.6)
        days = min(max(days, 0.2), deadline_days - 1)
    ended = max(received + dt.timedelta(days=days), started + dt.timedelta(hours=1))
    return Lifecycle("closed", started, ended, outcome, extended_at)


def _respondent_pools(
    seed: int, counties: Sequence[Mapping[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """Businesses named in tickets, per county and trade key (RESPONDENT_TRADES): built up
    front in one order, so a year's tickets never depend on which other years are generated."""
    registry = EnterpriseRegistry(seed)
    return {
        (county["county_code"], key): [
            e.name for e in registry.pool(county, f"complaint:{key}", trades, RESPONDENTS_PER_POOL)
        ]
        for county in counties
        for key, trades in RESPONDENT_TRADES.items()
    }


_NUMBERS = {
    "12315": "GS{year}{seq:06d}",
    "12331": "LF12331-{year}{seq:06d}",
    "12345": "{at:%Y%m%d}{seq:05d}",
    "12365": "ZJ{year}-{seq:05d}",
    "12312": "SW{short_year:02d}{seq:05d}",
}


def _number(hotline: str, seq: int, at: dt.datetime) -> str:
    return _NUMBERS[hotline].format(year=at.year, short_year=at.year % 100, seq=seq, at=at)


def _tickets_of_year(
    seed: int,
    hotline: Hotline,
    year: int,
    scale: float,
    counties: Sequence[Mapping[str, str]],
    pools: Mapping[tuple[str, str], list[str]],
    deadline_days: int,
) -> list[Ticket]:
    """The hotline's tickets registered in `year`, numbered in order of registration."""
    layout = LAYOUTS[hotline.code]
    rng = rng_for(seed, FEED, "tickets", hotline.code, year)
    total = round(hotline.per_year * (1 + hotline.growth) ** (year - BASE_YEAR) * scale)
    months = rng.choices(range(1, 13), hotline.month_weights, k=total)
    weights = [COUNTY_WEIGHTS.get(c["county_code"], 1.0) for c in counties]
    drafts = []
    for month in sorted(months):
        channel = _weighted(rng, hotline.channels)
        received = _received(rng, hotline, channel, year, month)
        kind = _weighted(rng, hotline.types)
        domain = _weighted(rng, hotline.domains)
        county = rng.choices(counties, weights)[0]
        life = _lifecycle(rng, hotline, kind, received, deadline_days)
        spelling = rng.choice(layout.domains[domain])
        trade = spelling if spelling in RESPONDENT_TRADES else domain
        drafts.append(
            Ticket(
                hotline=hotline.code,
                number="",
                received_at=received,
                ticket_type=kind,
                channel=channel,
                domain=domain,
                domain_spelling=spelling,
                county=county,
                county_spelling=county_spelling(layout, county, rng.random()),
                respondent=rng.choice(pools[(county["county_code"], trade)]),
                summary=rng.choice(SUMMARIES_BY_SPELLING.get(spelling, SUMMARIES[domain])),
                fate=life.fate,
                started_at=life.started_at,
                ended_at=life.ended_at,
                outcome=life.outcome,
                due_on=received.date() + dt.timedelta(days=deadline_days),
                extended_at=life.extended_at,
            )
        )
    drafts.sort(key=lambda t: t.received_at)
    return [
        replace(t, number=_number(hotline.code, seq, t.received_at))
        for seq, t in enumerate(drafts, start=1)
    ]


def _status_spelling(layout: Layout, ticket: Ticket, status: str, at: dt.datetime) -> str:
    """A system's word for the status; 12331 says 延期办理 for an extended ticket, 12345
    已回访 once the caller was called back (three days after closing)."""
    if (
        status == "in_progress"
        and "extended" in layout.statuses
        and ticket.due_at(at) != ticket.due_on
    ):
        return layout.statuses["extended"]
    if (
        status == "closed"
        and "followed_up" in layout.statuses
        and ticket.ended_at is not None
        and at - ticket.ended_at > dt.timedelta(days=3)
    ):
        return layout.statuses["followed_up"]
    return layout.statuses[status]


def export_row(layout: Layout, ticket: Ticket, at: dt.datetime) -> dict[str, Any]:
    """The ticket as the system exports it at `at`, keyed by contract column name."""
    status = ticket.status_at(at)
    ended = status in ("closed", "withdrawn", "rejected")
    shows_end = ended and (status != "rejected" or layout.rejected_closed_at)
    result = ticket.outcome if status in ("closed", "withdrawn") else None
    if status == "rejected":
        result = "rejected" if layout.outcomes is None else "informed"
    return {
        "ticket_no": ticket.number,
        "hotline_code": layout.hotline_value,
        "received_at": layout.moment(ticket.received_at),
        "ticket_type": layout.types[ticket.ticket_type],
        "channel": CHANNELS[ticket.channel],
        "domain": ticket.domain_spelling,
        "county_code": ticket.county_spelling,
        "respondent": ticket.respondent,
        "summary": ticket.summary,
        "handling_unit": handling_unit(ticket.hotline, ticket.domain, ticket.county),
        "due_on": ticket.due_at(at).isoformat(),
        "status": _status_spelling(layout, ticket, status, at),
        "outcome": layout.outcomes.get(result) if layout.outcomes and result else None,
        "outcome_note": OUTCOME_NOTES[result] if result else None,
        "closed_at": layout.moment(ticket.ended_at) if shows_end and ticket.ended_at else None,
        "_exported": layout.moment(at),
    }


def _bad_moment(rng: random.Random, at: dt.datetime) -> str:
    return rng.choice(
        (
            f"{at.year}-02-30 {at.hour}:{at.minute:02d}",
            f"{at.year}/{at.month}/{at.day} 25:{at.minute:02d}",
            f"{at.month}月{at.day}日 {at.hour}:{at.minute:02d}",
            f"{at.year}-{at.month:02d}-{at.day:02d} 下午",
        )
    )


def _error_kinds(layout: Layout) -> tuple[str, ...]:
    """The violations a row of this layout can carry (a missing column cannot be wrong)."""
    return tuple(
        kind
        for kind in ERROR_KINDS
        if (kind != "unknown_hotline" or layout.has("hotline_code"))
        and (kind != "due_before_received" or layout.has("due_on"))
    )


def _inject(
    rng: random.Random, kind: str, row: dict[str, Any], layout: Layout, ticket: Ticket
) -> None:
    """Exactly one contract violation in the row."""
    received = ticket.received_at
    if kind == "unknown_county":
        row["county_code"] = rng.choice(unknown("county_code"))
    elif kind == "unknown_domain":
        row["domain"] = rng.choice(unknown("domain"))
    elif kind == "unknown_status":
        row["status"] = rng.choice(unknown("status"))
    elif kind == "bad_datetime":
        row["received_at"] = _bad_moment(rng, received)
    elif kind == "outside_period":
        # registered in the month before but left in this month's export
        earlier = received.replace(day=1) - dt.timedelta(days=rng.randint(1, 20))
        row["received_at"] = layout.moment(earlier)
    elif kind == "closed_without_time":
        row["status"] = layout.statuses["closed"]
        row["closed_at"] = None
    elif kind == "closed_before_received":
        row["status"] = layout.statuses["closed"]
        row["closed_at"] = layout.moment(received - dt.timedelta(days=rng.randint(1, 5)))
    elif kind == "missing_ticket_no":
        row["ticket_no"] = None
    elif kind == "unknown_hotline":
        row["hotline_code"] = rng.choice(unknown("hotline_code"))
    elif kind == "due_before_received":
        row["due_on"] = (received.date() - dt.timedelta(days=rng.randint(1, 30))).isoformat()
    else:  # pragma: no cover - ERROR_KINDS and this function change together
        raise ValueError(kind)


def exported_at(
    hotline: Hotline, year: int, month: int, after_months: int, day: int
) -> dt.datetime:
    """When the export of a month, `after_months` later, is delivered (naive Beijing time)."""
    index = year * 12 + month - 1 + after_months
    return dt.datetime(index // 12, index % 12 + 1, day, 9) + dt.timedelta(
        minutes=hotline.export_minute
    )


def exports_of(hotline: Hotline, year: int, month: int, deadline_days: int) -> int:
    """How many times a month is exported: until the deadline of a ticket registered on its
    last day has passed, so the slot's last export shows every ticket after its deadline."""
    last_day = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    due = last_day + dt.timedelta(days=deadline_days)
    count = 1
    while exported_at(hotline, year, month, count, EXPORT_DAY).date() <= due:
        count += 1
    return count


@dataclass(frozen=True)
class Correction:
    """The year's corrected month: its first export missed a ticket registered late, held a
    duplicate registration and put two tickets in the wrong county."""

    hotline: str
    month: int
    late: Ticket
    duplicate: Ticket
    misplaced: Mapping[str, str]  # ticket number → wrong county spelling


def _correction(
    seed: int,
    year: int,
    slots: Mapping[tuple[str, int], list[Ticket]],
    counties: Sequence[Mapping[str, str]],
) -> Correction | None:
    rng = rng_for(seed, FEED, "correction", year)
    candidates = sorted(
        key
        for key, tickets in slots.items()
        if LAYOUTS[key[0]].extension == "csv" and len(tickets) >= 4
    )
    if not candidates:
        return None
    hotline, month = rng.choice(candidates)
    tickets = slots[(hotline, month)]
    late, twin, *moved = rng.sample(tickets, 4)
    duplicate = replace(
        twin,
        number=_number(hotline, 90000 + month, twin.received_at),
        received_at=twin.received_at + dt.timedelta(minutes=rng.randint(3, 30)),
    )
    layout = LAYOUTS[hotline]
    misplaced = {}
    for ticket in moved:
        others = [c for c in counties if c["county_code"] != ticket.county["county_code"]]
        misplaced[ticket.number] = county_spelling(layout, rng.choice(others), rng.random())
    return Correction(hotline, month, late, duplicate, misplaced)


def generate_complaints(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    """Write `<out_dir>/complaints/<hotline>/<YYYY-MM>/…` for every month of `years`: each
    month exported 2–3 times (statuses updated) and one corrected month per year, with
    delivery times as modification times."""
    check_arguments(scale, error_rate)
    landing = Path(out_dir) / FEED
    counties = load_seed("ref_counties")
    deadlines = {
        r["hotline_code"]: int(r["deadline_days"]) for r in load_seed("ref_complaint_hotlines")
    }
    pools = _respondent_pools(seed, counties)
    profiles = {hotline.code: hotline for hotline in HOTLINES}

    out = Deliveries(ERROR_KINDS, ("first_exports", "re_exports", "corrections"))

    def deliver(
        key: tuple[str, int, int],
        export: str,
        tickets: list[Ticket],
        at: dt.datetime,
        misplaced: Mapping[str, str],
    ) -> None:
        """One export file of slot `key` (hotline, year, month), showing states at `at`."""
        hotline, year, month = key
        layout = LAYOUTS[hotline]
        rows = []
        kinds = _error_kinds(layout)
        # Errors draw from their own generator: the clean content is the same at any rate.
        error_rng = rng_for(seed, FEED, "errors", hotline, year, month, export)
        for ticket in tickets:
            row = export_row(layout, ticket, at)
            if ticket.number in misplaced:
                row["county_code"] = misplaced[ticket.number]
            if error_rng.random() < error_rate:
                kind = error_rng.choice(kinds)
                _inject(error_rng, kind, row, layout, ticket)
                out.errors[kind] += 1
            rows.append(row)
        name = layout.file_name(year, month, at, corrected=export == "correction")
        path = landing / hotline / f"{year}-{month:02d}" / name
        title = layout.title.format(year=year, month=month, export=at) if layout.title else None
        write_export(path, layout, title, rows)
        out.add(path, len(rows), at)

    for year in sorted(set(years)):
        slots: dict[tuple[str, int], list[Ticket]] = {}
        for hotline in HOTLINES:
            for ticket in _tickets_of_year(
                seed, hotline, year, scale, counties, pools, deadlines[hotline.code]
            ):
                slots.setdefault((hotline.code, ticket.received_at.month), []).append(ticket)
        fix = _correction(seed, year, slots, counties)
        for (code, month), tickets in sorted(slots.items()):
            hotline = profiles[code]
            key = (code, year, month)
            first = tickets
            corrected_slot = fix is not None and (fix.hotline, fix.month) == (code, month)
            if corrected_slot:
                assert fix is not None
                first = sorted(
                    [t for t in tickets if t is not fix.late] + [fix.duplicate],
                    key=lambda t: t.received_at,
                )
            exports = exports_of(hotline, year, month, deadlines[code])
            for after in range(1, exports + 1):
                at = exported_at(hotline, year, month, after, EXPORT_DAY)
                if after > 1:
                    deliver(key, f"export{after}", tickets, at, {})
                    out.other["re_exports"] += 1
                    continue
                out.other["first_exports"] += 1
                if not corrected_slot:
                    deliver(key, "export1", tickets, at, {})
                    continue
                assert fix is not None
                deliver(key, "export1", first, at, fix.misplaced)
                fixed_at = exported_at(hotline, year, month, 1, CORRECTION_DAY)
                deliver(key, "correction", tickets, fixed_at, {})
                out.other["corrections"] += 1
    return out.summary()
