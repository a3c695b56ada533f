"""Publication: immutable versions, no new version without new content, readers never block."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.publication.versions import publish_year
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
