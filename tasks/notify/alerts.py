"""Alerts: derived each run from violations, CV misses and missing returns; notified once per change via an outbox."""

from __future__ import annotations

import hashlib
import json
import math
import smtplib
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from junheng.policy import INDICATOR_NAMES, rules_in_force
from junheng.settings import DEFAULT_COUNTY_CODE, AlertChannels, load_channels
from junheng.spec import SECTION_LABELS
from warehouse import schema as s
from warehouse.engine import bulk_insert, connected, init_warehouse, query_frame

STATE_LABELS = {"open": "新增", "changed": "变化", "resolved": "已解除"}
MISSING_RULE = "return.missing"


@dataclass(frozen=True)
class AlertFact:
    """What the warehouse says now about one alert key."""

    period: str
    scope: str  # school | county
    school_code: str | None
    section: str | None
    rule: str
    severity: str
    value: str | None
    threshold: str | None
    message: str
    county_code: str = DEFAULT_COUNTY_CODE

    @property
    def key(self) -> str:
        # The county first: two counties' county-scope alerts of one period and rule are two alerts.
        parts = [self.county_code, self.period, self.scope, self.school_code or "", self.section or "", self.rule]
        raw = "|".join(parts)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _num_text(v: object) -> str | None:
    """Unrounded text of a number (repr round-trips a float exactly)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return repr(float(v)) if isinstance(v, float | int) else str(v)


def _same(a: str | None, b: str | None) -> bool:
    """Equal texts, or numbers equal up to float noise: a recomputed CV may differ in the last bits
    when the database sums in another order, and that is not a change worth a notification."""
    if a == b:
        return True
    if a is None or b is None:
        return False
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    except ValueError:
        return False


def _section_zh(section: str | None) -> str:
    return SECTION_LABELS.get(section or "", "") if section else ""


VIOLATIONS_SQL = """
SELECT school_code, section, rule, value, message
FROM audit.validation_issue
WHERE county_code = :county_code AND period = :period AND severity = 'violation'
ORDER BY school_code, section, rule, cell
"""
CV_SQL = """
SELECT section, indicator_code, cv, cv_limit
FROM core.fct_county_indicator
WHERE county_code = :county_code AND period = :period AND meets = FALSE
ORDER BY section, indicator_code
"""
MISSING_SQL = """
SELECT school_code, school_name, deadline FROM audit.missing_return
WHERE county_code = :county_code AND period = :period ORDER BY school_code
"""


def _thresholds(period: str) -> dict[tuple[str, str], str]:
    """(rule, section) → threshold text of the value rules in force; several (G4 by school type) joined."""
    out: dict[tuple[str, str], list[str]] = {}
    for r in rules_in_force(period):
        if r.measure == "value":
            out.setdefault((r.code, r.section), []).append(_num_text(r.value) or "")
    return {k: "/".join(dict.fromkeys(v)) for k, v in out.items()}


def derive_alerts(conn: Connection, period: str, county_code: str = DEFAULT_COUNTY_CODE) -> list[AlertFact]:
    """Every alert condition of the county's period, from the warehouse as it is after this run."""
    facts: list[AlertFact] = []
    thresholds = _thresholds(period)
    params: dict[str, object] = {"period": period, "county_code": county_code}
    viol = query_frame(conn, VIOLATIONS_SQL, params)
    for (code, section, rule), g in viol.groupby(["school_code", "section", "rule"], dropna=False, sort=True):
        sec = None if pd.isna(section) else str(section)
        values = [str(v) for v in g["value"]]
        n = len(g)
        message = str(g["message"].iloc[0]) if n == 1 else f"{n} 处未达标，例如：{g['message'].iloc[0]}"
        facts.append(
            AlertFact(
                period=period,
                scope="school",
                school_code=None if pd.isna(code) else str(code),
                section=sec,
                rule=str(rule),
                severity="violation",
                value="、".join(values),
                threshold=thresholds.get((str(rule), sec or "all")) or thresholds.get((str(rule), "all")),
                message=message,
                county_code=county_code,
            )
        )
    cv = query_frame(conn, CV_SQL, params)
    for r in cv.itertuples(index=False):
        name = INDICATOR_NAMES.get(str(r.indicator_code), str(r.indicator_code))
        facts.append(
            AlertFact(
                period=period,
                scope="county",
                school_code=None,
                section=str(r.section),
                rule=f"cv.{r.indicator_code}",
                severity="violation",
                value=_num_text(r.cv),
                threshold=_num_text(r.cv_limit),
                message=f"{_section_zh(str(r.section))}{name}校际差异系数 {float(r.cv):.4f} 超过 {float(r.cv_limit):g}",
                county_code=county_code,
            )
        )
    missing = query_frame(conn, MISSING_SQL, params)
    for r in missing.itertuples(index=False):
        facts.append(
            AlertFact(
                period=period,
                scope="school",
                school_code=str(r.school_code),
                section=None,
                rule=MISSING_RULE,
                severity="warning",
                value=None,
                threshold=str(r.deadline),
                message=f"{r.school_name or ''}（{r.school_code}）截至 {r.deadline} 未报送 {period} 报表",
                county_code=county_code,
            )
        )
    return facts


@dataclass
class AlertEvent:
    event_id: str
    alert_key: str
    state: str  # open | changed | resolved
    fact: AlertFact


def sync_alerts(
    conn: Connection,
    period: str,
    facts: list[AlertFact],
    run_id: str,
    now: datetime,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> list[AlertEvent]:
    """Move each alert of the county's period through open → changed → resolved; one event per real change.

    Set-based: the county's period slice of audit.alert is rewritten in one DELETE and one bulk insert
    (first_seen carried over), and the events are one bulk insert — a statement per alert cost ~1 ms
    each, 10 s for the ~10,000 alerts of a 20,000-school run.
    """
    t = s.alert
    rows = conn.execute(sa.select(t).where(t.c.county_code == county_code, t.c.period == period)).mappings().all()
    known = {r["alert_key"]: dict(r) for r in rows}
    events: list[AlertEvent] = []
    current = {f.key: f for f in facts}
    out: list[dict[str, object]] = []
    for key, f in current.items():
        old = known.get(key)
        row: dict[str, object] = {
            "alert_key": key,
            "county_code": county_code,
            "period": period,
            "scope": f.scope,
            "school_code": f.school_code,
            "section": f.section,
            "rule": f.rule,
            "severity": f.severity,
            "value": f.value,
            "threshold": f.threshold,
            "message": f.message,
            "state": "open",
            "first_seen": now,
            "last_seen": now,
            "resolved_at": None,
            "run_id": run_id,
        }
        if old is None:
            out.append(row)
            events.append(AlertEvent(str(uuid.uuid4()), key, "open", f))
            continue
        if old["state"] == "resolved":
            state: str | None = "open"  # it came back
        elif (
            old["severity"] != f.severity
            or not _same(old["value"], f.value)
            or not _same(old["threshold"], f.threshold)
        ):
            state = "changed"
        else:
            state = None
        if state is None:  # unchanged: only seen again
            out.append({**old, "last_seen": now, "run_id": run_id})
            continue
        out.append({**row, "scope": old["scope"], "state": state, "first_seen": old["first_seen"]})
        events.append(AlertEvent(str(uuid.uuid4()), key, state, f))
    for key, old in known.items():
        if key in current:
            continue
        if old["state"] == "resolved":
            out.append(old)
            continue
        out.append({**old, "state": "resolved", "resolved_at": now, "run_id": run_id})
        fact = AlertFact(
            period=period,
            scope=old["scope"],
            school_code=old["school_code"],
            section=old["section"],
            rule=old["rule"],
            severity=old["severity"],
            value=old["value"],
            threshold=old["threshold"],
            message=old["message"],
            county_code=county_code,
        )
        events.append(AlertEvent(str(uuid.uuid4()), key, "resolved", fact))
    conn.execute(t.delete().where(t.c.county_code == county_code, t.c.period == period))
    bulk_insert(conn, t, pd.DataFrame(out, columns=[c.name for c in t.columns]))
    event_rows = [
        {
            "event_id": ev.event_id,
            "alert_key": ev.alert_key,
            "county_code": county_code,
            "period": period,
            "state": ev.state,
            "severity": ev.fact.severity,
            "value": ev.fact.value,
            "threshold": ev.fact.threshold,
            "run_id": run_id,
            "occurred_at": now,
        }
        for ev in events
    ]
    bulk_insert(conn, s.alert_event, pd.DataFrame(event_rows, columns=[c.name for c in s.alert_event.columns]))
    return events


def _who(f: AlertFact) -> str:
    where = "全县" if f.scope == "county" else f"学校 {f.school_code}"
    return f"{where}{_section_zh(f.section)}"


def event_text(ev: AlertEvent) -> tuple[str, str]:
    f = ev.fact
    subject = f"【均衡监测预警·{STATE_LABELS[ev.state]}】{f.period} {_who(ev.fact)} {f.rule}"
    lines = [
        f"报表期：{f.period}",
        f"范围：{_who(f)}",
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
        lines.append(f"- [{STATE_LABELS[e.state]}] {_who(e.fact)} {e.fact.rule}：{e.fact.message}")
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


def send_webhook(channels: AlertChannels, payload: str) -> None:
    req = urllib.request.Request(  # noqa: S310 - the URL is the operator's configured endpoint
        channels.webhook_url,
        data=payload.encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=channels.timeout_seconds) as resp:  # noqa: S310
        if not 200 <= resp.status < 300:
            raise OSError(f"webhook 返回 HTTP {resp.status}")


def send_email(channels: AlertChannels, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = channels.smtp_from
    msg["To"] = ", ".join(channels.smtp_to)
    msg.set_content(body)
    with smtplib.SMTP(channels.smtp_host, channels.smtp_port, timeout=channels.timeout_seconds) as smtp:
        if channels.smtp_starttls:
            smtp.starttls()
        if channels.smtp_user:
            smtp.login(channels.smtp_user, channels.smtp_password.get_secret_value())
        smtp.send_message(msg)


def dispatch(
    url: str, channels: AlertChannels, now: datetime | None = None, county_code: str = DEFAULT_COUNTY_CODE
) -> dict[str, int]:
    """Send the county's pending notifications, oldest first; a channel that fails keeps its rest for a later
    run. Only the county's own: counties sharing a warehouse have their own channels (their workers' settings),
    and one county's alerts must not go to another's recipients."""
    enabled = set(channels.enabled())
    sent = failed = 0
    with connected(url) as engine:
        t = s.outbox
        with engine.connect() as conn:
            pending = query_frame(
                conn,
                "SELECT notification_id, channel, subject, body, payload FROM audit.outbox "
                "WHERE status = 'pending' AND county_code = :county_code ORDER BY created_at, notification_id",
                {"county_code": county_code},
            )
        down: set[str] = set()
        for r in pending.itertuples(index=False):
            channel = str(r.channel)
            if channel not in enabled or channel in down:
                continue
            try:
                if channel == "webhook":
                    send_webhook(channels, str(r.payload))
                else:
                    send_email(channels, str(r.subject), str(r.body))
            except (OSError, smtplib.SMTPException) as exc:
                down.add(channel)
                failed += 1
                with engine.begin() as conn:
                    conn.execute(
                        t.update()
                        .where(t.c.notification_id == r.notification_id)
                        .values(attempts=t.c.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500])
                    )
                continue
            sent += 1
            with engine.begin() as conn:
                conn.execute(
                    t.update()
                    .where(t.c.notification_id == r.notification_id)
                    .values(status="sent", attempts=t.c.attempts + 1, sent_at=now or datetime.now(), last_error=None)
                )
        with engine.connect() as conn:
            still = int(
                conn.execute(
                    sa.text("SELECT COUNT(*) FROM audit.outbox WHERE status = 'pending' AND county_code = :c"),
                    {"c": county_code},
                ).scalar_one()
            )
    return {"sent": sent, "failed": failed, "pending": still}


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
            {"state": e.state, "scope": _who(e.fact), "rule": e.fact.rule, "message": e.fact.message} for e in events
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
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

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
