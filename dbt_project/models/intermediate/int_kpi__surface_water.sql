-- Placeholder until the feed's KPIs land (same columns as every int_kpi__ model).
select
    cast(null as varchar) as kpi_code,
    cast(null as integer) as kpi_year,
    cast(null as varchar) as scope_type,
    cast(null as varchar) as scope_code,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    cast(null as double) as actual_value,
    cast(null as double) as reported_prior_value,
    cast(null as bigint) as source_rows
where false
