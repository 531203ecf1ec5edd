"""The county workbook's chart-free sheets (county tables, a page per school), written as XML directly,
against openpyxl writing them cell by cell."""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from junheng.policy import INDICATOR_NAMES, R_CODES
from tasks.model.analytics import RESOURCE_UNITS, county_totals
from tasks.publish.cells import as_flag as _flag
from tasks.publish.cells import as_text as _str
from tasks.publish.cells import num as _num
from tasks.publish.cells import safe_text, yes_no
from tasks.publish.county_report import (
    BOLD,
    FILL_BELOW,
    FILL_FLOOR,
    FILL_HEADER,
    FMT_2,
    FMT_CV,
    FMT_INT,
    FMT_PCT,
    METHOD_ZH,
    SECTION_ZH,
    CountyData,
    SchoolPage,
    _cell_value,
    fmt_cv,
    ind_label,
    need_format,
    plan_summaries,
    render_county_html,
    school_pages,
    sheet_name,
    value_format,
    write_county_workbook,
)
from tasks.publish.dictionary import HEADERS_ZH

P = "2026-10"
COUNTY_SHEETS = ["县域概览", "趋势", "分布", "改进方案与贡献", "达标差距", "本期变动", "异常值", "数据字典"]
THRESHOLDS = {
    "primary": {"R1": 4.2, "R2": 1.0, "R3": 0.9, "R4": 4.5, "R5": 7.5, "R6": 2000.0, "R7": 2.3},
    "junior": {"R1": 5.3, "R2": 1.0, "R3": 0.9, "R4": 5.8, "R5": 10.2, "R6": 2500.0, "R7": 2.4},
}
UNITS = {"R1": "人", "R2": "人", "R3": "人", "R4": "平方米", "R5": "平方米", "R6": "元", "R7": "间"}
# Names that exercise escaping, formula text, sheet-name rules and whitespace; then ordinary names.
ODD = [
    ("3708300001", '=HYPERLINK("http://x")<script>'),
    ("3708300002", "-负号学校"),
    ("3708300003", "+加号&学校<一>"),
    ("3708300004", "@城关[一]小学/分校:*?"),
    ("3708300005", "很" * 40),
    ("3708300006", "  前后有空格  "),
    ("37083000ab", "学校"),
    ("37083000AB", "学校"),  # differs from the one above by case only: Excel's sheet names clash
]


def synthetic_county(n: int, seed: int = 7) -> CountyData:
    """A county of n schools with every mart the report reads (random, deterministic for a seed)."""
    rng = random.Random(seed)
    schools = ODD[:n] + [(f"37083{i:05d}", f"第{i}学校") for i in range(len(ODD), n)]
    ind, comp, var, out, rem, con, iss = [], [], [], [], [], [], []
    for i, (code, name) in enumerate(schools):
        secs = ["primary", "junior"] if i % 5 == 0 else (["junior"] if i % 3 == 1 else ["primary"])
        for sec in secs:
            comp.append(
                {"school_code": code, "school_name": name, "section": sec, "passes": rng.choice([True, False, None])}
            )
            step = 0
            for ic in R_CODES:
                thr = THRESHOLDS[sec][ic]
                value = None if rng.random() < 0.03 else thr * rng.uniform(0.5, 1.6)
                meets = None if value is None else value >= thr
                ind.append(
                    {
                        "period": P,
                        "school_code": code,
                        "school_name": name,
                        "section": sec,
                        "indicator_code": ic,
                        "value": value,
                        "threshold": thr,
                        "floor": 0.85 * thr,
                        "meets": meets,
                        "students": float(rng.randint(80, 2400)),
                    }
                )
                if value is None:
                    continue
                if not meets:
                    need = (thr - value) * 100
                    floor_need = max(0.0, (0.85 * thr - value) * 100)
                    rem.append(
                        {
                            "school_code": code,
                            "section": sec,
                            "indicator_code": ic,
                            "students": 100.0,
                            "resource": value * 100,
                            "value": value,
                            "threshold": thr,
                            "floor": 0.85 * thr,
                            "below_floor": value < 0.85 * thr,
                            "resource_unit": UNITS[ic],
                            "need_to_threshold": need,
                            "need_to_threshold_whole": float(int(need) + 1),
                            "need_to_floor": floor_need,
                            "need_to_floor_whole": float(int(floor_need) + 1) if floor_need else 0.0,
                        }
                    )
                prev = None if rng.random() < 0.1 else value * rng.uniform(0.8, 1.2)
                var.append(
                    {
                        "level": "school_unit",
                        "school_code": code,
                        "section": sec,
                        "indicator_code": ic,
                        "measure": "value",
                        "value": value,
                        "prev_period": "2026-09",
                        "prev_value": prev,
                        "change_abs": None if prev is None else value - prev,
                        "change_pct": None if prev is None else (value - prev) / prev,
                        "change_bound": 0.2,
                        "flagged": None if prev is None else abs(value - prev) > 0.15 * prev,
                    }
                )
                planned = not meets and rng.random() < 0.3
                step += planned
                con.append(
                    {
                        "school_code": code,
                        "section": sec,
                        "indicator_code": ic,
                        "students": 100.0,
                        "value": value,
                        "weight_share": 1 / n,
                        "cv": 0.5,
                        "contribution_share": rng.random() / n,
                        "cv_contribution": rng.random() / 100,
                        "cv_if_mean": 0.45,
                        "cv_if_threshold": 0.44,
                        "plan_step": step if planned else None,
                        "plan_target": thr if planned else None,
                        "plan_need": (thr - value) * 100 if planned else None,
                        "plan_cv_after": 0.4 if planned else None,
                    }
                )
                if rng.random() < 0.02:
                    out.append(
                        {
                            "school_code": code,
                            "section": sec,
                            "indicator_code": ic,
                            "method": "cross_section",
                            "value": value,
                            "center": thr,
                            "score": 4.2,
                            "band_low": None,
                            "band_high": None,
                            "message": f"{SECTION_ZH[sec]}{ic} 本期为 {value:.2f}，明显高于全县其他学校",
                        }
                    )
        for k in range(rng.choice([0, 0, 0, 1, 3])):
            iss.append(
                {
                    "school_code": code,
                    "sheet": rng.choice(["办学条件", None]),
                    "cell": rng.choice(["C5", None]),
                    "severity": rng.choice(["error", "violation", "warning", "info", ""]),
                    "message": rng.choice(["面积偏小 ", "=SUM(A1:A3) 不一致", "#N/A", "A&B<C>", f"问题{k}"]),
                }
            )
    cv = pd.DataFrame(
        [
            {"period": p, "section": s, "indicator_code": c, "cv": rng.uniform(0.2, 0.7), "cv_limit": 0.5}
            | {"meets": True, "n_units": n}
            for p in ("2026-09", P)
            for s in ("primary", "junior")
            for c in R_CODES
        ]
    )
    cv["meets"] = cv["cv"] <= cv["cv_limit"]
    cols_var = ["level", "school_code", "section", "indicator_code", "measure", "value", "prev_period"]
    dictionary = pd.DataFrame(
        [("remediation", "差距", "学校单元", "need_to_threshold", "数值", "达到标准还需增加")],
        columns=["mart", "mart_description", "grain", "column", "type", "description"],
    )
    data = CountyData(
        P,
        "演示县",
        cv,
        pd.DataFrame(ind),
        pd.DataFrame(comp),
        pd.DataFrame(var, columns=[*cols_var, "prev_value", "change_abs", "change_pct", "change_bound", "flagged"]),
        pd.DataFrame(out, columns=["school_code", "section", "indicator_code", "method", "value", "center", "score"])
        if not out
        else pd.DataFrame(out),
        pd.DataFrame(rem),
        pd.DataFrame(con),
        pd.DataFrame(iss, columns=["school_code", "sheet", "cell", "severity", "message"]),
        dictionary,
    )
    data.names = dict(schools)
    return data


# ---------------------------------------------------------------------------------------------
# the school sheet as openpyxl wrote it before (tasks/county_report.py, 2026-11-23), kept as the reference


def _ref_write_rows(
    ws: Worksheet, top: int, headers: Sequence[str], rows: Sequence[Sequence[object]], formats: Sequence[str | None]
) -> int:
    for j, h in enumerate(headers):
        c = ws.cell(row=top, column=1 + j, value=safe_text(h))
        c.font, c.fill = BOLD, FILL_HEADER
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            c = ws.cell(row=top + i, column=1 + j, value=_cell_value(v))
            fmt = formats[j] if j < len(formats) else None
            if fmt and isinstance(v, (int, float)):
                c.number_format = fmt
    return top + len(rows) + 2


def _ref_sheet_school(ws: Worksheet, data: CountyData, page: SchoolPage) -> None:
    ws["A1"] = safe_text(f"{page.name}（{page.code}） {data.period}")
    ws["A1"].font = Font(bold=True, size=14)
    row = 3
    for sec, items in page.sections.items():
        verdict = {True: "达标", False: "未达标", None: "无法判定"}[page.passes.get(sec)]
        ws.cell(row=row, column=1, value=f"{SECTION_ZH[sec]}：学校达标规则 {verdict}").font = BOLD
        rows = [
            [
                ind_label(str(r["code"])),
                _num(r["value"]),
                _num(r["threshold"]),
                _yes_no(_flag(r["meets"])),
                _num(r["need"]),
                _num(r["need_floor"]),
                str(r["unit"]) if r["need"] is not None else "",
                _num(r["prev"]),
                _num(r["change"]),
                _num(r["share"]),
                "" if r["plan_step"] is None else f"第 {int(_num(r['plan_step']) or 0)} 步",
            ]
            for r in items
        ]
        top = row + 1
        headers = ["指标", "本期值", "标准", "达标", "达到标准需增加", "达到85%需增加", "单位", "上期值", "变动率"]
        row = _ref_write_rows(
            ws,
            top,
            [*headers, "差异贡献占比", "改进方案"],
            rows,
            [None, FMT_2, FMT_2, None, FMT_INT, FMT_INT, None, FMT_2, FMT_PCT, FMT_PCT],
        )
        for i, r in enumerate(items, start=1):
            code = str(r["code"])
            for col in (2, 3, 8):
                ws.cell(row=top + i, column=col).number_format = value_format(code)
            for col in (5, 6):
                ws.cell(row=top + i, column=col).number_format = need_format(code)
            if r["meets"] is False:
                ws.cell(row=top + i, column=2).fill = FILL_FLOOR if r["below_floor"] else FILL_BELOW
    ws.cell(row=row, column=1, value="问题与警告").font = BOLD
    for i, (kind, text) in enumerate(page.findings or [("", "本期没有问题记录。")], start=1):
        c = ws.cell(row=row + i, column=1, value=safe_text(f"【{kind}】{text}" if kind else text))
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row + i, start_column=1, end_row=row + i, end_column=11)
        ws.row_dimensions[row + i].height = 30
    for j, w in enumerate([44, 11, 9, 6, 14, 14, 7, 11, 9, 12, 10], start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True


# ---------------------------------------------------------------------------------------------
# the chart-free county sheets as openpyxl wrote them before (tasks/county_report.py, 2026-11-23 16:40)


def _ref_widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w


def _ref_title(ws: Worksheet, text: str) -> None:
    ws["A1"] = safe_text(text)
    ws["A1"].font = Font(bold=True, size=14)


def _ref_sheet_changes(ws: Worksheet, data: CountyData) -> None:
    _ref_title(ws, "与上一次报送期相比的变动（超过变动界限的标记为“是”）")
    v = data.variance.sort_values(
        ["flagged", "level", "section", "indicator_code", "school_code"],
        ascending=[False, True, True, True, True],
        na_position="last",
    )
    rows = [
        [
            "县域" if _str(r.level) == "county" else _str(r.school_code),
            "" if _str(r.level) == "county" else data.names.get(_str(r.school_code), ""),
            SECTION_ZH.get(_str(r.section), _str(r.section)),
            _str(r.indicator_code),
            "差异系数" if _str(r.measure) == "cv" else "指标值",
            _str(r.prev_period),
            _num(r.prev_value),
            _num(r.value),
            _num(r.change_abs),
            _num(r.change_pct),
            _yes_no(_flag(r.flagged)),
        ]
        for r in v.itertuples(index=False)
    ]
    _ref_write_rows(
        ws,
        3,
        [
            "学校标识码",
            "学校名称",
            "学段",
            "指标",
            "比较的量",
            "上期",
            "上期值",
            "本期值",
            "变动量",
            "变动率",
            "超出界限",
        ],
        rows,
        [None] * 6 + [FMT_2, FMT_2, FMT_2, FMT_PCT],
    )
    _ref_widths(ws, [12, 30, 6, 6, 10, 10, 12, 12, 12, 10, 10])


def _ref_sheet_outliers(ws: Worksheet, data: CountyData) -> None:
    _ref_title(ws, "异常值警告（稳健 z 值绝对值超过 3.5，或超出本校历史正常范围）")
    rows = [
        [
            _str(r.school_code),
            data.names.get(_str(r.school_code), ""),
            SECTION_ZH.get(_str(r.section), ""),
            _str(r.indicator_code),
            METHOD_ZH.get(_str(r.method), _str(r.method)),
            _num(r.value),
            _num(r.center),
            _num(r.score),
            _num(r.band_low),
            _num(r.band_high),
            _str(r.message),
        ]
        for r in data.outliers.sort_values(["section", "indicator_code", "school_code"]).itertuples(index=False)
    ]
    _ref_write_rows(
        ws,
        3,
        [
            "学校标识码",
            "学校名称",
            "学段",
            "指标",
            "方法",
            "本期值",
            "中位数",
            "稳健z值",
            "正常范围下限",
            "正常范围上限",
            "说明",
        ],
        rows,
        [None] * 5 + [FMT_2, FMT_2, "0.0", FMT_2, FMT_2],
    )
    _ref_widths(ws, [12, 30, 6, 6, 16, 12, 12, 10, 12, 12, 90])


def _ref_sheet_remediation(ws: Worksheet, data: CountyData) -> None:
    _ref_title(ws, "达标差距：达到标准、达到标准85%各需增加的资源（向上取整）")
    totals = county_totals(data.remediation)
    ws.cell(row=3, column=1, value="全县合计").font = BOLD
    trows = [
        [
            SECTION_ZH.get(_str(r.section), ""),
            _str(r.indicator_code),
            INDICATOR_NAMES.get(_str(r.indicator_code), ""),
            int(r.units),
            int(r.units_below_floor),
            _num(r.need_to_threshold),
            _num(r.need_to_floor),
            _str(r.resource_unit),
        ]
        for r in totals.itertuples(index=False)
    ]
    row = _ref_write_rows(
        ws,
        4,
        ["学段", "指标", "名称", "未达标单元数", "其中低于85%", "达到标准需增加", "达到85%需增加", "单位"],
        trows,
        [None, None, None, "0", "0", FMT_INT, FMT_INT],
    )
    ws.cell(row=row, column=1, value="逐校差距").font = BOLD
    rem = data.remediation.sort_values(["section", "indicator_code", "school_code"])
    rows = [
        [
            SECTION_ZH.get(_str(r.section), ""),
            _str(r.indicator_code),
            _str(r.school_code),
            data.names.get(_str(r.school_code), ""),
            _num(r.students),
            _num(r.value),
            _num(r.threshold),
            _yes_no(_flag(r.below_floor)),
            _num(r.resource),
            _num(r.need_to_threshold_whole),
            _num(r.need_to_floor_whole),
            _str(r.resource_unit),
        ]
        for r in rem.itertuples(index=False)
    ]
    top = row + 1
    _ref_write_rows(
        ws,
        top,
        [
            "学段",
            "指标",
            "学校标识码",
            "学校名称",
            "在校生数",
            "本期值",
            "标准",
            "低于85%",
            "现有量",
            "达到标准需增加",
            "达到85%需增加",
            "单位",
        ],
        rows,
        [None, None, None, None, FMT_INT, FMT_2, FMT_2, None, FMT_INT, FMT_INT, FMT_INT],
    )
    for i, r in enumerate(rows, start=1):
        ws.cell(row=top + i, column=6).fill = FILL_FLOOR if r[7] == "是" else FILL_BELOW
        code = str(r[1])
        for col in (6, 7):
            ws.cell(row=top + i, column=col).number_format = value_format(code)
        for col in (9, 10, 11):
            ws.cell(row=top + i, column=col).number_format = need_format(code)
    _ref_widths(ws, [6, 6, 12, 30, 10, 12, 10, 8, 14, 14, 14, 8])


def _ref_sheet_contribution(ws: Worksheet, data: CountyData) -> None:
    _ref_title(ws, "差异系数贡献、假设情形与改进方案")
    row = 3
    ws.cell(row=row, column=1, value="改进方案（每步选择使差异系数下降最多的一所学校）").font = BOLD
    row += 1
    for p in plan_summaries(data):
        ws.cell(
            row=row,
            column=1,
            value=safe_text(
                f"{SECTION_ZH.get(p.section, '')}{ind_label(p.code)}：差异系数 {fmt_cv(p.cv)} → {fmt_cv(p.cv_after)}"
                f"（上限 {p.limit:.2f}，{'可以达标' if p.reached else '仅靠提高低值学校无法达标'}）"
            ),
        )
        rows = [
            [
                int(_num(s["plan_step"]) or 0),
                _str(s["school_code"]),
                data.names.get(_str(s["school_code"]), ""),
                _num(s["value"]),
                _num(s["plan_target"]),
                _num(s["plan_need"]),
                RESOURCE_UNITS.get(p.code, ""),
                _num(s["plan_cv_after"]),
            ]
            for s in p.steps
        ]
        row = _ref_write_rows(
            ws,
            row + 1,
            ["步骤", "学校标识码", "学校名称", "现值", "提高到", "需增加", "单位", "完成后差异系数"],
            rows,
            ["0", None, None, value_format(p.code), value_format(p.code), need_format(p.code), None, FMT_CV],
        )
    if row == 4:
        ws.cell(row=row, column=1, value="本期各项差异系数均未超过上限，无需改进方案。")
        row += 2
    ws.cell(row=row, column=1, value="各学校单元对差异系数的贡献").font = BOLD
    c = data.contribution.sort_values(
        ["section", "indicator_code", "contribution_share"], ascending=[True, True, False]
    )
    rows = [
        [
            SECTION_ZH.get(_str(r.section), ""),
            _str(r.indicator_code),
            _str(r.school_code),
            data.names.get(_str(r.school_code), ""),
            _num(r.students),
            _num(r.value),
            _num(r.weight_share),
            _num(r.contribution_share),
            _num(r.cv_contribution),
            _num(r.cv),
            _num(r.cv_if_mean),
            _num(r.cv_if_threshold),
            None if _num(r.plan_step) is None else int(_num(r.plan_step) or 0),
        ]
        for r in c.itertuples(index=False)
    ]
    _ref_write_rows(
        ws,
        row + 1,
        [
            "学段",
            "指标",
            "学校标识码",
            "学校名称",
            "在校生数",
            "指标值",
            "权重占比",
            "贡献占比",
            "对差异系数的贡献",
            "差异系数",
            "若达到县均值",
            "若达到标准",
            "方案步骤",
        ],
        rows,
        [None] * 4 + [FMT_INT, FMT_2, FMT_PCT, FMT_PCT, FMT_CV, FMT_CV, FMT_CV, FMT_CV, "0"],
    )
    _ref_widths(ws, [8, 12, 14, 30, 10, 12, 10, 10, 14, 10, 12, 12, 10])


def _ref_sheet_dictionary(ws: Worksheet, data: CountyData) -> None:
    _ref_title(ws, "数据字典：每个数据集（mart.<名称>）的每一列")
    d = data.dictionary
    rows = [[f"mart.{r.mart}", r.mart_description, r.grain, r.column, r.type, r.description] for r in d.itertuples()]
    _ref_write_rows(ws, 3, [HEADERS_ZH[c] for c in d.columns], rows, ())
    _ref_widths(ws, [22, 40, 30, 24, 8, 80])


# ---------------------------------------------------------------------------------------------
# School sheets, written as worksheet XML
#
# A county workbook has a sheet per school (~1,900 at N = 2,000). openpyxl spent ~5 ms of CPU on each:
# a Worksheet of ~200 descriptor objects (0.5 ms before a cell is written), a Cell and a style copy per
# cell, an ElementTree pass and a temporary file per sheet; this takes ~0.4 ms. The school sheets are therefore rendered
# here as the XML openpyxl wrote for them (inline strings, numbers as "%.16g", the cell formats
# registered in the workbook's own style tables, merges, row heights, widths, page setup) and added
# to the package by _CountyWriter. tests/unit/test_county_report_fast.py compares every cell, merge,
# width and height with openpyxl's own output; the writer hooks into openpyxl 3.1.5 (pinned).

_SCHOOL_HEADERS = (
    "指标",
    "本期值",
    "标准",
    "达标",
    "达到标准需增加",
    "达到85%需增加",
    "单位",
    "上期值",
    "变动率",
    "差异贡献占比",
    "改进方案",
)
_SCHOOL_WIDTHS = (44, 11, 9, 6, 14, 14, 7, 11, 9, 12, 10)
_SCHOOL_LAST_COL = get_column_letter(len(_SCHOOL_HEADERS))
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_TITLE_FONT = Font(bold=True, size=14)
_SCHOOL_FILLS = {"below": FILL_BELOW, "floor": FILL_FLOOR}
_XML_HEAD = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr>'
    '<outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr fitToPage="1"/></sheetPr>'
)
_XML_VIEWS = (
    '<sheetViews><sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
    '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><cols>'
    + "".join(f'<col width="{w}" customWidth="1" min="{j}" max="{j}"/>' for j, w in enumerate(_SCHOOL_WIDTHS, 1))
    + "</cols>"
)
_XML_TAIL = (
    '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
    '<pageSetup orientation="landscape" fitToHeight="1" fitToWidth="1"/></worksheet>'
)


REF_COUNTY = {
    "改进方案与贡献": _ref_sheet_contribution,
    "达标差距": _ref_sheet_remediation,
    "本期变动": _ref_sheet_changes,
    "异常值": _ref_sheet_outliers,
    "数据字典": _ref_sheet_dictionary,
}


def reference_workbook(data: CountyData, path: Path) -> Path:
    """The chart-free county sheets and the school sheets as before (names through openpyxl's create_sheet);
    the sheets with charts, still written by openpyxl, left empty."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = COUNTY_SHEETS[0]
    for title in COUNTY_SHEETS[1:]:
        ws = wb.create_sheet(title)
        if title in REF_COUNTY:
            REF_COUNTY[title](ws, data)
    taken = set(wb.sheetnames)
    for page in school_pages(data):
        _ref_sheet_school(wb.create_sheet(sheet_name(page.code, page.name, taken)), data, page)
    wb.save(path)
    return path


# ---------------------------------------------------------------------------------------------


def _cell_facts(ws: Worksheet) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None and not c.has_style:
                continue
            f, a = c.font, c.alignment
            out[c.coordinate] = (
                c.value,
                c.data_type,
                c.number_format,
                bool(f.b),
                f.sz,
                c.fill.patternType,
                c.fill.fgColor.rgb,
                bool(a.wrap_text),
                a.vertical,
            )
    return out


def _sheet_facts(ws: Worksheet) -> dict[str, object]:
    return {
        "dimensions": ws.dimensions,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "widths": {k: (d.width, d.customWidth) for k, d in ws.column_dimensions.items()},
        "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height is not None},
        "page": (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight),
        "fit": ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None,
        "state": ws.sheet_state,
        "panes": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
    }


def test_school_sheets_equal_what_openpyxl_wrote(tmp_path: Path) -> None:
    data = synthetic_county(40)
    new = write_county_workbook(data, tmp_path / "new.xlsx")
    ref = reference_workbook(data, tmp_path / "ref.xlsx")
    a, b = load_workbook(new), load_workbook(ref)
    assert a.sheetnames[:8] == COUNTY_SHEETS
    assert a.sheetnames == b.sheetnames and len(a.sheetnames) == 8 + 40
    # the case-only clash is renamed as openpyxl renames it
    assert a.sheetnames[-2:] == ["37083000AB学校", "37083000ab学校1"]
    for title in a.sheetnames[8:]:
        sa, sb = a[title], b[title]
        facts = _cell_facts(sa)
        assert facts == _cell_facts(sb), title
        # nothing a spreadsheet would run: text that starts like a formula keeps its leading '
        assert not [v for v, t, *_ in facts.values() if t == "f" or (isinstance(v, str) and v[:1] in "=+-@")]
        assert _sheet_facts(sa) == _sheet_facts(sb), title
    a.close()
    b.close()
    ca, cb = CalamineWorkbook.from_path(str(new)), CalamineWorkbook.from_path(str(ref))
    assert ca.sheet_names == cb.sheet_names
    for title in ca.sheet_names[8:]:
        assert ca.get_sheet_by_name(title).to_python() == cb.get_sheet_by_name(title).to_python(), title


def test_school_sheet_values_by_hand(tmp_path: Path) -> None:
    data = synthetic_county(8)
    # school 0: primary and junior; its R1 by hand, with a finding that looks like a formula
    data.indicators.loc[0, ["value", "meets"]] = [3.5, False]
    data.issues = pd.DataFrame(
        {"school_code": ["3708300001"], "sheet": [None], "cell": [None], "severity": [""], "message": ["=1+1"]}
    )
    wb = load_workbook(write_county_workbook(data, tmp_path / "c.xlsx"))
    ws = wb[wb.sheetnames[8]]
    assert wb.sheetnames[8] == '3708300001=HYPERLINK("httpx")<s'  # 31 characters, no ':' or '/'
    assert ws["A1"].value == "'" + '=HYPERLINK("http://x")<script>（3708300001） 2026-10' and ws["A1"].data_type == "s"
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    verdict = {True: "达标", False: "未达标", None: "无法判定"}[_flag(data.compliance.loc[0, "passes"])]
    assert ws["A3"].value == f"小学：学校达标规则 {verdict}"
    assert [c.value for c in ws[4]] == [
        "指标",
        "本期值",
        "标准",
        "达标",
        "达到标准需增加",
        "达到85%需增加",
        "单位",
        "上期值",
        "变动率",
        "差异贡献占比",
        "改进方案",
    ]
    assert ws["A4"].fill.fgColor.rgb == "FFDDEBF7" and ws["K4"].alignment.wrap_text
    r1 = ws[5]
    assert r1[0].value == "R1 每百名学生拥有高于规定学历教师数"
    assert (r1[1].value, r1[2].value, r1[3].value) == (3.5, 4.2, "否")
    assert r1[1].number_format == "#,##0.00" and r1[1].fill.fgColor.rgb in ("FFFFC7CE", "FFE06666")
    assert r1[4].number_format == "#,##0"  # 人: whole numbers
    last = ws.max_row
    assert ws.cell(last, 1).value == "'=1+1" and ws.cell(last, 1).data_type == "s"
    assert f"A{last}:K{last}" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.row_dimensions[last].height == 30
    assert ws.column_dimensions["A"].width == 44 and ws.column_dimensions["K"].width == 10
    wb.close()


def test_package_lists_every_sheet_once(tmp_path: Path) -> None:
    path = write_county_workbook(synthetic_county(12), tmp_path / "c.xlsx")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode()
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    sheets = sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    assert len(names) == len(set(names)) and len(sheets) == 8 + 12
    for n in sheets:
        assert types.count(f'PartName="/{n}"') == 1 and rels.count(f'Target="/{n}"') == 1
    assert book.count("<sheet ") == 20 and len(set(re.findall(r'sheetId="(\d+)"', book))) == 20


def _awkward_dictionary() -> pd.DataFrame:
    """Dictionary rows with text a spreadsheet would run or mangle, an error code, a missing and a number."""
    return pd.DataFrame(
        [
            ("remediation", "=1+1", " 前后空格 ", "#N/A", "数值", "A&B<C>"),
            ("contribution", "-贡献", "@学校", "", float("nan"), 3.5),
            ("variance", "+变动", "学校单元", "value", "数值", "本期值\n第二行"),
        ],
        columns=["mart", "mart_description", "grain", "column", "type", "description"],
    )


@pytest.mark.parametrize("variant", ["plans", "nothing_to_plan"])
def test_county_sheets_equal_what_openpyxl_wrote(tmp_path: Path, variant: str) -> None:
    data = synthetic_county(40)
    data.dictionary = _awkward_dictionary()
    if variant == "nothing_to_plan":  # every CV under its limit: no plan; no outliers either
        data.cv["cv"] = 0.1
        data.outliers = data.outliers.iloc[0:0]
    assert data.variance["prev_value"].notna().sum() > 200  # 本期变动 has a previous period to compare
    new = write_county_workbook(data, tmp_path / "new.xlsx")
    ref = reference_workbook(data, tmp_path / "ref.xlsx")
    a, b = load_workbook(new), load_workbook(ref)
    assert a.sheetnames == b.sheetnames and a.sheetnames[:8] == COUNTY_SHEETS
    sizes = {}
    for title in REF_COUNTY:
        sa, sb = a[title], b[title]
        facts = _cell_facts(sa)
        assert facts == _cell_facts(sb), title
        assert not [v for v, t, *_ in facts.values() if t == "f" or (isinstance(v, str) and v[:1] in "=+-@")]
        assert _sheet_facts(sa) == _sheet_facts(sb), title
        sizes[title] = len(facts)
        if title == "改进方案与贡献":
            plans = [sa.cell(r, 1).value for r in (4, 6)]
    a.close()
    b.close()
    # the tables are really there: one row per unit and indicator (40 schools, ~50 units, 7 indicators)
    assert sizes["改进方案与贡献"] > 3000 and sizes["本期变动"] > 3000 and sizes["达标差距"] > 1000
    assert (sizes["异常值"] > 1 + 11) == (variant == "plans")  # more than the title and the header
    if variant == "plans":  # a plan's summary, its steps below
        assert plans[0][:2] in ("小学", "初中") and "差异系数" in plans[0] and plans[1] == 1
    else:
        assert plans == ["本期各项差异系数均未超过上限，无需改进方案。", "各学校单元对差异系数的贡献"]
    ca, cb = CalamineWorkbook.from_path(str(new)), CalamineWorkbook.from_path(str(ref))
    for title in REF_COUNTY:
        assert ca.get_sheet_by_name(title).to_python() == cb.get_sheet_by_name(title).to_python(), title


def test_county_sheet_values_by_hand(tmp_path: Path) -> None:
    data = synthetic_county(8)
    data.remediation = pd.DataFrame(
        [
            # R4 (平方米): not below 85 %, nothing needed to reach 85 % (missing)
            ("3708300002", "primary", "R4", 1000.0, 4000.0, 4.0, 4.5, 3.825, False, "平方米", 500.0, 500.0, 0.0, None),
            # R1 (人): below 85 %
            ("3708300003", "primary", "R1", 200.0, 6.0, 3.0, 4.2, 3.57, True, "人", 2.4, 3.0, 1.14, 2.0),
        ],
        columns=[
            "school_code",
            "section",
            "indicator_code",
            "students",
            "resource",
            "value",
            "threshold",
            "floor",
            "below_floor",
            "resource_unit",
            "need_to_threshold",
            "need_to_threshold_whole",
            "need_to_floor",
            "need_to_floor_whole",
        ],
    )
    data.variance = pd.DataFrame(
        [
            ("school_unit", "3708300001", "junior", "R2", "value", 1.1, "2026-09", None, None, None, 0.2, None),
            ("county", None, "primary", "R1", "cv", 0.52, "2026-09", 0.4, 0.12, 0.3, 0.2, True),
        ],
        columns=list(data.variance.columns),
    )
    wb = load_workbook(write_county_workbook(data, tmp_path / "c.xlsx"))
    ws = wb["达标差距"]
    assert ws["A1"].font.b and ws["A1"].font.sz == 14 and ws["A3"].value == "全县合计" and ws["A3"].font.b
    assert ws["D4"].value == "未达标单元数" and ws["D4"].fill.fgColor.rgb == "FFDDEBF7" and ws["D4"].alignment.wrap_text
    # totals: R1 before R4; one unit each, the R1 one below 85 %
    assert [c.value for c in ws[5][:8]] == ["小学", "R1", INDICATOR_NAMES["R1"], 1, 1, 3, 2, "人"]
    assert [c.value for c in ws[6][:8]] == ["小学", "R4", INDICATOR_NAMES["R4"], 1, 0, 500, 0, "平方米"]
    assert ws["D5"].number_format == "0" and ws["F5"].number_format == "#,##0"
    assert ws["A8"].value == "逐校差距" and ws["A9"].value == "学段"
    assert [c.value for c in ws[10]] == [
        "小学",
        "R1",
        "3708300003",
        "'+加号&学校<一>",
        200,
        3,
        4.2,
        "是",
        6,
        3,
        2,
        "人",
    ]
    assert ws["F10"].fill.fgColor.rgb == "FFE06666" and ws["F10"].number_format == "#,##0.00"
    assert [ws[f"{c}10"].number_format for c in "EGIJK"] == ["#,##0", "#,##0.00", "#,##0", "#,##0", "#,##0"]
    assert ws["F11"].fill.fgColor.rgb == "FFFFC7CE" and ws["B11"].fill.patternType is None
    assert ws["D11"].value == "'-负号学校" and ws["D11"].data_type == "s"
    # 平方米: needs to one decimal; the missing need is an empty cell that keeps its format
    assert ws["K11"].value is None and ws["K11"].number_format == "#,##0.0" and ws["I11"].number_format == "#,##0.0"
    assert ws.max_row == 11 and ws.column_dimensions["D"].width == 30
    ws = wb["本期变动"]
    # flagged first: the county's CV, then the school's value without a previous one
    assert [c.value for c in ws[4]][2:] == ["小学", "R1", "差异系数", "2026-09", 0.4, 0.52, 0.12, 0.3, "是"]
    assert ws["A4"].value == "县域" and ws["B4"].value in (None, "")
    assert ws["G4"].number_format == "#,##0.00" and ws["J4"].number_format == "0.0%"
    assert [c.value for c in ws[5]][:6] == ["3708300001", "'" + ODD[0][1], "初中", "R2", "指标值", "2026-09"]
    assert [ws[f"{c}5"].value for c in "GHIJK"] == [None, 1.1, None, None, "—"]
    assert ws["G5"].number_format == "General" and ws["H5"].number_format == "#,##0.00"
    assert ws.max_row == 5
    wb.close()


def test_given_school_pages_are_used(tmp_path: Path) -> None:
    """publish_county_report computes the pages once and hands them to both outputs."""
    data = synthetic_county(12)
    pages = [p for p in school_pages(data) if p.code in ("3708300009", "3708300010")]
    wb = load_workbook(write_county_workbook(data, tmp_path / "c.xlsx", pages=pages), read_only=True)
    assert wb.sheetnames[8:] == ["3708300009第9学校", "3708300010第10学校"]
    wb.close()
    html = render_county_html(data, pages=pages)
    assert html.count('<section class="school"') == 2 and 'id="school-3708300010"' in html
    assert render_county_html(data).count('<section class="school"') == 12


def _yes_no(x: bool | None) -> str:
    return yes_no(x, missing="—")
