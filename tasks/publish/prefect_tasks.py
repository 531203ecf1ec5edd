"""The publish stage's Prefect tasks (the flows import these; the functions stay plain and testable)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.publish.artifacts import publish_with_artifacts
from tasks.publish.city_report import city_report
from tasks.publish.county_report import county_report
from tasks.publish.feedback import write_feedback

publish_task = task(name="publish-reports", cache_policy=NO_CACHE)(publish_with_artifacts)
county_report_task = task(name="county-report", cache_policy=NO_CACHE)(county_report)
feedback_task = task(name="school-feedback", cache_policy=NO_CACHE)(write_feedback)
city_report_task = task(name="city-report", cache_policy=NO_CACHE)(city_report)
