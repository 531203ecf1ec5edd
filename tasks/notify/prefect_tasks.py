"""The notify stage's Prefect tasks (the flows import these; the functions stay plain and testable)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from junheng.retry import io_retries
from tasks.notify.city_alerts import run_city_alerts
from tasks.notify.run import alerts_with_artifacts

alerts_task = task(name="alerts", cache_policy=NO_CACHE, **io_retries())(alerts_with_artifacts)
city_alerts_task = task(name="city-alerts", cache_policy=NO_CACHE, **io_retries())(run_city_alerts)
