"""The read stage's Prefect tasks (the flows import these; the functions stay plain and testable)."""

from __future__ import annotations

import os
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext

from junheng.contract import ReceivedFile, ReturnBatch
from junheng.retry import io_retries
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.read.incremental import Reread, read_incremental
from tasks.read.precheck import small_and_safe
from tasks.read.returns import merge_batches, read_returns, read_returns_here

# Files per parsing task on a Dask cluster: a task must do enough work to be worth its Dask +
# Prefect overhead (stack-notes §2.4/§2.9).
CHUNK_FILES = int(os.environ.get("JUNHENG_CHUNK_FILES", "250"))

read_chunk_task = task(name="read-chunk", cache_policy=NO_CACHE)(read_returns_here)


def chunks(files: list[ReceivedFile], size: int | None = None) -> list[list[ReceivedFile]]:
    size = size or CHUNK_FILES
    return [files[i : i + size] for i in range(0, len(files), size)]


def _dask_runner_in_use() -> Any:
    ctx = FlowRunContext.get()
    runner = getattr(ctx, "task_runner", None) if ctx else None
    return runner if type(runner).__name__ == "DaskTaskRunner" else None


def read_returns_parallel(files: list[ReceivedFile]) -> ReturnBatch:
    """read_returns, with the files parsed in chunks on the flow's Dask cluster when it has one.

    Without Dask the files are parsed in capped worker processes (tasks.read.isolation): threads
    would not help (the parser holds the GIL), and a file that kills its worker is only rejected.
    A small inbox whose every file passes the extent pre-check (tasks.read.precheck) is parsed in
    this process: the workers' start-up would cost seconds for a few milliseconds of parsing.
    Validation stays one GX run over the merged batch (its fixed cost is per run).
    """
    if _dask_runner_in_use() is None or len(files) <= CHUNK_FILES:
        # Isolated unless pre-checked: a file that kills its parser must not kill the run.
        return read_returns(files, isolate=not small_and_safe(files))
    futures = [read_chunk_task.submit(part) for part in chunks(files)]
    return merge_batches([f.result() for f in futures])


def _read_incremental(
    url: str, period: str, files: list[ReceivedFile], reread: Reread = "new", county_code: str = DEFAULT_COUNTY_CODE
) -> ReturnBatch:
    return read_incremental(url, period, files, reread, county_code, read=read_returns_parallel)


# Not cached or persisted: a retried flow run reads the archived files again (the same bytes by hash,
# so the same batch), which is what the load's cache key (model stage) assumes; bench/README.md has
# what persisting the batch cost.
read_incremental_task = task(name="read-returns", cache_policy=NO_CACHE, **io_retries())(_read_incremental)
