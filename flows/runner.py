"""How the flows run their tasks: threads by default, Dask when configured; large arguments passed as they are."""

from __future__ import annotations

import os
from typing import Any, TypeVar, cast

from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

DASK_ADDRESS_ENV = "JUNHENG_DASK_ADDRESS"
T = TypeVar("T")


def as_is(value: T) -> T:
    """A task argument Prefect passes through untouched: without it Prefect walks every list, dict and
    dataclass inside a large argument looking for futures (bench/README.md has the cost).
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
    from prefect_dask import DaskTaskRunner  # only when a cluster is configured: it pulls in dask

    if address == "local":
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": os.cpu_count() or 2, "threads_per_worker": 1, "dashboard_address": ":0"}
        )
    return DaskTaskRunner(address=address)
