"""Syncing audit.alert and audit.alert_event: each alert moves open → changed → resolved, one event per change."""

from __future__ import annotations

import math
import uuid
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.notify.facts import AlertEvent, AlertFact
from warehouse import schema as s
from warehouse.engine import bulk_insert


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
    (first_seen carried over), and the events are one bulk insert: a statement per alert would cost a
    round trip for each of a large county's alerts.
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
