-- grain: one row per received file, county and period, plus one `missing` row per roster school
-- without a loaded return once the period's deadline has passed (audit.missing_return)
SELECT county_code,
       period,
       file_name,
       school_code,
       status,
       n_errors,
       n_violations,
       n_warnings,
       submitted_on,
       received_at,
       file_id,
       archive_path
FROM audit.ingest_file
UNION ALL
SELECT county_code,
       period,
       NULL AS file_name,
       school_code,
       'missing' AS status,
       NULL AS n_errors,
       NULL AS n_violations,
       NULL AS n_warnings,
       NULL AS submitted_on,
       NULL AS received_at,
       NULL AS file_id,
       NULL AS archive_path
FROM audit.missing_return
