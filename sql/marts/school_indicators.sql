-- grain: one row per school unit (school, section), period and R indicator (R1–R7)
SELECT i.county_code,
       i.period,
       i.school_code,
       s.school_name,
       i.section,
       i.indicator_code,
       i.value,
       i.threshold,
       i.meets,
       i.floor,
       i.above_floor,
       i.students,
       i.resource,
       i.in_cv,
       i.file_id
FROM core.fct_school_indicator AS i
LEFT JOIN core.stg_school_asof AS s
  ON s.school_code = i.school_code
 AND s.period = i.period
