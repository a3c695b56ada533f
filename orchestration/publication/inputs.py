"""What a publication was computed from: the delivered files and the project's logic and
reference data, each as a sha256 that does not depend on git, paths or build times.

* delivered files: every file whose rows were loaded (raw.ingested_files, status loaded) and
  every accepted submission workbook (raw.submission_versions), by content hash;
* seeds: every file under dbt_project/seeds (the CSV data and the YAML that types it);
* rubric: the scoring rubric seeds (ref_assessment_*) on their own, so a rubric change is
  visible as such;
* dbt project: the model, macro and test sources and dbt_project.yml. Not the manifest: it
  holds build times, an invocation id and absolute paths, so it changes on every parse and
  machine while the SQL that ran stays the same."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import DBT_PROJECT_DIR

_DBT_LOGIC = ("dbt_project.yml", "models", "macros", "tests")
_RUBRIC_PREFIX = ("ref_assessment_", "_seeds__assessment")

# source ('feed name' or 'submissions'), file name as delivered, sha256 of its bytes
DeliveredFile = tuple[str, str, str]


@dataclass(frozen=True)
class PublicationInputs:
    files: list[DeliveredFile]
    files_sha256: str
    seeds_sha256: str
    rubric_sha256: str
    dbt_project_sha256: str


def _tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        f"{schema}.{name}"
        for schema, name in conn.execute(
            "select schema_name, table_name from duckdb_tables()"
        ).fetchall()
    }


def delivered_files(conn: duckdb.DuckDBPyConnection) -> list[DeliveredFile]:
    """The files the warehouse's rows come from, in a stable order."""
    tables = _tables(conn)
    parts = []
    if "raw.ingested_files" in tables:
        parts.append(
            "select feed, source_file, sha256 from raw.ingested_files where status = 'loaded'"
        )
    if "raw.submission_versions" in tables:
        parts.append(
            "select 'submissions', source_file, sha256 from raw.submission_versions "
            "where status = 'accepted'"
        )
    if not parts:
        return []
    return conn.execute(f"{' union all '.join(parts)} order by 1, 3, 2").fetchall()


def files_sha256(paths: Iterable[Path], root: Path) -> str:
    """One hash over files: each relative path and its bytes, in path order."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _files_below(root: Path, names: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for name in names:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return found


def publication_inputs(
    conn: duckdb.DuckDBPyConnection, dbt_project_dir: Path = DBT_PROJECT_DIR
) -> PublicationInputs:
    files = delivered_files(conn)
    listing = "\n".join("\t".join(row) for row in files)
    seeds_dir = dbt_project_dir / "seeds"
    seeds = _files_below(seeds_dir, [p.name for p in seeds_dir.iterdir()])
    rubric = [p for p in seeds if p.name.startswith(_RUBRIC_PREFIX)]
    return PublicationInputs(
        files=files,
        files_sha256=hashlib.sha256(listing.encode()).hexdigest(),
        seeds_sha256=files_sha256(seeds, seeds_dir),
        rubric_sha256=files_sha256(rubric, seeds_dir),
        dbt_project_sha256=files_sha256(_files_below(dbt_project_dir, _DBT_LOGIC), dbt_project_dir),
    )
