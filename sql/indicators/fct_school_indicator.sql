-- grain: one row per school unit (county, school, section), period and R indicator (R1–R7)
-- Judged by the thresholds in force on the first day of the period. Multiply before dividing so
-- integer counts give the correctly rounded quotient; compare unrounded. NULL resource = not reported.
SELECT r.county_code,
       r.period,
       r.school_code,
       r.section,
       r.indicator_code,
       r.students,
       r.resource,
       r.resource * r.per_students / r.students AS value,
       t.value AS threshold,
       t.value * f.value AS floor,
       CASE
           WHEN r.resource IS NULL THEN NULL
           WHEN t.comparator = 'ge' THEN r.resource * r.per_students / r.students >= t.value
           WHEN t.comparator = 'gt' THEN r.resource * r.per_students / r.students > t.value
           WHEN t.comparator = 'le' THEN r.resource * r.per_students / r.students <= t.value
           ELSE r.resource * r.per_students / r.students < t.value
       END AS meets,
       CASE
           WHEN r.resource IS NULL THEN NULL
           ELSE r.resource * r.per_students / r.students >= t.value * f.value
       END AS above_floor,
       r.in_cv,
       r.file_id,
       CAST(:computed_at AS TIMESTAMP) AS computed_at
FROM core.stg_unit_resource AS r
JOIN core.dim_period AS p
  ON p.period = r.period
JOIN core.dim_threshold AS t
  ON t.county_code = r.county_code
 AND t.indicator_code = r.indicator_code
 AND t.section = r.section
 AND t.measure = 'value'
 AND t.scope = 'school_unit'
 AND p.period_start >= t.valid_from
 AND (t.valid_to IS NULL OR p.period_start < t.valid_to)
JOIN core.dim_threshold AS f
  ON f.county_code = r.county_code
 AND f.indicator_code = 'R_FLOOR'
 AND f.measure = 'ratio'
 AND p.period_start >= f.valid_from
 AND (f.valid_to IS NULL OR p.period_start < f.valid_to)
WHERE r.county_code = :county_code
  AND r.period = :period
  AND r.is_unit
