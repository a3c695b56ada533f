"""One materialised fixture warehouse shared by the tests that only read it.

The environment is pointed at a temporary folder before any project module is imported, so
nothing a test does touches the project's own raw/ or warehouse/."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest.nodeid import NodeId

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="lq-tests-"))
os.environ["LQ_DATA_DIR"] = str(_SESSION_DIR / "warehouse")
os.environ["LQ_RAW_DIR"] = str(_SESSION_DIR / "raw")
os.environ.pop("LQ_WAREHOUSE", None)
os.environ.pop("LQ_PUBLISHED", None)
os.environ["DAGSTER_HOME"] = str(_SESSION_DIR / "dagster_home")
os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["LQ_SETTLE_SECONDS"] = "0"  # generated files are complete when written
(_SESSION_DIR / "dagster_home").mkdir()

from dagster import DagsterInstance, ExecuteInProcessResult  # noqa: E402

from orchestration import settings  # noqa: E402
from sample_data.__main__ import GENERATORS  # noqa: E402
from sample_data.common import GenerationSummary  # noqa: E402

SAMPLE_YEARS = (2015, 2016)
SAMPLE_SCALE = 0.25
SAMPLE_ERROR_RATE = 0.02
SAMPLE_SUBMISSION_ERROR_RATE = 0.05  # share of workbooks with one mistake


@dataclass(frozen=True)
class Pipeline:
    raw_dir: Path
    warehouse: Path
    published: Path
    generated: GenerationSummary  # spot_checks
    submissions: GenerationSummary
    feeds: dict[str, GenerationSummary]  # every generated feed, by name
    result: ExecuteInProcessResult
    instance: DagsterInstance


def run_refresh_all(instance: DagsterInstance) -> ExecuteInProcessResult:
    """Build the definitions from the current environment and run the main job in process."""
    from orchestration.definitions import build_definitions

    job = build_definitions().resolve_job_def("refresh_all")
    return job.execute_in_process(instance=instance, raise_on_error=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    # the pipeline's files: on a tmpfs (scripts/test.sh) they would otherwise stay in memory
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: end-to-end tests in child processes (kill -9, full CLI runs); "
        "`bash scripts/test.sh --all` and CI run them",
    )


def _xdist_group(item: pytest.Item) -> str | None:
    """The worker group of a test: the shared pipeline's, else its module's when it uses a
    module-scoped fixture (which each worker running one of its tests would build again)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    if "pipeline" in info.names_closure:
        return "pipeline"
    scopes = {d.scope for defs in info.name2fixturedefs.values() for d in defs}
    if scopes & {"module", "class", "package"}:
        return item.nodeid.split("::")[0]
    return None


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    """With pytest-xdist (`--dist loadgroup`), the tests that share an expensive fixture run
    in one worker: the pipeline is built once per session, a module's fixture once per module.
    The other tests go to whichever worker is free."""
    groups = [(item, group) for item in items if (group := _xdist_group(item))]
    for item, group in groups:
        item.add_marker(pytest.mark.xdist_group(group))
    yield  # xdist's worker hook tags each grouped node id with "@<group>" here
    if not config.getoption("loadgroup", False):  # set in xdist workers under loadgroup only
        return
    for item, group in groups:
        if not item.nodeid.endswith(f"@{group}"):
            # xdist 3.8 writes the tag to `item._nodeid`, which pytest 9.2's structured node
            # ids no longer read (pytest-xdist#1386): without this the groups are ignored
            # silently and each worker builds the pipeline (≈ 2 min) itself.
            item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    feeds = {
        feed: generate(
            settings.raw_dir(), SAMPLE_YEARS, scale=SAMPLE_SCALE, error_rate=SAMPLE_ERROR_RATE
        )
        for feed, generate in GENERATORS.items()
        if feed != "submissions"
    }
    feeds["submissions"] = GENERATORS["submissions"](
        settings.raw_dir(), SAMPLE_YEARS, error_rate=SAMPLE_SUBMISSION_ERROR_RATE
    )
    instance = DagsterInstance.ephemeral()
    result = run_refresh_all(instance)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return Pipeline(
        raw_dir=settings.raw_dir(),
        warehouse=settings.warehouse_path(),
        published=settings.published_path(),
        generated=feeds["spot_checks"],
        submissions=feeds["submissions"],
        feeds=feeds,
        result=result,
        instance=instance,
    )


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private raw dir, warehouse and published file for tests that change data."""
    for name, value in settings.environment_for(tmp_path).items():
        if name != "DAGSTER_HOME":  # in-process runs use an ephemeral instance
            monkeypatch.setenv(name, value)
    (tmp_path / "raw").mkdir()
    return tmp_path
