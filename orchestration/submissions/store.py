"""The raw tables a submission lands in. One processed file is one version; its rows go to
the data tables (cover, task progress, metric values) or to raw.quarantine. Nothing is ever
updated or deleted: which version is current is decided downstream, in dbt."""

from __future__ import annotations

import duckdb

from orchestration.ingest.loader import BOOKKEEPING_DDL, LINEAGE_COLUMNS

_LINEAGE = ",\n    ".join(f"{name} {ddl}" for name, ddl in LINEAGE_COLUMNS.items())

SUBMISSION_DDL = f"""
create schema if not exists raw;
-- One row per processed workbook (a version), recognised or not.
create table if not exists raw.submission_versions (
    sha256 varchar primary key,
    source_file varchar not null,       -- name as delivered, sanitised for display
    file_bytes bigint not null,
    received_at timestamp not null,     -- when the file landed (its modification time)
    ingested_at timestamp not null,
    template_version varchar,
    unit_code varchar,                  -- from the hidden _meta sheet; null if unreadable
    period_code varchar,                -- e.g. 2015Q1, 2015Y
    status varchar not null,            -- accepted | returned | rejected
    rows_read integer not null,
    rows_loaded integer not null,
    rows_quarantined integer not null,
    problem_count integer not null,     -- row problems plus file-level problems
    file_problems json not null,        -- problems not tied to one row (missing rows, cover)
    reason varchar,                     -- why the file was rejected or returned, in short
    feedback_path varchar,
    stored_path varchar,
    check (rows_read = rows_loaded + rows_quarantined),
    check (status in ('accepted', 'returned', 'rejected'))
);
create table if not exists raw.submission_covers (
    unit_code varchar not null,
    period_code varchar not null,
    reporting_unit_name varchar,
    period_label varchar,
    filled_by varchar,
    phone varchar,
    reviewed_by varchar,
    filled_on date,
    {_LINEAGE}
);
create table if not exists raw.submission_task_progress (
    unit_code varchar not null,
    period_code varchar not null,
    task_no integer not null,
    role varchar not null,              -- lead | responsible (as the template assigned it)
    status varchar not null,            -- 未开始 | 进行中 | 已完成 | 逾期
    percent_complete double,
    progress_text varchar,
    evidence varchar,
    completed_on date,
    {_LINEAGE}
);
create table if not exists raw.submission_metric_values (
    unit_code varchar not null,
    period_code varchar not null,
    kpi_code varchar not null,
    metric_kind varchar not null,       -- rate | ratio | boolean | count | rank
    value double,                       -- the KPI value: rates in percent, booleans 1/0
    value_entered double,               -- 本期数值 as typed, normalised (null if blank)
    numerator double,
    denominator double,
    note varchar,
    prior_value double,                 -- 上年数值 as reported (annual reports, year-on-year KPIs)
    {_LINEAGE}
);
-- Warehouses created before 上年数值 existed gain the column (nothing else changes).
alter table raw.submission_metric_values add column if not exists prior_value double;
"""

SUBMISSION_TABLES = (
    "raw.submission_versions",
    "raw.submission_covers",
    "raw.submission_task_progress",
    "raw.submission_metric_values",
)


def ensure_submission_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(BOOKKEEPING_DDL)
    conn.execute(SUBMISSION_DDL)
