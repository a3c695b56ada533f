"""Sample generator for the surface_water feed (placeholder until the feed's generator lands)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from orchestration.sample_data.common import GenerationSummary


def generate_surface_water(
    out_dir: Path,
    years: Sequence[int],
    scale: float = 1.0,
    seed: int = 20151209,
    error_rate: float = 0.01,
) -> GenerationSummary:
    return GenerationSummary(files=(), rows_per_file={}, total_rows=0)
