"""The model stage's Prefect tasks (the flows import these; the functions stay plain and testable)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import INPUTS, NO_CACHE, RUN_ID, TASK_SOURCE

from junheng.retry import io_retries
from tasks.model.county_load import load_county_returns
from tasks.model.load import check_policy_run, fetch_marts, load_run
from tasks.model.progress import rollup

# Persisted per flow run, so `prefect flow-run retry` resumes after the load and the policy check;
# the large inputs are left out of the key (the same run id reads the same archived bytes).
_RESUME = RUN_ID + TASK_SOURCE + (INPUTS - "batch" - "findings" - "settings" - "rules")

load_run_task = task(name="load-and-compute", cache_policy=_RESUME, persist_result=True, **io_retries())(load_run)
check_policy_task = task(name="policy-violations", cache_policy=_RESUME, persist_result=True, **io_retries())(
    check_policy_run
)
fetch_marts_task = task(name="read-marts", cache_policy=NO_CACHE, **io_retries())(fetch_marts)
load_county_task = task(name="load-county-return", cache_policy=NO_CACHE)(load_county_returns)
city_rollup_task = task(name="city-rollup", cache_policy=NO_CACHE, **io_retries())(rollup)
