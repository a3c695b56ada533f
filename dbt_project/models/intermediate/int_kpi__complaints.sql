-- 受理申诉举报办结率 (KPI COMPLAINT_CLOSURE_RATE): 已办结件数 ÷ 办理期限已届满的受理件数 × 100,
-- all hotlines pooled, for the city and each county-level unit.
-- Readings (docs/feeds/complaints.md):
-- * a ticket counts in the year its handling deadline falls in: the export's 办理期限 when it
--   has one, else 登记日 + the hotline's deadline_days (ref_complaint_hotlines);
-- * counted: accepted tickets (not 不予受理) that are not 咨询, whose deadline day is over by
--   the data date, the receipt day of the newest current export (how far the platform's
--   knowledge of ticket states reaches);
-- * 已办结 = closed or withdrawn in the ticket's current export, on time or late;
-- * a year gets rows once tickets were registered in it (tickets of December due in the next
--   year wait for that year's data).

-- The counted rows (due tickets per value) are the macro complaints_kpi_rows, shared with
-- int_kpi_lineage__complaints.

with

{{ complaints_kpi_rows() }},

counted as (

    select
        kpi_year,
        scope_type,
        scope_code,
        count(*) filter (where is_closed) as numerator,
        count(*) as denominator
    from kpi_rows
    group by kpi_year, scope_type, scope_code

),

joined as (

    select
        scopes.kpi_year,
        scopes.scope_type,
        scopes.scope_code,
        coalesce(counted.numerator, 0) as numerator,
        coalesce(counted.denominator, 0) as denominator
    from scopes
    left join counted
        on
            scopes.kpi_year = counted.kpi_year
            and scopes.scope_type = counted.scope_type
            and scopes.scope_code = counted.scope_code

)

select
    'COMPLAINT_CLOSURE_RATE' as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    case
        when denominator > 0 then round(100.0 * numerator / denominator, 4)
    end as actual_value,
    cast(null as double) as reported_prior_value,
    cast(denominator as bigint) as source_rows
from joined
