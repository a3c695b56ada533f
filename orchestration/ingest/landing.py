"""Which files in a landing folder are ready to read, for every feed.

Symbolic links are never followed (they could point anywhere on the machine): a linked file
or folder is listed apart, to be counted, never read. A file modified in the last
`settle_seconds` may still be being copied, so it waits for the next pass. Hidden files and
folders and Excel's lock files (~$…) are skipped."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Landing:
    ready: tuple[Path, ...]  # oldest path first
    symlinks: tuple[Path, ...]  # links to files or folders: ignored
    settling: tuple[Path, ...]  # modified too recently: left for the next pass


def skipped_name(name: str) -> bool:
    return name.startswith((".", "~$"))  # hidden files and Excel's lock files


def scan(folder: Path, settle_seconds: float, changed_after_ns: int = 0) -> Landing:
    """Regular files under `folder`, in path order; with `changed_after_ns`, only those
    whose inode changed at or after that time (a sensor's cursor). Symbolic links inside are
    listed whatever the cursor; `folder` itself is configuration and may be one."""
    if not folder.is_dir():
        return Landing((), (), ())
    ready: list[Path] = []
    symlinks: list[Path] = []
    settling: list[Path] = []
    now = time.time()
    for root, dirs, files in os.walk(folder):  # os.walk does not follow symlinked folders
        here = Path(root)
        symlinks += [here / d for d in dirs if not skipped_name(d) and (here / d).is_symlink()]
        dirs[:] = sorted(d for d in dirs if not skipped_name(d) and not (here / d).is_symlink())
        for name in files:
            if skipped_name(name):
                continue
            path = here / name
            try:
                info = path.lstat()
            except FileNotFoundError:  # removed while we looked
                continue
            if stat.S_ISLNK(info.st_mode):
                symlinks.append(path)
            elif not stat.S_ISREG(info.st_mode) or info.st_ctime_ns < changed_after_ns:
                continue  # fifos, sockets, devices are never read; old files were seen
            elif now - info.st_mtime < settle_seconds:
                settling.append(path)
            else:
                ready.append(path)
    return Landing(tuple(sorted(ready)), tuple(sorted(symlinks)), tuple(sorted(settling)))


def received_at(path: Path) -> datetime:
    """When a file landed: its modification time as the upload or mail gateway set it, in
    Beijing time (naive), which is what due dates and delivery calendars are written in."""
    stamp = path.lstat().st_mtime
    return datetime.fromtimestamp(stamp, LOCAL_TIME).replace(tzinfo=None, microsecond=0)
