"""Messy twins read and compute exactly like their clean twins; broken twins are rejected, located."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from junheng.contract import ReceivedFile, ReturnBatch
from junheng.settings import Settings
from tasks.ingest.archive import archive
from tasks.model.load import check_policy_run, fetch_marts, load_run
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from tests.fixtures import messy

FIRST_GOOD = 3708300001
FIRST_BROKEN = 3708300901


def received(path: Path) -> ReceivedFile:
    data = path.read_bytes()
    return ReceivedFile(
        file_id=hashlib.sha256(data).hexdigest(),
        file_name=path.name,
        source_path=str(path),
        archive_path=str(path),
        received_at=datetime(2026, 11, 5, 8, 0),
        size_bytes=len(data),
    )


def values_only(batch: ReturnBatch) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """What the reader got, without where it was found (rows move in messy files)."""
    info = batch.info.drop(columns=[c for c in batch.info.columns if c == "file_id" or c.endswith("__raw")])
    frames = {}
    for name, df in batch.frames.items():
        df = df.drop(columns=[c for c in df.columns if c in ("file_id", "sheet", "row") or c.endswith("__raw")])
        frames[name] = df.sort_values(list(df.columns)).reset_index(drop=True)
    return info, frames


@dataclass
class County:
    clean: list[Path]
    messy: list[Path]  # one messy twin per clean school, plus an earlier draft of the first school
    broken: dict[str, Path]  # case → file
    draft: Path


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    root = tmp_path_factory.mktemp("twins")
    clean, out = [], []
    for k, (name, build) in enumerate(messy.MESSY.items()):
        code = str(FIRST_GOOD + k)
        ret = messy.clean_return(code, k)
        c = messy.write_clean(root / "clean" / f"{code}.xlsx", ret)
        clean.append(c)
        out.append(build(c, ret, root / "messy" / f"{code}-{name}"))
    draft = messy.write_clean(
        root / "messy" / f"{FIRST_GOOD}-draft.xlsx", messy.draft_of(messy.clean_return(str(FIRST_GOOD), 0))
    )
    broken = {}
    for i, b in enumerate(messy.BROKEN):
        code = str(FIRST_BROKEN + i)
        ret = messy.clean_return(code, 50 + i)
        c = messy.write_clean(root / "broken-src" / f"{code}.xlsx", ret)
        broken[b.case] = b.build(c, ret, root / "messy" / messy.broken_file_name(b))
    return County(clean, out, broken, draft)


@pytest.mark.parametrize("variant", list(messy.MESSY))
def test_messy_twin_reads_like_its_clean_twin(variant: str, county: County) -> None:
    k = list(messy.MESSY).index(variant)
    clean_batch = read_returns([received(county.clean[k])])
    messy_batch = read_returns([received(county.messy[k])])
    assert clean_batch.findings == []
    # Only information (an extra column, a renamed tab) may be said about a messy twin.
    assert [f for f in messy_batch.findings if f.severity != "info"] == [], messy_batch.findings
    c_info, c_frames = values_only(clean_batch)
    m_info, m_frames = values_only(messy_batch)
    pd.testing.assert_frame_equal(m_info, c_info, check_exact=True)
    for name in c_frames:
        pd.testing.assert_frame_equal(m_frames[name], c_frames[name], check_exact=True, obj=name)


@pytest.mark.parametrize("case", [b.case for b in messy.BROKEN])
def test_broken_twin_is_rejected_with_a_located_message(case: str, county: County) -> None:
    b = next(x for x in messy.BROKEN if x.case == case)
    path = county.broken[case]
    assert path.name.startswith(b.rule)
    batch = read_returns([received(path)])
    errors = [f for f in batch.findings if f.severity == "error"]
    assert errors, batch.findings
    f = errors[0]
    assert (f.rule, f.sheet, f.cell) == (b.rule, b.sheet, b.cell), errors
    assert path.name in f.message and b.says in f.message and "请" in f.message, f.message
    if b.rule == "file.unreadable":
        assert batch.info.empty and all(df.empty for df in batch.frames.values())


def run_pipeline(url: str, files: list[Path], archive_dir: Path) -> dict[str, pd.DataFrame]:
    """The real stages the monthly flow composes: archive → read → validate → load → policy → marts."""
    received_files = archive(files, archive_dir)
    batch = read_returns(received_files)
    findings = validate(batch, messy.PERIOD)
    run_id = str(uuid.uuid4())
    load_run(url, messy.PERIOD, batch, findings, Settings(data_dir=archive_dir.parent), run_id)
    check_policy_run(url, messy.PERIOD, run_id)
    return fetch_marts(url, messy.PERIOD)


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """A mart without file ids (messy bytes differ) or timestamps, in a stable order."""
    df = frame.drop(columns=[c for c in frame.columns if c == "file_id" or c.endswith("_at")])
    return df.sort_values([c for c in df.columns if df[c].dtype != "float64"] or list(df.columns)).reset_index(
        drop=True
    )


def test_messy_county_gives_the_clean_county_marts(county: County, warehouse_url: str, tmp_path: Path) -> None:
    clean = run_pipeline(warehouse_url, county.clean, tmp_path / "data" / "archive")
    assert len(clean["school_compliance"]) == 2 * len(county.clean)  # 小学 and 初中 unit per school
    dirty_files = [*county.messy, county.draft, *county.broken.values()]
    dirty = run_pipeline(warehouse_url, dirty_files, tmp_path / "data" / "archive")
    for name in ("school_indicators", "school_compliance"):
        pd.testing.assert_frame_equal(comparable(dirty[name]), comparable(clean[name]), check_exact=True, obj=name)
    # The CV sums over schools inside the database, whose summation order follows row order (and
    # so the file ids): equal to the last few units in the last place, not bit for bit.
    pd.testing.assert_frame_equal(
        comparable(dirty["county_cv"]), comparable(clean["county_cv"]), check_exact=False, rtol=1e-12, atol=0
    )

    status = dirty["return_status"].set_index("file_name")["status"]
    for path in county.messy:
        assert status[path.name] == "loaded", path.name
    assert status[county.draft.name] == "superseded"  # earlier 填报日期 of the same school
    for case, path in county.broken.items():
        assert status[path.name] == "rejected", case
    # The clean twins of the first run were replaced by the messy ones of the second.
    assert (status[[p.name for p in county.clean]] == "superseded").all()
    issues = dirty["validation_issues"]
    broken_names = {p.name for p in county.broken.values()}
    errors = issues[issues["file_name"].isin(broken_names) & (issues["severity"] == "error")]
    assert set(errors["file_name"]) == broken_names
    assert not issues[~issues["file_name"].isin(broken_names) & (issues["severity"] == "error")].shape[0]
