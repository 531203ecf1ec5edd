-- grain: one row per school unit in a county CV (section, R indicator) and period
SELECT c.county_code,
       c.period,
       c.school_code,
       s.school_name,
       c.section,
       c.indicator_code,
       c.students,
       c.value,
       c.threshold,
       c.weight_share,
       c.mean,
       c.cv,
       c.cv_limit,
       c.cv_method,
       c.contribution_share,
       c.cv_contribution,
       c.cv_if_mean,
       c.cv_if_threshold,
       c.plan_step,
       c.plan_target,
       c.plan_need,
       c.plan_cv_after
FROM core.fct_cv_contribution AS c
LEFT JOIN core.stg_school_asof AS s
  ON s.school_code = c.school_code
 AND s.period = c.period
