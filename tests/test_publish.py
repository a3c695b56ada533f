"""Publication: immutable versions, no new version without new content, readers never block;
the one reader of the published file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.publication.reader import (
    DiffCounts,
    NotPublished,
    list_versions,
    published_years,
    read_assessment,
    read_diff,
    read_rows,
    read_version,
)
from orchestration.publication.versions import publish_year, publish_years
from tests.published_warehouse import make_warehouse, query


def test_versions_are_immutable_and_readers_are_never_blocked(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "wh.duckdb", actual=93.1)
    published = tmp_path / "published" / "assessment.duckdb"

    first = publish_year(warehouse, published, 2015)
    assert (first.version, first.created) == (1, True)
    assert first.rows == {
        "city_targets": 2,
        "kpi_values": 1,
        "county_scorecard": 1,
        "unit_scorecard": 1,
        "assessment_items": 1,
        "kpi_lineage": 1,
    }
    assert publish_year(warehouse, published, 2015).created is False  # same content

    reader = duckdb.connect(str(published), read_only=True)  # a bureau analyst, left open
    make_warehouse(warehouse, actual=91.0)
    second = publish_year(warehouse, published, 2015)  # must not wait for, or fail on, it
    assert (second.version, second.created) == (2, True)
    assert second.content_sha256 != first.content_sha256
    # the open reader keeps the file it opened: version 1 only
    assert reader.execute("select max(version) from publications").fetchall() == [(1,)]
    reader.close()

    history = query(
        published,
        "select publication_version, actual_value from city_targets "
        "where kpi_code = 'MFG_PASS_RATE' order by 1",
    )
    assert history == [(1, 93.1), (2, 91.0)]  # version 1 is kept unchanged
    latest = query(published, "select distinct actual_value from city_targets_latest")
    assert latest == [(91.0,)]
    hashes = query(published, "select content_sha256 from publications order by version")
    assert [h[0] for h in hashes] == [first.content_sha256, second.content_sha256]


def test_a_column_added_to_the_mart_leaves_earlier_versions_untouched(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "wh.duckdb", actual=93.1)
    published = tmp_path / "assessment.duckdb"
    publish_year(warehouse, published, 2015)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("alter table marts.fct_city_targets add column period_rule varchar")
        conn.execute("update marts.fct_city_targets set period_rule = 'annual'")
    assert publish_year(warehouse, published, 2015).version == 2
    rows = query(
        published,
        "select publication_version, actual_value, period_rule from city_targets "
        "where kpi_code = 'MFG_PASS_RATE' order by 1",
    )
    assert rows == [(1, 93.1, None), (2, 93.1, "annual")]
    # the diff names the new column, for every row
    changes = query(
        published,
        "select distinct change, column_name, old_value, new_value from publication_diffs "
        "where table_name = 'city_targets'",
    )
    assert changes == [("changed", "period_rule", None, "annual")]


def test_a_file_of_global_versions_is_kept_beside_the_per_year_file(tmp_path: Path) -> None:
    published = tmp_path / "assessment.duckdb"
    with duckdb.connect(str(published)) as conn:  # the layout before per-year versions
        conn.execute("create table publications as select 1 as version, 'x' as content_sha256")
    kept = published.read_bytes()
    warehouse = make_warehouse(tmp_path / "wh.duckdb")
    assert publish_year(warehouse, published, 2015).version == 1
    assert (tmp_path / "assessment.global-versions.duckdb").read_bytes() == kept
    assert query(published, "select assessment_year, version from publications") == [(2015, 1)]


def test_the_reader_gives_versions_rows_and_diffs_typed(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "wh.duckdb", years=(2015, 2016), actual=93.1)
    published = tmp_path / "assessment.duckdb"
    with pytest.raises(NotPublished, match="does not exist yet"):
        list_versions(published)
    publish_years(warehouse, published)
    make_warehouse(warehouse, years=(2015, 2016), actual=91.0)
    publish_years(warehouse, published, [2016])

    assert published_years(published) == [2015, 2016]
    assert [(r.assessment_year, r.version) for r in list_versions(published)] == [
        (2015, 1),
        (2016, 1),
        (2016, 2),
    ]
    latest = read_version(published, 2016)
    assert (latest.version, latest.previous_version, latest.row_counts["city_targets"]) == (
        2,
        1,
        2,
    )
    assert latest.content_sha256 == list_versions(published, 2016)[-1].content_sha256
    # the latest version of every year, in year and key order; or one version of one year
    values = read_rows(published, "city_targets", where={"kpi_code": "MFG_PASS_RATE"})
    assert [(r["assessment_year"], r["actual_value"]) for r in values] == [
        (2015, 93.1),
        (2016, 91.0),
    ]
    first = read_rows(published, "city_targets", year=2016, version=1)
    assert [r["kpi_code"] for r in first] == ["FOOD_SAMPLING_FAIL_DETECTION_RATE", "MFG_PASS_RATE"]
    assert {r["actual_value"] for r in first} == {93.1}
    tables = read_assessment(published, 2016, 1, ("city_targets", "county_scorecard"))
    assert (tables.version, len(tables.tables["city_targets"])) == (1, 2)

    diff = read_diff(published, 2016)
    assert (diff.version, diff.previous_version, diff.total) == (2, 1, 2)
    assert diff.of("city_targets") == DiffCounts(rows_changed=2, values_changed=2)
    assert diff.of("kpi_values") == DiffCounts()
    assert diff.rows[0].column_name == "actual_value"
    assert read_diff(published, 2015).previous_version is None
    with pytest.raises(NotPublished, match="no publication version 3 of 2016"):
        read_version(published, 2016, 3)
    with pytest.raises(NotPublished, match="assessment year 2017 is not published"):
        read_diff(published, 2017)


def test_a_double_that_differs_only_beyond_12_digits_is_no_new_version(tmp_path: Path) -> None:
    # A sum of doubles depends on row order, which incremental tables do not keep: the 15th
    # digit moving is no new assessment; a real change still is.
    warehouse, published = tmp_path / "w.duckdb", tmp_path / "published" / "p.duckdb"
    make_warehouse(warehouse, actual=93.1)
    assert [r.version for r in publish_years(warehouse, published)] == [1]

    make_warehouse(warehouse, actual=93.1 * (1 + 1e-14))
    [again] = publish_years(warehouse, published)
    assert (again.version, again.created) == (1, False)

    make_warehouse(warehouse, actual=93.2)
    [changed] = publish_years(warehouse, published)
    assert (changed.version, changed.created) == (2, True)
