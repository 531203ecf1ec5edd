"""The ingest stage's Prefect tasks (the flows import these; the functions stay plain and testable)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from junheng.retry import io_retries
from tasks.ingest.archive import archive_inbox
from tasks.ingest.preflight import check_output_writable
from tasks.ingest.received import record_received
from tasks.ingest.roster import record_missing, with_roster_findings

archive_inbox_task = task(name="archive-inbox", cache_policy=NO_CACHE, **io_retries())(archive_inbox)
record_received_task = task(name="record-received", cache_policy=NO_CACHE, **io_retries())(record_received)
check_output_task = task(name="check-output", cache_policy=NO_CACHE)(check_output_writable)
roster_check_task = task(name="roster-check", cache_policy=NO_CACHE, **io_retries())(with_roster_findings)
missing_returns_task = task(name="missing-returns", cache_policy=NO_CACHE, **io_retries())(record_missing)
