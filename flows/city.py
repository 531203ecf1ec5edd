"""The monthly city run: each county's monthly flow (for the counties whose inbox has returns), then the roll-up,
the city report and the city alerts. One county's failure does not stop the others."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.monthly import monthly_returns
from flows.runner import flow_task_runner
from junheng.errors import JunhengError
from junheng.plans import CityPlan, load_plan
from junheng.settings import load_settings, previous_period
from tasks.model.prefect_tasks import city_rollup_task
from tasks.notify.prefect_tasks import city_alerts_task
from tasks.publish.prefect_tasks import city_report_task


def counties_with_returns(plan: CityPlan, data_dir: Path, period: str) -> tuple[list[str], list[str]]:
    """(codes whose inbox <data_dir>/inbox/<county_code>/<period>/ holds files, codes whose inbox is empty)."""
    have: list[str] = []
    empty: list[str] = []
    for c in plan.counties:
        inbox = data_dir / "inbox" / c.code / period
        (have if inbox.is_dir() and any(p.is_file() for p in inbox.iterdir()) else empty).append(c.code)
    return have, empty


@flow(name="city-rollup")
def city_rollup(
    plan: str, period: str | None = None, warehouse_url: str | None = None, data_dir: str | None = None
) -> dict[str, Any]:
    """Recompute a city's roll-up from the counties' marts, write the city report and queue the city alerts."""
    settings = load_settings(warehouse_url=warehouse_url, data_dir=Path(data_dir) if data_dir else None)
    city = load_plan(plan)
    period = period or previous_period()
    url = settings.resolved_warehouse_url()
    run_id = str(flow_run.id or uuid.uuid4())
    # 民办 units in the share of units passing as in the counties' school-rule line (the same stated choice).
    private = settings.choices.private_in_school_rule
    progress = city_rollup_task(url, city, period, private_in_school_rule=private)
    reports = city_report_task(url, city, period, settings.out_dir, private_in_school_rule=private)
    alerts = city_alerts_task(url, city, period, run_id)
    return {**progress, "reports": {k: str(v) for k, v in reports.items()}, "alerts": alerts}


STATE_ZH = {"FAILED": "失败", "CRASHED": "意外中止", "CANCELLED": "被取消", "CANCELLING": "被取消"}


def failure_reason(exc: BaseException) -> str:
    """Why a county's run failed, as the city's summary says it: our own errors in their Chinese words (what
    and how to fix), anything else named with its first line and where to read more."""
    if isinstance(exc, JunhengError):
        return str(exc)
    first = (str(exc).splitlines() or [""])[0][:200]
    return f"运行出错（{type(exc).__name__}：{first}）；详情见该县本次运行的日志"


def _run_county(code: str, period: str, warehouse_url: str | None, data_dir: str | None) -> str | None:
    """None when the county's run completed, else the reason it failed (the state's message)."""
    # The task runner chosen now, not when flows.monthly was imported: JUNHENG_DASK_ADDRESS set by the
    # caller (a worker's environment, a test's cluster) reaches every county's run.
    county_flow = monthly_returns.with_options(task_runner=flow_task_runner())
    state = county_flow(
        period=period, warehouse_url=warehouse_url, data_dir=data_dir, county_code=code, return_state=True
    )
    result = state.result(raise_on_failure=False)
    if not state.is_completed():
        if isinstance(result, BaseException):
            return failure_reason(result)
        return f"月度运行{STATE_ZH.get(state.type.value, '未完成')}；详情见该县本次运行的日志"
    if isinstance(result, dict) and result.get("no_valid_returns"):
        return "本期无有效报表（收件目录中的文件全部被退回），没有作出评判"
    return None


@flow(name="city-monthly")
def city_monthly(
    plan: str,
    period: str | None = None,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
    concurrency: int | None = None,
) -> dict[str, Any]:
    """Run each county's monthly flow (as subflows) for the counties with returns in their inbox, then the
    roll-up. On PostgreSQL the counties run side by side (``concurrency``, default 2); DuckDB allows one
    writer, so there they run one after the other."""
    settings = load_settings(warehouse_url=warehouse_url, data_dir=Path(data_dir) if data_dir else None)
    city = load_plan(plan)
    period = period or previous_period()
    names = {c.code: c.name for c in city.counties}
    have, empty = counties_with_returns(city, settings.data_dir, period)
    logger = get_run_logger()
    url = settings.resolved_warehouse_url()
    workers = 1 if url.startswith("duckdb") else max(1, concurrency or 2)
    outcome: dict[str, str | None] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Each county in a copy of this flow's context, so that its run is recorded as a subflow of this one.
        runs: dict[str, Any] = {}
        for code in have:
            call: Callable[..., str | None] = contextvars.copy_context().run
            runs[code] = pool.submit(call, _run_county, code, period, warehouse_url, data_dir)
        for code, fut in runs.items():
            try:
                outcome[code] = fut.result()
            except Exception as exc:  # a county's crash is reported; the others go on
                outcome[code] = failure_reason(exc)
    failed = {names[c]: reason for c, reason in outcome.items() if reason is not None}
    for name, reason in failed.items():
        logger.error("%s 的月度运行失败：%s", name, reason)
    result = city_rollup(plan, period, warehouse_url, data_dir)
    return {
        **result,
        "ran": [names[c] for c in have if outcome.get(c) is None],
        "failed": failed,
        "no_returns": [names[c] for c in empty],
    }
