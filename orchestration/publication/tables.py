"""What is published: the assessment tables, the mart each comes from, and the key that
identifies a row within a year (diffs). The writer (versions.py), the reader (reader.py) and
the Dagster assets all take the list from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedTable:
    name: str  # in the published file
    source: str  # the working mart
    year_column: str  # the mart's year column; published as assessment_year
    key: tuple[str, ...]  # what identifies a row within a year (diffs)

    def rows_of(self, year: int, schema: str = "") -> str:
        """The mart's rows of one year, with an assessment_year column."""
        year_column = (
            ""
            if self.year_column == "assessment_year"
            else (f"cast({self.year_column} as integer) as assessment_year, ")
        )
        return f"select {year_column}* from {schema}{self.source} where {self.year_column} = {year}"


PUBLISHED_TABLES = (
    PublishedTable("city_targets", "marts.fct_city_targets", "assessment_year", ("kpi_code",)),
    # every catalogue KPI per scope: the city and each county (fct_kpi_facts)
    PublishedTable(
        "kpi_values",
        "marts.fct_kpi_facts",
        "assessment_year",
        ("kpi_code", "scope_type", "scope_code"),
    ),
    PublishedTable(
        "county_scorecard", "marts.fct_county_scorecard", "assessment_year", ("unit_code",)
    ),
    PublishedTable("unit_scorecard", "marts.fct_unit_scorecard", "assessment_year", ("unit_code",)),
    PublishedTable(
        "assessment_items",
        "marts.fct_assessment_items",
        "assessment_year",
        ("scorecard", "unit_code", "component", "item_code"),
    ),
    # 指标追溯: the source rows of every KPI value (docs/bureau-guide.md, 追溯 / Lineage)
    PublishedTable(
        "kpi_lineage",
        "marts.fct_kpi_lineage",
        "assessment_year",
        (
            "kpi_code",
            "scope_type",
            "scope_code",
            "feed",
            "source_sha256",
            "source_row",
            "source_part",
        ),
    ),
)
TABLE_NAMES = tuple(t.name for t in PUBLISHED_TABLES)
BY_NAME = {t.name: t for t in PUBLISHED_TABLES}
