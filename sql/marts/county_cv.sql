-- grain: one row per county (county_code), period, section and R indicator (R1–R7)
-- n_missing / missing_units: the units in CV scope left out because their value is not reported
-- (the CV is computed over the reported ones only), so the CV line can say how many and which.
WITH missing AS (
    SELECT i.county_code,
           i.period,
           i.section,
           i.indicator_code,
           COUNT(*) AS n_missing,
           STRING_AGG(
               COALESCE(s.school_name, i.school_code)
               || CASE i.section WHEN 'primary' THEN '（小学）' WHEN 'junior' THEN '（初中）' ELSE '' END,
               '、' ORDER BY i.school_code
           ) AS missing_units
    FROM core.fct_school_indicator AS i
    LEFT JOIN core.stg_school_asof AS s
      ON s.school_code = i.school_code
     AND s.period = i.period
    WHERE i.in_cv
      AND i.value IS NULL
    GROUP BY i.county_code, i.period, i.section, i.indicator_code
)
SELECT c.county_code,
       c.period,
       c.section,
       c.indicator_code,
       c.cv,
       c.cv_limit,
       c.meets,
       c.n_units,
       c.mean,
       c.students,
       c.cv_method,
       c.cv_weighted,
       c.cv_unweighted,
       CAST(COALESCE(m.n_missing, 0) AS INTEGER) AS n_missing,
       m.missing_units
FROM core.fct_county_indicator AS c
LEFT JOIN missing AS m
  ON m.county_code = c.county_code
 AND m.period = c.period
 AND m.section = c.section
 AND m.indicator_code = c.indicator_code
