"""Dispatch: send a county's pending outbox rows, oldest first, and record each one sent or failed."""

from __future__ import annotations

import smtplib
from datetime import datetime

import sqlalchemy as sa

from junheng.settings import DEFAULT_COUNTY_CODE, AlertChannels
from tasks.notify.channels import send_email, send_webhook
from warehouse import schema as s
from warehouse.engine import connected, query_frame


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
