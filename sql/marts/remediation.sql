-- grain: one row per school unit (school, section), missed R indicator and period
SELECT r.county_code,
       r.period,
       r.school_code,
       s.school_name,
       r.section,
       r.indicator_code,
       r.students,
       r.resource,
       r.value,
       r.threshold,
       r.floor,
       r.below_floor,
       r.resource_unit,
       r.need_to_threshold,
       r.need_to_threshold_whole,
       r.need_to_floor,
       r.need_to_floor_whole
FROM core.fct_remediation AS r
LEFT JOIN core.stg_school_asof AS s
  ON s.school_code = r.school_code
 AND s.period = r.period
