-- grain: one row per outlier finding (school unit, R indicator, method) and period
SELECT o.county_code,
       o.period,
       o.school_code,
       s.school_name,
       o.section,
       o.indicator_code,
       o.method,
       o.value,
       o.center,
       o.spread,
       o.spread_kind,
       o.score,
       o.band_low,
       o.band_high,
       o.n_ref,
       o.severity,
       o.message
FROM core.fct_outlier AS o
LEFT JOIN core.stg_school_asof AS s
  ON s.school_code = o.school_code
 AND s.period = o.period
