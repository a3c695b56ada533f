"""Keep every delivered file exactly as it arrived, addressed by its sha256.

The landing zone is a drop box people may tidy up or overwrite; the store is what lineage
points to and what the loader parses, so the rows loaded always match the recorded hash."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
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
        with path.open("rb") as source, partial.open("wb") as target:
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
