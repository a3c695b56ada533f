"""Generate sample feed files: `python -m sample_data --years 2015-2016`."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from orchestration.settings import raw_dir
from sample_data.air_quality_daily import generate_air_quality_daily
from sample_data.air_quality_hourly import generate_air_quality_hourly
from sample_data.common import FeedGenerator
from sample_data.complaints import generate_complaints
from sample_data.construction_acceptance import generate_construction_acceptance
from sample_data.drinking_water import generate_drinking_water
from sample_data.incidents import generate_incidents
from sample_data.service_satisfaction import generate_service_satisfaction
from sample_data.sewage import generate_sewage
from sample_data.special_equipment import generate_special_equipment
from sample_data.spot_checks import generate_spot_checks
from sample_data.submissions import generate_submissions
from sample_data.surface_water import generate_surface_water

# New feeds plug in here; every generator takes the same arguments.
GENERATORS: dict[str, FeedGenerator] = {
    "spot_checks": generate_spot_checks,
    "construction_acceptance": generate_construction_acceptance,
    "special_equipment": generate_special_equipment,
    "complaints": generate_complaints,
    "incidents": generate_incidents,
    "service_satisfaction": generate_service_satisfaction,
    "air_quality_hourly": generate_air_quality_hourly,
    "air_quality_daily": generate_air_quality_daily,
    "surface_water": generate_surface_water,
    "drinking_water": generate_drinking_water,
    "sewage": generate_sewage,
    "submissions": generate_submissions,
}

DEFAULT_YEARS = "2015"
DEFAULT_SEED = 20151209


def parse_years(text: str) -> list[int]:
    """'2015', '2015-2016', '2015,2016' or a mix such as '2014,2015-2016'."""
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"empty item in years {text!r}")
        first, sep, last = part.partition("-")
        if not (first.strip().isdigit() and (not sep or last.strip().isdigit())):
            raise ValueError(f"cannot read years from {part!r}")
        start = int(first)
        end = int(last) if sep else start
        if not (1990 <= start <= end <= 2100):
            raise ValueError(f"years {part!r} must be an ascending range within 1990-2100")
        years.update(range(start, end + 1))
    return sorted(years)


def _years_arg(text: str) -> list[int]:
    try:
        return parse_years(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python -m sample_data",
        description="Write deterministic sample feed files into the landing zone.",
    )
    parser.add_argument("--out", type=Path, default=None, help="landing zone (default: raw dir)")
    parser.add_argument(
        "--years", type=_years_arg, default=DEFAULT_YEARS, help="e.g. 2015, 2015-2016, 2015,2016"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier (> 0)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--error-rate", type=float, default=0.01, help="share of rows with one contract violation"
    )
    parser.add_argument(
        "--feeds",
        default=",".join(GENERATORS),
        help=f"comma-separated feeds among: {', '.join(GENERATORS)}",
    )
    return parser


def _generate(job: tuple[str, Path, list[int], float, int, float]) -> str:
    """One feed's files, and its summary line."""
    feed, out_dir, years, scale, seed, error_rate = job
    started = time.perf_counter()
    summary = GENERATORS[feed](out_dir, years, scale=scale, seed=seed, error_rate=error_rate)
    elapsed = time.perf_counter() - started
    injected = " ".join(f"{kind}={count}" for kind, count in summary.injected_errors.items())
    other = "".join(f", {kind} {count}" for kind, count in summary.other_counts.items())
    return (
        f"{feed}: {len(summary.files)} files, {summary.total_rows} rows, "
        f"injected {sum(summary.injected_errors.values())} ({injected}){other} "
        f"in {elapsed:.1f}s -> {out_dir / feed}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected generators and print one summary line per feed."""
    parser = build_parser()
    args = parser.parse_args(argv)
    years: list[int] = args.years  # argparse runs `type` on the string default too
    if not (args.scale > 0 and math.isfinite(args.scale)):
        parser.error("--scale must be a finite number greater than 0")
    if not 0 <= args.error_rate <= 1:
        parser.error("--error-rate must be within [0, 1]")
    feeds = [name.strip() for name in args.feeds.split(",") if name.strip()]
    unknown = [name for name in feeds if name not in GENERATORS]
    if unknown or not feeds:
        parser.error(f"unknown feeds {unknown}; choose from {', '.join(GENERATORS)}")
    out_dir = args.out if args.out is not None else raw_dir()
    # Each feed has its own generator, seed and folder: they run side by side, one process per
    # core, and print in the order asked for.
    jobs = [(feed, out_dir, years, args.scale, args.seed, args.error_rate) for feed in feeds]
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            lines = list(pool.map(_generate, jobs))
    else:
        lines = [_generate(job) for job in jobs]
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
