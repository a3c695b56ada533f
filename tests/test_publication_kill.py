"""A publication killed with SIGKILL at each of its kill points (orchestration/crash_points.py),
then run again, ends exactly where an uninterrupted run ends: the same versions and rows in the
published file, the same Parquet folders — one per listed version, nothing else — and nothing
left behind (no `.partial` file or folder, no `.wal`)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.crash_points import CRASH_AT
from orchestration.publication.parquet import FILES, parquet_dir, parquet_versions
from orchestration.publication.versions import publish_years
from tests.published_warehouse import make_warehouse, query

ROOT = Path(__file__).resolve().parent.parent
YEARS = (2015, 2016)

# The publisher in a child process, so that it can be killed.
_PUBLISH = (
    "import sys\n"
    "from pathlib import Path\n"
    "from orchestration.publication.versions import publish_years\n"
    "publish_years(Path(sys.argv[1]), Path(sys.argv[2]))\n"
)


@dataclass(frozen=True)
class Scenario:
    """A warehouse and a published folder before a publication (`template`), and the same
    after an uninterrupted publication (`reference`)."""

    template: Path
    reference: Path


def _publish_into(folder: Path) -> None:
    publish_years(folder / "wh.duckdb", folder / "published" / "assessment.duckdb")


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    """Built once: `first` (nothing published yet: every year's version 1), `update` (both
    years published, then 2016's county score and 2015's city target changed: a version 2
    of each, with diffs), `catch_up` (both years published, the Parquet folder of 2015's
    version 1 missing — a file published before Parquet was written first)."""
    root = tmp_path_factory.mktemp("kill")
    first = root / "first"
    (first / "published").mkdir(parents=True)
    make_warehouse(first / "wh.duckdb", years=YEARS, actual=93.1, kpi_score=80.0)

    update = _copy(first, root / "update")
    _publish_into(update)
    make_warehouse(update / "wh.duckdb", years=YEARS, actual=93.1, kpi_score=80.0)
    with duckdb.connect(str(update / "wh.duckdb")) as conn:
        conn.execute(
            "update marts.fct_county_scorecard set kpi_score = 75.5 where assessment_year = 2016"
        )
        conn.execute(
            "update marts.fct_city_targets set actual_value = 91.0 where assessment_year = 2015 "
            "and kpi_code = 'MFG_PASS_RATE'"
        )

    catch_up = _copy(first, root / "catch_up")
    _publish_into(catch_up)
    shutil.rmtree(parquet_dir(catch_up / "published" / "assessment.duckdb", 2015, 1))

    made = {}
    for name, template in (("first", first), ("update", update), ("catch_up", catch_up)):
        reference = _copy(template, root / f"{name}_reference")
        _publish_into(reference)
        made[name] = Scenario(template, reference)
    return made


def _kill_at(point: str, folder: Path) -> None:
    """Run the publication in a child process with LQ_CRASH_AT=point: it must die by SIGKILL."""
    env = {**os.environ, CRASH_AT: point}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    published = folder / "published" / "assessment.duckdb"
    done = subprocess.run(
        [sys.executable, "-c", _PUBLISH, str(folder / "wh.duckdb"), str(published)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr)


# ------------------------------------------------------------------ what a state is made of


def _rows(conn: duckdb.DuckDBPyConnection, source: str, columns: list[str]) -> list[tuple]:
    # published_at is the time of the run that published: the one thing two runs differ in
    kept = ", ".join(f'"{c}"' for c in columns if c != "published_at")
    return conn.execute(f"select {kept} from {source} order by all").fetchall()


def _database(published: Path) -> dict[str, list[tuple]]:
    """Every table and view of the published file, row by row (published_at aside)."""
    with duckdb.connect(str(published), read_only=True) as conn:
        names = [r[0] for r in conn.execute("show tables").fetchall()]
        return {
            name: _rows(conn, name, [r[0] for r in conn.execute(f"describe {name}").fetchall()])
            for name in names
        }


def _read_parquet(path: Path) -> str:
    return f"read_parquet('{path}', hive_partitioning = false)"


def _parquet(published: Path) -> dict[str, list[tuple]]:
    """Every Parquet file under parquet/, row by row (published_at aside)."""
    root = published.parent / "parquet"
    with duckdb.connect() as conn:
        return {
            path.relative_to(root).as_posix(): _rows(
                conn,
                _read_parquet(path),
                [r[0] for r in conn.execute(f"describe from {_read_parquet(path)}").fetchall()],
            )
            for path in sorted(root.rglob("*.parquet"))
        }


def _listing(folder: Path) -> list[str]:
    """Every file and folder under the published folder, hidden ones included."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _leftovers(folder: Path) -> list[str]:
    return [n for n in _listing(folder) if ".partial" in n or n.endswith(".wal")]


def _registered(published: Path) -> set[tuple[int, int]]:
    return set(query(published, "select assessment_year, version from publications"))


# ------------------------------------------------------------------ what each kill leaves


def _left_open_file(published: Path) -> None:
    names = [p.name for p in published.parent.iterdir()]
    partial = re.compile(r"^\.assessment\.duckdb\.\d+\.partial$")
    assert any(partial.match(n) for n in names), names
    assert any(n.endswith(".partial.wal") for n in names), names  # killed while open


def _left_closed_file(published: Path) -> None:
    names = [p.name for p in published.parent.iterdir()]
    assert any(re.match(r"^\.assessment\.duckdb\.\d+\.partial$", n) for n in names), names
    assert not any(n.endswith(".wal") for n in names), names


def _left_half_parquet(published: Path) -> None:
    half = [n for n in _listing(published.parent) if re.search(r"/\.version=\d+\.\d+\.partial$", n)]
    assert half, _listing(published.parent)
    # the folder is half-written, and never under a version's name
    [folder] = half
    assert len(list((published.parent / folder).iterdir())) < len(FILES)


def _left_unlisted_parquet(published: Path) -> None:
    registered = _registered(published) if published.exists() else set()
    assert set(parquet_versions(published)) - registered, "no folder of an unlisted version"


def _left_new_versions(published: Path) -> None:
    assert set(parquet_versions(published)) == _registered(published)
    assert _leftovers(published.parent) == []


def _left_half_removed_parquet(published: Path) -> None:
    names = _listing(published.parent)
    assert any(re.search(r"/\.version=\d+\.\d+\.removed\.partial$", n) for n in names), names
    registered = _registered(published) if published.exists() else set()
    assert set(parquet_versions(published)) <= registered


Check = Callable[[Path], None]
KILLS: list[tuple[str, str, Check]] = [
    # the new file built, still open (its .wal beside it), before on_built and the close
    ("first", "publication.building", _left_open_file),
    ("update", "publication.building", _left_open_file),
    # the new file complete and closed, no Parquet yet, nothing renamed
    ("first", "publication.built", _left_closed_file),
    ("update", "publication.built", _left_closed_file),
    # in the middle of a new version's Parquet folder
    ("first", "publication.parquet_writing", _left_half_parquet),
    ("update", "publication.parquet_writing", _left_half_parquet),
    # a new version's Parquet folder renamed into place, the file not yet renamed
    ("first", "publication.parquet_renamed", _left_unlisted_parquet),
    ("update", "publication.parquet_renamed", _left_unlisted_parquet),
    # the new file renamed over the published one
    ("first", "publication.renamed", _left_new_versions),
    ("update", "publication.renamed", _left_new_versions),
    # catching up the Parquet of a listed version, after the rename or with nothing new
    ("catch_up", "publication.parquet_writing", _left_half_parquet),
]


def _assert_parquet_is_the_file(published: Path) -> None:
    """Each version's Parquet holds what the file holds for it, published_at included."""
    with duckdb.connect(str(published), read_only=True) as conn:
        for (year, version), folder in parquet_versions(published).items():
            assert sorted(p.stem for p in folder.iterdir()) == sorted(FILES)
            for name in FILES:
                key = "version" if name.startswith("publication") else "publication_version"
                in_file = conn.execute(
                    f"select * from {name} where assessment_year = ? and {key} = ? order by all",
                    [year, version],
                ).fetchall()
                in_parquet = conn.execute(
                    f"select * from {_read_parquet(folder / f'{name}.parquet')} order by all"
                ).fetchall()
                assert in_parquet == in_file, (year, version, name)


def _assert_converged(folder: Path, scenario: Scenario) -> None:
    published = folder / "published" / "assessment.duckdb"
    expected = scenario.reference / "published" / "assessment.duckdb"
    assert _leftovers(folder / "published") == []
    assert set(parquet_versions(published)) == _registered(published)
    _assert_parquet_is_the_file(published)
    assert _database(published) == _database(expected)
    assert _parquet(published) == _parquet(expected)
    assert _listing(folder / "published") == _listing(scenario.reference / "published")


@pytest.mark.parametrize(
    ("scenario", "point", "left"), KILLS, ids=[f"{s}-{p}" for s, p, _ in KILLS]
)
def test_a_killed_publication_converges_on_the_next_run(
    scenario: str,
    point: str,
    left: Check,
    scenarios: dict[str, Scenario],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CRASH_AT, raising=False)
    folder = _copy(scenarios[scenario].template, tmp_path / scenario)
    published = folder / "published" / "assessment.duckdb"
    before = _database(published) if published.exists() else None

    _kill_at(point, folder)
    left(published)
    if point != "publication.renamed":  # readers still see the file as it was
        assert (_database(published) if published.exists() else None) == before

    _publish_into(folder)
    _assert_converged(folder, scenarios[scenario])


def test_a_kill_while_removing_an_unlisted_folder_converges_too(
    scenarios: dict[str, Scenario], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CRASH_AT, raising=False)
    folder = _copy(scenarios["update"].template, tmp_path / "update")
    published = folder / "published" / "assessment.duckdb"
    _kill_at("publication.parquet_renamed", folder)  # a folder of an unlisted version
    _left_unlisted_parquet(published)
    _kill_at("publication.parquet_removing", folder)  # the next run killed while removing it
    _left_half_removed_parquet(published)

    _publish_into(folder)
    _assert_converged(folder, scenarios["update"])


def test_parquet_the_file_never_listed_is_refused_not_deleted(
    scenarios: dict[str, Scenario], tmp_path: Path
) -> None:
    """Folders no killed publication can leave (version 2 and 3 while the file lists none):
    the file lost its history; the publisher stops instead of deleting the only copy."""
    folder = _copy(scenarios["update"].reference, tmp_path / "lost")
    published = folder / "published" / "assessment.duckdb"
    published.unlink()
    kept = _listing(folder / "published")
    with pytest.raises(RuntimeError, match="no publication could have left"):
        _publish_into(folder)
    assert _listing(folder / "published") == kept
