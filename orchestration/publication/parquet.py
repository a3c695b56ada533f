"""Each published version as Parquet: `parquet/assessment_year=Y/version=N/<table>.parquet`
(every published table's rows of the version, its `publications` row and its diff), read-only.

A version's folder is written under a temporary name (leftovers.py) and appears only by an
atomic rename once complete, so a half-written folder can never be taken for a version; it is
never written again. The publisher writes the folders of new versions from the new file
*before* that file replaces the published one, so a version the published file lists always
has its complete folder. A kill between the two renames leaves the folder of a version the
published file does not list: the next publisher removes it (remove_unregistered) before it
publishes again."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb

from orchestration.crash_points import crash_point
from orchestration.publication.leftovers import partial_folder
from orchestration.publication.reader import PublishedReader, open_published
from orchestration.publication.tables import TABLE_NAMES

# Besides the published tables, each folder holds the version's record and its diff.
FILES = (*TABLE_NAMES, "publications", "publication_diffs")
_VERSION = re.compile(r"^version=(\d+)$")
_YEAR = re.compile(r"^assessment_year=(\d+)$")


def parquet_root(published: Path) -> Path:
    return published.parent / "parquet"


def parquet_dir(published: Path, year: int, version: int) -> Path:
    return parquet_root(published) / f"assessment_year={year}" / f"version={version}"


def parquet_versions(published: Path) -> dict[tuple[int, int], Path]:
    """The Parquet folders of versions, by (year, version)."""
    found = {}
    for year_dir in parquet_root(published).glob("assessment_year=*"):
        year = _YEAR.match(year_dir.name)
        if not (year and year_dir.is_dir()):
            continue
        for folder in year_dir.iterdir():
            version = _VERSION.match(folder.name)
            if version and folder.is_dir():
                found[(int(year.group(1)), int(version.group(1)))] = folder
    return found


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (a power cut, not only a kill)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_version(
    conn: duckdb.DuckDBPyConnection, published: Path, year: int, version: int
) -> Path:
    target = parquet_dir(published, year, version)
    partial = partial_folder(target)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    where = f"assessment_year = {year} and version = {version}"
    in_version = f"assessment_year = {year} and publication_version = {version}"
    queries = {
        **{name: f"select * from {name} where {in_version}" for name in TABLE_NAMES},
        "publications": f"select * from publications where {where}",
        "publication_diffs": f"select * from publication_diffs where {where}",
    }
    for index, (name, query) in enumerate(queries.items()):
        path = partial / f"{name}.parquet"
        conn.execute(f"copy ({query}) to '{path}' (format parquet)")
        path.chmod(0o444)
        if index == 0:
            crash_point("publication.parquet_writing")  # a folder half-written
    fsync_dir(partial)
    os.replace(partial, target)  # the folder appears complete, or not at all
    fsync_dir(target.parent)
    crash_point("publication.parquet_renamed")
    return target


def write_missing(database: Path, published: Path) -> list[Path]:
    """Write, from the DuckDB file `database` (the new file before it replaces `published`, or
    the published file itself), the Parquet folder of every version it lists that has none
    beside `published`. Returns the folders written."""
    existing = parquet_versions(published)
    written = []
    with duckdb.connect(str(database), read_only=True) as conn:
        for record in PublishedReader(conn, database).versions():
            key = (record.assessment_year, record.version)
            if key not in existing:
                written.append(_write_version(conn, published, *key))
    return written


def remove_unregistered(published: Path) -> list[Path]:
    """Remove the Parquet folders of versions the published file does not list: what a
    publication killed after renaming a version's folder and before renaming the file left.
    Such a version is its year's latest listed version + 1; any other unlisted folder means
    the file lost history (restored from an older copy, deleted): refuse rather than delete
    the only copy of those versions."""
    latest: dict[int, int] = {}
    registered: set[tuple[int, int]] = set()
    if published.exists():
        with open_published(published) as reader:
            for r in reader.versions():
                registered.add((r.assessment_year, r.version))
                latest[r.assessment_year] = max(latest.get(r.assessment_year, 0), r.version)
    unlisted = {k: p for k, p in parquet_versions(published).items() if k not in registered}
    history = sorted(str(p) for (y, v), p in unlisted.items() if v != latest.get(y, 0) + 1)
    if history:
        raise RuntimeError(
            f"Parquet folders of versions {published} does not list, and no publication "
            f"could have left: {history}. Restore the published file, or move these folders "
            "away to publish afresh."
        )
    removed = []
    for _, folder in sorted(unlisted.items()):
        aside = partial_folder(folder, removed=True)
        os.replace(folder, aside)  # no half folder under the version's name, whatever happens
        crash_point("publication.parquet_removing")
        shutil.rmtree(aside)
        removed.append(folder)
    for year_dir in parquet_root(published).glob("assessment_year=*"):
        if year_dir.is_dir() and not any(year_dir.iterdir()):
            year_dir.rmdir()
    return removed
