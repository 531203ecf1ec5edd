-- grain: one row per school unit (county, school, section), period and R indicator (R1–R7)
-- The numerator of each resource indicator and its per-student multiplier (×100 for "每百名学生").
SELECT county_code, period, school_code, section, file_id, students, is_unit, in_cv,
       'R1' AS indicator_code, teachers_above_required_degree AS resource, 100.0 AS per_students
FROM core.fct_school_section
UNION ALL
SELECT county_code, period, school_code, section, file_id, students, is_unit, in_cv,
       'R2', backbone_teachers, 100.0
FROM core.fct_school_section
UNION ALL
-- R3: 体育 + 艺术 teachers, summed at load time under the r3_art_teachers choice (tasks/units.py).
SELECT county_code, period, school_code, section, file_id, students, is_unit, in_cv,
       'R3', r3_teachers, 100.0
FROM core.fct_school_section
UNION ALL
-- R4 leaves indoor sports rooms out: they count toward sports area (R5).
SELECT county_code, period, school_code, section, file_id, students, is_unit, in_cv,
       'R4', teaching_aux_area_m2 - indoor_sports_area_m2, 1.0
FROM core.fct_school_section
UNION ALL
SELECT county_code, period, school_code, section, file_id, students, is_unit, in_cv,
       'R5', sports_ground_area_m2 + indoor_sports_area_m2, 1.0
FROM core.fct_school_section
UNION ALL
SELECT county_code, period, school_code, section, file_id, students, is_unit, in_cv,
       'R6', equipment_value_yuan, 1.0
FROM core.fct_school_section
UNION ALL
SELECT county_code, period, school_code, section, file_id, students, is_unit, in_cv,
       'R7', multimedia_classrooms, 100.0
FROM core.fct_school_section
