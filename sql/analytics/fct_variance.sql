-- grain: one row per subject (school unit, or the county CV with school_code NULL), section, R indicator and period
-- Period over period: the change from the latest earlier period in which the same subject was
-- reported, within the same county. change_pct is relative to |previous|; flagged when it exceeds
-- :change_bound (a change away from a previous 0 is always flagged). NULL value = not reported: no change is guessed.
WITH unit_now AS (
    SELECT county_code, period, school_code, section, indicator_code, value
    FROM core.fct_school_indicator
    WHERE county_code = :county_code AND period = :period
),
unit_prev_period AS (
    SELECT n.school_code, n.section, n.indicator_code, MAX(h.period) AS prev_period
    FROM unit_now AS n
    JOIN core.fct_school_indicator AS h
      ON h.county_code = n.county_code
     AND h.school_code = n.school_code
     AND h.section = n.section
     AND h.indicator_code = n.indicator_code
     AND h.period < n.period
     AND h.value IS NOT NULL
    GROUP BY n.school_code, n.section, n.indicator_code
),
units AS (
    SELECT n.county_code,
           n.period,
           CAST('school_unit' AS VARCHAR(12)) AS level,
           n.school_code,
           n.section,
           n.indicator_code,
           CAST('value' AS VARCHAR(8)) AS measure,
           n.value,
           pp.prev_period,
           h.value AS prev_value
    FROM unit_now AS n
    LEFT JOIN unit_prev_period AS pp
      ON pp.school_code = n.school_code
     AND pp.section = n.section
     AND pp.indicator_code = n.indicator_code
    LEFT JOIN core.fct_school_indicator AS h
      ON h.county_code = n.county_code
     AND h.period = pp.prev_period
     AND h.school_code = n.school_code
     AND h.section = n.section
     AND h.indicator_code = n.indicator_code
),
county_now AS (
    SELECT county_code, period, section, indicator_code, cv
    FROM core.fct_county_indicator
    WHERE county_code = :county_code AND period = :period
),
county_prev_period AS (
    SELECT n.section, n.indicator_code, MAX(h.period) AS prev_period
    FROM county_now AS n
    JOIN core.fct_county_indicator AS h
      ON h.county_code = n.county_code
     AND h.section = n.section
     AND h.indicator_code = n.indicator_code
     AND h.period < n.period
     AND h.cv IS NOT NULL
    GROUP BY n.section, n.indicator_code
),
county AS (
    SELECT n.county_code,
           n.period,
           CAST('county' AS VARCHAR(12)) AS level,
           CAST(NULL AS VARCHAR(10)) AS school_code,
           n.section,
           n.indicator_code,
           CAST('cv' AS VARCHAR(8)) AS measure,
           n.cv AS value,
           pp.prev_period,
           h.cv AS prev_value
    FROM county_now AS n
    LEFT JOIN county_prev_period AS pp
      ON pp.section = n.section
     AND pp.indicator_code = n.indicator_code
    LEFT JOIN core.fct_county_indicator AS h
      ON h.county_code = n.county_code
     AND h.period = pp.prev_period
     AND h.section = n.section
     AND h.indicator_code = n.indicator_code
),
both_levels AS (
    SELECT * FROM units
    UNION ALL
    SELECT * FROM county
)
SELECT b.county_code,
       b.period,
       b.level,
       b.school_code,
       b.section,
       b.indicator_code,
       b.measure,
       b.value,
       b.prev_period,
       b.prev_value,
       b.value - b.prev_value AS change_abs,
       CASE WHEN b.prev_value <> 0 THEN (b.value - b.prev_value) / ABS(b.prev_value) END AS change_pct,
       CAST(:change_bound AS DOUBLE PRECISION) AS change_bound,
       CASE
           WHEN b.value IS NULL OR b.prev_value IS NULL THEN NULL
           WHEN b.prev_value = 0 THEN b.value <> 0
           ELSE ABS(b.value - b.prev_value) / ABS(b.prev_value) > CAST(:change_bound AS DOUBLE PRECISION)
       END AS flagged,
       CAST(:computed_at AS TIMESTAMP) AS computed_at
FROM both_levels AS b
