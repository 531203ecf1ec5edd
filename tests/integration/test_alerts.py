"""Alerts: open → changed → resolved, one notification per change, a digest per run, an outbox that
keeps notifications while a channel is down. Channels are a local webhook receiver and a local SMTP
server (aiosmtpd) on loopback; the warehouse is real (DuckDB and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from receivers import smtp_server, webhook

from junheng.settings import AlertChannels
from tasks.notify.run import run_alerts
from warehouse import schema as s
from warehouse.engine import init_warehouse, make_engine

P = "2026-10"
CC = "000000"  # the single-county default
NOW = datetime(2026, 11, 5, 2, 0)
SCHOOL = "3708300002"
ABSENT = "3708300009"


def seed(url: str, cv: float = 0.6, with_r1: bool = True) -> None:
    """The warehouse after a run: two oversized classes and an R1 miss at one school, one CV miss,
    one missing return. Replaces whatever a previous call put there."""
    eng = make_engine(url)
    init_warehouse(eng)
    with eng.begin() as c:
        for t in (s.validation_issue, s.fct_county_indicator, s.missing_return):
            c.execute(t.delete())
        base = {
            "county_code": CC,
            "period": P,
            "file_id": "f" * 64,
            "file_name": "B.xlsx",
            "school_code": SCHOOL,
            "created_at": NOW,
        }
        rows = [
            {**base, "section": "primary", "sheet": "班级学生", "cell": "E5", "rule": "G5", "value": "52"},
            {**base, "section": "primary", "sheet": "班级学生", "cell": "E6", "rule": "G5", "value": "48"},
        ]
        if with_r1:
            rows.append({**base, "section": "primary", "sheet": "", "cell": "", "rule": "R1", "value": "3"})
        c.execute(
            s.validation_issue.insert(),
            [{**r, "severity": "violation", "message": f"{r['rule']} 未达标"} for r in rows],
        )
        # A warning is never an alert.
        c.execute(
            s.validation_issue.insert().values(**base, rule="roster.unknown_school", severity="warning", message="w")
        )
        county = {
            "county_code": CC,
            "period": P,
            "n_units": 3,
            "students": 400.0,
            "cv_method": "weighted",
            "computed_at": NOW,
        }
        c.execute(
            s.fct_county_indicator.insert(),
            [
                {**county, "section": "primary", "indicator_code": "R4", "cv": cv, "cv_limit": 0.5, "meets": cv <= 0.5},
                {**county, "section": "primary", "indicator_code": "R5", "cv": 0.2, "cv_limit": 0.5, "meets": True},
            ],
        )
        c.execute(
            s.missing_return.insert().values(
                county_code=CC,
                period=P,
                school_code=ABSENT,
                school_name="庚小学",
                deadline=date(2026, 11, 3),
                detected_at=NOW,
            )
        )
    eng.dispose()


def rows(url: str, sql: str) -> list[dict]:
    eng = make_engine(url)
    with eng.connect() as c:
        out = [dict(r) for r in c.execute(sa.text(sql)).mappings()]
    eng.dispose()
    return out


def channels(hook_url: str, smtp_port: int) -> AlertChannels:
    return AlertChannels(
        webhook_url=hook_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_to=("jiaoyuju@example.cn",),
        smtp_from="junheng@example.cn",
        timeout_seconds=5,
    )


def test_open_once_then_changed_resolved_and_reopened(warehouse_url: str) -> None:
    with webhook() as hook, smtp_server() as (box, port):
        ch = channels(hook.url, port)
        seed(warehouse_url)
        first = run_alerts(warehouse_url, P, "run-1", ch, now=NOW)
        assert (first["opened"], first["changed"], first["resolved"], first["open_total"]) == (4, 0, 0, 4)
        assert hook.kinds() == ["alert:open"] * 4 + ["digest:"]
        assert len(box.messages) == 5 and "新增预警 4" in box.subjects()[-1]

        alerts = {(a["rule"], a["school_code"]): a for a in rows(warehouse_url, "SELECT * FROM audit.alert")}
        g5 = alerts[("G5", SCHOOL)]
        assert (g5["scope"], g5["section"], g5["severity"], g5["state"]) == ("school", "primary", "violation", "open")
        assert g5["value"] == "52、48" and g5["threshold"] == "45.0"  # both classes, in cell order; 小学 45/班
        assert alerts[("R1", SCHOOL)]["threshold"] == "4.2"
        cv = alerts[("cv.R4", None)]
        assert (cv["scope"], cv["value"], cv["threshold"]) == ("county", "0.6", "0.5")
        assert alerts[("return.missing", ABSENT)]["threshold"] == "2026-11-03"
        assert ("cv.R5", None) not in alerts and ("roster.unknown_school", SCHOOL) not in alerts

        # The same period again: nothing new to say, so only the run's digest; no alert is sent twice.
        seed(warehouse_url)
        second = run_alerts(warehouse_url, P, "run-2", ch, now=NOW + timedelta(days=1))
        assert (second["opened"], second["changed"], second["resolved"]) == (0, 0, 0)
        seen = rows(warehouse_url, "SELECT first_seen, last_seen, run_id, state FROM audit.alert")
        assert len(seen) == 4  # the slice rewritten, not duplicated
        assert all(a["first_seen"] == NOW and a["last_seen"] == NOW + timedelta(days=1) for a in seen)
        assert {(a["run_id"], a["state"]) for a in seen} == {("run-2", "open")}
        assert hook.kinds() == ["alert:open"] * 4 + ["digest:", "digest:"]
        assert hook.received[-1]["counts"] == {"open": 0, "changed": 0, "resolved": 0, "open_total": 4}
        assert len(box.messages) == 6

        # CV worse and R1 fixed: one "changed", one "resolved".
        seed(warehouse_url, cv=0.7, with_r1=False)
        third = run_alerts(warehouse_url, P, "run-3", ch, now=NOW + timedelta(days=2))
        assert (third["opened"], third["changed"], third["resolved"]) == (0, 1, 1)
        assert hook.kinds()[6:] == ["alert:changed", "alert:resolved", "digest:"]
        assert hook.received[6]["alert"]["value"] == "0.7"

        # R1 comes back: open again.
        seed(warehouse_url, cv=0.7, with_r1=True)
        r1 = [a for a in rows(warehouse_url, "SELECT * FROM audit.alert") if a["rule"] == "R1"]
        assert [(a["state"], a["resolved_at"], a["first_seen"]) for a in r1] == [
            ("resolved", NOW + timedelta(days=2), NOW)
        ]
        fourth = run_alerts(warehouse_url, P, "run-4", ch, now=NOW + timedelta(days=3))
        assert (fourth["opened"], fourth["changed"], fourth["resolved"]) == (1, 0, 0)
        after = {a["rule"]: a for a in rows(warehouse_url, "SELECT * FROM audit.alert")}
        assert len(after) == 4
        assert (after["R1"]["state"], after["R1"]["resolved_at"], after["R1"]["first_seen"]) == ("open", None, NOW)
        cv4 = after["cv.R4"]
        assert (cv4["state"], cv4["value"], cv4["first_seen"]) == ("changed", "0.7", NOW)

    history = rows(
        warehouse_url,
        "SELECT a.rule, e.state, e.run_id FROM audit.alert_event e "
        "JOIN audit.alert a ON a.alert_key = e.alert_key ORDER BY e.run_id, a.rule",
    )
    assert [(h["rule"], h["state"]) for h in history if h["rule"] in ("R1", "cv.R4")] == [
        ("R1", "open"),
        ("cv.R4", "open"),
        ("R1", "resolved"),
        ("cv.R4", "changed"),
        ("R1", "open"),
    ]
    assert rows(warehouse_url, "SELECT COUNT(*) AS n FROM audit.outbox WHERE status <> 'sent'")[0]["n"] == 0


def test_channel_down_keeps_notifications_until_a_later_run(warehouse_url: str) -> None:
    with webhook() as hook, smtp_server() as (box, port):
        seed(warehouse_url)
        hook.down = True  # webhook answers 503
        closed = AlertChannels(**{**channels(hook.url, port).model_dump(), "smtp_port": 9})  # nothing listens on 9
        first = run_alerts(warehouse_url, P, "run-1", closed, now=NOW)
        assert first["opened"] == 4
        assert hook.received == [] and box.messages == []
        assert first["notifications_pending"] == 10  # 4 alerts + digest, on each of the two channels
        pending = rows(warehouse_url, "SELECT channel, attempts, last_error FROM audit.outbox ORDER BY created_at")
        failed = [p for p in pending if p["attempts"] == 1]
        assert {p["channel"] for p in failed} == {"webhook", "email"}  # one try per channel, then it waits
        assert all(p["last_error"] for p in failed)

        # Both channels are back; the next run (same data) sends what waited, in order, and its own digest.
        hook.down = False
        second = run_alerts(warehouse_url, P, "run-2", channels(hook.url, port), now=NOW)
        assert second["opened"] == 0 and second["notifications_pending"] == 0
        assert hook.kinds() == ["alert:open"] * 4 + ["digest:", "digest:"]
        assert len({m["notification_id"] for m in hook.received}) == 6
        assert len(box.messages) == 6
        assert sum("预警·新增" in subj for subj in box.subjects()) == 4

    sent = rows(warehouse_url, "SELECT payload FROM audit.outbox WHERE status = 'sent' AND channel = 'webhook'")
    assert sorted(json.loads(r["payload"])["notification_id"] for r in sent) == sorted(
        m["notification_id"] for m in hook.received
    )


def test_a_county_sends_only_its_own_notifications(warehouse_url: str) -> None:
    """Counties share the warehouse (and its outbox) but not their channels: county B's run must not send
    county A's waiting notifications to B's recipients; A's next run sends them."""
    other = "370831"  # a second county with nothing to report this period
    with webhook() as hook, smtp_server() as (box, port):
        seed(warehouse_url)
        hook.down = True
        closed = AlertChannels(**{**channels(hook.url, port).model_dump(), "smtp_port": 9})
        first = run_alerts(warehouse_url, P, "run-a1", closed, now=NOW)  # county A: 4 alerts + digest wait
        assert first["notifications_pending"] == 10

        hook.down = False
        b = run_alerts(warehouse_url, P, "run-b1", channels(hook.url, port), now=NOW, county_code=other)
        assert (b["opened"], b["notifications_pending"]) == (0, 0)
        assert hook.kinds() == ["digest:"] and len(box.messages) == 1  # B's own digest only
        waiting = rows(warehouse_url, "SELECT county_code, status FROM audit.outbox WHERE status = 'pending'")
        assert len(waiting) == 10 and {w["county_code"] for w in waiting} == {CC}

        second = run_alerts(warehouse_url, P, "run-a2", channels(hook.url, port), now=NOW)
        assert second["notifications_pending"] == 0
        assert hook.kinds() == ["digest:", *["alert:open"] * 4, "digest:", "digest:"]


def test_no_channels_still_records_alerts(warehouse_url: str) -> None:
    seed(warehouse_url)
    result = run_alerts(warehouse_url, P, "run-1", AlertChannels(), now=NOW)
    assert result["opened"] == 4 and result["queued"] == 0
    assert rows(warehouse_url, "SELECT COUNT(*) AS n FROM audit.outbox")[0]["n"] == 0


@pytest.mark.parametrize("secret", ["s3cr3t-pw"])
def test_smtp_password_is_not_stored(warehouse_url: str, secret: str) -> None:
    """Secrets come from the environment only and never reach the warehouse."""
    seed(warehouse_url)
    ch = AlertChannels(smtp_host="127.0.0.1", smtp_port=9, smtp_to=("a@example.cn",), smtp_password=secret)
    run_alerts(warehouse_url, P, "run-1", ch, now=NOW)
    dump = json.dumps(rows(warehouse_url, "SELECT * FROM audit.outbox"), default=str)
    assert secret not in dump and secret not in repr(ch)
