"""Parsing in worker processes with limits, so one file cannot take the run down.

Each chunk of files is parsed in a fresh worker process (forkserver, one task per process) whose
address space and CPU time are capped. A file that crashes its worker (a parser abort), balloons it
(past the memory cap) or spins (past the CPU cap) breaks only that worker: the chunks that did not
finish are parsed again one by one, then the files of the chunk that fails alone one by one, and a
file that still kills its worker is reported through ``crashed`` while every other file is read.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

# Per worker: address space (MB; a return's parse needs a few hundred), and CPU time: a base for the
# worker's start plus a budget per file of its chunk (a return parses in well under a second, the
# largest sheet the extent check lets through in a few), so a spinning file is stopped within minutes.
MEMORY_MB = int(os.environ.get("JUNHENG_READ_MEMORY_MB", "4096"))
CPU_BASE_SECONDS = 30
CPU_SECONDS_PER_FILE = int(os.environ.get("JUNHENG_READ_CPU_SECONDS", "2"))

F = TypeVar("F")  # a file to parse
R = TypeVar("R")  # what parsing a chunk of files gives


class PoolUnavailable(RuntimeError):
    """Worker processes cannot be started here (no /dev/shm, a script without a __main__ guard)."""


def _cap_memory(mb: int) -> None:
    """Worker initializer: cap the worker's address space (the hard limit is left as it is)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _capped(work: Callable[[list[F]], R], files: list[F], cpu_seconds: int) -> R:
    """Run ``work`` in the worker with a CPU-time cap (SIGXCPU ends the worker when it is passed)."""
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    return work(files)


def _round(
    ctx: multiprocessing.context.BaseContext, work: Callable[[list[F]], R], chunks: dict[int, list[F]], workers: int
) -> tuple[dict[int, R], list[int]]:
    """Parse the chunks in one pool: the results that came back, and the chunks whose worker died."""
    done: dict[int, R] = {}
    failed: list[int] = []
    if multiprocessing.current_process().daemon:  # a Dask worker, say: it may not start processes
        raise PoolUnavailable("守护进程中不能启动工作进程")
    with ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(chunks))),
        mp_context=ctx,
        initializer=_cap_memory,
        initargs=(MEMORY_MB,),
        max_tasks_per_child=1,
    ) as pool:
        futures: dict[int, Future[R]] = {
            i: pool.submit(_capped, work, part, CPU_BASE_SECONDS + CPU_SECONDS_PER_FILE * len(part))
            for i, part in chunks.items()
        }
        for i, fut in futures.items():
            try:
                done[i] = fut.result()
            except (BrokenProcessPool, OSError, MemoryError):  # the worker died or could not allocate
                failed.append(i)
    return done, failed


def run_in_workers(
    chunks: Sequence[list[F]],
    work: Callable[[list[F]], R],
    crashed: Callable[[F], R],
    merge: Callable[[list[R]], R],
    *,
    workers: int,
    preload: Sequence[str] = (),
) -> list[R]:
    """``work`` over every chunk in capped worker processes, in chunk order; a file whose worker dies
    even when it is parsed alone becomes ``crashed(file)``. Raises PoolUnavailable when no worker
    can run at all (the caller then parses in its own process)."""
    # forkserver, not fork: the flow process runs Prefect's threads, and forking a threaded process
    # can deadlock the child on a lock another thread held.
    ctx = multiprocessing.get_context("forkserver")
    if preload:
        ctx.set_forkserver_preload(list(preload))
    indexed = dict(enumerate(chunks))
    done, failed = _round(ctx, work, indexed, workers)
    if failed and not done:
        _, probe_failed = _round(ctx, work, {0: []}, 1)
        if probe_failed:
            raise PoolUnavailable("工作进程无法启动")
    for i in failed:  # collateral damage of a broken pool, or the chunk holding the culprit
        alone, still = _round(ctx, work, {i: indexed[i]}, 1)
        if not still:
            done[i] = alone[i]
            continue
        parts: list[R] = []
        for f in indexed[i]:
            one, dead = _round(ctx, work, {0: [f]}, 1)
            parts.append(crashed(f) if dead else one[0])
        done[i] = merge(parts)
    return [done[i] for i in range(len(chunks))]
