-- grain: one row per school unit (county, school, section) and period
-- School rule: at least R_MIN_MET indicators met and every unmet one at or above its floor
-- (85 % of the threshold). Unknown (NULL) when any indicator was not reported.
SELECT i.county_code,
       i.period,
       i.school_code,
       i.section,
       SUM(CASE WHEN i.meets THEN 1 ELSE 0 END) AS indicators_met,
       COUNT(i.value) AS indicators_reported,
       COUNT(*) AS indicators_total,
       CASE
           WHEN COUNT(i.value) < COUNT(*) THEN NULL
           WHEN SUM(CASE WHEN i.meets THEN 1 ELSE 0 END) >= MAX(m.value)
            AND SUM(CASE WHEN NOT i.meets AND NOT i.above_floor THEN 1 ELSE 0 END) = 0 THEN TRUE
           ELSE FALSE
       END AS passes,
       MAX(i.file_id) AS file_id,
       CAST(:computed_at AS TIMESTAMP) AS computed_at
FROM core.fct_school_indicator AS i
JOIN core.dim_period AS p
  ON p.period = i.period
JOIN core.dim_threshold AS m
  ON m.county_code = i.county_code
 AND m.indicator_code = 'R_MIN_MET'
 AND m.measure = 'count'
 AND p.period_start >= m.valid_from
 AND (m.valid_to IS NULL OR p.period_start < m.valid_to)
WHERE i.county_code = :county_code
  AND i.period = :period
GROUP BY i.county_code, i.period, i.school_code, i.section
