"""A county's small inbox is parsed in the run's own process when every file passes the extent
pre-check; anything the pre-check cannot vouch for sends the batch to the capped workers (issue 13's
"workers with limits or a pre-check", issue 14 item 1)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import tasks.read.returns as read_mod
from junheng.contract import ReceivedFile
from tasks.demo.returns import make_demo_county
from tasks.read import precheck
from tasks.read.prefect_tasks import read_returns_parallel
from tests.unit.test_read_isolation import classes_part, with_cell


def received(p: Path) -> ReceivedFile:
    return ReceivedFile(hashlib.sha256(p.read_bytes()).hexdigest(), p.name, str(p), str(p), datetime(2026, 11, 3), 1)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_demo_county(tmp_path_factory.mktemp("county"), schools=6, period="2026-10", findings=True)


@pytest.fixture
def pool_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many batches went to the worker processes (the real workers still parse them)."""
    calls: list[int] = []
    real = read_mod.run_in_workers

    def counting(chunks: list[Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(len(chunks))
        return real(chunks, *args, **kwargs)

    monkeypatch.setattr(read_mod, "run_in_workers", counting)
    return calls


def test_a_county_of_ordinary_returns_is_read_in_process(county: list[Path], pool_calls: list[int]) -> None:
    files = [received(p) for p in county]
    assert all(precheck.fits_in_process(f) for f in files)
    batch = read_returns_parallel(files)
    assert pool_calls == []
    assert sorted(batch.info["file_id"]) == sorted(f.file_id for f in files)


def test_a_sheet_larger_than_a_return_needs_sends_the_batch_to_the_workers(
    county: list[Path], tmp_path: Path, pool_calls: list[int]
) -> None:
    # 13,400 rows × 15 columns = 201,000 cells: under the reader's 1,000,000-cell refusal, over the
    # 200,000 cells a whole return may ask for in process.
    far = b'<row r="13400"><c r="O13400"><v>1</v></c></row>'
    big = with_cell(county[0], tmp_path / "3708300001_大表.xlsx", classes_part(county[0]), far)
    assert not precheck.fits_in_process(received(big))
    files = [received(big), *(received(p) for p in county[1:])]
    batch = read_returns_parallel(files)
    assert pool_calls == [1]  # one chunk, parsed in a capped worker
    assert len(batch.info) == len(files)  # still read: the extent is within the reader's limit


def test_what_the_precheck_cannot_vouch_for_goes_to_the_workers(county: list[Path], tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600)
    html = tmp_path / "saved.xls"
    html.write_bytes("<html><table><tr><td>学校</td></tr></table></html>".encode())
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(county[0].read_bytes()[:3000])
    huge = tmp_path / "huge.xlsx"
    huge.write_bytes(b"PK\x03\x04" + b"\0" * (precheck.IN_PROCESS_MAX_BYTES + 1))
    for p in (xls, html, truncated, huge):
        assert not precheck.fits_in_process(received(p)), p.name
    # An earlier run died with this file undecided: it may be what killed it (tasks.ingest.received).
    assert not precheck.fits_in_process(replace(received(county[0]), isolate_parse=True))
    refused = ReceivedFile("0" * 64, "link.xlsx", "/nowhere", "", datetime(2026, 11, 3), 0, refused="符号链接")
    assert precheck.fits_in_process(refused)  # never opened: nothing to guard against


def test_a_large_inbox_goes_to_the_workers(county: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    files = [received(p) for p in county]
    assert precheck.small_and_safe(files)
    monkeypatch.setattr(precheck, "IN_PROCESS_MAX_FILES", len(files) - 1)
    assert not precheck.small_and_safe(files)
