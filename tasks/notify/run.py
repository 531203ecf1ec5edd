"""A county's alert run: derive, sync and enqueue in one transaction, dispatch, and the run's Prefect artifacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from junheng.settings import DEFAULT_COUNTY_CODE, AlertChannels, load_channels
from tasks.notify.derive import derive_alerts
from tasks.notify.dispatch import dispatch
from tasks.notify.facts import STATE_LABELS, who
from tasks.notify.outbox import enqueue
from tasks.notify.sync import sync_alerts
from warehouse.engine import connected, init_warehouse


def run_alerts(
    url: str,
    period: str,
    run_id: str,
    channels: AlertChannels | None = None,
    now: datetime | None = None,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> dict[str, Any]:
    """Derive, sync and enqueue in one transaction, then try to send everything pending."""
    channels = channels if channels is not None else load_channels()
    now = now or datetime.now()
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            facts = derive_alerts(conn, period, county_code)
            events = sync_alerts(conn, period, facts, run_id, now, county_code)
            queued = enqueue(conn, period, events, len(facts), channels.enabled(), run_id, now, county_code)
    result = dispatch(url, channels, county_code=county_code)
    return {
        "opened": sum(e.state == "open" for e in events),
        "changed": sum(e.state == "changed" for e in events),
        "resolved": sum(e.state == "resolved" for e in events),
        "open_total": len(facts),
        "queued": queued,
        "events": [
            {"state": e.state, "scope": who(e.fact), "rule": e.fact.rule, "message": e.fact.message} for e in events
        ],
        **{f"notifications_{k}": v for k, v in result.items()},
    }


def alerts_markdown(period: str, result: dict[str, Any]) -> str:
    lines = [
        f"# {period} 预警",
        "",
        "| 新增 | 变化 | 解除 | 现有 | 已发送通知 | 待发送通知 |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {result['opened']} | {result['changed']} | {result['resolved']} | {result['open_total']} "
        f"| {result['notifications_sent']} | {result['notifications_pending']} |",
        "",
    ]
    for a in result["events"]:
        lines.append(f"- **{STATE_LABELS[a['state']]}** {a['scope']} `{a['rule']}`：{a['message']}")
    return "\n".join(lines)


def alerts_with_artifacts(url: str, period: str, run_id: str, county_code: str = DEFAULT_COUNTY_CODE) -> dict[str, Any]:

    result = run_alerts(url, period, run_id, county_code=county_code)
    # Artifact keys as before for one county; with several, each county keeps its own latest version.
    scope = period if county_code == DEFAULT_COUNTY_CODE else f"{county_code}-{period}"
    if result["events"]:
        create_table_artifact(
            key=f"junheng-alert-events-{scope}", table=result["events"], description=f"{period} 本次预警变化"
        )
    create_markdown_artifact(
        key=f"junheng-alerts-{scope}", markdown=alerts_markdown(period, result), description=f"{period} 预警"
    )
    return result
