"""City alerts: a county newly behind, a county that did not report, a county whose verdict changed.

They go through the same audit.alert de-duplication (open → changed → resolved) and audit.outbox as the
counties' alerts, keyed by the city's code, and are sent to the city's recipients only (JUNHENG_CITY_*).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from pydantic import SecretStr
from sqlalchemy.engine import Connection

from junheng.plans import CityPlan
from junheng.settings import AlertChannels
from tasks.model.progress import BEHIND, NOT_REPORTED, read_progress
from tasks.notify.dispatch import dispatch
from tasks.notify.facts import STATE_LABELS, AlertEvent, AlertFact
from tasks.notify.sync import sync_alerts
from warehouse import schema as s
from warehouse.engine import connected, init_warehouse

KINDS = {"behind": "转为滞后", "missing": "本期未报送", "verdict": "结论变化"}


def load_city_channels() -> AlertChannels:
    """The city bureau's channels: JUNHENG_CITY_WEBHOOK_URL, JUNHENG_CITY_SMTP_TO (comma separated); the mail
    server may be the counties' (JUNHENG_SMTP_HOST …) unless JUNHENG_CITY_SMTP_HOST/PORT/USER/PASSWORD/FROM is set.
    The counties' recipients (JUNHENG_WEBHOOK_URL, JUNHENG_SMTP_TO) are never used."""
    e = os.environ

    def get(name: str, default: str = "") -> str:
        return e.get(f"JUNHENG_CITY_{name}") or e.get(f"JUNHENG_{name}", default)

    return AlertChannels(
        webhook_url=e.get("JUNHENG_CITY_WEBHOOK_URL", ""),
        smtp_host=get("SMTP_HOST"),
        smtp_port=int(get("SMTP_PORT", "25")),
        smtp_user=get("SMTP_USER"),
        smtp_password=SecretStr(get("SMTP_PASSWORD")),
        smtp_from=get("SMTP_FROM") or "junheng@localhost",
        smtp_to=tuple(a.strip() for a in e.get("JUNHENG_CITY_SMTP_TO", "").split(",") if a.strip()),
        smtp_starttls=get("SMTP_STARTTLS").lower() in ("1", "true", "yes"),
    )


def _previous(rows: pd.DataFrame, county: str, period: str, column: str) -> str | None:
    """The county's latest non-empty value of ``column`` before ``period``, in a period it reported (a month
    without data says nothing new: behind, not reported, behind again is not "newly behind")."""
    before = rows[(rows["county_code"] == county) & (rows["period"] < period) & (rows["status"] != NOT_REPORTED)]
    before = before.dropna(subset=[column])
    return None if before.empty else str(before.sort_values("period").iloc[-1][column])


def derive_city_alerts(plan: CityPlan, period: str, rows: pd.DataFrame) -> list[AlertFact]:
    """The alert conditions of the city's period from mart.county_progress (rows up to ``period``)."""
    facts: list[AlertFact] = []
    now = rows[rows["period"] == period]

    def fact(kind: str, r: Any, value: str, before: str | None, message: str, severity: str) -> AlertFact:
        return AlertFact(
            period=period,
            scope="county",
            school_code=None,
            section=None,
            rule=f"city.{kind}.{r.county_code}",  # one alert per county and kind (the key)
            severity=severity,
            value=value,
            threshold=before,
            message=message,
            county_code=plan.city_code,
        )

    for r in now.itertuples(index=False):
        code, name = str(r.county_code), str(r.county_name)
        if r.status == BEHIND and _previous(rows, code, period, "status") != BEHIND:
            msg = f"{name}（目标 {int(r.target_year)} 年）{period} 转为滞后：{r.status_reason}"
            facts.append(fact("behind", r, BEHIND, _previous(rows, code, period, "status"), msg, "violation"))
        if r.status == NOT_REPORTED:
            msg = f"{name}没有 {period} 的数据（报表未收到或未运行），请督促报送"
            facts.append(fact("missing", r, NOT_REPORTED, None, msg, "warning"))
        before = _previous(rows, code, period, "verdict")
        if isinstance(r.verdict, str) and before is not None and r.verdict != before:
            msg = f"{name}的结论由“{before}”变为“{r.verdict}”（{period}）"
            facts.append(fact("verdict", r, str(r.verdict), before, msg, "warning"))
    return facts


def event_text(plan: CityPlan, ev: AlertEvent) -> tuple[str, str]:
    f = ev.fact
    kind = KINDS.get(f.rule.split(".")[1], "预警")
    subject = f"【均衡监测·{plan.city_name}·{STATE_LABELS[ev.state]}】{f.period} {kind}"
    body = "\n".join([f"报表期：{f.period}", f"事项：{kind}", f"说明：{f.message}", f"状态：{STATE_LABELS[ev.state]}"])
    return subject, body


def enqueue_city(
    conn: Connection, plan: CityPlan, period: str, events: list[AlertEvent], channels: list[str], run_id: str
) -> int:
    """One outbox row per channel for every event (no digest when nothing changed), keyed by the city's code."""
    n = 0
    queued_at = datetime.now()
    for channel in channels:
        for i, ev in enumerate(events):
            subject, body = event_text(plan, ev)
            nid = str(uuid.uuid4())
            payload = {
                "kind": "city_alert",
                "event": ev.state,
                "event_id": ev.event_id,
                "alert_key": ev.alert_key,
                "alert": asdict(ev.fact),
                "notification_id": nid,
                "city_code": plan.city_code,
                "period": period,
                "subject": subject,
                "text": body,
            }
            conn.execute(
                s.outbox.insert().values(
                    notification_id=nid,
                    channel=channel,
                    kind="alert",
                    county_code=plan.city_code,
                    period=period,
                    event_id=ev.event_id,
                    subject=subject,
                    body=body,
                    payload=json.dumps(payload, ensure_ascii=False),
                    status="pending",
                    attempts=0,
                    last_error=None,
                    created_at=queued_at + timedelta(microseconds=i),
                    sent_at=None,
                    run_id=run_id,
                )
            )
            n += 1
    return n


def run_city_alerts(
    url: str,
    plan: CityPlan,
    period: str,
    run_id: str,
    channels: AlertChannels | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Derive, de-duplicate and queue in one transaction, then send the city's pending notifications."""
    channels = channels if channels is not None else load_city_channels()
    now = now or datetime.now()
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            facts = derive_city_alerts(plan, period, read_progress(conn, plan.city_code, period))
            events = sync_alerts(conn, period, facts, run_id, now, plan.city_code)
            queued = enqueue_city(conn, plan, period, events, channels.enabled(), run_id)
    sent = dispatch(url, channels, county_code=plan.city_code)
    return {
        "opened": sum(e.state == "open" for e in events),
        "resolved": sum(e.state == "resolved" for e in events),
        "open_total": len(facts),
        "queued": queued,
        "channels": channels.enabled(),  # empty: no city recipients set, the alerts stay on record only
        "messages": [f"[{STATE_LABELS[e.state]}] {e.fact.message}" for e in events],
        **{f"notifications_{k}": v for k, v in sent.items()},
    }
