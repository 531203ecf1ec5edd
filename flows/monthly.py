"""The monthly flow: archive → read → validate → load → compute → policy check → publish."""

from __future__ import annotations

import uuid
from pathlib import Path

from prefect import flow

from junheng.settings import load_settings, previous_period
from tasks.ingest import archive_inbox_task
from tasks.load import check_policy_task, fetch_marts_task, load_run_task
from tasks.read import read_returns_task
from tasks.report import publish_task
from tasks.summary import build_summary
from tasks.validate import validate_task


@flow(name="monthly-returns")
def monthly_returns(
    period: str | None = None,
    inbox: str | None = None,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
    out_dir: str | None = None,
) -> dict[str, object]:
    """Ingest one period's school returns from ``inbox`` and publish the period's reports.

    ``period`` defaults to the previous month (the scheduled run), ``inbox`` to
    ``<data_dir>/inbox/<period>``. Rerunning a period is safe: every load replaces its
    (school, period) slices.
    """
    settings = load_settings(warehouse_url=warehouse_url, data_dir=Path(data_dir) if data_dir else None)
    period = period or previous_period()
    inbox = inbox or str(settings.data_dir / "inbox" / period)
    url = settings.resolved_warehouse_url()
    run_id = str(uuid.uuid4())
    files = archive_inbox_task(Path(inbox), settings.archive_dir)
    batch = read_returns_task(files)
    findings = validate_task(batch, period)
    loaded = load_run_task(url, period, batch, findings, settings, run_id)
    n_violations = check_policy_task(url, period, run_id)
    marts = fetch_marts_task(url, period)
    summary = build_summary(period, loaded, marts, n_violations, settings)
    reports = publish_task(period, marts, Path(out_dir) if out_dir else settings.out_dir, settings, summary)
    return {**summary, "reports": {k: str(v) for k, v in reports.items()}, "run_id": run_id, "warehouse_url": url}
