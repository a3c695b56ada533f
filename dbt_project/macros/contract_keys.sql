{#- Generated from orchestration/feeds/<feed>.yaml (`key`) by
    `python -m orchestration.contracts.dbt_keys --write`: do not edit. -#}
{% macro contract_key_columns(feed) %}
    {%- set keys = {
        'air_quality_daily': ['obs_date'],
        'air_quality_hourly': ['obs_date', 'obs_hour', 'station_code'],
        'complaints': ['hotline_code', 'ticket_no'],
        'construction_acceptance': ['project_id', 'accepted_on'],
        'drinking_water': ['source_code', 'sampled_on'],
        'incidents': ['incident_id'],
        'service_satisfaction': ['institute', 'survey_id', 'sector_code', 'county_code'],
        'sewage': ['stat_month', 'row_type', 'plant_code'],
        'special_equipment': ['report_no'],
        'spot_checks': ['sample_no'],
        'surface_water': ['section_code', 'sampled_on']
    } -%}
    {{ return(keys[feed]) }}
{% endmacro %}
