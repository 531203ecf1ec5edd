-- grain: one row per school unit (school, section) and period
SELECT c.county_code,
       c.period,
       c.school_code,
       s.school_name,
       c.section,
       c.indicators_met,
       c.indicators_reported,
       c.passes,
       s.ownership,
       c.file_id
FROM core.fct_school_compliance AS c
LEFT JOIN core.stg_school_asof AS s
  ON s.school_code = c.school_code
 AND s.period = c.period
