"""Feedback schools can act on: their own workbook with each problem cell marked, and the bureau's 报送情况."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from prefect import task
from prefect.cache_policies import NO_CACHE

from junheng import spec
from junheng.policy import period_start
from tasks.labels import match_sheet_name
from tasks.publish import safe_text
from tasks.quarantine import quarantine_rejected

ISSUES_SHEET = "问题清单"
STATUS_ZH = {"loaded": "已入库", "rejected": "退回", "superseded": "已被替代", "missing": "未报送"}
SEVERITY_ZH = {"error": "错误（须修改）", "violation": "未达标", "warning": "提醒", "info": "说明"}
_FILLS = {
    "error": PatternFill("solid", fgColor="FFFFC7CE"),
    "violation": PatternFill("solid", fgColor="FFFFEB9C"),
    "warning": PatternFill("solid", fgColor="FFFFEB9C"),
}
_A1_RE = re.compile(r"^([A-Z]{1,3})([1-9]\d{0,6})$")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_SEND_INSTEAD = (
    f"请使用本县下发的 {spec.TEMPLATE_VERSION} 模板（Excel 文件，扩展名 .xlsx）填写，"
    "在 Excel 或 WPS 中“另存为 Excel 工作簿(.xlsx)”，不要加密码、不要压缩、不要改扩展名，然后重新发送。"
)
ISSUE_HEADERS = ("序号", "工作表", "单元格", "严重程度", "规则", "发现值", "说明及修改方法")


# --- one school's feedback --------------------------------------------------------------------


def _s(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else str(v)


def _unopenable(findings: pd.DataFrame) -> bool:
    return bool(findings["rule"].astype(str).str.startswith("file.").any())


def _open_copy(path: Path) -> Workbook | None:
    """The school's own workbook: as is when it is an .xlsx/.xlsm, else rebuilt from its cells (.xls, HTML)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PK\x03\x04":
        try:
            return load_workbook(path)
        except Exception:  # noqa: S110 - openpyxl is stricter than calamine: fall back to the cells
            pass
    from tasks.read import load_sheets

    try:
        sheets = load_sheets(str(path))
    except Exception:
        return None
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    used: set[str] = set()
    for raw in sheets:
        title = _sheet_title(raw.name, used)
        ws = wb.create_sheet(title)
        for r, row in enumerate(raw.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is None or v == "":
                    continue
                ws.cell(r, c).value = safe_text(v) if isinstance(v, str) else _plain(v)
    return wb


def _plain(v: object) -> Any:
    if isinstance(v, bool | int | float):
        return v
    if hasattr(v, "isoformat"):
        return v
    return safe_text(str(v))


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"
    title, i = base, 1
    while title in used:
        i += 1
        title = f"{base[:28]}_{i}"
    used.add(title)
    return title


def _target_sheet(wb: Workbook, sheet: str) -> Worksheet | None:
    if sheet in wb.sheetnames:
        return wb[sheet]
    # A finding named by the spec sheet while the school renamed the tab (教师 → 教师情况).
    for name in wb.sheetnames:
        if match_sheet_name(name) == sheet:
            return wb[name]
    return None


def _comment_text(rows: list[dict[str, Any]]) -> str:
    parts = []
    for f in rows:
        found = _s(f["value"])
        parts.append(
            f"【{SEVERITY_ZH.get(_s(f['severity']), _s(f['severity']))}】规则：{_s(f['rule'])}\n"
            + (f"发现：{found}\n" if found else "")
            + f"问题及修改：{_s(f['message'])}"
        )
    return "\n\n".join(parts)[:30000]


def _issues_sheet(wb: Workbook, file_name: str, status: str, findings: pd.DataFrame) -> None:
    if ISSUES_SHEET in wb.sheetnames:
        del wb[ISSUES_SHEET]
    ws = wb.create_sheet(ISSUES_SHEET, 0)
    ws["A1"] = safe_text(f"文件「{file_name}」的问题清单（处理结果：{STATUS_ZH.get(status, status)}）")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = "标为红色的单元格必须修改后重新报送；黄色为提醒或未达标项。把鼠标移到单元格上可看到批注。"
    for c, h in enumerate(ISSUE_HEADERS, start=1):
        ws.cell(4, c, h).font = _BOLD
    order = {"error": 0, "violation": 1, "warning": 2, "info": 3}
    rows = sorted(findings.to_dict("records"), key=lambda f: (order.get(_s(f["severity"]), 9), _s(f["sheet"])))
    for i, f in enumerate(rows, start=1):
        values = [
            i,
            _s(f["sheet"]),
            _s(f["cell"]),
            SEVERITY_ZH.get(_s(f["severity"]), _s(f["severity"])),
            _s(f["rule"]),
            _s(f["value"]),
            _s(f["message"]),
        ]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(4 + i, c, v if isinstance(v, int) else safe_text(str(v)))
            cell.alignment = _WRAP
    for c, width in enumerate((6, 12, 8, 14, 22, 18, 90), start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A5"
    wb.active = 0


def _mark_cells(wb: Workbook, findings: pd.DataFrame) -> int:
    """Fill and comment every located cell; returns how many cells were marked."""
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in findings.to_dict("records"):
        cell = _s(f["cell"])
        if _A1_RE.match(cell) and _s(f["sheet"]):
            by_cell[(_s(f["sheet"]), cell)].append(f)
    marked = 0
    for (sheet, ref), rows in by_cell.items():
        ws = _target_sheet(wb, sheet)
        if ws is None:
            continue
        c = ws[ref]
        if type(c).__name__ == "MergedCell":  # a comment belongs to the merged area's first cell
            for rng in ws.merged_cells.ranges:
                if ref in rng:
                    c = ws.cell(rng.min_row, rng.min_col)
                    break
        severities = [_s(f["severity"]) for f in rows]
        worst = next((s for s in ("error", "violation", "warning") if s in severities), None)
        if worst is not None:
            c.fill = _FILLS[worst]
        comment = Comment(_comment_text(rows), "县教育局")
        comment.width, comment.height = 360, 160
        c.comment = comment
        marked += 1
    return marked


def _cannot_open(path: Path, file_name: str, findings: pd.DataFrame) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "反馈"
    ws["A1"] = safe_text(f"文件「{file_name}」无法打开，本次报送未被受理")
    ws["A1"].font = Font(bold=True, size=13)
    reasons = [safe_text(_s(m)) for m in findings["message"]] or ["文件无法读取。"]
    ws["A3"], ws["A3"].font = "原因：", _BOLD
    for i, r in enumerate(reasons, start=4):
        ws.cell(i, 1, r).alignment = _WRAP
    n = 4 + len(reasons) + 1
    ws.cell(n, 1, "请这样重新发送：").font = _BOLD
    ws.cell(n + 1, 1, _SEND_INSTEAD).alignment = _WRAP
    ws.column_dimensions["A"].width = 110
    _save(wb, path)


def _save(wb: Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)


def school_feedback(archive_path: Path, file_name: str, status: str, findings: pd.DataFrame, out: Path) -> Path:
    """Write ``out``: the school's workbook marked up with its findings, or a short sheet saying why
    the file could not be opened and what to send instead."""
    wb = None if _unopenable(findings) or not archive_path.is_file() else _open_copy(archive_path)
    if wb is None:
        _cannot_open(out, file_name, findings)
        return out
    try:
        _mark_cells(wb, findings)
        _issues_sheet(wb, file_name, status, findings)
        _save(wb, out)
    except Exception:  # one odd workbook must not stop the feedback of the others: list only
        wb = Workbook()
        _issues_sheet(wb, file_name, status, findings)
        del wb[wb.sheetnames[1]]
        _save(wb, out)
    return out


# --- the bureau's overview ---------------------------------------------------------------------


def _feedback_name(code: str, file_name: str, taken: set[str], file_id: str) -> str:
    stem = code or Path(file_name).stem
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", stem)[:80] or file_id[:12]
    name = f"{stem}-反馈.xlsx"
    if name in taken:
        name = f"{stem}-{file_id[:8]}-反馈.xlsx"
    taken.add(name)
    return name


def _write_overview(path: Path, period: str, status: pd.DataFrame, issues: pd.DataFrame, sent: dict[str, str]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "报送情况"
    headers = ("文件名", "学校标识码", "处理结果", "错误数", "未达标数", "提醒数", "填报日期", "接收时间", "反馈文件")
    for c, h in enumerate(headers, start=1):
        ws.cell(1, c, h).font = _BOLD
    order = {"rejected": 0, "missing": 1, "loaded": 2, "superseded": 3}
    recs = sorted(
        status.to_dict("records"),
        key=lambda r: (order.get(_s(r["status"]), 9), _s(r["school_code"]), _s(r["file_name"])),
    )
    for i, r in enumerate(recs, start=2):
        values: list[Any] = [
            _s(r["file_name"]),
            _s(r["school_code"]),
            STATUS_ZH.get(_s(r["status"]), _s(r["status"])),
            _count(r["n_errors"]),
            _count(r["n_violations"]),
            _count(r["n_warnings"]),
            _s(r["submitted_on"])[:10],
            _s(r["received_at"])[:19],
            sent.get(_s(r["file_id"]), ""),
        ]
        for c, v in enumerate(values, start=1):
            ws.cell(i, c, safe_text(v) if isinstance(v, str) else v)
    for c, width in enumerate((36, 14, 10, 8, 10, 8, 12, 20, 30), start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:I{max(1, len(recs) + 1)}"

    # Problems no school can be told about through its own file: unreadable files whose school is
    # unknown, and returns from schools not on the roster.
    ws2 = wb.create_sheet("未对应学校的问题")
    lone = issues[issues["school_code"].isna() | issues["rule"].astype(str).str.startswith("roster.")]
    for c, h in enumerate(("文件名", "学校标识码", "规则", "说明及修改方法"), start=1):
        ws2.cell(1, c, h).font = _BOLD
    for i, f in enumerate(lone.to_dict("records"), start=2):
        for c, v in enumerate((f["file_name"], f["school_code"], f["rule"], f["message"]), start=1):
            ws2.cell(i, c, safe_text(_s(v))).alignment = _WRAP
    for c, width in enumerate((36, 14, 22, 90), start=1):
        ws2.column_dimensions[get_column_letter(c)].width = width
    ws.title = "报送情况"
    wb.properties.title = f"{period} 报送情况"
    _save(wb, path)


def _count(v: object) -> int | str:
    text = _s(v)
    return int(float(text)) if text else ""


# --- the flow step -----------------------------------------------------------------------------

STATUS_SQL = "SELECT * FROM mart.return_status WHERE period = :period"
ISSUES_SQL = "SELECT * FROM mart.validation_issues WHERE period = :period"


def write_feedback(url: str, period: str, out_dir: Path, data_dir: Path) -> dict[str, Path]:
    """Quarantine the period's rejected files, write one feedback workbook per file with findings
    (superseded files excepted: their school has sent a newer one) and the bureau's 报送情况.

    Reads mart.return_status and mart.validation_issues, so it covers every run of the period.
    Returns {"overview": path, <file_id>: feedback path, ...}.
    """
    from warehouse.engine import connected, query_frame

    period_start(period)  # a malformed period must not become a path
    with connected(url) as engine:
        status = query_frame(engine, STATUS_SQL, {"period": period})
        issues = query_frame(engine, ISSUES_SQL, {"period": period})
    quarantine_rejected(data_dir, period, status[status["file_id"].notna()], issues)
    folder = Path(out_dir) / period / "feedback"
    out: dict[str, Path] = {}
    sent: dict[str, str] = {}
    taken: set[str] = set()
    files = status[status["file_id"].notna() & (status["status"] != "superseded")]
    # One grouping instead of a scan of every finding per file; clean files cost one dict look-up.
    by_file = {str(k): g for k, g in issues.groupby("file_id", sort=False)} if not issues.empty else {}
    for rec in files.to_dict("records"):
        fid = str(rec["file_id"])
        mine = by_file.get(fid)
        if mine is None or mine.empty:
            continue
        name = _feedback_name(_s(rec["school_code"]), _s(rec["file_name"]), taken, fid)
        out[fid] = school_feedback(
            Path(_s(rec["archive_path"])), _s(rec["file_name"]), _s(rec["status"]), mine, folder / name
        )
        sent[fid] = name
    # Feedback of an earlier run for a file since superseded or corrected is no longer current.
    if folder.is_dir():
        for stale in folder.glob("*-反馈.xlsx"):
            if stale.name not in taken:
                stale.unlink()
    overview = Path(out_dir) / period / f"报送情况-{period}.xlsx"
    _write_overview(overview, period, status, issues, sent)
    out["overview"] = overview
    return out


feedback_task = task(name="school-feedback", cache_policy=NO_CACHE)(write_feedback)
