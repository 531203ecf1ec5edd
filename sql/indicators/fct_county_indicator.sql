-- grain: one row per county, period, section and R indicator (R1–R7)
-- 校际差异系数 over the units in CV scope: weighted by enrollment P_i (official method)
--   mean = Σ P_i·X_i / Σ P_i,  S = sqrt(Σ P_i·(X_i − mean)² / Σ P_i),  CV = S / mean
-- and the unweighted population CV beside it; :cv_method picks the one judged.
WITH u AS (
    SELECT county_code, period, section, indicator_code, students AS p, value AS x
    FROM core.fct_school_indicator
    WHERE county_code = :county_code AND period = :period AND in_cv AND value IS NOT NULL
),
m AS (
    SELECT county_code, period, section, indicator_code,
           COUNT(*) AS n, SUM(p) AS p_total,
           SUM(p * x) / SUM(p) AS w_mean,
           AVG(x) AS u_mean
    FROM u
    GROUP BY county_code, period, section, indicator_code
),
d AS (
    SELECT m.county_code, m.period, m.section, m.indicator_code, m.n, m.p_total, m.w_mean, m.u_mean,
           SUM(u.p * (u.x - m.w_mean) * (u.x - m.w_mean)) / m.p_total AS w_var,
           SUM((u.x - m.u_mean) * (u.x - m.u_mean)) / m.n AS u_var
    FROM m
    JOIN u ON u.county_code = m.county_code AND u.period = m.period AND u.section = m.section AND u.indicator_code = m.indicator_code
    GROUP BY m.county_code, m.period, m.section, m.indicator_code, m.n, m.p_total, m.w_mean, m.u_mean
),
c AS (
    SELECT d.*,
           CASE WHEN d.w_mean > 0 THEN SQRT(d.w_var) / d.w_mean END AS cv_weighted,
           CASE WHEN d.u_mean > 0 THEN SQRT(d.u_var) / d.u_mean END AS cv_unweighted
    FROM d
)
SELECT c.county_code,
       c.period,
       c.section,
       c.indicator_code,
       c.n AS n_units,
       c.p_total AS students,
       CASE WHEN :cv_method = 'weighted' THEN c.w_mean ELSE c.u_mean END AS mean,
       c.cv_weighted,
       c.cv_unweighted,
       CAST(:cv_method AS VARCHAR(10)) AS cv_method,
       CASE WHEN :cv_method = 'weighted' THEN c.cv_weighted ELSE c.cv_unweighted END AS cv,
       t.value AS cv_limit,
       CASE
           WHEN (CASE WHEN :cv_method = 'weighted' THEN c.cv_weighted ELSE c.cv_unweighted END) IS NULL THEN NULL
           ELSE (CASE WHEN :cv_method = 'weighted' THEN c.cv_weighted ELSE c.cv_unweighted END) <= t.value
       END AS meets,
       CAST(:computed_at AS TIMESTAMP) AS computed_at
FROM c
JOIN core.dim_period AS p
  ON p.period = c.period
LEFT JOIN core.dim_threshold AS t
  ON t.county_code = c.county_code
 AND t.indicator_code = c.indicator_code
 AND t.section = c.section
 AND t.measure = 'cv'
 AND p.period_start >= t.valid_from
 AND (t.valid_to IS NULL OR p.period_start < t.valid_to)
