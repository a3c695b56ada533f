"""What a refresh reads and what it leaves, as two digests computed without opening the
warehouse (milliseconds for thousands of files), so that "nothing new" is known before a run
is started (orchestration/defs/refresh/up_to_date.py).

* **inputs**: every landed file ready to be read (path, size, times, inode; files still
  settling are left out, as ingestion leaves them, so they count once they are ready), and the
  content of the code and reference data a refresh runs: the `orchestration` package (feed
  contracts, GX suites, Python) and the dbt project (models, macros, seeds, tests, vars);
* **outputs**: the warehouse file and everything under the published folder (published copy,
  parquet versions, workbooks). Another job, a manual `dbt` run or a deleted workbook moves it.

A refresh records both on its run; a later refresh whose inputs and outputs are the same
would find nothing to build, publish or export."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestration import settings

# Folders of the code roots that are generated, never read as code.
_NOT_CODE = {"__pycache__", "target", "logs", "dbt_packages", ".pytest_cache"}
CODE_PART = "代码"  # the part of the inputs that is code, not a landing folder


@dataclass(frozen=True)
class Inputs:
    digest: str
    parts: dict[str, str]  # landing folder (feed or "submissions") or CODE_PART -> digest
    files_ready: int
    files_settling: int


def _files(root: Path, skip: set[str] | frozenset[str] = frozenset()) -> Iterator[os.DirEntry]:
    """Regular files below `root`, depth first in name order; symbolic links are not followed
    (ingestion never reads them either)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in skip:
                yield from _files(Path(entry.path), skip)
        elif entry.is_file(follow_symlinks=False):
            yield entry


def _identity(stat: os.stat_result) -> str:
    """What changes whenever a file's content may have: size and modification time, and the
    inode and its change time, which no copy or `touch` can set back (a file replaced in
    place with the same size and an old modification time is still seen)."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}:{stat.st_ctime_ns}"


def _listing(root: Path, hasher: hashlib._Hash) -> None:
    """Adds each file's path below `root` and its identity to `hasher`."""
    for entry in _files(root):
        rel = os.path.relpath(entry.path, root)
        hasher.update(f"{rel}\0{_identity(entry.stat(follow_symlinks=False))}\n".encode())


def code_roots() -> list[Path]:
    return [Path(settings.__file__).resolve().parent, settings.PROJECT_ROOT / "dbt_project"]


def _code(hasher: hashlib._Hash, roots: Iterable[Path]) -> None:
    for root in roots:
        for entry in _files(root, _NOT_CODE):
            if entry.name.endswith((".pyc", ".msgpack")):
                continue
            hasher.update(os.path.relpath(entry.path, root).encode() + b"\0")
            hasher.update(hashlib.sha256(Path(entry.path).read_bytes()).digest())


def inputs(now: float | None = None, roots: Iterable[Path] | None = None) -> Inputs:
    """The landing zone's ready files, folder by folder (files at the top of raw/ are the part
    ""), and the code: a digest of each part (a run can then take only the feeds that
    changed) and of the whole."""
    ready_before = int(((time.time() if now is None else now) - settings.settle_seconds()) * 1e9)
    raw = settings.raw_dir()
    hashers: dict[str, hashlib._Hash] = {}
    ready = settling = 0
    for entry in _files(raw):
        stat = entry.stat(follow_symlinks=False)
        if stat.st_mtime_ns > ready_before:
            settling += 1
            continue
        ready += 1
        rel = os.path.relpath(entry.path, raw)
        part = rel.split(os.sep, 1)[0] if os.sep in rel else ""
        hasher = hashers.setdefault(part, hashlib.sha256(part.encode() + b"\n"))
        hasher.update(f"{rel}\0{_identity(stat)}\n".encode())
    parts = {part: hasher.hexdigest()[:16] for part, hasher in hashers.items()}
    code = hashlib.sha256(b"code\n")
    _code(code, code_roots() if roots is None else roots)
    parts[CODE_PART] = code.hexdigest()[:16]
    whole = hashlib.sha256("".join(f"{k}={v}\n" for k, v in sorted(parts.items())).encode())
    return Inputs(whole.hexdigest()[:32], parts, ready, settling)


def outputs() -> str:
    """The warehouse file (and its write-ahead log) and the published folder, by stat."""
    hasher = hashlib.sha256(b"outputs\n")
    warehouse = settings.warehouse_path()
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        try:
            stat = path.stat()
            hasher.update(f"{path.name}\0{_identity(stat)}\n".encode())
        except FileNotFoundError:
            hasher.update(f"{path.name}\0absent\n".encode())
    _listing(settings.published_path().parent, hasher)
    return hasher.hexdigest()[:32]
