-- grain: one row per received file and period
SELECT period,
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
