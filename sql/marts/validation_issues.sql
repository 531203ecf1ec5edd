-- grain: one row per finding (period, file, sheet, cell, rule)
SELECT county_code,
       period,
       file_name,
       school_code,
       section,
       sheet,
       cell,
       rule,
       severity,
       value,
       message,
       file_id
FROM audit.validation_issue
