"""Keep every delivered file exactly as it arrived, addressed by its sha256.

The landing zone is a drop box people may tidy up or overwrite; the store is what lineage
points to and what the loader parses, so the rows loaded always match the recorded hash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stored_path(store_dir: Path, sha256: str, suffix: str) -> Path:
    return store_dir / sha256[:2] / f"{sha256}{suffix.lower()}"


def keep(path: Path, store_dir: Path) -> tuple[str, Path]:
    """Copy `path` into the store, hashing the bytes as they are copied (a file that changes
    while it is read is stored under the hash of what was read). An existing copy is never
    rewritten. Returns the sha256 and the stored file."""
    store_dir.mkdir(parents=True, exist_ok=True)
    partial = store_dir / f".{os.getpid()}.{path.name}.partial"
    digest = hashlib.sha256()
    with path.open("rb") as source, partial.open("wb") as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    sha256 = digest.hexdigest()
    stored = stored_path(store_dir, sha256, path.suffix)
    if stored.exists():
        partial.unlink()
    else:
        stored.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, stored)  # atomic: readers never see half a file
        stored.chmod(0o444)
    return sha256, stored
