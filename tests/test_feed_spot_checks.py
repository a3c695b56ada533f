"""Spot checks on hand-made deliveries through the real loader and dbt: corrected
re-deliveries replace exactly their slot, and the KPIs equal independent calculations."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.feed_helpers import FeedWarehouse

HEADER = ["序号", "抽样编号", "抽样日期", "县区", "受检单位", "产品名称", "检验结论", "不合格项目"]


def _row(n: int, day: str, county: str, verdict: str) -> list[str]:
    items = "/" if verdict in ("合格", "P") else "铅"
    return [str(n), f"S-{day}-{n}", day, county, "甲公司", "电缆", verdict, items]


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory) -> FeedWarehouse:
    wh = FeedWarehouse(tmp_path_factory.mktemp("spot-corrections"))
    march = [_row(1, "2015-03-02", "固安县", "合格"), _row(2, "2015-03-03", "霸州市", "合格")]
    wh.deliver(
        "spot_checks",
        "manufacturing/2015-03",
        "a.csv",
        HEADER,
        march,
        received=datetime(2015, 4, 5, 9),
    )
    # the correction: row 2 was a failure, and a third batch was forgotten
    fixed = [
        march[0],
        _row(2, "2015-03-03", "霸州市", "不合格"),
        _row(3, "2015-03-04", "固安县", "合格"),
    ]
    wh.deliver(
        "spot_checks",
        "manufacturing/2015-03",
        "a_更正.csv",
        HEADER,
        fixed,
        received=datetime(2015, 4, 9, 9),
    )
    april = [_row(1, "2015-04-01", "固安县", "合格")]
    wh.deliver(
        "spot_checks",
        "manufacturing/2015-04",
        "b.csv",
        HEADER,
        april,
        received=datetime(2015, 5, 5, 9),
    )
    reports = wh.ingest("spot_checks")
    assert [(r.status, r.rows_loaded) for r in reports] == [
        ("loaded", 2),
        ("loaded", 3),
        ("loaded", 1),
    ]
    wh.build("int_kpi__spot_checks")
    return wh


def test_a_correction_replaces_exactly_its_slot(corrected: FeedWarehouse) -> None:
    current = corrected.query(
        "select delivery_period, sample_no, verdict, delivery_version "
        "from intermediate.int_spot_checks__current order by sample_no"
    )
    assert current == [
        ("2015-03", "S-2015-03-02-1", "pass", 2),
        ("2015-03", "S-2015-03-03-2", "fail", 2),
        ("2015-03", "S-2015-03-04-3", "pass", 2),
        ("2015-04", "S-2015-04-01-1", "pass", 1),
    ]
    # the replaced rows stay in staging as history
    assert corrected.query("select count(*) from staging.stg_raw__spot_checks") == [(6,)]
    assert corrected.query(
        "select actual_value, numerator, denominator from intermediate.int_kpi__spot_checks "
        "where scope_type = 'city'"
    ) == [(75.0, 3.0, 4.0)]
