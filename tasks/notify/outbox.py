"""The outbox: each alert event's and the run's digest text, queued once per channel in the run's transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.notify.facts import STATE_LABELS, AlertEvent, who
from warehouse import schema as s


def event_text(ev: AlertEvent) -> tuple[str, str]:
    f = ev.fact
    subject = f"【均衡监测预警·{STATE_LABELS[ev.state]}】{f.period} {who(ev.fact)} {f.rule}"
    lines = [
        f"报表期：{f.period}",
        f"范围：{who(f)}",
        f"规则：{f.rule}（{f.severity}）",
        f"数值：{f.value or '—'}；标准：{f.threshold or '—'}",
        f"说明：{f.message}",
        f"状态：{STATE_LABELS[ev.state]}",
    ]
    return subject, "\n".join(lines)


def digest_text(period: str, events: list[AlertEvent], open_total: int) -> tuple[str, str, dict[str, int]]:
    counts = {state: sum(1 for e in events if e.state == state) for state in ("open", "changed", "resolved")}
    subject = (
        f"【均衡监测】{period} 运行摘要：新增预警 {counts['open']}，变化 {counts['changed']}，"
        f"解除 {counts['resolved']}，现有 {open_total}"
    )
    lines = [subject, ""]
    for e in events:
        lines.append(f"- [{STATE_LABELS[e.state]}] {who(e.fact)} {e.fact.rule}：{e.fact.message}")
    if not events:
        lines.append("本次运行预警没有变化。")
    return subject, "\n".join(lines), counts


def enqueue(
    conn: Connection,
    period: str,
    events: list[AlertEvent],
    open_total: int,
    channels: list[str],
    run_id: str,
    now: datetime,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> int:
    """One outbox row per channel for every event, then the run's digest; in the caller's transaction."""
    rows: list[dict[str, Any]] = []
    for ev in events:
        subject, body = event_text(ev)
        payload: dict[str, Any] = {"kind": "alert", "event": ev.state, "event_id": ev.event_id}
        payload.update(alert_key=ev.alert_key, alert=asdict(ev.fact))
        rows.append({"kind": "alert", "event_id": ev.event_id, "subject": subject, "body": body, "p": payload})
    subject, body, counts = digest_text(period, events, open_total)
    rows.append(
        {
            "kind": "digest",
            "event_id": None,
            "subject": subject,
            "body": body,
            "p": {"kind": "digest", "counts": {**counts, "open_total": open_total}},
        }
    )
    n = 0
    queued_at = datetime.now()  # the wall clock, not the run's ``now``: it orders the outbox across runs
    for channel in channels:
        for i, r in enumerate(rows):
            nid = str(uuid.uuid4())
            payload = {
                **r["p"],
                "notification_id": nid,
                "county_code": county_code,
                "period": period,
                "subject": r["subject"],
                "text": r["body"],
            }
            conn.execute(
                s.outbox.insert().values(
                    notification_id=nid,
                    channel=channel,
                    kind=r["kind"],
                    county_code=county_code,
                    period=period,
                    event_id=r["event_id"],
                    subject=r["subject"],
                    body=r["body"],
                    payload=json.dumps(payload, ensure_ascii=False),
                    status="pending",
                    attempts=0,
                    last_error=None,
                    created_at=queued_at + timedelta(microseconds=i),  # keeps the run's order when sending
                    sent_at=None,
                    run_id=run_id,
                )
            )
            n += 1
    return n
