-- KPI 指标值 (long format): one row per KPI, year and scope with a computed value, next to
-- its catalogue target, the prior year's value and whether the target is met.
-- The prior year's value is last year's computed value when there is one (the data of
-- record), else the 上年数值 the unit declared in this year's annual report
-- (reported_prior_value); prior_value_source says which.

with

kpi_values as (

    select * from {{ ref('int_kpi_values__unioned') }}

),

catalogue as (

    select * from {{ ref('ref_kpi_catalogue') }}

),

counties as (

    select * from {{ ref('ref_counties') }}

),

with_prior as (

    select
        kpi_values.*,
        lag(kpi_values.actual_value) over (
            partition by kpi_values.kpi_code, kpi_values.scope_type, kpi_values.scope_code
            order by kpi_values.kpi_year
        ) as prior_actual_value,
        lag(kpi_values.kpi_year) over (
            partition by kpi_values.kpi_code, kpi_values.scope_type, kpi_values.scope_code
            order by kpi_values.kpi_year
        ) as prior_year
    from kpi_values

),

joined as (

    select
        with_prior.kpi_code,
        catalogue.kpi_name,
        with_prior.kpi_year,
        with_prior.scope_type,
        with_prior.scope_code,
        case
            when with_prior.scope_type = 'city' then '{{ var("city_name") }}'
            else counties.county_name
        end as scope_name,
        with_prior.actual_value,
        with_prior.numerator,
        with_prior.denominator,
        catalogue.unit,
        catalogue.comparator,
        catalogue.target_value,
        catalogue.scope as target_scope,
        -- a gap year is not "the prior year": no year-on-year value across it
        case
            when with_prior.prior_year = with_prior.kpi_year - 1
                then with_prior.prior_actual_value
        end as computed_prior_value,
        with_prior.reported_prior_value,
        with_prior.source_rows
    from with_prior
    inner join catalogue on with_prior.kpi_code = catalogue.kpi_code
    left join counties
        on with_prior.scope_type = 'county' and with_prior.scope_code = counties.county_code

),

with_prior_value as (

    select
        * exclude (computed_prior_value, reported_prior_value),
        -- the data of record wins over a declaration
        coalesce(computed_prior_value, reported_prior_value) as prior_year_value,
        case
            when computed_prior_value is not null then 'computed'
            when reported_prior_value is not null then 'reported'
        end as prior_value_source
    from joined

),

with_status as (

    select
        *,
        actual_value - prior_year_value as yoy_change,
        case
            -- a county's share of a city-wide total (e.g. 200 批次) is not held to the total
            when
                scope_type != 'city'
                and target_scope = 'city'
                and comparator in ('gte', 'lte')
                and unit != '%'
                then 'not_assessed'
            else {{ kpi_status('comparator', 'actual_value', 'target_value', 'prior_year_value') }}
        end as status
    from with_prior_value

),

labelled as (

    select
        *,
        {{ kpi_status_label('status') }} as status_label
    from with_status

)

select * from labelled
