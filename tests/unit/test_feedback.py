"""Quarantine, feedback workbooks for schools and the bureau's 报送情况, on a real warehouse."""

from __future__ import annotations

import csv
import os
import uuid
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from junheng.contract import Finding, ReceivedFile, ReturnBatch
from junheng.settings import Settings
from tasks.ingest.archive import archive
from tasks.model.load import check_policy_run, load_run
from tasks.publish.feedback import ISSUES_SHEET, write_feedback
from tasks.read.returns import read_returns
from tasks.validate.decide import decide
from tasks.validate.gx import validate
from tests.fixtures import messy

PERIOD = messy.PERIOD
GOOD, BAD, LOCKED, XLS = "3708300001", "3708300002", "3708300003", "3708300004"


def run(url: str, data: Path, files: list[Path]) -> None:
    """The monthly flow's stages on plain functions (no Prefect needed)."""
    received = archive(files, data / "archive")
    batch = read_returns(received)
    findings = validate(batch, PERIOD)
    run_id = str(uuid.uuid4())
    load_run(url, PERIOD, batch, findings, Settings(data_dir=data), run_id)
    check_policy_run(url, PERIOD, run_id)


def touch(path: Path, when: datetime) -> Path:
    """The archive takes the received time from the file's modification time."""
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.fixture
def inbox(tmp_path: Path) -> dict[str, Path]:
    src, box = tmp_path / "src", tmp_path / "inbox"
    first = datetime(2026, 11, 2, 9, 0)
    good = messy.write_clean(box / "城关第一学校.xlsx", messy.clean_return(GOOD, 0))
    bad_ret = messy.clean_return(BAD, 1)
    bad = messy.BROKEN[[b.case for b in messy.BROKEN].index("total_row_mismatch")].build(
        messy.write_clean(src / "bad.xlsx", bad_ret), bad_ret, box / "城关第二学校"
    )
    locked_ret = messy.clean_return(LOCKED, 2)
    locked = messy.BROKEN[[b.case for b in messy.BROKEN].index("password_protected")].build(
        messy.write_clean(src / "locked.xlsx", locked_ret), locked_ret, box / "=加密"
    )
    xls_ret = messy.clean_return(XLS, 3)
    xls_ret["classes"][1]["students"] = "四十二"
    xls = messy.legacy_xls(src / "x.xlsx", xls_ret, box / "城关第四学校")
    return {k: touch(p, first) for k, p in {"good": good, "bad": bad, "locked": locked, "xls": xls}.items()}


def comments(path: Path, sheet: str) -> dict[str, str]:
    wb = load_workbook(path)
    ws = wb[sheet]
    return {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment is not None}


def test_feedback_quarantine_and_correction(inbox: dict[str, Path], warehouse_url: str, tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    run(warehouse_url, data, list(inbox.values()))
    paths = write_feedback(warehouse_url, PERIOD, out, data)
    folder = out / PERIOD / "feedback"

    # The school's own workbook, the wrong total marked in place (D9 = 1 more than the classes' sum).
    bad = folder / f"{BAD}-反馈.xlsx"
    wb = load_workbook(bad)
    assert wb.sheetnames[0] == ISSUES_SHEET and "基本信息" in wb.sheetnames and "说明" in wb.sheetnames
    cell = wb["班级学生"]["D9"]
    assert cell.fill.fgColor.rgb == "FFFFC7CE"
    # Issue 12: the school reads a Chinese rule name, never the rule id (was "total.mismatch").
    assert "total.mismatch" not in cell.comment.text and "合计" in cell.comment.text.splitlines()[0]
    assert "之和是" in cell.comment.text and "请核对" in cell.comment.text
    assert wb["班级学生"]["D2"].value == 41  # the school's data is still there, unchanged
    issues = [[c.value for c in row] for row in wb[ISSUES_SHEET].iter_rows(min_row=5)]
    assert any(r[1] == "班级学生" and r[2] == "D9" and "合计" in r[4] and "." not in r[4] for r in issues)

    # Legacy .xls: rebuilt from its cells, the text in a count column marked.
    xls = folder / f"{XLS}-反馈.xlsx"
    d3 = comments(xls, "班级学生")["D3"]
    assert "value.not_a_number" not in d3 and "四十二" in d3
    assert load_workbook(xls)["班级学生"]["D3"].value == "四十二"

    # A file that cannot be opened: a short sheet saying why and what to send instead.
    locked = folder / "=加密-反馈.xlsx"
    text = [c.value for c in load_workbook(locked)["反馈"]["A"] if c.value]
    assert "无法打开" in text[0]
    assert any("密码" in t for t in text) and any(".xlsx" in t and "重新发送" in t for t in text)

    # The bureau's overview: every received file, escaped names, roster-less problems listed.
    overview = load_workbook(paths["overview"])
    rows = {r[0]: r for r in overview["报送情况"].iter_rows(min_row=2, values_only=True)}
    assert rows["'=加密.xlsx"][2] == "退回" and rows["'=加密.xlsx"][1] in (None, "")
    assert rows[inbox["bad"].name][2] == "退回" and rows[inbox["bad"].name][3] >= 1
    assert rows[inbox["good"].name][2] == "已入库" and rows[inbox["good"].name][3] == 0
    assert rows[inbox["bad"].name][8] == f"{BAD}-反馈.xlsx"
    lone = [r for r in overview["未对应学校的问题"].iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in lone] == ["'=加密.xlsx"]

    # Quarantine: every rejected file with its findings beside it.
    q = data / "quarantine" / PERIOD
    kept = sorted(p.name for p in q.iterdir() if not p.name.endswith(".csv"))
    assert len(kept) == 3 and {k.split("-", 1)[1] for k in kept} == {"=加密.xlsx", inbox["bad"].name, inbox["xls"].name}
    report = next(q.glob(f"*{inbox['bad'].stem}.xlsx.问题清单.csv"))
    with open(report, encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0][0] == "工作表"
    assert any(r[1] == "D9" and "合计" in r[2] and r[3] == "错误（须修改）" for r in lines[1:])

    # --- the corrected file replaces the rejected one --------------------------------------
    assert (out / PERIOD / "feedback" / f"{BAD}-反馈.xlsx").exists()
    quarantined = sorted((data / "quarantine" / PERIOD).glob("*.xlsx"))
    # The school sends a corrected file; the period is rerun with everything in the inbox.
    fixed = touch(
        messy.write_clean(inbox["bad"].parent / "城关第二学校-改.xlsx", messy.clean_return(BAD, 1)),
        datetime(2026, 11, 4),
    )
    run(warehouse_url, data, [*inbox.values(), fixed])
    paths = write_feedback(warehouse_url, PERIOD, out, data)
    from warehouse.engine import make_engine, query_frame

    eng = make_engine(warehouse_url)
    status = query_frame(eng, "SELECT file_name, status FROM mart.return_status WHERE period = :p", {"p": PERIOD})
    eng.dispose()
    st = dict(zip(status["file_name"], status["status"], strict=True))
    assert st[fixed.name] == "loaded" and st[inbox["bad"].name] == "superseded"
    assert sorted((data / "quarantine" / PERIOD).glob("*.xlsx")) == quarantined  # still kept
    # The superseded file's feedback is no longer current: the school's feedback is now the corrected file's,
    # with no error, only what its figures miss: G9 (clean twin k = 1: 12 of 13 and 14 of 15 teachers trained,
    # 26 of 28 → 还需 2 名; issue #12: school-level G failures reach the school).
    current = [
        r
        for r in load_workbook(out / PERIOD / "feedback" / f"{BAD}-反馈.xlsx")[ISSUES_SHEET].iter_rows(
            min_row=5, values_only=True
        )
        if r[3]
    ]
    assert not any(r[3] == "错误（须修改）" for r in current)
    unmet = [r for r in current if r[3] == "未达标"]
    assert [r[4] for r in unmet] == ["G9 教师5年360学时培训完成率"] and "还需 2 名教师完成" in unmet[0][6]
    rows = {r[0]: r[2] for r in load_workbook(paths["overview"])["报送情况"].iter_rows(min_row=2, values_only=True)}
    assert rows[inbox["bad"].name] == "已被替代" and rows[fixed.name] == "已入库"


def _rf(fid: str, name: str, received: datetime) -> ReceivedFile:
    return ReceivedFile(fid * 64, name, name, name, received, 10)


def _error(fid: str) -> Finding:
    return Finding(fid * 64, "x", "教师", "B2", "required", "error", "", "必填")


def test_decide_supersedes_a_rejected_file_by_its_later_correction_only() -> None:
    files = [
        _rf("a", "rejected-first.xlsx", datetime(2026, 11, 1)),
        _rf("b", "corrected.xlsx", datetime(2026, 11, 3)),
        _rf("c", "rejected-after.xlsx", datetime(2026, 11, 5)),
    ]
    info = pd.DataFrame(
        [{"file_id": f * 64, "school_code": "3708300001", "submitted_on": date(2026, 11, 1)} for f in "abc"]
    )
    out = decide(ReturnBatch(files=files, info=info, frames={}), [_error("a"), _error("c")])
    status = out.set_index("file_name")["status"]
    assert status["corrected.xlsx"] == "loaded"
    assert status["rejected-first.xlsx"] == "superseded"
    assert status["rejected-after.xlsx"] == "rejected"  # the school's latest attempt failed: tell it


SHORT = "3708300005"


def short_return() -> dict:
    """A 九年一贯制 school whose 小学 part is short of teachers, with one class over 45 and its 初中
    equipment value typed in 元 under the 万元 header.

    小学: 8 classes, 48 + 6 × 45 + 42 = 360 pupils, rows 2–9 of 班级学生 (D2 = 48).
    R3 (体育 1 + 音乐 1 + 美术 0 = 2): 2 / 360 × 100 = 0.556 < 0.9; 0.9 × 3.6 = 3.24 → 2 more (4 / 3.6 = 1.11,
    3 / 3.6 = 0.833 < 0.9); floor 0.765 × 3.6 = 2.754 → 1 more (3 / 3.6 = 0.833 ≥ 0.765, 2 / 3.6 = 0.556).
    R1 (16 teachers, 13 above the degree): 13 / 3.6 = 3.61 < 4.2; 4.2 × 3.6 = 15.12 → 3 more
    (16 / 3.6 = 4.44, 15 / 3.6 = 4.17 < 4.2); the floor 3.57 × 3.6 = 12.85 ≤ 13: already at 85 %.
    初中 equipment 557,500 “万元” = 5,575,000,000 元 for 145 pupils: 38,448,276 元/生, 15,379 × 2,500.
    """
    ret = messy.clean_return(SHORT, 4)
    sizes = [48, 45, 45, 45, 45, 45, 45, 42]
    primary = [
        {"section": "小学", "grade": f"{i + 1}年级", "class_name": "1班", "students": n} for i, n in enumerate(sizes)
    ]
    ret["classes"] = primary + [c for c in ret["classes"] if c["section"] == "初中"]
    t = ret["teachers"][0]
    assert t["section"] == "小学" and t["teachers"] == 16 and t["teachers_above_required_degree"] == 13
    t.update(pe_teachers=1, music_teachers=1, art_teachers=0)
    ret["facilities"][1]["equipment_value_yuan"] = 557500
    return ret


def test_a_schools_feedback_says_what_to_do(warehouse_url: str, tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    src = touch(messy.write_clean(tmp_path / "inbox" / "学校.xlsx", short_return()), datetime(2026, 11, 2, 9))
    run(warehouse_url, data, [src])
    paths = write_feedback(warehouse_url, PERIOD, out, data)
    wb = load_workbook(out / PERIOD / "feedback" / f"{SHORT}-反馈.xlsx")
    rows = [r for r in wb[ISSUES_SHEET].iter_rows(min_row=5, values_only=True)]
    assert "指标" not in wb.sheetnames and not any(r[1] == "指标" for r in rows)
    for r in rows:  # every finding names a sheet the workbook has (or none), never a rule id
        assert r[1] in (None, "") or r[1] in wb.sheetnames
        assert r[4] and not any(ch.isascii() and ch.isalpha() for ch in r[4].replace("R", "").replace("G", ""))
        if r[3] == "未达标" and str(r[4]).startswith("R"):
            assert "需增加" in r[6] and any(u in r[6] for u in ("名", "间", "平方米", "元"))

    by_name = {r[4]: r for r in rows}
    r3 = by_name["R3 每百名学生拥有体育、艺术（美术、音乐）专任教师数"]
    assert (r3[1], r3[2]) == ("教师", "E2、F2、G2")
    assert "需增加 2 名体育或艺术（音乐、美术）专任教师可达到标准" in r3[6]
    assert "至少增加 1 名可达到标准的 85%" in r3[6] and "小学在校生 360 人" in r3[6]
    r1 = by_name["R1 每百名学生拥有高于规定学历教师数"]
    assert (r1[1], r1[2]) == ("教师", "C2") and "需增加 3 名高于规定学历的专任教师" in r1[6]
    assert "已达到标准的 85%" in r1[6]
    g5 = by_name["G5 班额"]
    assert (g5[1], g5[2], g5[5]) == ("班级学生", "D2", "48 人") and "多 3 人" in g5[6]  # found: with its unit
    slip = [r for r in rows if r[3] == "提醒（请核实）" and r[2] == "E3"]
    assert slip and slip[0][1] == "办学条件" and "15,379" in slip[0][6] and "万元" in slip[0][6]

    # The cells behind the figures are marked and commented on the school's own sheets.
    teachers, classes, facilities = wb["教师"], wb["班级学生"], wb["办学条件"]
    for ref in ("C2", "E2", "F2", "G2"):
        assert teachers[ref].fill.fgColor.rgb == "FFFFEB9C" and "需增加" in teachers[ref].comment.text
    assert "合计" not in (teachers["E2"].comment.text or "") and "R3" in teachers["E2"].comment.text
    assert "小学在校生数" in classes["D1"].comment.text  # the students behind the figure
    assert "多 3 人" in classes["D2"].comment.text
    assert "请核实" in facilities["E3"].comment.text
    assert teachers["C2"].value == 13 and teachers["E2"].value == 1  # the school's values, unchanged

    # 报送情况 counts the 提醒 its 问题清单 lists.
    status = {r[0]: r for r in load_workbook(paths["overview"])["报送情况"].iter_rows(min_row=2, values_only=True)}
    n_warnings = sum(1 for r in rows if r[3] == "提醒（请核实）")
    assert n_warnings >= 1 and status[src.name][5] == n_warnings and status[src.name][2] == "已入库"
