-- grain: one row per school and period: the version of core.dim_school valid in that period
-- (SCD type 2: valid_from is the version's first period, valid_to the next version's first, NULL = current).
SELECT p.period,
       s.school_code,
       s.school_sk,
       s.county_code,
       s.school_name,
       s.school_type,
       s.township,
       s.urban_rural,
       s.is_boarding,
       s.ownership,
       s.is_teaching_point,
       s.parent_school_code,
       s.founded_year
FROM core.dim_period AS p
JOIN core.dim_school AS s
  ON s.valid_from <= p.period
 AND (s.valid_to IS NULL OR p.period < s.valid_to)
