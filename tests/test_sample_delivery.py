"""The sample generators' shared pieces: layouts as data (sample_data/layouts/*.yaml), the one
delivery routine, and injected mistakes judged by the feed contract (sample_data/violations.py).
The generated files themselves are checked feed by feed in test_feed_*.py."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.ingest.contract import load_contract
from sample_data import complaint_exports, incidents, service_satisfaction, special_equipment
from sample_data import spot_checks as spot_check_samples
from sample_data.common import Deliveries
from sample_data.delivery import (
    LAYOUTS_DIR,
    MonthlyDelivery,
    TableLayout,
    deliver_month,
    feed_layouts,
    years_with_baseline,
)
from sample_data.violations import (
    NotAViolation,
    below_minimum,
    checked,
    missing,
    problem,
    violating,
)


def _layouts() -> list[tuple[str, str, TableLayout]]:
    """Every table layout the generators write, with its feed."""
    found = [
        (path.stem, fmt, layout)
        for path in sorted(LAYOUTS_DIR.glob("*.yaml"))
        for fmt, layout in feed_layouts(path.stem).formats.items()
    ]
    publishers = spot_check_samples.catalogue().publishers
    found += [("spot_checks", stream, p.layout) for stream, p in publishers.items()]
    found += [("complaints", code, s.table) for code, s in complaint_exports.LAYOUTS.items()]
    found += [("incidents", d.code, d.layout) for d in incidents.DEPARTMENTS]
    found += [("service_satisfaction", i.code, i.layout) for i in service_satisfaction.INSTITUTES]
    return found


def test_layouts_name_only_contract_columns():
    """A column of a sample layout is a contract column of its feed, a file's own (_no, the
    running number; _city, _exported), or one under a header the contract reads (a station's
    section name beside its code): a typo in a layouts file fails here, not in a feed."""
    layouts = _layouts()
    assert {feed for feed, _, _ in layouts} >= {
        "spot_checks",
        "construction_acceptance",
        "special_equipment",
        "complaints",
        "incidents",
        "service_satisfaction",
        "sewage",
        "surface_water",
        "drinking_water",
    }
    for feed, fmt, layout in layouts:
        contract = load_contract(feed)
        names = {column.name for column in contract.columns}
        unknown = [
            name
            for name, (top, sub) in layout.columns
            if not name.startswith("_")
            and name not in names
            and not {top, sub} & contract.known_headers
        ]
        assert unknown == [], (feed, fmt, unknown)
        assert layout.fmt in ("xlsx", "csv-utf8", "csv-bom", "csv-gb18030"), (feed, fmt)
        assert len(set(layout.names)) == len(layout.names), (feed, fmt)


def test_injected_mistakes_are_refused_by_the_contract():
    # a candidate the contract accepts (a real county) is no mistake: dropped
    assert violating("spot_checks", "county_code", ["北京市朝阳区", "安次区"]) == ("北京市朝阳区",)
    with pytest.raises(NotAViolation):
        violating("spot_checks", "county_code", ["安次区", "固安县"])
    # refused in every column asked for
    counts = ("hazards_found", "major_hazards_found")
    assert violating("special_equipment", counts, ["两处", "3", "-1"]) == ("两处", "-1")
    assert problem("air_quality_daily", "pm25", below_minimum("air_quality_daily", "pm25", 12.5))
    assert below_minimum("air_quality_daily", "pm25", 12.5) == -12.5
    assert checked("air_quality_daily", "pm25", 1600.5) == 1600.5
    with pytest.raises(NotAViolation):
        checked("air_quality_daily", "pm25", 35.0)
    assert missing("air_quality_daily", "pm25") == ""
    assert problem("air_quality_daily", "pm25", "") is not None
    with pytest.raises(NotAViolation):
        missing("air_quality_daily", "longitude")  # may be empty


def test_catalogue_mistakes_are_violations():
    """The mistake candidates the layouts files list survive the contract's judgement."""
    assert spot_check_samples.catalogue().unknown_counties
    assert set(special_equipment.catalogue().unknown) == {
        "county_code",
        "category_code",
        "verdict",
        "inspection_type",
    }
    for column, values in special_equipment.catalogue().unknown.items():
        assert all(problem("special_equipment", column, v) for v in values)


def test_delivery_calendar():
    calendar = MonthlyDelivery(
        day=8, time=dt.time(10, 0), formats=("xlsx", "csv-utf8"), correction_day=20
    )
    assert calendar.received(2015, 12) == dt.datetime(2016, 1, 8, 10, 0)
    assert calendar.received(2015, 3, calendar.correction_day) == dt.datetime(2015, 4, 20, 10)
    assert [calendar.format_of(m) for m in (1, 2, 3)] == ["csv-utf8", "xlsx", "csv-utf8"]
    assert years_with_baseline([2016, 2015]) == [2014, 2015, 2016]
    assert years_with_baseline([2014]) == [2014]  # nothing before the platform's first month
    assert years_with_baseline([]) == []


def test_deliver_month_writes_correction_and_repeat(tmp_path):
    layout = TableLayout("csv-bom", (("_no", ("序号", None)), ("name", ("名称", None))))
    calendar = MonthlyDelivery(
        day=5, time=dt.time(9, 30), formats=("csv-bom",), correction_day=20, repeat_day=25
    )
    out = Deliveries(("x",), ("redeliveries", "repeated_deliveries"))
    first = deliver_month(
        out,
        calendar,
        layout,
        tmp_path / "2015-03" / "报表",
        [{"name": "甲"}, {"name": "乙"}],
        2015,
        3,
        corrected=[{"name": "甲"}],
        repeated=True,
    )
    summary = out.summary()
    names = [path.name for path in summary.files]
    assert names == ["报表.csv", "报表_更正.csv", "报表_重复报送.csv"]
    assert first.read_bytes() == "\ufeff序号,名称\r\n1,甲\r\n2,乙\r\n".encode()
    assert (first.parent / "报表_重复报送.csv").read_bytes() == first.read_bytes()
    assert dict(summary.other_counts) == {"redeliveries": 1, "repeated_deliveries": 1}
    assert [summary.rows_per_file[path] for path in summary.files] == [2, 1, 2]
    stamps = [dt.datetime.fromtimestamp(path.stat().st_mtime) for path in summary.files]
    assert len(set(stamps)) == 3 and stamps == sorted(stamps)
