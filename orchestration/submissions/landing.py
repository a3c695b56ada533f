"""Which files in raw/submissions/ are ready to process: the shared landing scan
(orchestration.ingest.landing: symbolic links never followed, files written in the last few
seconds left for the next pass) on the submissions folder, and when a file was received."""

from __future__ import annotations

from pathlib import Path

from orchestration.ingest import landing
from orchestration.ingest.landing import LOCAL_TIME, Landing, received_at

__all__ = ["LOCAL_TIME", "SUBMISSIONS_DIR", "Landing", "received_at", "scan"]

SUBMISSIONS_DIR = "submissions"


def scan(raw_dir: Path, settle_seconds: float, changed_after_ns: int = 0) -> Landing:
    """Files under raw/submissions/, oldest path first; with `changed_after_ns`, only those
    whose inode changed since then (the sensor's cursor; a change at exactly that time is
    listed again rather than missed)."""
    return landing.scan(raw_dir / SUBMISSIONS_DIR, settle_seconds, changed_after_ns)
