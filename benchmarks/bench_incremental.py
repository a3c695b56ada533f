"""What a run costs against what its new data costs, side by side in one go on one raw/ folder:

1. the yardstick: bare DuckDB reading and aggregating the same delivered bytes (a script kept
   outside this repo, passed as an argument; it runs in its own venv with duckdb,
   python-calamine and pyarrow, made on first use);
2. a full build: `python -m orchestration.launch refresh_all` on an empty warehouse;
3. a no-op run: the same command again, nothing new;
4. one new day of hourly air data: the last delivered day, held back from the full build and
   delivered now (the daily run's usual case: a day of a year already under way);
5. one corrected monthly delivery (a later sewage file for an existing month, one value
   changed);
6. the first day of a new year of hourly air data (the last day's file, one day later): the
   year's first delivery opens a new assessment year, so every per-year mart and a new
   publication follow (once a year).

Each is timed as a whole process (start-up included), with its peak memory; the Great
Expectations share is the sum of the gates' validation seconds of that run.

    .venv/bin/python benchmarks/bench_incremental.py \
        --yardstick ../shared/bench/bare_duckdb_bench.py raw/
    .venv/bin/python benchmarks/bench_incremental.py --yardstick … --generate 2015-2016
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = Path.home() / ".cache" / "lq-yardstick-venv"


@dataclass
class Measure:
    name: str
    seconds: float
    peak_mib: float
    gx_seconds: float | None = None


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB, GNU time) and stdout of a child process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        peak_kib = float((Path(stats.name).read_text().strip().splitlines() or ["0"])[-1])
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, peak_kib / 1024, done.stdout


def yardstick_python(given: str | None) -> str:
    if given:
        return given
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "duckdb", "python-calamine", "pyarrow"],
            check=True,
        )
    return str(python)


def gx_seconds(env: dict[str, str], run_id: str) -> float:
    """The gates' validation seconds in one run, from the Dagster instance."""
    code = (
        "import json, sys\n"
        "from dagster import DagsterInstance, DagsterEventType\n"
        "with DagsterInstance.get() as i:\n"
        "    total = 0.0\n"
        "    for e in i.all_logs(sys.argv[1], of_type=DagsterEventType.ASSET_CHECK_EVALUATION):\n"
        "        m = e.dagster_event.event_specific_data.metadata\n"
        "        if 'validation_seconds' in m: total += float(m['validation_seconds'].value)\n"
        "    print(total)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, run_id], env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip() or 0)


def refresh(name: str, env: dict[str, str]) -> Measure:
    seconds, peak, out = _timed([sys.executable, "-m", "orchestration.launch", "refresh_all"], env)
    run_id = re.search(r"\(run ([0-9a-f-]+)\)", out)
    gx = gx_seconds(env, run_id.group(1)) if run_id else None
    return Measure(name, seconds, peak, gx)


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValueError("neither UTF-8 nor GB18030")


def hold_back_last_day(raw: Path, aside: Path) -> Path:
    """Moves the last delivered day of hourly air data out of the landing zone."""
    last = sorted(p for p in (raw / "air_quality_hourly").iterdir() if p.is_dir())[-1]
    aside.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(str(last), str(aside / last.name)))


def deliver(held: Path, raw: Path) -> None:
    """A held-back day delivered now, as it was generated."""
    shutil.move(str(held), str(raw / "air_quality_hourly" / held.name))


def add_next_day(raw: Path) -> Path:
    """The last delivered day of hourly air data, delivered again as the next day."""
    days = sorted(p for p in (raw / "air_quality_hourly").iterdir() if p.is_dir())
    last = days[-1]
    day = date.fromisoformat(last.name) + timedelta(days=1)
    source = sorted(last.glob("*.csv"))[0]
    text, encoding = _decode(source.read_bytes())
    old, new = date.fromisoformat(last.name).strftime("%Y%m%d"), day.strftime("%Y%m%d")
    folder = raw / "air_quality_hourly" / day.isoformat()
    folder.mkdir()
    target = folder / source.name.replace(old, new)
    target.write_bytes(text.replace(old, new).encode(encoding))
    return target


def correct_a_month(raw: Path) -> Path:
    """A corrected re-delivery: a later file in a sewage month's folder, one value changed."""
    months = sorted(p for p in (raw / "sewage").iterdir() if p.is_dir())
    folder = months[len(months) // 2]
    source = sorted(folder.glob("*.csv"))[-1]
    text, encoding = _decode(source.read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[1:]:
        for i, cell in enumerate(row):
            try:
                value = float(cell)
            except ValueError:
                continue
            if value > 1:
                row[i] = f"{value + 1:g}"
                break
        else:
            continue
        break
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    target = folder / f"{source.stem}（更正）{source.suffix}"
    target.write_bytes(out.getvalue().encode(encoding))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("raw", nargs="?", type=Path, help="a raw/ folder (copied, not changed)")
    parser.add_argument("--yardstick", type=Path, required=True, help="bare_duckdb_bench.py")
    parser.add_argument("--yardstick-python", help="a Python with duckdb, calamine, pyarrow")
    parser.add_argument("--generate", help="generate sample data for these years instead")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (to profile)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lq-bench-incremental-"))
    sys.path.insert(0, str(ROOT))
    from orchestration import settings

    env = {**os.environ, **settings.environment_for(work), "LQ_SETTLE_SECONDS": "0"}
    settings.prepare_dagster_home(work / "dagster_home")
    raw = work / "raw"
    if args.generate:
        subprocess.run(
            [sys.executable, "-m", "sample_data", "--years", args.generate],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    else:
        shutil.copytree(args.raw, raw, ignore=shutil.ignore_patterns("README.md"))
    files = sum(1 for p in raw.rglob("*") if p.is_file())
    print(f"raw: {files} files, {sum(p.stat().st_size for p in raw.rglob('*') if p.is_file()):,} B")

    ypy = yardstick_python(args.yardstick_python)
    held = hold_back_last_day(raw, work / "held_back")
    seconds, peak, _ = _timed([ypy, str(args.yardstick.resolve()), str(raw), "--repeat", "1"], env)
    measures = [Measure("yardstick (bare DuckDB)", seconds, peak)]
    measures.append(refresh("full build", env))
    measures.append(refresh("no-op run", env))
    deliver(held, raw)
    measures.append(refresh("one new day of hourly air", env))
    correct_a_month(raw)
    measures.append(refresh("one corrected month (sewage)", env))
    add_next_day(raw)
    measures.append(refresh("first day of a new year (hourly air)", env))

    yard, full = measures[0].seconds, measures[1].seconds
    print("\n| run | seconds | × yardstick | % of full build | GX s (% of run) | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for m in measures:
        gx = (
            f"{m.gx_seconds:.1f} ({100 * m.gx_seconds / m.seconds:.0f} %)"
            if m.gx_seconds is not None
            else ""
        )
        print(
            f"| {m.name} | {m.seconds:.1f} | {m.seconds / yard:.1f} | "
            f"{100 * m.seconds / full:.1f} | {gx} | {m.peak_mib:.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps([m.__dict__ for m in measures], indent=1))
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
