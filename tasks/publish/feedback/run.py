"""The flow step: quarantine the period's refused files, one feedback workbook per file with findings or
提醒, and the bureau's 报送情况, all from the warehouse (so every run of the period is covered)."""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from junheng.policy import period_start
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.publish.cells import as_text, num
from tasks.publish.feedback.advice import SchoolContext
from tasks.publish.feedback.marks import Records, as_records
from tasks.publish.feedback.names import rule_name
from tasks.publish.feedback.quarantine import quarantine_rejected
from tasks.publish.feedback.school import write_school_feedback
from tasks.publish.feedback.status import write_status
from warehouse.engine import connected, query_frame

STATUS_SQL = "SELECT * FROM mart.return_status WHERE county_code = :county_code AND period = :period"
ISSUES_SQL = "SELECT * FROM mart.validation_issues WHERE county_code = :county_code AND period = :period"
# per_students is what turns a need into the indicator's own unit; the mart leaves it out.
REMEDIATION_SQL = """
SELECT school_code, section, indicator_code, students, resource, value, threshold, floor, per_students,
       need_to_threshold_whole, need_to_floor_whole
FROM core.fct_remediation WHERE county_code = :county_code AND period = :period
"""
OUTLIERS_SQL = """
SELECT school_code, section, indicator_code, method, value, center, band_low, band_high, n_ref
FROM mart.outliers WHERE county_code = :county_code AND period = :period
"""
SCHOOL_TYPES_SQL = """
SELECT DISTINCT school_code, school_name, school_type
FROM mart.school_units WHERE county_code = :county_code AND period = :period
"""
LIMITS_SQL = """
SELECT t.indicator_code, t.section, t.school_types, t.value
FROM core.dim_threshold AS t
WHERE t.county_code = :county_code AND t.indicator_code IN ('G4', 'G5') AND t.measure = 'value'
  AND t.comparator IN ('le', 'lt') AND t.valid_from <= :start AND (t.valid_to IS NULL OR :start < t.valid_to)
"""


# From this many feedback workbooks on, worker processes help write them. This process writes from the
# start and never waits for a worker's start-up (the imports, in the forkserver), but the start-up and
# the workers take CPU from whatever else runs: on a busy 2-core machine a pool did not pay for a few
# hundred workbooks, so it is kept for large periods.
PARALLEL_MIN = int(os.environ.get("JUNHENG_PARALLEL_FEEDBACK_MIN", "1000"))
CHUNK = 8  # workbooks per task: small enough for the two ends to meet evenly


@dataclass
class Job:
    """One school's feedback to write (picklable: it may go to a worker process)."""

    file_id: str
    archive_path: Path
    file_name: str
    status: str
    findings: pd.DataFrame | Records  # the file's rows of mart.validation_issues
    out: Path
    header: str
    context: SchoolContext | None


Result = tuple[str, Path, int | None]  # file id, feedback path, 提醒 listed (None: the file could not be opened)


def write_job(job: Job) -> Result:
    path, n_warnings = write_school_feedback(
        job.archive_path, job.file_name, job.status, job.findings, job.out, job.header, job.context
    )
    return job.file_id, path, n_warnings


def write_chunk(write: Callable[[Job], Result], jobs: Sequence[Job]) -> list[Result]:
    return [write(j) for j in jobs]


class _Shared:
    """The chunks between this process (from the back) and the workers (from the front)."""

    def __init__(self, chunks: list[Sequence[Job]]) -> None:
        self.todo = deque(enumerate(chunks))
        self.done: list[list[Result] | None] = [None] * len(chunks)
        self.cond = threading.Condition()
        self.lent = 0  # chunks a worker has and has not returned
        self.error: BaseException | None = None

    def take(self, back: bool) -> tuple[int, Sequence[Job]] | None:
        with self.cond:
            if not self.todo:
                return None
            self.lent += not back
            return self.todo.pop() if back else self.todo.popleft()

    def back_from_worker(self, i: int, result: list[Result] | None, chunk: Sequence[Job]) -> None:
        with self.cond:
            if result is None:  # its worker died: this process writes it
                self.todo.append((i, chunk))
            self.done[i] = result
            self.lent -= 1
            self.cond.notify_all()


def _feed(shared: _Shared, write: Callable[[Job], Result], workers: int) -> None:
    """Worker processes fed one chunk each from the front, once they are up (starting them blocks this
    thread for the forkserver's imports, not the flow's process)."""
    held: dict[Future[list[Result]], tuple[int, Sequence[Job]]] = {}
    try:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["tasks.publish.feedback.run"])
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for up in [pool.submit(os.getpid) for _ in range(workers)]:
                up.result()  # up: only now are chunks taken from the front
            while True:
                while len(held) < workers and (item := shared.take(back=False)) is not None:
                    try:
                        held[pool.submit(write_chunk, write, item[1])] = item
                    except BaseException:
                        shared.back_from_worker(item[0], None, item[1])
                        raise
                if not held:
                    return
                finished, _ = wait(held, return_when=FIRST_COMPLETED)
                for f in finished:
                    i, chunk = held.pop(f)
                    try:
                        result: list[Result] | None = f.result()
                    except (BrokenProcessPool, OSError):  # its worker died: this process writes it
                        result = None
                    shared.back_from_worker(i, result, chunk)
    except (BrokenProcessPool, OSError, RuntimeError):  # no pool (any more): this process writes the rest
        for i, chunk in held.values():
            shared.back_from_worker(i, None, chunk)
    except BaseException as e:  # a failing job fails the stage, as it would here
        with shared.cond:
            shared.error = e
            shared.cond.notify_all()


def run_jobs(jobs: Sequence[Job], write: Callable[[Job], Result] = write_job) -> list[Result]:
    """Every job's result, in order. When there are many, worker processes (one per core but one;
    forkserver: the flow process runs Prefect's threads, and forking a threaded process can deadlock) take
    chunks from the front once they are up, while this process writes from the back, so the workers'
    start-up is never waited for; a chunk whose worker died is written here."""
    procs = min(os.cpu_count() or 1, 8)
    if procs < 2 or PARALLEL_MIN <= 0 or len(jobs) < PARALLEL_MIN:
        return write_chunk(write, jobs)
    shared = _Shared([jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)])
    threading.Thread(target=_feed, args=(shared, write, procs - 1), daemon=True, name="feedback-pool").start()
    while True:
        while (item := shared.take(back=True)) is not None:
            shared.done[item[0]] = write_chunk(write, item[1])
        with shared.cond:  # what the workers still have; a chunk a worker could not write comes back
            shared.cond.wait_for(lambda: shared.lent == 0 or bool(shared.todo) or shared.error is not None)
            if shared.error is not None:
                raise shared.error
            if shared.lent == 0 and not shared.todo:
                break
    return [r for chunk in shared.done if chunk is not None for r in chunk]


# A feedback workbook's name in UTF-8 bytes: the atomic writer's temporary name adds about 22 bytes
# (".<name>.<pid>.<8 hex>.tmp") and must still fit the usual 255-byte limit.
FEEDBACK_NAME_BYTES = 200


def feedback_name(code: str, file_name: str, taken: set[str], file_id: str) -> str:
    """The school code, or the start of the school's file name when its code is unknown; the file's hash
    added when the school has another feedback. Never a hidden file, never over FEEDBACK_NAME_BYTES."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", code or Path(file_name).stem).lstrip(".")
    name = _bounded(stem, "-反馈.xlsx", file_id)
    if name in taken:
        name = _bounded(stem, f"-{file_id[:8]}-反馈.xlsx", file_id)
    taken.add(name)
    return name


def _bounded(stem: str, tail: str, file_id: str) -> str:
    room = FEEDBACK_NAME_BYTES - len(tail.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore") or file_id[:12]
    return cut + tail


def page_header(county: str, school: str, code: str, period: str) -> str:
    """What the list prints on top of every page: county, school (code), period."""
    who = f"{school}（{code}）" if school and code else school or code
    return " ".join(p for p in (county, who, period, "问题清单") if p)


def contexts(
    remediation: pd.DataFrame, outliers: pd.DataFrame, types: pd.DataFrame, limits: pd.DataFrame
) -> dict[str, SchoolContext]:
    """What the warehouse adds to each school's findings: shortfalls, outliers and the size limits."""
    class_limits = {
        as_text(r["section"]): float(r["value"])
        for r in limits.to_dict("records")
        if r["indicator_code"] == "G5" and num(r["value"]) is not None
    }
    school_limits = [
        (set(as_text(r["school_types"]).split(",")), float(r["value"]))
        for r in limits.to_dict("records")
        if r["indicator_code"] == "G4" and num(r["value"]) is not None
    ]
    out: dict[str, SchoolContext] = defaultdict(lambda: SchoolContext(class_limits=class_limits))
    for t in types.to_dict("records"):
        code, kind = as_text(t["school_code"]), as_text(t["school_type"])
        limit = next((v for kinds, v in school_limits if kind in kinds or kinds == {""}), None)
        out[code] = SchoolContext(class_limits=class_limits, school_limit=limit)
    for r in remediation.to_dict("records"):
        ctx = out[as_text(r["school_code"])]
        ctx.remediation = {**ctx.remediation, (as_text(r["section"]), as_text(r["indicator_code"])): r}
    for o in outliers.to_dict("records"):
        out[as_text(o["school_code"])].outliers.append(o)
    return dict(out)


def _read(url: str, period: str, county_code: str) -> dict[str, pd.DataFrame]:
    params: dict[str, Any] = {"period": period, "county_code": county_code}
    with connected(url) as engine:
        return {
            "status": query_frame(engine, STATUS_SQL, params),
            "issues": query_frame(engine, ISSUES_SQL, params),
            "remediation": query_frame(engine, REMEDIATION_SQL, params),
            "outliers": query_frame(engine, OUTLIERS_SQL, params),
            "types": query_frame(engine, SCHOOL_TYPES_SQL, params),
            "limits": query_frame(engine, LIMITS_SQL, {**params, "start": period_start(period)}),
        }


def write_feedback(
    url: str, period: str, out_dir: Path, data_dir: Path, county_code: str = DEFAULT_COUNTY_CODE, county: str = ""
) -> dict[str, Path]:
    """Quarantine the period's rejected files, write one feedback workbook per file with findings or 提醒
    (superseded files excepted: their school has sent a newer one) and the bureau's 报送情况.

    Returns {"overview": path, <file_id>: feedback path, ...}.
    """
    period_start(period)  # a malformed period must not become a path
    data = _read(url, period, county_code)
    status, issues = data["status"], data["issues"]
    quarantine_rejected(data_dir, period, status[status["file_id"].notna()], issues, county_code)
    names = {as_text(r["school_code"]): as_text(r["school_name"]) for r in data["types"].to_dict("records")}
    ctx = contexts(data["remediation"], data["outliers"], data["types"], data["limits"])
    folder = Path(out_dir) / period / "feedback"
    out: dict[str, Path] = {}
    sent: dict[str, str] = {}
    warnings: dict[str, int] = {}
    taken: set[str] = set()
    files = status[status["file_id"].notna() & (status["status"] != "superseded")]
    by_file: dict[str, Records] = defaultdict(list)
    for f in as_records(issues):  # plain rows: a school's handful costs less than a DataFrame of them
        by_file[str(f["file_id"])].append(f)
    jobs: list[Job] = []
    for rec in files.to_dict("records"):
        fid, code = str(rec["file_id"]), as_text(rec["school_code"])
        mine = by_file.get(fid, [])
        school = ctx.get(code) if rec["status"] == "loaded" else None
        if not mine and (school is None or not school.outliers):
            continue
        name = feedback_name(code, as_text(rec["file_name"]), taken, fid)
        header = page_header(county, names.get(code, ""), code, period)
        archived = Path(as_text(rec["archive_path"]))
        jobs.append(
            Job(fid, archived, as_text(rec["file_name"]), as_text(rec["status"]), mine, folder / name, header, school)
        )
        sent[fid] = name
    for fid, path, n_warnings in run_jobs(jobs):
        out[fid] = path
        if n_warnings is not None:
            warnings[fid] = n_warnings
    # Feedback of an earlier run for a file since superseded or corrected is no longer current.
    if folder.is_dir():
        for stale in folder.glob("*-反馈.xlsx"):
            if stale.name not in taken:
                stale.unlink()
    # Problems no school can be told about through its own file: unreadable files whose school is
    # unknown, and returns from schools not on the roster.
    lone = issues[issues["school_code"].isna() | issues["rule"].astype(str).str.startswith("roster.")]
    overview = Path(out_dir) / period / f"报送情况-{period}.xlsx"
    out["overview"] = write_status(overview, period, status, lone, sent, warnings, rule_name, county)
    return out
