"""Every feed is a monthly-partitioned Dagster asset with its own job and delivery schedule,
and a partitioned run reads only its months' delivery folders."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from dagster import AssetKey, DagsterInstance, build_schedule_context, materialize

from orchestration import settings
from orchestration.definitions import build_definitions
from orchestration.defs.ingestion import FEEDS
from orchestration.defs.ingestion.assets import build_ingestion_asset
from orchestration.defs.resources import build_resources
from orchestration.ingest.contract import feed_names, load_contract
from orchestration.partitions import DELIVERY_MONTHS

BEIJING = ZoneInfo("Asia/Shanghai")
HEADER = "序号,抽样编号,抽样日期,县区,受检单位,产品名称,检验结论,不合格项目\n"


def test_every_contract_is_a_partitioned_asset_with_a_job_and_a_schedule() -> None:
    defs = build_definitions()
    assert feed_names() == FEEDS and "spot_checks" in FEEDS
    graph = defs.resolve_asset_graph()
    for feed in FEEDS:
        node = graph.get(AssetKey(["raw", feed]))
        assert node.partitions_def == DELIVERY_MONTHS
        job = defs.resolve_job_def(f"ingest_{feed}")
        assert job.partitions_def == DELIVERY_MONTHS
        if load_contract(feed).schedule is not None:
            assert defs.resolve_schedule_def(f"{feed}_deliveries").job_name == f"ingest_{feed}"


def test_a_delivery_schedule_asks_for_the_month_that_is_due() -> None:
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("spot_checks_deliveries")
    tick = datetime(2015, 4, 6, 8, 0, tzinfo=BEIJING)  # results of March arrive by 5 April
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=tick,
            repository_def=defs.get_repository_def(),
        )
        [request] = schedule.evaluate_tick(context).run_requests or []
    assert request.partition_key == "2015-03"
    assert request.run_key == "spot_checks-20150406T0800"


def _deliver(raw: Path, stream: str, month: str, rows: list[str]) -> None:
    folder = raw / "spot_checks" / stream / month
    folder.mkdir(parents=True)
    (folder / "results.csv").write_text(HEADER + "".join(rows), encoding="utf-8")


def test_a_monthly_partition_reads_only_its_month(isolated_env: Path) -> None:
    raw = isolated_env / "raw"
    _deliver(raw, "manufacturing", "2015-03", ["1,S-1,2015-03-02,固安县,甲公司,电缆,合格,/\n"])
    _deliver(raw, "food", "2015-03", ["1,F-1,2015-03-09,霸州市,乙公司,挂面,不合格,铅\n"])
    _deliver(raw, "manufacturing", "2015-04", ["1,S-2,2015-04-01,固安县,甲公司,电缆,合格,/\n"])
    asset = build_ingestion_asset("spot_checks")
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [asset], partition_key="2015-03", resources=build_resources(), instance=instance
        )
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert event.materialization.partition == "2015-03"
    assert (metadata["files_new"].value, metadata["rows_loaded"].value) == (2, 2)
    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as conn:
        loaded = conn.execute(
            "select stream_code, sample_no from raw.spot_checks order by 2"
        ).fetchall()
    assert loaded == [("food", "F-1"), ("manufacturing", "S-1")]
