"""Load throughput of the station-hourly air-quality feed (wide layout reshaped by the
contract's `matrix:` block, then the one per-record validation path): a year at scale 12.5
(52 stations × 8,760 hours ≈ 455,000 station-hour records in 365 daily files), generated and
loaded into an empty warehouse, each step in its own process (bench_feeds.bench_feed), so
the peak memory is the load's own. Reports records/s and peak RSS; nothing is asserted.

    .venv/bin/python benchmarks/bench_air_quality_hourly.py
    .venv/bin/python benchmarks/bench_air_quality_hourly.py --scale 1 --years 2015-2016
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_feeds import bench_feed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", default="2015")
    parser.add_argument("--scale", type=float, default=12.5)
    parser.add_argument("--error-rate", type=float, default=0.01)
    args = parser.parse_args()
    row = bench_feed("air_quality_hourly", args.years, args.scale, args.error_rate)
    print(f"years {args.years}, scale {args.scale:g}, error rate {args.error_rate:g}")
    for key, value in row.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
