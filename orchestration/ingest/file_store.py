"""Keep every delivered file exactly as it arrived, addressed by its sha256.

The landing zone is a drop box people may tidy up or overwrite; the store is what lineage
points to and what the loader parses, so the rows loaded always match the recorded hash.
Delivered files are opened without following a symbolic link (O_NOFOLLOW) and only when they
are regular files: one swapped for a link after the landing scan raises instead of being read
from wherever it points. (Only the last path component is checked; the landing folders
themselves are configuration.)"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import uuid
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")


def open_delivered(path: Path) -> BinaryIO:
    """Open a delivered file for reading, refusing a symbolic link (OSError ELOOP) and
    anything but a regular file (a fifo would block, a device never ends)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OSError(
                errno.ELOOP, "is a symbolic link, which is never followed", str(path)
            ) from error
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "is not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open_delivered(path) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stored_path(store_dir: Path, sha256: str, suffix: str) -> Path:
    """Where the bytes with this hash live. The delivered suffix is kept (readers choose a
    parser by it) only when it is a short plain extension: it comes from the sender."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    suffix = suffix.lower()
    return store_dir / sha256[:2] / f"{sha256}{suffix if _SUFFIX.fullmatch(suffix) else ''}"


def keep(path: Path, store_dir: Path) -> tuple[str, Path]:
    """Copy `path` into the store, hashing the bytes as they are copied (a file that changes
    while it is read is stored under the hash of what was read). An existing copy is never
    rewritten. Returns the sha256 and the stored file."""
    store_dir.mkdir(parents=True, exist_ok=True)
    # Not from path.name: a delivered name of 255 bytes plus a prefix is too long for the file
    # system, and a name is the sender's text, never part of a path.
    partial = store_dir / f".{os.getpid()}.{uuid.uuid4().hex}.partial"
    try:
        digest = hashlib.sha256()
        with open_delivered(path) as source, partial.open("wb") as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
        sha256 = digest.hexdigest()
        stored = stored_path(store_dir, sha256, path.suffix)
        if not stored.exists():
            stored.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, stored)  # atomic: readers never see half a file
            stored.chmod(0o444)
    finally:
        partial.unlink(missing_ok=True)  # a known file or a failed copy leaves no debris
    return sha256, stored
