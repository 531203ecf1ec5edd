"""The findings-heavy demo county (findings=True): every return loads, and every school gets its own
workbook back with its problem cells marked and commented."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from junheng.contract import ReceivedFile
from junheng.settings import Settings
from tasks.demo.returns import make_demo_county
from tasks.model.load import check_policy_run, load_run
from tasks.publish.feedback import ISSUES_SHEET, write_feedback
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from warehouse.engine import connected, query_frame

PERIOD = "2026-10"
SCHOOLS = 16


def _received(path: Path) -> ReceivedFile:
    data = path.read_bytes()
    return ReceivedFile(
        file_id=hashlib.sha256(data).hexdigest(),
        file_name=path.name,
        source_path=str(path),
        archive_path=str(path),
        received_at=datetime(2026, 11, 5, 8, 0),
        size_bytes=len(data),
    )


def test_every_return_loads_and_every_school_gets_marked_cells(warehouse_url: str, tmp_path: Path) -> None:
    paths = make_demo_county(tmp_path / "inbox", schools=SCHOOLS, findings=True)
    batch = read_returns([_received(p) for p in paths])
    findings = validate(batch, PERIOD)
    assert [f for f in findings if f.severity == "error"] == []
    run_id = str(uuid.uuid4())
    load_run(warehouse_url, PERIOD, batch, findings, Settings(data_dir=tmp_path), run_id)
    check_policy_run(warehouse_url, PERIOD, run_id)
    with connected(warehouse_url) as engine:
        sql = "SELECT file_name, status FROM mart.return_status WHERE period = :p"
        status = query_frame(engine, sql, {"p": PERIOD})
    assert sorted(status["status"]) == ["loaded"] * SCHOOLS

    out = write_feedback(warehouse_url, PERIOD, tmp_path / "reports", tmp_path)
    feedback = [p for k, p in out.items() if k != "overview"]
    assert len(feedback) == SCHOOLS
    for path in feedback:
        wb = load_workbook(path)
        assert wb.sheetnames[0] == ISSUES_SHEET
        marked = [
            c.coordinate
            for ws in wb.worksheets[1:]
            for row in ws.iter_rows()
            for c in row
            if c.comment is not None and c.fill.fill_type == "solid"
        ]
        assert marked, path.name
