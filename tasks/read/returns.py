"""Read received returns (xlsx/xls, and HTML tables saved as .xls) into one located ReturnBatch."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from junheng import spec
from junheng.contract import ReceivedFile, ReturnBatch
from junheng.errors import FileRejected
from tasks.read.file_result import RESEND, FileResult
from tasks.read.frames import info_frame, table_frame
from tasks.read.grid import RawSheet
from tasks.read.info import read_info
from tasks.read.isolation import (
    CPU_BASE_SECONDS,
    CPU_SECONDS_PER_FILE,
    MEMORY_MB,
    PoolUnavailable,
    run_in_workers,
)
from tasks.read.sheets import assign_sheets, check_version, county_sheet
from tasks.read.tables import read_table
from tasks.read.workbook import load_sheets

# Parse in worker processes from this many files on (the parser holds the GIL, so threads would not
# help); below it starting the workers costs more than it saves, unless the caller asks
# for isolation (the flow does: a file that kills its worker must not kill the run). 0 = never.
PARALLEL_MIN_FILES = int(os.environ.get("JUNHENG_PARALLEL_READ_MIN", "400"))
# Files per worker call: each returns a batch of frames (cheap to pickle, and the parent never holds
# 20,000 files' rows as Python lists), merged in file order.
PARALLEL_CHUNK = 250


def read_returns(files: list[ReceivedFile], *, isolate: bool = False) -> ReturnBatch:
    """Read every file; unreadable files become findings, never exceptions.

    In worker processes with memory and CPU caps (tasks.read.isolation) for large batches, or for
    any batch when ``isolate``: then a file that crashes, balloons or hangs its worker is rejected
    with a finding and the other files are read. Like every multiprocessing user, the workers
    import the main module: a script calling the flow needs `if __name__ == "__main__":`; where
    workers cannot start at all, the files are read here (same result, without the isolation).
    """
    procs = min(os.cpu_count() or 1, 8)
    large = procs >= 2 and PARALLEL_MIN_FILES > 0 and len(files) >= PARALLEL_MIN_FILES
    if not files or not (large or isolate):
        return read_returns_here(files)
    parts = [files[i : i + PARALLEL_CHUNK] for i in range(0, len(files), PARALLEL_CHUNK)]
    try:
        done = run_in_workers(
            parts, read_returns_here, crashed_file, merge_batches, workers=procs, preload=["tasks.read.returns"]
        )
    except PoolUnavailable:
        return read_returns_here(files)
    return merge_batches(done)


def crashed_file(rf: ReceivedFile) -> ReturnBatch:
    """The batch of a file whose worker died even when it was parsed alone."""
    res = FileResult(rf)
    res.add(
        "",
        "",
        "file.reader_crashed",
        "error",
        "",
        f"读取这个文件时读取进程异常中止（超出 {MEMORY_MB:,} MB 内存或 {CPU_BASE_SECONDS + CPU_SECONDS_PER_FILE} 秒"
        "计算时间的限制，或文件内部结构异常），文件没有读取",
        "请在 Excel 或 WPS 中打开文件，删除模板表格以外的内容，另存为 .xlsx 后重新发送",
    )
    return _assemble([res])


def read_returns_here(files: list[ReceivedFile]) -> ReturnBatch:
    """read_returns in this process."""
    return _assemble([_read_file(rf) for rf in files])


def _assemble(results: list[FileResult]) -> ReturnBatch:
    """One batch from the files' results, in their order."""
    info_rows: list[dict[str, Any]] = []
    tables: dict[str, list[list[Any]]] = {spec.FRAME_OF_SHEET[s.name]: [] for s in spec.TABLE_SHEETS}
    batch = ReturnBatch(
        files=[r.rf for r in results if not r.county],
        info=pd.DataFrame(),
        frames={},
        county_files=[r.rf for r in results if r.county],
    )
    for res in results:
        if res.info is not None:
            info_rows.append(res.info)
            batch.info_cells[res.rf.file_id] = res.info_cells
        for name, rows in res.tables.items():
            tables[name].extend(rows)
        batch.columns.update(res.columns)
        for f in res.findings:
            f.school_code = res.school_code
        batch.findings.extend(res.findings)
    batch.info = info_frame(info_rows)
    batch.frames = {
        s_name: table_frame(s, tables[s_name])
        for s, s_name in ((s, spec.FRAME_OF_SHEET[s.name]) for s in spec.TABLE_SHEETS)
    }
    return batch


def merge_batches(parts: list[ReturnBatch]) -> ReturnBatch:
    """One batch from batches read in chunks, in chunk order (what read_returns gives for all files)."""
    if len(parts) == 1:
        return parts[0]
    out = ReturnBatch(files=[], info=pd.DataFrame(), frames={})
    for p in parts:
        out.files.extend(p.files)
        out.county_files.extend(p.county_files)
        out.columns.update(p.columns)
        out.info_cells.update(p.info_cells)
        out.findings.extend(p.findings)
    out.info = _concat([p.info for p in parts])
    out.frames = {k: _concat([p.frames[k] for p in parts]) for k in parts[0].frames} if parts else {}
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    filled = [f for f in frames if not f.empty]
    if not filled:
        return frames[0] if frames else pd.DataFrame()
    return pd.concat(filled, ignore_index=True)


def _read_file(rf: ReceivedFile) -> FileResult:
    res = FileResult(rf)
    if rf.refused or not rf.archive_path:  # a link, a device, an unreadable entry: never opened
        res.add(
            "",
            "",
            "file.not_regular",
            "error",
            "",
            rf.refused or "文件没有归档，无法读取",
            "请把报表文件本身（不是快捷方式、文件夹或设备）放进收件目录后重新运行",
        )
        return res
    try:
        sheets = load_sheets(rf.archive_path)
        if county_sheet(sheets) is not None:  # the county return: read by tasks.read.county_return
            res.county = True
            return res
        _read_workbook(sheets, res)
    except FileRejected as e:
        res = FileResult(rf)
        res.add(e.sheet, e.cell, e.rule, "error", "", e.reason, e.fix)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # one bad file must not stop the batch (a Rust panic is a BaseException)
        res = FileResult(rf)
        res.add(
            "",
            "",
            "file.unreadable",
            "error",
            type(e).__name__,
            f"文件无法读取（{type(e).__name__}: {str(e)[:200]}）",
            RESEND,
        )
    return res


def _read_workbook(sheets: list[RawSheet], res: FileResult) -> None:
    assigned = assign_sheets(sheets, res)
    info_raw = assigned.get(spec.INFO.name)
    if info_raw is not None:
        check_version(info_raw, res)
        read_info(info_raw, res)
    for s in spec.SHEETS:
        if s.name not in assigned and s.required:
            res.add(
                s.name,
                "",
                "sheet.missing",
                "error",
                "",
                f"缺少必填工作表「{s.name}」",
                f"请使用 {spec.TEMPLATE_VERSION} 模板，补上工作表「{s.name}」并按模板填写（不要删除或改名工作表）",
            )
    for s in spec.TABLE_SHEETS:
        raw = assigned.get(s.name)
        if raw is not None:
            read_table(s, raw, res)
