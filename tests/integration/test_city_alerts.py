"""City alerts on the hand-built city (tests/fixtures/city.py), both engines: a county newly behind, a county
that did not report, a verdict that changed; de-duplicated across reruns; sent to the city's recipients only."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from receivers import webhook

from junheng.settings import AlertChannels
from tasks.model.progress import compute_progress
from tasks.notify.city_alerts import load_city_channels, run_city_alerts
from tests.fixtures.city import NOW, PLAN, load_city
from warehouse import schema as s
from warehouse.engine import make_engine


@pytest.fixture
def city(warehouse_url: str) -> Any:
    engine = make_engine(warehouse_url)
    load_city(engine)
    yield warehouse_url, engine
    engine.dispose()


def _roll(engine: Any, period: str) -> None:
    with engine.begin() as conn:
        compute_progress(conn, PLAN, period, NOW)


def test_city_alerts_once_per_change_to_the_city_only(city: Any) -> None:
    url, engine = city
    # A county's own pending notification: the city's dispatch must leave it alone.
    with engine.begin() as conn:
        conn.execute(
            s.outbox.insert().values(
                notification_id="county-1",
                channel="webhook",
                kind="alert",
                county_code="530481",
                period="2026-09",
                subject="县级",
                body="县级",
                payload="{}",
                status="pending",
                attempts=0,
                created_at=NOW,
            )
        )
    with webhook() as hook:
        channels = AlertChannels(webhook_url=hook.url)
        _roll(engine, "2026-09")
        r09 = run_city_alerts(url, PLAN, "2026-09", "run-09", channels=channels, now=NOW)
        # 2026-09: only 易门县 did not report; 通海县 is on track (2 unmet × 1 month ≤ +1 × 3); no verdict changed.
        assert (r09["opened"], r09["open_total"]) == (1, 1)
        assert "易门县没有 2026-09 的数据" in r09["messages"][0]

        _roll(engine, "2026-10")
        r10 = run_city_alerts(url, PLAN, "2026-10", "run-10", channels=channels, now=NOW)
        # 2026-10: 通海县 newly behind; 澄江市 未达到 → 达到; 易门县 reported again (its 09 alert stays with 09).
        assert r10["opened"] == 2
        text = "\n".join(r10["messages"])
        assert "通海县（目标 2026 年）2026-10 转为滞后" in text
        assert "澄江市的结论由“未达到”变为“达到”" in text

        again = run_city_alerts(url, PLAN, "2026-10", "run-10b", channels=channels, now=NOW)
        assert (again["opened"], again["resolved"], again["queued"]) == (0, 0, 0)  # de-duplicated

        assert len(hook.received) == 3 and {m["kind"] for m in hook.received} == {"city_alert"}
        assert all(m["city_code"] == "530400" for m in hook.received)
        assert all("city." not in m["subject"] and "city." not in m["text"] for m in hook.received)
    with engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM audit.outbox WHERE notification_id = 'county-1'")).scalar()
    assert status == "pending"


def test_city_channels_never_take_the_counties_recipients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_WEBHOOK_URL", "http://county.example/hook")
    monkeypatch.setenv("JUNHENG_SMTP_TO", "county@example.org")
    monkeypatch.setenv("JUNHENG_SMTP_HOST", "mail.example.org")
    assert load_city_channels().enabled() == []  # no city recipients set: nothing is sent
    monkeypatch.setenv("JUNHENG_CITY_SMTP_TO", "city@example.org, head@example.org")
    ch = load_city_channels()
    assert ch.smtp_to == ("city@example.org", "head@example.org") and ch.smtp_host == "mail.example.org"
    assert ch.enabled() == ["email"] and ch.webhook_url == ""
