-- grain: one row per school, section (primary | junior) and period
SELECT u.county_code,
       u.period,
       u.school_code,
       s.school_name,
       s.school_type,
       s.ownership,
       s.is_teaching_point,
       u.section,
       u.students,
       u.classes,
       u.shared_share,
       u.is_unit,
       u.in_cv,
       u.scope_note,
       u.file_id
FROM core.fct_school_section AS u
LEFT JOIN core.stg_school_asof AS s
  ON s.school_code = u.school_code
 AND s.period = u.period
