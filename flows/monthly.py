"""The monthly flow: archive → read → validate → load → compute → policy check → publish."""

from __future__ import annotations

import uuid
from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from flows.runner import as_is, flow_task_runner
from junheng.settings import load_settings, previous_period
from tasks.ingest.prefect_tasks import (
    archive_inbox_task,
    check_output_task,
    missing_returns_task,
    record_received_task,
    roster_check_task,
)
from tasks.ingest.preflight import check_run_parameters
from tasks.model.prefect_tasks import check_policy_task, fetch_marts_task, load_county_task, load_run_task
from tasks.notify.prefect_tasks import alerts_task
from tasks.publish.prefect_tasks import county_report_task, feedback_task, publish_task
from tasks.publish.summary import build_summary
from tasks.read.incremental import Reread
from tasks.read.prefect_tasks import read_incremental_task
from tasks.validate.prefect_tasks import validate_task


@flow(name="monthly-returns", task_runner=flow_task_runner())  # Dask when JUNHENG_DASK_ADDRESS is set
def monthly_returns(
    period: str | None = None,
    inbox: str | None = None,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
    out_dir: str | None = None,
    reread: Reread = "new",
    county_code: str | None = None,
) -> dict[str, object]:
    """Ingest one period's school returns from ``inbox`` and publish the period's reports.

    ``period`` defaults to the previous month (the scheduled run), ``inbox`` to
    ``<data_dir>/inbox/<period>``. Rerunning a period is safe: every load replaces its
    (school, period) slices. ``reread``: ``new`` reads only files not yet processed for the period
    (by sha256), ``failed`` only the rejected ones again, ``all`` everything.

    ``county_code`` (6-digit 行政区划代码; default JUNHENG_COUNTY_CODE, else 000000 = one county)
    keys every row this run writes, so several counties can share one warehouse and data directory:
    a county with a code set gets its own level in the default inbox, the reports and the quarantine
    (``inbox/<county_code>/<period>``, ``<out>/<county_code>/<period>``).
    """
    settings = load_settings(
        warehouse_url=warehouse_url, data_dir=Path(data_dir) if data_dir else None, county_code=county_code
    )
    cc = settings.county_code
    period = period or previous_period()
    check_run_parameters(period, reread)  # however the flow is called: a deployment, a script, the CLI
    inbox = inbox or str(settings.inbox_dir(period))
    url = settings.resolved_warehouse_url()
    run_id = str(flow_run.id or uuid.uuid4())  # the flow run's id: a retried run resumes its cached steps
    # Before the warehouse is touched (the period's report and quarantine folders included); a county's
    # own folder when a county code is set.
    quarantine = settings.county_dir(settings.data_dir / "quarantine") / period
    out = check_output_task(settings.county_dir(Path(out_dir) if out_dir else settings.out_dir), period, (quarantine,))
    files = archive_inbox_task(Path(inbox), settings.archive_dir) if reread != "failed" else []
    files = record_received_task(url, period, as_is(files), run_id, reread, county_code=cc)  # before parsing
    # as_is(): large arguments go to the tasks without Prefect walking through them (flows.runner).
    batch = read_incremental_task(url, period, as_is(files), reread, county_code=cc)  # county return set apart
    county = load_county_task(url, period, batch.county_files, run_id, county_code=cc)  # the models judge it
    findings = roster_check_task(url, as_is(batch), as_is(validate_task(as_is(batch), period, url, cc)), county_code=cc)
    loaded = load_run_task(url, period, as_is(batch), as_is(findings), settings, run_id)  # settings: county code
    del batch, findings  # loaded: the reports read the warehouse, so the batch's memory can go now
    n_violations = check_policy_task(url, period, run_id, county_code=cc)
    missing_returns_task(url, period, settings.deadline_day, county_code=cc)
    alerts = alerts_task(url, period, run_id, county_code=cc)
    marts = fetch_marts_task(url, period, county_code=cc)
    summary = build_summary(period, loaded, marts, n_violations, settings, alerts)
    # summary["no_valid_returns"]: no school unit of the period to judge (empty or wrong inbox, every
    # school file rejected; a county return alone judges nothing). The period report then says 无有效报表
    # instead of a verdict, 报送情况 and feedback still tell the schools why their files were rejected, and
    # the county analysis (trends, gaps, plan) is not written.
    reports = publish_task(period, as_is(marts), out, settings, summary)
    if not summary["no_valid_returns"]:
        reports |= county_report_task(url, period, out, settings)  # trends, outliers, gaps, what-if plan
    feedback = feedback_task(url, period, out, settings.data_dir, county_code=cc)  # quarantine, feedback, 报送情况
    reports_out = {**{k: str(v) for k, v in reports.items()}, "feedback": str(feedback["overview"])}
    return {**summary, **county, "reports": reports_out, "run_id": run_id, "warehouse_url": url}
