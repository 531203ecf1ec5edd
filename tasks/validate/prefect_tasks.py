"""The validate stage's Prefect tasks (the flows import these; the functions stay plain and testable)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.validate.gx import validate

validate_task = task(name="validate-returns", cache_policy=NO_CACHE)(validate)
