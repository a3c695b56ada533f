"""Publication: immutable versions, no new version without new content, readers never block."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.publish import publish


def _warehouse(path: Path, actual: float) -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create schema if not exists raw")
        conn.execute(
            "create or replace table raw.ingested_files as "
            "select 'spot_checks' as feed, 'abc' as sha256, 'loaded' as status"
        )
        conn.execute(
            f"create or replace table marts.fct_city_targets as "
            f"select 'MFG_PASS_RATE' as kpi_code, 2015 as assessment_year, "
            f"{actual}::double as actual_value"
        )
        conn.execute(
            "create or replace table marts.fct_kpi_values as "
            "select 'MFG_PASS_RATE' as kpi_code, '131022' as scope_code"
        )
        for mart in ("fct_county_scorecard", "fct_unit_scorecard", "fct_assessment_items"):
            conn.execute(
                f"create or replace table marts.{mart} as "
                "select 2015 as assessment_year, 'SZJJ' as unit_code, 90.0 as total_score"
            )
    return path


def test_versions_are_immutable_and_readers_are_never_blocked(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "wh.duckdb", 93.1)
    published = tmp_path / "published" / "assessment.duckdb"

    first = publish(warehouse, published)
    assert (first.version, first.created, first.rows) == (
        1,
        True,
        {
            "city_targets": 1,
            "kpi_values": 1,
            "county_scorecard": 1,
            "unit_scorecard": 1,
            "assessment_items": 1,
        },
    )
    assert publish(warehouse, published).created is False  # same content: nothing new

    reader = duckdb.connect(str(published), read_only=True)  # a bureau analyst, left open
    _warehouse(warehouse, 91.0)
    second = publish(warehouse, published)  # must not wait for, or fail on, the reader
    assert (second.version, second.created) == (2, True)
    assert second.content_sha256 != first.content_sha256
    # the open reader keeps the file it opened: version 1 only
    assert reader.execute("select max(version) from publications").fetchall() == [(1,)]
    reader.close()

    with duckdb.connect(str(published), read_only=True) as conn:
        history = conn.execute(
            "select publication_version, actual_value from city_targets order by 1"
        ).fetchall()
        latest = conn.execute("select actual_value from city_targets_latest").fetchall()
        hashes = conn.execute("select content_sha256 from publications order by version").fetchall()
    assert history == [(1, 93.1), (2, 91.0)]  # version 1 is kept unchanged
    assert latest == [(91.0,)]
    assert [h[0] for h in hashes] == [first.content_sha256, second.content_sha256]


def test_a_column_added_to_the_mart_leaves_earlier_versions_untouched(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "wh.duckdb", 93.1)
    published = tmp_path / "assessment.duckdb"
    publish(warehouse, published)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("alter table marts.fct_city_targets add column period_rule varchar")
        conn.execute("update marts.fct_city_targets set period_rule = 'annual'")
    assert publish(warehouse, published).version == 2
    with duckdb.connect(str(published), read_only=True) as conn:
        rows = conn.execute(
            "select publication_version, actual_value, period_rule from city_targets order by 1"
        ).fetchall()
    assert rows == [(1, 93.1, None), (2, 93.1, "annual")]
