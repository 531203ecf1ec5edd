"""Parsing in capped worker processes (issue 13 item 1): a file that crashes, balloons or spins its
worker is reported as crashed, every other file is parsed, in order."""

from __future__ import annotations

import os
import time

import pytest

import tasks.read.isolation as iso
from tasks.read.isolation import run_in_workers


def parse(files: list[str]) -> list[str]:
    """A stand-in parser that misbehaves on command (module level: the workers import it by name)."""
    out = []
    for f in files:
        if f == "abort":
            os.abort()  # what the parser does when an allocation fails
        if f == "balloon":
            block = bytearray(8 << 30)  # 8 GB, past the worker's address-space cap
            out.append(str(len(block)))
        if f == "spin":
            end = time.monotonic() + 60
            while time.monotonic() < end:  # past the CPU cap
                pass
        out.append(f"ok:{f}")
    return out


def crashed(f: str) -> list[str]:
    return [f"crashed:{f}"]


def merge(parts: list[list[str]]) -> list[str]:
    return [x for p in parts for x in p]


def run(chunks: list[list[str]]) -> list[str]:
    return merge(run_in_workers(chunks, parse, crashed, merge, workers=2))


def test_good_files_are_parsed_in_order() -> None:
    assert run([["a", "b"], ["c"], ["d"]]) == ["ok:a", "ok:b", "ok:c", "ok:d"]


def test_a_worker_abort_rejects_only_its_file() -> None:
    chunks = [["a", "b"], ["c", "abort", "d"], ["e"], ["f", "g"]]
    assert run(chunks) == ["ok:a", "ok:b", "ok:c", "crashed:abort", "ok:d", "ok:e", "ok:f", "ok:g"]


def test_a_file_past_the_memory_cap_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iso, "MEMORY_MB", 2048)
    assert run([["a", "balloon"], ["b"]]) == ["ok:a", "crashed:balloon", "ok:b"]


def test_a_file_past_the_cpu_cap_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iso, "CPU_BASE_SECONDS", 1)
    monkeypatch.setattr(iso, "CPU_SECONDS_PER_FILE", 1)
    started = time.monotonic()
    assert run([["spin"], ["a"]]) == ["crashed:spin", "ok:a"]
    assert time.monotonic() - started < 45  # stopped by the cap, not by the 60 s loop ending


def test_the_reader_in_workers_gives_the_batch_of_the_reader_here(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    from datetime import datetime

    import pandas as pd

    from junheng.contract import ReceivedFile
    from tasks.demo.returns import make_demo_county
    from tasks.read.returns import crashed_file, read_returns

    paths = make_demo_county(tmp_path, schools=6, period="2026-10", broken=True)
    files = [
        ReceivedFile(hashlib.sha256(p.read_bytes()).hexdigest(), p.name, str(p), str(p), datetime(2026, 11, 3), 1)
        for p in paths
    ]
    here, isolated = read_returns(files), read_returns(files, isolate=True)
    pd.testing.assert_frame_equal(here.info, isolated.info)
    for name in here.frames:
        pd.testing.assert_frame_equal(here.frames[name], isolated.frames[name])
    assert here.findings == isolated.findings
    [f] = crashed_file(files[0]).findings
    assert f.severity == "error" and f.rule.startswith("file.")
    assert f.message.startswith(f"文件「{files[0].file_name}」：读取这个文件时读取进程异常中止（超出 4,096 MB 内存")


def _in_a_daemon(q) -> None:  # type: ignore[no-untyped-def]
    try:
        q.put(run([["a"]]))
    except iso.PoolUnavailable:
        q.put("unavailable")


def test_a_daemon_process_says_workers_are_unavailable() -> None:
    """A Dask worker is a daemon and may not start processes: the reader then parses in place."""
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    q = ctx.Queue()
    p = ctx.Process(target=_in_a_daemon, args=(q,), daemon=True)
    p.start()
    assert q.get(timeout=60) == "unavailable"
    p.join(10)
