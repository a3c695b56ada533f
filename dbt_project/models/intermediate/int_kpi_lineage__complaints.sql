-- Lineage of 受理申诉举报办结率 (COMPLAINT_CLOSURE_RATE): one row per current ticket row counted
-- in a value's denominator (办理期限已届满的受理件数), from the same counted rows as
-- int_kpi__complaints (macro complaints_kpi_rows). A city value lists the tickets of every
-- county; a value without due tickets lists none.

with

{{ complaints_kpi_rows() }}

select
    'COMPLAINT_CLOSURE_RATE' as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    cast(scope_type as varchar) as scope_type,
    cast(scope_code as varchar) as scope_code,
    'complaints' as feed,
    cast(source_sha256 as varchar) as source_sha256,
    cast(source_row as integer) as source_row,
    cast(null as varchar) as source_part
from kpi_rows
