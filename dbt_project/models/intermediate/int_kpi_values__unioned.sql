-- Every computed KPI value in one long table. Each KPI has its own int_kpi__* model with
-- the same columns; adding a KPI means adding its model to this list (docs/architecture.md).

{% set kpi_models = [
    'int_kpi__spot_checks',
    'int_kpi__construction_acceptance',
    'int_kpi__special_equipment',
    'int_kpi__complaints',
    'int_kpi__incidents',
    'int_kpi__service_satisfaction',
    'int_kpi__air_quality',
    'int_kpi__surface_water',
    'int_kpi__drinking_water',
    'int_kpi__sewage',
    'int_kpi__environment',
    'int_kpi__submitted_metrics',
] %}

{% for kpi_model in kpi_models %}
    select
        kpi_code,
        kpi_year,
        scope_type,
        scope_code,
        numerator,
        denominator,
        actual_value,
        reported_prior_value,
        source_rows
    from {{ ref(kpi_model) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
