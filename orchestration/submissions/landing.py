"""Which files in raw/submissions/ are ready to process. Symbolic links are never followed
(they could point anywhere on the machine) and a file written in the last few seconds may
still be being copied, so it waits for the next pass."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SUBMISSIONS_DIR = "submissions"
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Landing:
    ready: tuple[Path, ...]
    symlinks: tuple[Path, ...]
    settling: tuple[Path, ...]


def _skip(name: str) -> bool:
    return name.startswith((".", "~$"))  # hidden files and Excel's lock files


def scan(raw_dir: Path, settle_seconds: float, changed_after_ns: int = 0) -> Landing:
    """Files under raw/submissions/, oldest path first; with `changed_after_ns`, only those
    whose inode changed since then (the sensor's cursor)."""
    folder = raw_dir / SUBMISSIONS_DIR
    ready: list[Path] = []
    symlinks: list[Path] = []
    settling: list[Path] = []
    now = time.time()
    if not folder.is_dir():
        return Landing((), (), ())
    for root, dirs, files in os.walk(folder):  # os.walk does not follow symlinked folders
        dirs[:] = sorted(d for d in dirs if not _skip(d))
        for name in sorted(files):
            if _skip(name):
                continue
            path = Path(root) / name
            info = path.lstat()
            if path.is_symlink():
                symlinks.append(path)
            elif not path.is_file() or info.st_ctime_ns <= changed_after_ns:
                continue
            elif now - info.st_mtime < settle_seconds:
                settling.append(path)
            else:
                ready.append(path)
    return Landing(tuple(ready), tuple(symlinks), tuple(settling))


def received_at(path: Path) -> datetime:
    """When the file landed: its modification time as the upload or mail gateway set it,
    in Beijing time (naive), which is what due dates are written in."""
    stamp = path.lstat().st_mtime
    return datetime.fromtimestamp(stamp, LOCAL_TIME).replace(tzinfo=None, microsecond=0)
