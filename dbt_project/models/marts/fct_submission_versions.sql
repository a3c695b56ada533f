-- 报送版本清单: every processed workbook (accepted, returned, rejected), numbered per unit and
-- period by receipt, with the current version marked, its counts and hashes. To read an
-- earlier version's rows, join the staged tables on source_sha256 = sha256. received_at is
-- naive Beijing time, ingested_at naive UTC; ingested_at_beijing puts the latter on the
-- former's clock.

with

versions as (

    select * from {{ ref('int_submissions__versions_ranked') }}

),

units as (

    select * from {{ ref('ref_units') }}

),

-- labels and due dates of every period a version names, worked out once (periods outside the
-- assessment years included, e.g. a mistyped 2099Q1)
periods as (

    select * from {{ ref('int_submissions__periods') }}

),

covers as (

    select
        source_sha256,
        count(*) as cover_rows
    from {{ ref('stg_raw__submission_covers') }}
    group by source_sha256

),

task_rows as (

    select
        source_sha256,
        count(*) as task_rows
    from {{ ref('stg_raw__submission_task_progress') }}
    group by source_sha256

),

metric_rows as (

    select
        source_sha256,
        count(*) as metric_rows
    from {{ ref('stg_raw__submission_metric_values') }}
    group by source_sha256

),

with_period as (

    select
        versions.*,
        units.full_name as unit_name,
        units.short_name as unit_short_name,
        periods.period_label,
        periods.due_date,
        count(versions.version_no) over (
            partition by versions.unit_code, versions.period_code
        ) as versions_in_period,
        any_value(versions.sha256) filter (where versions.is_current) over (
            partition by versions.unit_code, versions.period_code
        ) as current_sha256
    from versions
    left join units on versions.unit_code = units.unit_code
    left join periods
        on
            versions.period_year = periods.period_year
            and versions.period_kind = periods.period_kind

)

select
    with_period.sha256,
    with_period.unit_code,
    with_period.unit_name,
    with_period.unit_short_name,
    with_period.period_code,
    with_period.period_year,
    with_period.period_kind,
    with_period.period_label,
    with_period.due_date,
    with_period.version_no,
    case
        when with_period.version_no is not null
            then cast(with_period.versions_in_period as integer)
    end as versions_in_period,
    with_period.accepted_version_no,
    with_period.is_current,
    with_period.is_first_accepted,
    case
        when with_period.version_no is not null then with_period.current_sha256
    end as current_sha256,
    with_period.status,
    case with_period.status
        when 'accepted' then '已受理'
        when 'returned' then '退回修改'
        else '拒收'
    end as status_label,
    cast(with_period.received_at as timestamp) as received_at,
    -- ingested_at is naive UTC, received_at naive Beijing time (UTC+8, no daylight saving)
    cast(with_period.ingested_at as timestamp) + interval 8 hour as ingested_at_beijing,
    with_period.received_on,
    with_period.received_on > with_period.due_date as received_after_due,
    cast(with_period.ingested_at as timestamp) as ingested_at,
    with_period.source_file,
    cast(with_period.file_bytes as bigint) as file_bytes,
    with_period.template_version,
    cast(with_period.rows_read as integer) as rows_read,
    cast(with_period.rows_loaded as integer) as rows_loaded,
    cast(with_period.rows_quarantined as integer) as rows_quarantined,
    cast(coalesce(covers.cover_rows, 0) as integer) as cover_rows,
    cast(coalesce(task_rows.task_rows, 0) as integer) as task_rows,
    cast(coalesce(metric_rows.metric_rows, 0) as integer) as metric_rows,
    cast(with_period.problem_count as integer) as problem_count,
    with_period.reason,
    with_period.feedback_path,
    with_period.stored_path
from with_period
left join covers on with_period.sha256 = covers.source_sha256
left join task_rows on with_period.sha256 = task_rows.source_sha256
left join metric_rows on with_period.sha256 = metric_rows.source_sha256
