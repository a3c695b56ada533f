"""What a run of the warehouse models has to build: nothing, unless something changed.

Dagster's data versions and code versions, compared with what the warehouse was built from:

* the raw tables' **data versions** are their fingerprints (row count and an
  order-independent hash of every row, computed by DuckDB in milliseconds): the ingestion
  assets report them, and each staging model is materialised with the data version of the raw
  tables it read. A raw table whose fingerprint moved has new or corrected deliveries;
* every dbt node carries a **code version** (its SQL, plus the macros and vars:
  translator.py);
* a node never built, or whose relation is missing from the warehouse, is built.

A changed node is built with everything downstream of it. What every node was last built
from is recorded as one materialisation of `warehouse/build_state` (the versions above, by
node), the last thing a completed build records: a run killed at any moment before it leaves
the changed nodes looking changed, and the next run builds them again (assets.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
from dagster import AssetKey

ABSENT = "absent"  # fingerprint of a raw table that does not exist yet


@dataclass(frozen=True)
class Node:
    unique_id: str
    name: str
    resource_type: str  # model | seed | snapshot
    relation: tuple[str, str]  # (schema, identifier) in the warehouse
    materialized: str
    key: AssetKey
    code_version: str
    sources: tuple[str, ...]  # raw tables read directly, as "schema.identifier"


@dataclass(frozen=True)
class ManifestGraph:
    """The dbt nodes Dagster materialises, with the edges needed to plan a build."""

    nodes: dict[str, Node]  # by unique_id
    children: dict[str, tuple[str, ...]]  # unique_id -> node unique_ids that depend on it

    @classmethod
    def build(cls, manifest: Mapping[str, Any], key_of: Any, code_version_of: Any) -> ManifestGraph:
        sources = {
            uid: f"{s['schema']}.{s.get('identifier') or s['name']}"
            for uid, s in manifest["sources"].items()
        }
        nodes: dict[str, Node] = {}
        for uid, props in manifest["nodes"].items():
            if props["resource_type"] not in ("model", "seed", "snapshot"):
                continue
            if props.get("config", {}).get("materialized") == "ephemeral":
                continue
            depends = props.get("depends_on", {}).get("nodes", [])
            nodes[uid] = Node(
                unique_id=uid,
                name=props["name"],
                resource_type=props["resource_type"],
                relation=(props["schema"], props.get("alias") or props["name"]),
                materialized=props.get("config", {}).get("materialized", ""),
                key=key_of(uid),
                code_version=code_version_of(props) or "",
                sources=tuple(sorted(sources[d] for d in depends if d in sources)),
            )
        children: dict[str, list[str]] = {uid: [] for uid in nodes}
        for uid, props in manifest["nodes"].items():
            if uid not in nodes:
                continue
            for parent in props.get("depends_on", {}).get("nodes", []):
                if parent in children:
                    children[parent].append(uid)
        return cls(nodes, {uid: tuple(sorted(c)) for uid, c in children.items()})

    def descendants(
        self, roots: Iterable[str], stop: set[str] | frozenset[str] = frozenset()
    ) -> set[str]:
        """The roots and every node below them, not passing through nodes named in `stop`."""
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            uid = stack.pop()
            if uid in seen:
                continue
            seen.add(uid)
            stack.extend(c for c in self.children.get(uid, ()) if self.nodes[c].name not in stop)
        return seen

    def parents(self) -> dict[str, list[str]]:
        parents: dict[str, list[str]] = {uid: [] for uid in self.nodes}
        for uid, kids in self.children.items():
            for kid in kids:
                parents[kid].append(uid)
        return parents

    def ancestors(self, roots: Iterable[str]) -> set[str]:
        parents = self.parents()
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            uid = stack.pop()
            if uid not in seen:
                seen.add(uid)
                stack.extend(parents[uid])
        return seen

    def depth(self) -> dict[str, int]:
        """Longest path from a root: a node comes after everything it depends on."""
        parents = self.parents()
        depth: dict[str, int] = {}

        def visit(uid: str) -> int:
            if uid not in depth:
                depth[uid] = 1 + max((visit(p) for p in parents[uid]), default=-1)
            return depth[uid]

        for uid in self.nodes:
            visit(uid)
        return depth

    def upstream_sources(self) -> dict[str, frozenset[str]]:
        """Every raw table each node is built from, directly or through its parents."""
        parents = self.parents()
        result: dict[str, frozenset[str]] = {}
        for uid in sorted(self.nodes, key=self.depth().__getitem__):
            found = set(self.nodes[uid].sources).union(*(result[p] for p in parents[uid]))
            result[uid] = frozenset(found)
        return result

    def held_back(self, root: str, own_tables: Iterable[str], shared: Iterable[str]) -> set[str]:
        """What a failed gate on `root` holds back: the nodes below it built from its raw
        tables alone (besides the `shared` bookkeeping tables). Nodes that also read other
        feeds are still built, from the last validated tables of this one."""
        allowed = set(own_tables) | set(shared)
        upstream = self.upstream_sources()
        return {uid for uid in self.descendants([root]) if upstream[uid] <= allowed}

    def reached_by_feeds(self, tables: set[str], feeds: set[str], every_feed: set[str]) -> set[str]:
        """Every node that new deliveries of `feeds` (landing in their raw `tables` and in the
        bookkeeping) can change: what plan_build would build for them, found from the graph
        alone (no warehouse needed)."""
        direct = [uid for uid, node in self.nodes.items() if set(node.sources) & tables]
        keeping = [uid for uid, node in self.nodes.items() if set(node.sources) & set(BOOKKEEPING)]
        stop = current_models(every_feed - feeds)
        return self.descendants(direct) | self.descendants(keeping, stop=stop)

    def by_key(self) -> dict[AssetKey, Node]:
        return {node.key: node for node in self.nodes.values()}


def fingerprints(
    conn: duckdb.DuckDBPyConnection,
    tables: Iterable[str],
    existing: set[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """Row count and an order-independent hash of every row, per raw table (`existing`: the
    warehouse's relations, when the caller has them already)."""
    existing_names = {f"{s}.{n}" for s, n in (relations(conn) if existing is None else existing)}
    result: dict[str, str] = {}
    for table in sorted(set(tables)):
        if table not in existing_names:
            result[table] = ABSENT
            continue
        count, digest = conn.execute(
            f"select count(*), coalesce(bit_xor(hash(t)), 0) from {table} as t"
        ).fetchone()  # type: ignore[misc]
        result[table] = f"{count}:{digest:016x}"
    return result


# Raw tables every feed writes, one row per file or row with its `feed`: a change there
# concerns only the nodes built from that feed (int_deliveries__ranked ranks per feed).
BOOKKEEPING = ("raw.ingested_files", "raw.quarantine", "raw.repeated_deliveries")


def current_models(feeds: Iterable[str]) -> set[str]:
    """The current-rows models of these feeds: a bookkeeping change of one feed stops at the
    current models of the others (`current_delivery_rows(stg, feed)` reads only its own
    feed's rows of the bookkeeping)."""
    return {f"int_{feed}__current" for feed in feeds}


def feed_fingerprints(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """The fingerprint of each feed's rows of a bookkeeping table."""
    rows = conn.execute(
        f"select feed, count(*), coalesce(bit_xor(hash(t)), 0) from {table} as t group by feed"
    ).fetchall()
    return {feed: f"{count}:{digest:016x}" for feed, count, digest in rows}


def sources_version(node: Node, prints: Mapping[str, str]) -> str:
    """The data version of a model that reads raw tables: what it was built from."""
    if len(node.sources) == 1:
        return prints[node.sources[0]]
    text = ";".join(f"{s}={prints[s]}" for s in node.sources)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass
class BuildPlan:
    """The nodes to build, each with why; empty means the warehouse is up to date."""

    reasons: dict[str, str] = field(default_factory=dict)  # root unique_id -> why
    selected: set[str] = field(default_factory=set)  # roots and their descendants
    source_versions: dict[str, str] = field(default_factory=dict)  # unique_id -> data version
    loaded_through: dict[str, str | None] = field(default_factory=dict)  # gated staging models
    feed_prints: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    roots_of: dict[str, list[str]] = field(default_factory=dict)  # node -> roots above it

    @property
    def nothing(self) -> bool:
        return not self.selected

    def why(self, uid: str) -> str:
        if uid in self.reasons:
            return self.reasons[uid]
        roots = self.roots_of.get(uid, [])
        return "downstream of " + ", ".join(roots[:3]) + (" …" if len(roots) > 3 else "")


def relations(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = conn.execute("select table_schema, table_name from information_schema.tables")
    return {(schema, name) for schema, name in rows.fetchall()}


def plan_build(
    graph: ManifestGraph,
    conn: duckdb.DuckDBPyConnection,
    state: Mapping[str, Mapping[str, Any]],
    selected_keys: Sequence[AssetKey],
) -> BuildPlan:
    """Compare what the warehouse was last built from (`state`: unique_id -> {"code": code
    version, "data": data version}, recorded by the last completed build) with the code and
    raw data of now."""
    by_key = graph.by_key()
    candidates = [by_key[k] for k in selected_keys if k in by_key]
    existing = relations(conn)
    prints = fingerprints(conn, (s for n in candidates for s in n.sources), existing)
    per_feed = {
        t: feed_fingerprints(conn, t) for t in BOOKKEEPING if prints.get(t, ABSENT) != ABSENT
    }
    plan = BuildPlan()
    scoped: dict[str, set[str]] = {}  # root -> the feeds its change concerns
    for node in candidates:
        built = state.get(node.unique_id)
        if node.sources:
            plan.source_versions[node.unique_id] = sources_version(node, prints)
            plan.feed_prints[node.unique_id] = {
                t: per_feed[t] for t in node.sources if t in per_feed
            }
        if built is None:
            plan.reasons[node.unique_id] = "never built by this Dagster instance"
        elif node.relation not in existing:
            plan.reasons[node.unique_id] = "missing from the warehouse"
        elif built.get("code") != node.code_version:
            plan.reasons[node.unique_id] = "code changed since it was built"
        elif node.sources and built.get("data") != plan.source_versions[node.unique_id]:
            feeds = _changed_feeds(node, plan.feed_prints[node.unique_id], built)
            if feeds is not None:
                scoped[node.unique_id] = feeds
            plan.reasons[node.unique_id] = (
                "new or corrected deliveries in "
                + ", ".join(node.sources)
                + (f" (feeds {', '.join(sorted(feeds))})" if feeds else "")
            )
    keys = {n.unique_id for n in candidates}
    reach: dict[str, set[str]] = {}
    for root in plan.reasons:
        if root in scoped:
            # A bookkeeping change reaches everything below it except through the current
            # model of a feed it does not concern.
            unchanged = current_models(_feeds_named(plan) - scoped[root])
            reach[root] = graph.descendants([root], stop=unchanged) & keys
        else:
            reach[root] = graph.descendants([root]) & keys
    plan.selected = set().union(*reach.values()) if reach else set()
    for root in sorted(reach):
        for uid in reach[root] - {root}:
            plan.roots_of.setdefault(uid, []).append(graph.nodes[root].name)
    return plan


def _feeds_named(plan: BuildPlan) -> set[str]:
    """Every feed named in the bookkeeping tables now."""
    return {
        feed
        for tables in plan.feed_prints.values()
        for prints in tables.values()
        for feed in prints
    }


def _changed_feeds(
    node: Node, now: Mapping[str, Mapping[str, str]], built: Mapping[str, Any]
) -> set[str] | None:
    """The feeds whose rows of the node's bookkeeping tables changed since it was built; None
    when the node reads other tables too, or when that cannot be told (no record per feed)."""
    before = built.get("feeds")
    if not now or set(node.sources) - set(BOOKKEEPING) or before is None:
        return None
    changed: set[str] = set()
    for table, prints in now.items():
        old = before.get(table, {})
        changed |= {f for f in set(prints) | set(old) if prints.get(f) != old.get(f)}
    return changed


def next_state(
    previous: Mapping[str, Mapping[str, Any]],
    graph: ManifestGraph,
    plan: BuildPlan,
    recorded: set[str],
) -> dict[str, dict[str, Any]]:
    """The state after a build: the nodes built and recorded now take their new versions,
    every other node keeps what it was built from before (so it stays due if it was due)."""
    state = {uid: dict(entry) for uid, entry in previous.items() if uid in graph.nodes}
    for uid in recorded:
        entry: dict[str, Any] = {"code": graph.nodes[uid].code_version}
        if uid in plan.source_versions:
            entry["data"] = plan.source_versions[uid]
        if plan.feed_prints.get(uid):
            entry["feeds"] = plan.feed_prints[uid]
        if plan.loaded_through.get(uid):
            entry["loaded_through"] = plan.loaded_through[uid]
        state[uid] = entry
    return state
