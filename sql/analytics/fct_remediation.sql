-- grain: one row per school unit (county, school, section), missed R indicator (meets = FALSE) and period
-- What the unit needs to reach the threshold and the 85 % floor, in the indicator's own terms
-- (teachers 人, m² 平方米, 元, rooms 间): need = target × P / per_students − resource, never below 0.
-- The *_whole columns round up to a whole unit (a school cannot hire 0.4 teachers); the 1e-6 slack
-- keeps an exact need such as 4.2 × 500 / 100 − 20 = 1.0000000000000036 at 1, not 2.
WITH r AS (
    SELECT i.county_code,
           i.period,
           i.school_code,
           i.section,
           i.indicator_code,
           i.students,
           i.resource,
           i.value,
           i.threshold,
           i.floor,
           u.per_students,
           i.threshold * i.students / u.per_students - i.resource AS to_threshold,
           i.floor * i.students / u.per_students - i.resource AS to_floor
    FROM core.fct_school_indicator AS i
    JOIN core.stg_unit_resource AS u
      ON u.county_code = i.county_code
     AND u.period = i.period
     AND u.school_code = i.school_code
     AND u.section = i.section
     AND u.indicator_code = i.indicator_code
    WHERE i.county_code = :county_code
      AND i.period = :period
      AND i.meets = FALSE
      AND i.resource IS NOT NULL
)
SELECT county_code,
       period,
       school_code,
       section,
       indicator_code,
       students,
       resource,
       value,
       threshold,
       floor,
       per_students,
       CASE
           WHEN indicator_code IN ('R1', 'R2', 'R3') THEN '人'
           WHEN indicator_code IN ('R4', 'R5') THEN '平方米'
           WHEN indicator_code = 'R6' THEN '元'
           ELSE '间'
       END AS resource_unit,
       CASE WHEN to_threshold > 0 THEN to_threshold ELSE 0 END AS need_to_threshold,
       CASE WHEN to_floor > 0 THEN to_floor ELSE 0 END AS need_to_floor,
       CASE WHEN to_threshold > 0.000001 THEN CEIL(to_threshold - 0.000001) ELSE 0 END AS need_to_threshold_whole,
       CASE WHEN to_floor > 0.000001 THEN CEIL(to_floor - 0.000001) ELSE 0 END AS need_to_floor_whole,
       value < floor AS below_floor,
       CAST(:computed_at AS TIMESTAMP) AS computed_at
FROM r
