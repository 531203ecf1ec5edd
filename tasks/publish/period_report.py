"""Publish a period's reports: a Chinese Excel workbook, a self-contained HTML page and Parquet marts."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from junheng.errors import ConfigError, JunhengError
from junheng.policy import INDICATOR_NAMES, R_CODES, period_start, rules_in_force
from junheng.spec import SECTION_CODES, SECTION_LABELS
from tasks.publish.cells import as_flag, as_text, num, safe_text, yes_no
from tasks.publish.charts import CvBar, UnitPoint, cv_bar_chart, strip_chart
from tasks.publish.overview import overview_html, write_overview_sheet

# The analyst contract: columns every mart must carry (extra columns are kept in Parquet).
MART_COLUMNS: dict[str, tuple[str, ...]] = {
    "school_indicators": (
        "period",
        "school_code",
        "school_name",
        "section",
        "indicator_code",
        "value",
        "threshold",
        "meets",
        "floor",
        "students",
    ),
    "school_compliance": ("period", "school_code", "school_name", "section", "indicators_met", "passes"),
    "county_cv": ("period", "section", "indicator_code", "cv", "cv_limit", "meets", "n_units", "mean"),
    "return_status": ("period", "file_name", "school_code", "status", "n_errors"),
    "validation_issues": (
        "period",
        "file_name",
        "school_code",
        "sheet",
        "cell",
        "rule",
        "severity",
        "message",
    ),
}

SHEET_SUMMARY = "概要"
SHEET_SCHOOLS = "学校指标"
SHEET_CV = "差异系数"
SHEET_RETURNS = "报送情况"
SHEET_ISSUES = "问题清单"
SHEET_NAMES = (SHEET_SUMMARY, SHEET_SCHOOLS, SHEET_CV, SHEET_RETURNS, SHEET_ISSUES)
SHEET_OVERVIEW = "评估总览"  # all 31 indicators and the vetoes; only when the marts carry the county scorecard

SEVERITY_LABELS = {"error": "错误", "violation": "未达标", "warning": "警告", "info": "提示"}
STATUS_LABELS = {"loaded": "已入库", "rejected": "已拒收", "superseded": "已被新版本替换", "missing": "逾期未报"}

# Labels of the summary counts the flow may pass; unknown keys are shown as given.
SUMMARY_LABELS = {
    "files_received": "收到文件数",
    "files_loaded": "入库文件数",
    "files_rejected": "拒收文件数",
    "files_superseded": "被新版本替换的文件数",
    "schools_expected": "应报学校数",
    "schools_reported": "已报学校数",
    "schools_missing": "未报学校数",
    "units": "学校单元数（学校×学段）",
    "units_passing": "达标学校单元数",
    "findings": "问题条数",
    "errors": "错误条数",
    "violations": "未达标条数",
    "warnings": "警告条数",
    "county_passes": "县域资源配置是否达标",
    "verdict": "结论",
    "files_read": "本次读取文件数",
    "alerts_opened": "新增预警",
    "alerts_changed": "变化预警",
    "alerts_resolved": "解除预警",
    "alerts_open_total": "现有预警",
    "notifications_pending": "待发送通知",
}

# Display decimals per indicator (R6 is in 元 per student).
DECIMALS = {code: (0 if code == "R6" else 2) for code in R_CODES}

# Cell fills: Excel's "bad" pink for below threshold, a darker red for below the 85 % floor.
FILL_BELOW = PatternFill("solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
FILL_FLOOR = PatternFill("solid", start_color="FFE06666", end_color="FFE06666")
FILL_HEADER = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
FONT_BELOW = Font(color="FF9C0006")
FONT_FLOOR = Font(color="FF4A0000", bold=True)
FONT_HEADER = Font(bold=True)

_MART_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


# ---------------------------------------------------------------------------------------------
# small helpers


def _section_label(code: object) -> str:
    return SECTION_LABELS.get(as_text(code), as_text(code))


def _section_order() -> list[str]:
    return [SECTION_CODES[s] for s in ("小学", "初中")]


def _fmt(v: float | None, decimals: int) -> str:
    if v is None:
        return "—"
    return f"{v:,.{decimals}f}" if abs(v) >= 10000 else f"{v:.{decimals}f}"


def _limit_text(limit: float | None) -> str:
    return "" if limit is None else f"≤{limit:.2f}"


def _mart(marts: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """The mart, or an empty frame with the contract columns when the flow has none."""
    df = marts.get(name)
    cols = MART_COLUMNS[name]
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise JunhengError(
            f"数据集 {name} 缺少列：{'、'.join(missing)}",
            "检查指标计算步骤的输出是否符合 tasks/publish.py 中 MART_COLUMNS 的约定",
        )
    return df


def _indicator_units(period: str) -> dict[str, str]:
    """Units of R1–R7 from the policy in force (labels are data, not code)."""
    try:
        rules = rules_in_force(period)
    except ConfigError:
        return {}
    return {r.code: r.unit for r in rules if r.measure == "value" and r.code in R_CODES}


# ---------------------------------------------------------------------------------------------
# the report model shared by Excel, HTML and Markdown


@dataclass
class Unit:
    """One school unit (school × section) with its R values and the school rule's outcome."""

    school_code: str
    school_name: str
    section: str
    students: float | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    meets: dict[str, bool | None] = field(default_factory=dict)
    below_floor: dict[str, bool] = field(default_factory=dict)
    indicators_met: int | None = None
    passes: bool | None = None

    @property
    def failed_codes(self) -> list[str]:
        return [c for c in R_CODES if self.meets.get(c) is False]


@dataclass
class CvRow:
    section: str
    code: str
    cv: float | None
    limit: float | None
    meets: bool | None
    n_units: int | None
    mean: float | None


@dataclass
class Report:
    period: str
    county: str
    units: list[Unit]
    cv: list[CvRow]
    # thresholds[section][code] = (threshold, floor)
    thresholds: dict[str, dict[str, tuple[float | None, float | None]]]
    units_of_measure: dict[str, str]
    choices: list[tuple[str, str]]
    summary: list[tuple[str, str]]
    verdict: bool | None
    verdict_text: str
    reasons: list[str]
    returns: pd.DataFrame
    issues: pd.DataFrame
    cv_method: str
    overview: pd.DataFrame | None = None  # mart.county_scorecard (tasks.model.scorecard)

    def sections(self) -> list[str]:
        present = {u.section for u in self.units} | {r.section for r in self.cv}
        known = [s for s in _section_order() if s in present]
        return known + sorted(present - set(known))


def describe_choices(choices: Mapping[str, object]) -> list[tuple[str, str]]:
    """The policy choices of this run as (label, Chinese explanation) lines."""
    out: list[tuple[str, str]] = []
    rest = dict(choices)
    method = as_text(rest.pop("cv_method", "weighted"))
    out.append(
        (
            "差异系数计算方法",
            {
                "weighted": "差异系数按在校生数加权（教督〔2017〕6号口径）",
                "unweighted": "差异系数不加权（各校算术平均，非官方口径）",
            }.get(method, method),
        )
    )
    tp = rest.pop("teaching_point_policy", None)
    n_min = rest.pop("teaching_point_min_students", None)
    if tp is not None:
        n_txt = as_text(n_min) or "50"
        out.append(
            (
                "教学点处理",
                {
                    "exclude_under_50": f"在校生不足 {n_txt} 人的教学点不计入指标和差异系数，"
                    f"{n_txt} 人及以上的作为独立单元",
                    "merge": "教学点的学生和资源并入所属学校",
                }.get(as_text(tp), as_text(tp)),
            )
        )
    elif n_min is not None:
        out.append(("教学点最少学生数", as_text(n_min)))
    private = rest.pop("private_in_cv", None)
    if private is not None:
        flag = private if isinstance(private, bool) else as_text(private).lower() in ("true", "1", "是", "yes")
        out.append(("民办学校", "计入差异系数" if flag else "列出指标，但不计入差异系数"))
    r3 = rest.pop("r3_art_teachers", None)
    if r3 is not None:
        art = {"music_art": "音乐、美术", "all_art": "音乐、美术及其他艺术学科"}.get(as_text(r3), as_text(r3))
        out.append(("R3 艺术教师口径", art))
    out.extend((k, as_text(v)) for k, v in rest.items())
    return out


def describe_summary(summary: Mapping[str, object]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for k, v in summary.items():
        if pd.api.types.is_bool(v):
            text = yes_no(bool(v))
        elif isinstance(v, float):
            text = _fmt(v, 2)
        else:
            text = as_text(v)
        out.append((SUMMARY_LABELS.get(k, k), text))
    return out


def _units(ind: pd.DataFrame, comp: pd.DataFrame) -> list[Unit]:
    units: dict[tuple[str, str], Unit] = {}

    def get(code: object, name: object, section: object) -> Unit:
        key = (as_text(section), as_text(code))
        if key not in units:
            units[key] = Unit(school_code=key[1], school_name=as_text(name), section=key[0])
        return units[key]

    for r in ind.itertuples(index=False):
        u = get(r.school_code, r.school_name, r.section)
        code = as_text(r.indicator_code)
        value = num(r.value)
        u.values[code] = value
        u.meets[code] = as_flag(r.meets) if value is not None else None
        floor = num(r.floor)
        u.below_floor[code] = value is not None and floor is not None and value < floor
        if u.students is None:
            u.students = num(r.students)
    for r in comp.itertuples(index=False):
        u = get(r.school_code, r.school_name, r.section)
        met = num(r.indicators_met)
        u.indicators_met = None if met is None else int(met)
        u.passes = as_flag(r.passes)
    order = {s: i for i, s in enumerate(_section_order())}
    return sorted(units.values(), key=lambda u: (order.get(u.section, 9), u.section, u.school_code))


def _cv_rows(cv: pd.DataFrame) -> list[CvRow]:
    rows = [
        CvRow(
            section=as_text(r.section),
            code=as_text(r.indicator_code),
            cv=num(r.cv),
            limit=num(r.cv_limit),
            meets=as_flag(r.meets),
            n_units=None if num(r.n_units) is None else int(r.n_units),
            mean=num(r.mean),
        )
        for r in cv.itertuples(index=False)
    ]
    order = {s: i for i, s in enumerate(_section_order())}
    codes = {c: i for i, c in enumerate(R_CODES)}
    return sorted(rows, key=lambda r: (order.get(r.section, 9), codes.get(r.code, 99), r.code))


def _thresholds(ind: pd.DataFrame) -> dict[str, dict[str, tuple[float | None, float | None]]]:
    out: dict[str, dict[str, tuple[float | None, float | None]]] = {}
    for r in ind.itertuples(index=False):
        sec = out.setdefault(as_text(r.section), {})
        code = as_text(r.indicator_code)
        if code not in sec or sec[code][0] is None:
            sec[code] = (num(r.threshold), num(r.floor))
    return out


def _verdict(units: list[Unit], cv: list[CvRow], summary: Mapping[str, object]) -> tuple[bool | None, str, list[str]]:
    """The county verdict: every school unit passes the school rule and every CV is within its limit."""
    failing = [u for u in units if u.passes is False]
    over = [r for r in cv if r.meets is False]
    reasons: list[str] = []
    if failing:
        reasons.append(f"{len(failing)} 个学校单元未达到“至少6项达标、其余1项不低于标准85%”的要求")
    if over:
        reasons.append(
            "差异系数超标：" + "、".join(f"{_section_label(r.section)}{r.code}（{_fmt(r.cv, 3)}）" for r in over)
        )
    undecided = [u for u in units if u.passes is None]
    if undecided:
        reasons.append(f"{len(undecided)} 个学校单元缺少达标判定（没有学校达标结果），按未达标处理")
    given = summary.get("county_passes")
    if pd.api.types.is_bool(given):
        verdict: bool | None = bool(given)
    elif not units and not cv:
        verdict = None
    else:
        verdict = not failing and not over and not undecided
    text = {
        True: "县域义务教育资源配置达到优质均衡要求",
        False: "县域义务教育资源配置未达到优质均衡要求",
        None: "本期没有可计算的指标，无法判定",
    }[verdict]
    return verdict, text, reasons


def build_report(
    period: str,
    marts: Mapping[str, pd.DataFrame],
    *,
    county: str,
    choices: Mapping[str, object],
    summary: Mapping[str, object],
) -> Report:
    """Everything the three renderers need, read once from the marts."""
    ind = _mart(marts, "school_indicators")
    comp = _mart(marts, "school_compliance")
    units = _units(ind, comp)
    cv = _cv_rows(_mart(marts, "county_cv"))
    verdict, text, reasons = _verdict(units, cv, summary)
    return Report(
        period=period,
        county=county,
        units=units,
        cv=cv,
        thresholds=_thresholds(ind),
        units_of_measure=_indicator_units(period),
        choices=describe_choices(choices),
        summary=describe_summary(summary),
        verdict=verdict,
        verdict_text=text,
        reasons=reasons,
        returns=_mart(marts, "return_status"),
        issues=_mart(marts, "validation_issues"),
        cv_method=as_text(choices.get("cv_method", "weighted")),
        overview=marts.get("county_scorecard"),
    )


def _indicator_header(report: Report, code: str) -> str:
    """'R1 每百名学生拥有高于规定学历教师数（人/百名学生；标准：小学≥4.2，初中≥5.3）'."""
    parts = []
    for sec in report.sections():
        thr = report.thresholds.get(sec, {}).get(code, (None, None))[0]
        if thr is not None:
            parts.append(f"{_section_label(sec)}≥{thr:g}")
    unit = report.units_of_measure.get(code, "")
    inner = "；".join(p for p in (unit, "标准：" + "，".join(parts) if parts else "") if p)
    return f"{code} {INDICATOR_NAMES.get(code, code)}" + (f"（{inner}）" if inner else "")


def _mean_label(report: Report) -> str:
    return "加权平均值" if report.cv_method == "weighted" else "平均值"


# ---------------------------------------------------------------------------------------------
# Excel


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _write_table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    freeze: str = "A2",
    formats: Mapping[int, str] | None = None,
    max_width: int = 60,
) -> int:
    """Header + rows, strings escaped, autofilter, frozen header and widths; returns the row count."""
    formats = formats or {}
    for j, h in enumerate(headers, start=1):
        c = ws.cell(row=1, column=j, value=safe_text(h))
        c.font = FONT_HEADER
        c.fill = FILL_HEADER
        c.alignment = Alignment(wrap_text=True, vertical="center")
    widths = [min(max_width, max(8, _display_width(h) // 2 + 2)) for h in headers]
    n = 0
    for i, row in enumerate(rows, start=2):
        n += 1
        for j, v in enumerate(row, start=1):
            value: object = safe_text(v) if isinstance(v, str) else v
            c = ws.cell(row=i, column=j, value=value)
            if j in formats and isinstance(v, int | float):
                c.number_format = formats[j]
            shown = _display_width(v if isinstance(v, str) else _fmt(num(v), 2))
            widths[j - 1] = min(max_width, max(widths[j - 1], shown + 2))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = freeze
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A1:{last}{n + 1}"
    # Wrapped header: enough 15-point lines for the longest header in its column width.
    lines = max(math.ceil(_display_width(h) / max(1, w - 1)) for h, w in zip(headers, widths, strict=True))
    ws.row_dimensions[1].height = 15 * max(1, lines) + 5
    return n


def _sheet_summary(ws: Worksheet, report: Report) -> None:
    rows: list[tuple[str, str]] = [
        ("县（市、区）", report.county),
        ("报表期", report.period),
        ("结论", report.verdict_text),
        *[("原因", r) for r in report.reasons],
    ]
    for sec in report.sections():
        units = [u for u in report.units if u.section == sec]
        cvs = [r for r in report.cv if r.section == sec]
        rows.append(
            (
                f"{_section_label(sec)}",
                f"学校单元 {sum(1 for u in units if u.passes)}/{len(units)} 达标；"
                f"差异系数 {sum(1 for r in cvs if r.meets)}/{len(cvs)} 项达标",
            )
        )
    rows.append(("本报告口径", ""))
    rows.extend(report.choices)
    if report.summary:
        rows.append(("本期数据", ""))
        rows.extend(report.summary)
    rows.append(("说明", ""))
    rows.extend(
        [
            ("浅红底", "指标值低于标准"),
            ("深红底", "指标值低于标准的85%（学校单元不能达标）"),
            ("数值", "单元格保存未四舍五入的原值，显示保留2位小数（R6 取整）；差异系数显示3位小数"),
        ]
    )
    _write_table(ws, ("项目", "内容"), rows, max_width=90)
    ws.auto_filter.ref = None  # a key/value page needs no filter
    fill = FILL_BELOW if report.verdict is False else None
    if fill is not None:
        ws.cell(row=4, column=2).fill = fill


def _sheet_schools(ws: Worksheet, report: Report) -> None:
    headers = [
        "学校标识码",
        "学校名称",
        "学段",
        "在校生数",
        *[_indicator_header(report, c) for c in R_CODES],
        "达标项数",
        "是否达标",
        "未达标指标",
    ]
    first_r = 5  # column of R1
    formats = {first_r + i: ("0" if DECIMALS[c] == 0 else "0.00") for i, c in enumerate(R_CODES)}
    formats[4] = "0"
    rows = [
        [
            u.school_code,
            u.school_name,
            _section_label(u.section),
            u.students,
            *[u.values.get(c) for c in R_CODES],
            u.indicators_met,
            yes_no(u.passes),
            "、".join(u.failed_codes),
        ]
        for u in report.units
    ]
    _write_table(ws, headers, rows, freeze="D2", formats=formats, max_width=28)
    for i, u in enumerate(report.units, start=2):
        for j, code in enumerate(R_CODES, start=first_r):
            if u.meets.get(code) is False:
                c = ws.cell(row=i, column=j)
                floor = u.below_floor.get(code, False)
                c.fill = FILL_FLOOR if floor else FILL_BELOW
                c.font = FONT_FLOOR if floor else FONT_BELOW
        if u.passes is False:
            c = ws.cell(row=i, column=first_r + len(R_CODES) + 1)
            c.fill = FILL_BELOW
            c.font = FONT_BELOW


def _sheet_cv(ws: Worksheet, report: Report) -> None:
    headers = ["学段", "指标", "差异系数", "标准", "是否达标", "学校数", _mean_label(report)]
    rows = [
        [
            _section_label(r.section),
            f"{r.code} {INDICATOR_NAMES.get(r.code, r.code)}",
            r.cv,
            _limit_text(r.limit),
            yes_no(r.meets),
            r.n_units,
            r.mean,
        ]
        for r in report.cv
    ]
    _write_table(ws, headers, rows, formats={3: "0.000", 6: "0", 7: "0.00"}, max_width=50)
    for i, r in enumerate(report.cv, start=2):
        if r.meets is False:
            for j in (3, 5):
                ws.cell(row=i, column=j).fill = FILL_BELOW
                ws.cell(row=i, column=j).font = FONT_BELOW


def _sheet_returns(ws: Worksheet, report: Report) -> None:
    df = report.returns
    rows = [
        [
            as_text(r.period),
            as_text(r.file_name),
            as_text(r.school_code),
            STATUS_LABELS.get(as_text(r.status), as_text(r.status)),
            num(r.n_errors),
        ]
        for r in df.itertuples(index=False)
    ]
    _write_table(ws, ["报表期", "文件名", "学校标识码", "状态", "错误数"], rows, formats={5: "0"})
    for i, r in enumerate(rows, start=2):
        if r[3] == STATUS_LABELS["rejected"]:
            ws.cell(row=i, column=4).fill = FILL_BELOW


def _sheet_issues(ws: Worksheet, report: Report) -> None:
    df = report.issues
    rows = [
        [
            as_text(r.file_name),
            as_text(r.school_code),
            as_text(r.sheet),
            as_text(r.cell),
            as_text(r.rule),
            SEVERITY_LABELS.get(as_text(r.severity), as_text(r.severity)),
            as_text(r.message),
        ]
        for r in df.itertuples(index=False)
    ]
    _write_table(ws, ["文件名", "学校标识码", "工作表", "单元格", "规则", "严重程度", "说明"], rows, max_width=80)
    for i in range(2, len(rows) + 2):
        ws.cell(row=i, column=7).alignment = Alignment(wrap_text=True, vertical="top")


def write_workbook(report: Report, path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = SHEET_SUMMARY
    writers: list[tuple[str, Callable[[Worksheet, Report], None]]] = [
        (SHEET_SCHOOLS, _sheet_schools),
        (SHEET_CV, _sheet_cv),
        (SHEET_RETURNS, _sheet_returns),
        (SHEET_ISSUES, _sheet_issues),
    ]
    _sheet_summary(ws, report)
    for name, write in writers:
        write(wb.create_sheet(name), report)
    if report.overview is not None:
        write_overview_sheet(wb.create_sheet(SHEET_OVERVIEW, 1), report.overview)
    wb.properties.title = f"{report.county} {report.period} 义务教育优质均衡监测报告"
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
 color:#222;margin:0;background:#f7f7f5;line-height:1.6}
main{max-width:1200px;margin:0 auto;padding:24px 32px 64px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;border-bottom:2px solid #1f4e79;padding-bottom:4px;
 margin-top:40px}h3{font-size:16px;margin:24px 0 8px}
.meta{color:#555}.verdict{font-size:18px;font-weight:700;padding:12px 16px;border-radius:6px;margin:16px 0}
.verdict.pass{background:#e8f5e9;color:#1b5e20}.verdict.fail{background:#ffebee;color:#b71c1c}
.verdict.none{background:#eeeeee;color:#424242}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}
dl.kv dt{color:#555}dl.kv dd{margin:0}
table{border-collapse:collapse;font-size:13px;margin:8px 0 16px;width:100%}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#ddebf7;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.bad{background:#ffc7ce;color:#9c0006}td.worse{background:#e06666;color:#4a0000;font-weight:700}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{max-width:100%;height:auto;background:#fff;
 border:1px solid #eee}
.legend span{display:inline-block;padding:0 8px;margin-right:8px;border-radius:3px}
details summary{cursor:pointer;color:#1f4e79}
.note{color:#666;font-size:13px}
"""


def _td(text: str, cls: str = "") -> str:
    return f'<td class="{cls}">{escape(text)}</td>' if cls else f"<td>{escape(text)}</td>"


def _table(headers: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join(rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _kv(pairs: Iterable[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in pairs)
    return f'<dl class="kv">{items}</dl>'


def _html_charts(report: Report) -> str:
    parts: list[str] = []
    for sec in report.sections():
        label = _section_label(sec)
        cvs = [r for r in report.cv if r.section == sec]
        parts.append(f"<h3>{escape(label)}</h3>")
        charts: list[str] = []
        if cvs:
            limit = next((r.limit for r in cvs if r.limit is not None), None)
            bars = [CvBar(r.code, INDICATOR_NAMES.get(r.code, r.code), r.cv, r.meets) for r in cvs]
            if limit is not None:
                charts.append(cv_bar_chart(f"{label}：各指标校际差异系数（标准≤{limit:.2f}）", bars, limit))
        units = [u for u in report.units if u.section == sec]
        for code in R_CODES:
            thr, floor = report.thresholds.get(sec, {}).get(code, (None, None))
            points = [
                UnitPoint(
                    f"{u.school_name}（{u.school_code}）",
                    v,
                    bool(u.meets.get(code)),
                    u.below_floor.get(code, False),
                )
                for u in units
                if (v := u.values.get(code)) is not None
            ]
            if thr is None or not points:
                continue
            charts.append(
                strip_chart(
                    f"{label} {code} {INDICATOR_NAMES.get(code, code)}",
                    points,
                    thr,
                    floor,
                    decimals=DECIMALS[code],
                    unit=report.units_of_measure.get(code, ""),
                )
            )
        parts.append('<div class="charts">' + "\n".join(charts) + "</div>")
    return "\n".join(parts)


def _html_cv_table(report: Report) -> str:
    rows = []
    for r in report.cv:
        bad = "bad" if r.meets is False else ""
        rows.append(
            "<tr>"
            + _td(_section_label(r.section))
            + _td(f"{r.code} {INDICATOR_NAMES.get(r.code, r.code)}")
            + _td(_fmt(r.cv, 3), f"num {bad}".strip())
            + _td(_limit_text(r.limit))
            + _td(yes_no(r.meets), bad)
            + _td("" if r.n_units is None else str(r.n_units), "num")
            + _td(_fmt(r.mean, DECIMALS.get(r.code, 2)), "num")
            + "</tr>"
        )
    return _table(["学段", "指标", "差异系数", "标准", "是否达标", "学校数", _mean_label(report)], rows)


def _html_school_table(report: Report) -> str:
    # Failing units first: they are what the reader acts on.
    units = sorted(
        report.units,
        key=lambda u: (
            u.passes is not False,
            _section_order().index(u.section) if u.section in _section_order() else 9,
            u.school_code,
        ),
    )
    rows = []
    for u in units:
        cells = [
            _td(u.school_code),
            _td(u.school_name),
            _td(_section_label(u.section)),
            _td(_fmt(u.students, 0), "num"),
        ]
        for code in R_CODES:
            cls = "num"
            if u.meets.get(code) is False:
                cls += " worse" if u.below_floor.get(code) else " bad"
            cells.append(_td(_fmt(u.values.get(code), DECIMALS[code]), cls))
        cells.append(_td("" if u.indicators_met is None else str(u.indicators_met), "num"))
        cells.append(_td(yes_no(u.passes), "bad" if u.passes is False else ""))
        cells.append(_td("、".join(u.failed_codes)))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    headers = ["学校标识码", "学校名称", "学段", "在校生数", *R_CODES, "达标项数", "是否达标", "未达标指标"]
    return _table(headers, rows)


def _html_returns(report: Report) -> str:
    rows = []
    for r in report.returns.itertuples(index=False):
        status = as_text(r.status)
        n = num(r.n_errors)
        rows.append(
            "<tr>"
            + _td(as_text(r.file_name))
            + _td(as_text(r.school_code))
            + _td(STATUS_LABELS.get(status, status), "bad" if status == "rejected" else "")
            + _td("" if n is None else f"{n:.0f}", "num")
            + "</tr>"
        )
    return _table(["文件名", "学校标识码", "状态", "错误数"], rows)


def findings_by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """Findings counted by rule and severity, most severe and most frequent first."""
    if issues.empty:
        return pd.DataFrame({"rule": [], "severity": [], "n": [], "files": []})
    g = (
        issues.assign(rule=issues["rule"].astype(str), severity=issues["severity"].astype(str))
        .groupby(["rule", "severity"], sort=False)
        .agg(n=("message", "size"), files=("file_name", "nunique"))
        .reset_index()
    )
    rank = {s: i for i, s in enumerate(SEVERITY_LABELS)}
    g["_rank"] = g["severity"].map(lambda s: rank.get(s, 9))
    return g.sort_values(["_rank", "n", "rule"], ascending=[True, False, True]).drop(columns="_rank")


def _html_findings(report: Report) -> str:
    counts = findings_by_rule(report.issues)
    rows = [
        "<tr>"
        + _td(as_text(r.rule))
        + _td(SEVERITY_LABELS.get(as_text(r.severity), as_text(r.severity)))
        + _td(f"{int(r.n)}", "num")
        + _td(f"{int(r.files)}", "num")
        + "</tr>"
        for r in counts.itertuples(index=False)
    ]
    out = _table(["规则", "严重程度", "条数", "涉及文件数"], rows)
    limit = 500
    detail = [
        "<tr>"
        + _td(as_text(r.file_name))
        + _td(as_text(r.sheet))
        + _td(as_text(r.cell))
        + _td(as_text(r.rule))
        + _td(SEVERITY_LABELS.get(as_text(r.severity), as_text(r.severity)))
        + _td(as_text(r.message))
        + "</tr>"
        for r in report.issues.head(limit).itertuples(index=False)
    ]
    if detail:
        more = (
            f'<p class="note">仅列出前 {limit} 条，完整清单见 Excel“{SHEET_ISSUES}”工作表。</p>'
            if len(report.issues) > limit
            else ""
        )
        out += (
            f"<details><summary>逐条问题（{len(report.issues)} 条）</summary>{more}"
            + _table(["文件名", "工作表", "单元格", "规则", "严重程度", "说明"], detail)
            + "</details>"
        )
    return out


def render_html(report: Report) -> str:
    title = f"{report.county} {report.period} 义务教育优质均衡监测报告"
    cls = {True: "pass", False: "fail", None: "none"}[report.verdict]
    reasons = "".join(f"<li>{escape(r)}</li>" for r in report.reasons)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">报表期 {escape(report.period)} · 依据 教督〔2017〕6号'
        "《县域义务教育优质均衡发展督导评估办法》</p>",
        f'<div class="verdict {cls}">{escape(report.verdict_text)}</div>',
        f"<ul>{reasons}</ul>" if reasons else "",
        "<h2>本报告口径</h2>",
        _kv(report.choices),
    ]
    if report.overview is not None:
        body.append(overview_html(report.overview))
    if report.summary:
        body += ["<h2>本期数据</h2>", _kv(report.summary)]
    body += [
        "<h2>校际差异系数</h2>",
        '<p class="note">差异系数保留3位小数，与标准比较时使用未四舍五入的原值。</p>',
        _html_cv_table(report),
        "<h2>图表</h2>",
        '<p class="legend"><span style="background:#2e7d32;color:#fff">达标</span>'
        '<span style="background:#d32f2f;color:#fff">未达标</span>'
        '<span style="background:#7f0000;color:#fff">低于标准的85%</span></p>',
        _html_charts(report),
        "<h2>学校达标情况</h2>",
        '<p class="note">学校单元（学校×学段）至少6项指标达标、其余1项不低于标准的85%，即为达标。'
        "浅红：低于标准；深红：低于标准的85%。</p>",
        _html_school_table(report),
        "<h2>报送情况</h2>",
        _html_returns(report),
        "<h2>问题统计</h2>",
        _html_findings(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(b for b in body if b)
        + "\n</main>\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------------------------------------
# Markdown (Prefect artifact)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(
    period: str, marts: Mapping[str, pd.DataFrame], summary: Mapping[str, object], *, county: str = ""
) -> str:
    """A short Markdown summary of the period: verdict, counts, CVs and the failing units."""
    report = build_report(period, marts, county=county, choices={}, summary=summary)
    heading = f"# {_md(county + ' ' if county else '')}{period} 义务教育优质均衡监测"
    lines = [heading, "", f"**{report.verdict_text}**", ""]
    lines += [f"- {_md(r)}" for r in report.reasons]
    if report.reasons:
        lines.append("")
    lines += [f"- {_md(k)}：{_md(v)}" for k, v in report.summary]
    if report.cv:
        lines += ["", "| 学段 | 指标 | 差异系数 | 标准 | 是否达标 |", "|---|---|---:|---|---|"]
        lines += [
            f"| {_section_label(r.section)} | {r.code} | {_fmt(r.cv, 3)} | {_limit_text(r.limit)} | {yes_no(r.meets)} |"
            for r in report.cv
        ]
    failing = [u for u in report.units if u.passes is False]
    if failing:
        lines += ["", f"未达标学校单元（{len(failing)} 个）："]
        shown = failing[:20]
        lines += [
            f"- {_md(u.school_name)}（{_md(u.school_code)}，{_section_label(u.section)}）："
            f"未达标 {'、'.join(u.failed_codes) or '—'}"
            for u in shown
        ]
        if len(failing) > len(shown):
            lines.append(f"- ……另有 {len(failing) - len(shown)} 个，见 Excel 报表")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# entry point


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_parquet(marts: Mapping[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name, df in marts.items():
        if not _MART_NAME.match(name):
            raise ConfigError(f"数据集名称 {name!r} 不能用作文件名", "只用小写字母、数字和下划线")
        path = folder / f"{name}.parquet"
        tmp = path.with_name(path.name + ".tmp")
        df.to_parquet(tmp, engine="pyarrow", index=False)
        os.replace(tmp, path)
        out[name] = path
    return out


def publish_reports(
    period: str,
    marts: dict[str, pd.DataFrame],
    out_dir: Path,
    *,
    county: str,
    choices: Mapping[str, object],
    summary: Mapping[str, object],
) -> dict[str, Path]:
    """Write the Excel, HTML and one Parquet per mart into ``out_dir/period``.

    Returns {"xlsx": …, "html": …, <mart name>: …parquet}. Files are written to a temporary
    name and renamed, so a failed run never leaves a half-written report behind.
    """
    period_start(period)  # a malformed period must not become a path
    folder = Path(out_dir) / period
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(period, marts, county=county, choices=choices, summary=summary)
    xlsx = folder / f"junheng-{period}.xlsx"
    write_workbook(report, xlsx)
    html_path = folder / f"junheng-{period}.html"
    _write_text(html_path, render_html(report))
    return {"xlsx": xlsx, "html": html_path, **write_parquet(marts, folder)}
