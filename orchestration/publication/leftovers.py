"""What a publication writes before renaming it into place, and the removal of what a killed
publication left behind.

* the new DuckDB file: `.<published name>.<pid>.partial` beside the published file; DuckDB adds
  `<that>.wal` while it is open (and `<that>.tmp/` when it spills to disk);
* a version's Parquet folder: `parquet/assessment_year=Y/.version=N.<pid>.partial/`;
* a Parquet folder being removed is first renamed to `.version=N.<pid>.removed.partial`, so a
  kill while deleting never leaves a half folder under a version's name.

Each is renamed into place only when complete. A publisher killed (`kill -9`, out of memory, a
power cut) leaves them behind; the next publisher removes them at its start, under the file
lock, whatever their pid: no live publisher owns them (versions.py)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

_PARQUET_LEFTOVER = re.compile(r"^\.version=\d+\.\d+\.(removed\.)?partial$")


def partial_file(published: Path) -> Path:
    """Where this process builds the next published file."""
    return published.with_name(f".{published.name}.{os.getpid()}.partial")


def partial_folder(target: Path, removed: bool = False) -> Path:
    """Where this process writes a Parquet folder (or puts one aside to delete it)."""
    state = "removed.partial" if removed else "partial"
    return target.with_name(f".{target.name}.{os.getpid()}.{state}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def remove_duckdb_file(path: Path) -> None:
    """A DuckDB file that is not open, with its write-ahead log and spill folder."""
    for companion in (path, path.with_name(f"{path.name}.wal"), path.with_name(f"{path.name}.tmp")):
        if companion.exists() or companion.is_symlink():
            _remove(companion)


def leftovers(published: Path) -> list[Path]:
    """Everything killed publications left beside `published` and in its Parquet folders."""
    if not published.parent.is_dir():
        return []
    own = re.compile(rf"^\.{re.escape(published.name)}\.\d+\.partial(\.wal|\.tmp)?$")
    found = [p for p in published.parent.iterdir() if own.match(p.name)]
    for year_dir in sorted((published.parent / "parquet").glob("assessment_year=*")):
        if year_dir.is_dir():
            found += [p for p in year_dir.iterdir() if _PARQUET_LEFTOVER.match(p.name)]
    return sorted(found)


def remove_leftovers(published: Path) -> list[Path]:
    """Remove leftovers(published); only under the publisher's lock. Returns what was removed."""
    found = leftovers(published)
    for path in found:
        _remove(path)
    return found
