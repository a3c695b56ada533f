-- Every computed KPI value in one long table. Each KPI has its own int_kpi__* model with
-- the same columns; adding a KPI means adding its model to this list (docs/architecture.md).

{% set kpi_models = [
    'int_kpi__manufacturing_pass_rate',
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
