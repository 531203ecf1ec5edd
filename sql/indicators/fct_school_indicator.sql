-- grain: one row per school unit (county, school, section), period and R indicator (R1–R7)
-- Judged by the thresholds in force on the first day of the period. Multiply before dividing so
-- integer counts give the correctly rounded quotient; compare unrounded. NULL resource = not reported.
-- The 85 % floor is the exact decimal product threshold × ratio (4.5 × 0.85 = 3.825), not the double
-- product (3.8249999999999997): both factors are decimals of at most 6 places in the policy files,
-- so DECIMAL(18, 6) holds them exactly and their product (12 places) exactly; it is then stored as the
-- double nearest to it, the same double a literal 3.825 gives.
WITH j AS (
    SELECT r.county_code,
           r.period,
           r.school_code,
           r.section,
           r.indicator_code,
           r.students,
           r.resource,
           r.resource * r.per_students / r.students AS value,
           t.value AS threshold,
           t.comparator,
           CAST(CAST(t.value AS DECIMAL(18, 6)) * CAST(f.value AS DECIMAL(18, 6)) AS DOUBLE PRECISION) AS floor,
           r.in_cv,
           r.file_id
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
)
SELECT county_code,
       period,
       school_code,
       section,
       indicator_code,
       students,
       resource,
       value,
       threshold,
       floor,
       CASE
           WHEN resource IS NULL THEN NULL
           WHEN comparator = 'ge' THEN value >= threshold
           WHEN comparator = 'gt' THEN value > threshold
           WHEN comparator = 'le' THEN value <= threshold
           ELSE value < threshold
       END AS meets,
       CASE WHEN resource IS NULL THEN NULL ELSE value >= floor END AS above_floor,
       in_cv,
       file_id,
       CAST(:computed_at AS TIMESTAMP) AS computed_at
FROM j
