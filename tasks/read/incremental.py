"""Which received files a run reads: new or changed ones (by sha256), the failed ones, or all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Literal

import pandas as pd

from junheng.contract import Finding, ReceivedFile, ReturnBatch
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.read.file_names import name_code_findings
from tasks.read.returns import read_returns
from warehouse.engine import connected, init_warehouse, query_frame

Reread = Literal["new", "failed", "all"]

PROCESSED_SQL = """
SELECT file_id, file_name, archive_path, size_bytes, received_at, school_code, status
FROM audit.ingest_file WHERE county_code = :county_code AND period = :period
"""


def processed_files(url: str, period: str, county_code: str = DEFAULT_COUNTY_CODE) -> pd.DataFrame:
    """The files already recorded for the county's period with their last status (empty on a new warehouse)."""
    with connected(url) as engine:
        init_warehouse(engine)
        return query_frame(engine, PROCESSED_SQL, {"period": period, "county_code": county_code})


def _from_audit(rows: pd.DataFrame) -> list[ReceivedFile]:
    """Files to read again from the archive (the inbox may have been cleaned since)."""
    return [
        ReceivedFile(
            file_id=str(r.file_id),
            file_name=str(r.file_name),
            source_path=str(r.archive_path),
            archive_path=str(r.archive_path),
            received_at=pd.Timestamp(r.received_at).to_pydatetime(),
            size_bytes=int(r.size_bytes) if pd.notna(r.size_bytes) else 0,
        )
        for r in rows.itertuples(index=False)
    ]


def identical_copies(files: list[ReceivedFile]) -> tuple[list[ReceivedFile], list[Finding]]:
    """One file per content (sha256), and a note on every other copy of it.

    Mail clients save a second download as "x(1).xlsx": the same bytes, so the same return. The copy
    received first (then the shorter name) is the one read; each other copy is named in an
    information finding and not read again."""
    ordered = sorted(files, key=lambda f: (f.received_at, len(f.file_name), f.file_name))
    kept: dict[str, ReceivedFile] = {}
    notes: list[Finding] = []
    for f in ordered:
        first = kept.setdefault(f.file_id, f)
        if first is f:
            continue
        notes.append(
            Finding(
                file_id=f.file_id,
                file_name=f.file_name,
                sheet="",
                cell="",
                rule="file.duplicate",
                severity="info",
                value=first.file_name,
                message=f"文件「{f.file_name}」与「{first.file_name}」内容完全相同（同一份报表的副本），"
                "按一份报表处理，只读取和入库一次。无需处理；以后只发送一份即可",
            )
        )
    order = {id(f): i for i, f in enumerate(files)}
    return sorted(kept.values(), key=lambda f: order[id(f)]), notes


def _read_once(read: Callable[[list[ReceivedFile]], ReturnBatch], files: list[ReceivedFile]) -> ReturnBatch:
    unique, notes = identical_copies(files)
    batch = read(unique)
    batch.findings.extend([*notes, *name_code_findings(batch)])
    return batch


def read_incremental(
    url: str,
    period: str,
    files: list[ReceivedFile],
    reread: Reread = "new",
    county_code: str = DEFAULT_COUNTY_CODE,
    *,
    read: Callable[[list[ReceivedFile]], ReturnBatch] = read_returns,
) -> ReturnBatch:
    """Read what this run needs and nothing more.

    ``new``: files whose hash is not yet recorded for the period. The marts stay complete because
    the slices of unchanged schools are left in place and the period's models are recomputed over
    all of them. When a new file belongs to a school that already has a loaded return, that return
    is read again from the archive so the newer-return rule (decide) compares both.
    ``failed``: only the files whose last status was rejected (read again from the archive).
    ``all``: every received file of this run (after a reader or rule fix).
    ``read``: how the files are read (the flow reads in chunks on its Dask cluster when it has one).
    Identical copies of a file are read once and noted (identical_copies).
    """
    if reread == "all":
        return _read_once(read, files)
    done = processed_files(url, period, county_code)
    if reread == "failed":
        # A rejected file may be one whose parse worker died: a reread never parses it in the run's own process.
        rejected = _from_audit(done[done["status"] == "rejected"])
        return _read_once(read, [replace(f, isolate_parse=True) for f in rejected])
    seen = set(done["file_id"])
    fresh = [f for f in files if f.file_id not in seen]
    if not fresh:
        return read([])
    batch = _read_once(read, fresh)
    schools = set(batch.info["school_code"].dropna().astype(str)) if not batch.info.empty else set()
    fresh_ids = {f.file_id for f in fresh}
    prior = done[done["status"].eq("loaded") & done["school_code"].isin(schools) & ~done["file_id"].isin(fresh_ids)]
    if prior.empty:
        return batch
    return _read_once(read, [*fresh, *_from_audit(prior)])
