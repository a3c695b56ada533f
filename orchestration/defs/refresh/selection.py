"""What a refresh takes when only some landing folders changed since the last one: those
feeds' ingestion, the warehouse nodes built from them, and the publication and exports.

Everything else was up to date when the last refresh succeeded and nothing else changed
(up_to_date.py), so a run of this subset plans, builds and publishes exactly what a run of
everything would, without planning and recording hundreds of assets and checks it would not
touch. The warehouse step still plans within the subset from data and code versions."""

from __future__ import annotations

from collections.abc import Iterable

from dagster import AssetKey

from orchestration.defs.exports.assets import EXPORT_KEY
from orchestration.defs.ingestion import FEEDS
from orchestration.defs.publication.assets import PUBLISHED_KEY
from orchestration.defs.submissions.assets import SUBMISSION_KEYS
from orchestration.defs.transform.manifest import GRAPH, STATE_KEY
from orchestration.ingest.contract import load_contract
from orchestration.submissions.store import SUBMISSION_TABLES

SUBMISSIONS_FOLDER = "submissions"  # raw/submissions/: the units' workbooks


def refresh_selection(changed: Iterable[str]) -> list[AssetKey] | None:
    """The assets a refresh takes for these changed landing folders; None (everything) when
    one of them is not a feed's or the submissions' folder."""
    changed = set(changed)
    if not changed <= {*FEEDS, SUBMISSIONS_FOLDER}:
        return None
    keys: list[AssetKey] = []
    tables: set[str] = set()
    for folder in sorted(changed):
        if folder == SUBMISSIONS_FOLDER:
            keys += SUBMISSION_KEYS
            tables |= set(SUBMISSION_TABLES)
        else:
            keys.append(AssetKey(["raw", folder]))
            tables.add(load_contract(folder).table)
    nodes = GRAPH.reached_by_feeds(tables, changed, {*FEEDS, SUBMISSIONS_FOLDER})
    keys += sorted(GRAPH.nodes[uid].key for uid in nodes)
    return [*keys, STATE_KEY, PUBLISHED_KEY, EXPORT_KEY]
