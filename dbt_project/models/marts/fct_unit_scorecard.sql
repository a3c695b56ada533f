-- 市直部门质量工作考核得分表: one row per department or agency and assessment year, with the
-- component scores, total, rank and year-on-year movement (items in fct_assessment_items).

{{ scorecard('unit') }}
