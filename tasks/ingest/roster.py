"""The bureau's school roster: import it, flag returns from unknown schools, find missing returns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineWorkbook

from junheng import spec
from junheng.contract import Finding, ReturnBatch
from junheng.errors import DataError
from junheng.policy import period_start
from junheng.settings import DEFAULT_COUNTY_CODE, check_county_code
from warehouse import schema as s
from warehouse.engine import bulk_insert, connected, init_warehouse, query_frame

# Roster column label → (code, required, allowed values or None).
ROSTER_COLUMNS: dict[str, tuple[str, bool, tuple[str, ...] | None]] = {
    "学校标识码": ("school_code", True, None),
    "学校名称": ("school_name", True, None),
    "办学类型": ("school_type", True, spec.SCHOOL_TYPES),
    "乡镇": ("township", False, None),
    "城乡分类": ("urban_rural", False, spec.URBAN_RURAL),
    "办学性质": ("ownership", False, spec.OWNERSHIP),
    "是否教学点": ("is_teaching_point", False, spec.YES_NO),
    "所属学校": ("parent_school_code", False, None),
}
CODE_RE = re.compile(r"^[0-9]{10}$")  # ASCII digits only
MAX_ERRORS_SHOWN = 20
UNKNOWN_RULE = "roster.unknown_school"


@dataclass
class RosterError:
    cell: str
    column: str
    value: str
    reason: str

    def text(self) -> str:
        return f"{self.cell}「{self.column}」{self.reason}（填的是：{self.value or '空'}）"


def _a1(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # a code typed as a number: 3708300001.0 → "3708300001"
    return str(v).strip()


def read_roster(path: Path) -> pd.DataFrame:
    """The roster rows of the first sheet that has a 学校标识码 header; every bad cell is reported at once."""
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise DataError(
            f"学校名册 {path.name} 无法打开（{type(exc).__name__}）", "请用 Excel 另存为 .xlsx 后重新导入"
        ) from exc
    for sheet_name in wb.sheet_names:
        rows = wb.get_sheet_by_name(sheet_name).to_python()
        for h, row in enumerate(rows[:20]):
            labels = [_text(v) for v in row]
            if "学校标识码" in labels:
                return _parse(path, sheet_name, rows, h, labels)
    raise DataError(
        f"学校名册 {path.name} 中没有找到表头「学校标识码」",
        "表头应为：" + "、".join(ROSTER_COLUMNS) + "（第一行），每所学校一行",
    )


def _parse(path: Path, sheet: str, rows: list[list[Any]], h: int, labels: list[str]) -> pd.DataFrame:
    missing = [lab for lab, (_, req, _) in ROSTER_COLUMNS.items() if req and lab not in labels]
    if missing:
        raise DataError(
            f"学校名册 {path.name} 工作表「{sheet}」第 {h + 1} 行缺少列：{'、'.join(missing)}",
            "请按名册格式补齐这些列后重新导入",
        )
    cols = {lab: labels.index(lab) for lab in ROSTER_COLUMNS if lab in labels}
    errors: list[RosterError] = []
    out: list[dict[str, object]] = []
    seen: dict[str, str] = {}
    for r in range(h + 1, len(rows)):
        row = rows[r]
        values = {lab: _text(row[c]) if c < len(row) else "" for lab, c in cols.items()}
        if not any(values.values()):
            continue
        rec: dict[str, object] = {"source_row": r + 1}
        for lab, c in cols.items():
            code, required, allowed = ROSTER_COLUMNS[lab]
            v = values[lab]
            cell = _a1(r, c)
            if not v:
                if required:
                    errors.append(RosterError(cell, lab, v, "不能为空"))
                rec[code] = None
                continue
            if code in ("school_code", "parent_school_code") and not CODE_RE.match(v):
                errors.append(RosterError(cell, lab, v, "应为10位数字的国家学校标识码"))
            elif allowed is not None and v not in allowed:
                errors.append(RosterError(cell, lab, v, "应为以下之一：" + "、".join(allowed)))
            rec[code] = v
        key = rec.get("school_code")
        if isinstance(key, str) and key in seen:
            errors.append(RosterError(_a1(r, cols["学校标识码"]), "学校标识码", key, f"与 {seen[key]} 重复"))
        elif isinstance(key, str):
            seen[key] = _a1(r, cols["学校标识码"])
        out.append(rec)
    if errors:
        shown = "；".join(e.text() for e in errors[:MAX_ERRORS_SHOWN])
        more = f"；另有 {len(errors) - MAX_ERRORS_SHOWN} 处" if len(errors) > MAX_ERRORS_SHOWN else ""
        raise DataError(
            f"学校名册 {path.name} 工作表「{sheet}」有 {len(errors)} 处错误：{shown}{more}",
            "改正这些单元格后重新导入；名册未作任何改动",
        )
    if not out:
        raise DataError(f"学校名册 {path.name} 工作表「{sheet}」没有学校", "每所学校填一行后重新导入")
    frame = pd.DataFrame(out)
    for code, _, _ in ROSTER_COLUMNS.values():
        if code not in frame.columns:
            frame[code] = None
    frame["is_teaching_point"] = frame["is_teaching_point"].map({"是": True, "否": False})
    return frame


def import_roster(url: str, path: Path, now: datetime | None = None, county_code: str = DEFAULT_COUNTY_CODE) -> int:
    """Replace the county's roster with the file's schools in one transaction; returns the number of schools.
    Other counties' rosters in the same warehouse are left alone."""
    check_county_code(county_code)
    frame = read_roster(path)
    now = now or datetime.now().replace(microsecond=0)
    frame = frame.assign(county_code=county_code, source_file=path.name, imported_at=now)
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            conn.execute(s.roster.delete().where(s.roster.c.county_code == county_code))
            bulk_insert(conn, s.roster, frame)
    return len(frame)


def roster_codes(url: str, county_code: str = DEFAULT_COUNTY_CODE) -> set[str]:
    with connected(url) as engine:
        init_warehouse(engine)
        codes = query_frame(
            engine, "SELECT school_code FROM core.roster WHERE county_code = :county_code", {"county_code": county_code}
        )
        return set(codes["school_code"].astype(str))


def unknown_school_findings(batch: ReturnBatch, roster: set[str]) -> list[Finding]:
    """A return from a school not on the roster is accepted, with a warning for the bureau to confirm."""
    if not roster or batch.info.empty:
        return []
    out = []
    for rec in batch.info[["file_id", "school_code"]].to_dict("records"):
        code = rec["school_code"]
        if not isinstance(code, str) or not code or code in roster:
            continue
        fid = str(rec["file_id"])
        out.append(
            Finding(
                file_id=fid,
                file_name=batch.file_name(fid),
                sheet=spec.INFO.name,
                cell=batch.info_cells.get(fid, {}).get("school_code", ""),
                rule=UNKNOWN_RULE,
                severity="warning",
                value=code,
                message=f"学校标识码 {code} 不在教育局的学校名册中，报表已接收入库，请教育局确认",
                school_code=code,
            )
        )
    return out


def with_roster_findings(
    url: str, batch: ReturnBatch, findings: list[Finding], county_code: str = DEFAULT_COUNTY_CODE
) -> list[Finding]:
    return [*findings, *unknown_school_findings(batch, roster_codes(url, county_code))]


def deadline_of(period: str, day: int) -> date:
    """Returns are due by ``day`` of the month after the period."""
    start = period_start(period)
    y, m = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
    return date(y, m, day)


MISSING_SQL = """
SELECT r.school_code, r.school_name
FROM core.roster AS r
WHERE r.county_code = :county_code AND NOT EXISTS (
    SELECT 1 FROM audit.ingest_file AS f
    WHERE f.county_code = r.county_code AND f.period = :period AND f.school_code = r.school_code
      AND f.status = 'loaded'
)
ORDER BY r.school_code
"""


def record_missing(
    url: str, period: str, deadline_day: int, today: date | None = None, county_code: str = DEFAULT_COUNTY_CODE
) -> int:
    """Recompute the county's missing returns of the period: its roster schools without a loaded return
    after the deadline."""
    today = today or date.today()
    deadline = deadline_of(period, deadline_day)
    now = datetime.now().replace(microsecond=0)
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            t = s.missing_return
            conn.execute(t.delete().where(t.c.county_code == county_code, t.c.period == period))
            if today <= deadline:
                return 0
            missing = query_frame(conn, MISSING_SQL, {"period": period, "county_code": county_code})
            bulk_insert(
                conn, t, missing.assign(county_code=county_code, period=period, deadline=deadline, detected_at=now)
            )
    return len(missing)
