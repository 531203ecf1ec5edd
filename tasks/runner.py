"""Task runner selection (threads by default, Dask when configured) and chunked parallel reading."""

from __future__ import annotations

import os
from typing import Any, TypeVar, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from junheng.contract import ReceivedFile, ReturnBatch
from tasks.read import merge_batches, read_returns, read_returns_here

DASK_ADDRESS_ENV = "JUNHENG_DASK_ADDRESS"
# Files per parsing task: a task must do ≥100 ms of work to be worth its ~70–80 ms of Dask +
# Prefect overhead (stack-notes §2.4/§2.9); 250 small returns take ~0.5 s to parse.
CHUNK_FILES = int(os.environ.get("JUNHENG_CHUNK_FILES", "250"))


T = TypeVar("T")


def as_is(value: T) -> T:
    """A task argument Prefect passes through untouched: without it Prefect walks every list, dict and
    dataclass inside a large argument looking for futures (~3 s a run for a 2,000-return batch).
    Typed as the value itself, since Prefect unwraps the quote before calling the task."""
    return cast(T, quote(value))


def flow_task_runner(address: str | None = None) -> Any:
    """The monthly flow's task runner.

    ``JUNHENG_DASK_ADDRESS`` = ``tcp://host:8786``: an existing Dask cluster (scale-out);
    ``local``: a temporary local cluster, one single-threaded worker process per core;
    unset: Prefect's thread pool, bounded to the number of cores.
    """
    address = address if address is not None else os.environ.get(DASK_ADDRESS_ENV, "").strip()
    if not address:
        return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 2)
    from prefect_dask import DaskTaskRunner

    if address == "local":
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": os.cpu_count() or 2, "threads_per_worker": 1, "dashboard_address": ":0"}
        )
    return DaskTaskRunner(address=address)


def chunks(files: list[ReceivedFile], size: int | None = None) -> list[list[ReceivedFile]]:
    size = size or CHUNK_FILES
    return [files[i : i + size] for i in range(0, len(files), size)]


def _dask_runner_in_use() -> Any:
    ctx = FlowRunContext.get()
    runner = getattr(ctx, "task_runner", None) if ctx else None
    return runner if type(runner).__name__ == "DaskTaskRunner" else None


def read_returns_parallel(files: list[ReceivedFile]) -> ReturnBatch:
    """read_returns, with the files parsed in chunks on the flow's Dask cluster when it has one.

    Without Dask the files are read in this process: threads would not help (the parser holds
    the GIL). Validation stays one GX run over the merged batch (its fixed cost is per run).
    """
    if _dask_runner_in_use() is None or len(files) <= CHUNK_FILES:
        return read_returns(files)
    futures = [read_chunk_task.submit(part) for part in chunks(files)]
    return merge_batches([f.result() for f in futures])


read_chunk_task = task(name="read-chunk", cache_policy=NO_CACHE)(read_returns_here)
