"""The channels a notification goes out on: a webhook POST of its JSON payload, or an e-mail."""

from __future__ import annotations

import smtplib
import urllib.request
from email.message import EmailMessage

from junheng.settings import AlertChannels


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
