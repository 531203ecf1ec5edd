"""Rerun or backfill a range of periods: the monthly flow once per period, inbox <data_dir>/inbox/<period>."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from flows.monthly import monthly_returns
from junheng.errors import ConfigError
from junheng.settings import load_settings, previous_period
from tasks.ingest.preflight import check_run_parameters
from tasks.read.incremental import Reread


def periods_between(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from first to last, inclusive."""
    y, m = (int(x) for x in first.split("-"))
    ly, lm = (int(x) for x in last.split("-"))
    if (y, m) > (ly, lm):
        raise ConfigError(f"起始报表期 {first} 晚于结束报表期 {last}", "交换 --from 和 --to 后重新运行")
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


@flow(name="rerun-returns")
def rerun_returns(
    period_from: str | None = None,
    period_to: str | None = None,
    reread: Reread = "new",
    warehouse_url: str | None = None,
    data_dir: str | None = None,
    out_dir: str | None = None,
    county_code: str | None = None,
) -> dict[str, str]:
    """Run the monthly flow for each period from ``period_from`` to ``period_to`` (default: the previous
    month) for one county (``county_code``, as in the monthly flow; its inboxes are
    ``<data_dir>/inbox/<county_code>/<period>`` when a code is set). A period without an inbox folder
    is skipped unless only failed files are reread (they come from the archive). One failed period
    does not stop the others; the run fails at the end if any did. A period that completed without a
    single valid return is ``no_valid_returns``."""
    settings = load_settings(
        warehouse_url=warehouse_url, data_dir=Path(data_dir) if data_dir else None, county_code=county_code
    )
    first = period_from or previous_period()
    for p in (first, period_to or first):
        check_run_parameters(p, reread)  # "2026-010" or "٢٠٢٦-١٠" must not become a run
    logger = get_run_logger()
    outcome: dict[str, str] = {}
    for period in periods_between(first, period_to or first):
        inbox = settings.inbox_dir(period)
        if reread != "failed" and not inbox.is_dir():
            logger.warning("报表期 %s 没有收件目录 %s，跳过", period, inbox)
            outcome[period] = "skipped"
            continue
        state = monthly_returns(
            period=period,
            inbox=str(inbox),
            warehouse_url=warehouse_url,
            data_dir=data_dir,
            out_dir=out_dir,
            reread=reread,
            county_code=settings.county_code,
            return_state=True,
        )
        outcome[period] = state.type.value.lower()
        result = state.result(raise_on_failure=False) if state.is_completed() else None
        if isinstance(result, dict) and result.get("no_valid_returns"):
            outcome[period] = "no_valid_returns"  # completed, but nothing to judge (the CLI exits 4)
    failed = [p for p, s in outcome.items() if s not in ("completed", "skipped", "no_valid_returns")]
    if failed:
        raise RuntimeError(f"以下报表期运行失败：{'、'.join(failed)}（其余已完成）；查看日志后对这些期重新运行")
    return outcome
