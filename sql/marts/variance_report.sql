-- grain: one row per subject (school unit, or the county CV with school_code NULL), section, R indicator and period
SELECT v.county_code,
       v.period,
       v.level,
       v.school_code,
       s.school_name,
       v.section,
       v.indicator_code,
       v.measure,
       v.value,
       v.prev_period,
       v.prev_value,
       v.change_abs,
       v.change_pct,
       v.change_bound,
       v.flagged
FROM core.fct_variance AS v
LEFT JOIN core.stg_school_asof AS s
  ON s.school_code = v.school_code
 AND s.period = v.period
