"""Keep every delivered file exactly as it arrived, addressed by its sha256.

The landing zone is a drop box people may tidy up; the store is what lineage points to."""

from __future__ import annotations

import hashlib
import os
import shutil
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


def keep(path: Path, sha256: str, store_dir: Path) -> Path:
    """Copy `path` into the store once; an existing copy is never rewritten."""
    target = stored_path(store_dir, sha256, path.suffix)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        shutil.copyfile(path, partial)
        os.replace(partial, target)  # atomic: readers never see half a file
        target.chmod(0o444)
    return target
