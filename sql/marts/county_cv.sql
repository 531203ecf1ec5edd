-- grain: one row per county (county_code), period, section and R indicator (R1–R7)
SELECT county_code,
       period,
       section,
       indicator_code,
       cv,
       cv_limit,
       meets,
       n_units,
       mean,
       students,
       cv_method,
       cv_weighted,
       cv_unweighted
FROM core.fct_county_indicator
