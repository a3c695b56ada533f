"""The code location: one Definitions object, merged from the capability packages in defs/."""

from __future__ import annotations

from dagster import Definitions

from orchestration.defs import (
    ingestion,
    publication,
    refresh,
    submissions,
    transform,
)
from orchestration.defs.resources import build_resources


def build_definitions() -> Definitions:
    return Definitions.merge(
        ingestion.defs(),
        submissions.defs(),
        transform.defs(),
        publication.defs(),
        refresh.defs(),
        Definitions(resources=build_resources()),
    )


defs = build_definitions()
