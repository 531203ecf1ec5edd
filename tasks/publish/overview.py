"""The 评估总览 (all 31 indicators and the vetoes) as people read it: rows, verdict, sheet and page data."""

from __future__ import annotations

import math
import re

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from junheng.policy import code_order, policy_title
from tasks.model.scorecard import STATUSES
from tasks.publish.cells import safe_text
from tasks.publish.xlsx import Formats, Styled, display_width, write_table

STATUS_ZH = {"met": "达标", "unmet": "未达标", "not_reported": "未报告", "evidence_pending": "待审核"}

OVERVIEW_HEADERS = ["评估内容", "指标", "名称", "学段", "分项", "数值", "标准", "状态", "说明", "依据"]
COLUMN_WIDTHS = (10, 7, 34, 6, 14, 10, 16, 8, 40, 16)
PART_ORDER = ("资源配置", "政府保障程度", "教育质量", "社会认可度", "否决", "地方目标")
NO_VALID_TEXT = "无有效报表：本期没有可用于计算的学校报表，不作评估结论"
_SECTION_ZH = {"primary": "小学", "junior": "初中", "all": ""}
_CMP_ZH = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
_LEVELS = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ")
# The school rule's line stands for R1–R7 together.
_CODE_SHOWN = {"R_MIN_MET": "R1–R7"}
# Method ids the model may leave in a note, in people's words.
_NOTE_WORDS = {"unweighted": "不加权", "weighted": "按在校生数加权"}
_NOTE_RE = re.compile(r"\b(" + "|".join(_NOTE_WORDS) + r")\b")


def _shown(x: object) -> float | None:
    return None if x is None or pd.isna(x) else float(x)  # type: ignore[arg-type]


def value_text(measure: object, value: object, unit: object = "") -> str:
    """A scorecard value as people read it: 96.4%, 是/否, Ⅲ, 0.135 …; empty when not reported."""
    v = _shown(value)
    if v is None:
        return ""
    if measure in ("flag", "review"):
        return "是" if v >= 1 else "否"
    if measure == "level" and v.is_integer() and 1 <= v <= 4:
        return _LEVELS[int(v) - 1]
    if measure == "rate" or unit == "%":
        return f"{v:.2f}%"
    if measure == "cv":
        return f"{v:.3f}"
    return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def value_cell(measure: object, value: object, unit: object = "") -> tuple[float | str | None, str]:
    """The value for a spreadsheet cell: a number with its display format, or text (是/否, levels)."""
    v = _shown(value)
    if v is None:
        return None, ""
    if measure in ("flag", "review", "level"):
        return value_text(measure, value, unit), ""
    if measure == "rate" or unit == "%":
        return v, '0.00"%"'
    if measure in ("cv", "ratio"):
        return v, "0.000"
    return v, "#,##0" if v.is_integer() else "#,##0.00"


def threshold_text(row: pd.Series) -> str:
    t = _shown(row.get("threshold"))
    if t is None or not row.get("comparator"):
        return ""
    if row.get("measure") in ("flag",):
        return "否"
    if row.get("measure") in ("review",):
        return "是"
    if row.get("measure") == "level":
        return f"{_CMP_ZH[str(row['comparator'])]} {value_text('level', t)}"
    unit = str(row.get("unit") or "")
    return f"{_CMP_ZH[str(row['comparator'])]} {t:g} {unit}".strip()


def _sorted(card: pd.DataFrame) -> pd.DataFrame:
    if card.empty:
        return card
    keys = card.apply(
        lambda r: (
            PART_ORDER.index(r["part"]) if r["part"] in PART_ORDER else 9,
            *((0, "R", 0, "") if r["indicator_code"] == "R_MIN_MET" else code_order(str(r["indicator_code"]))),
            0 if r["section"] == "primary" else 1 if r["section"] == "junior" else 2,
        ),
        axis=1,
    )
    return card.assign(_k=keys).sort_values(["_k", "item"], kind="stable").drop(columns="_k")


def _text(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA else str(x)


def _note(x: object) -> str:
    return _NOTE_RE.sub(lambda m: _NOTE_WORDS[m.group(1)], _text(x))


def _policy(r: pd.Series) -> str:
    return policy_title(_text(r.get("policy")), _text(r.get("source"))) if _text(r.get("policy")) else ""


def _policy_short(r: pd.Series) -> str:
    """The document number (教督〔2017〕6号) where the title has one; the full title is under 政策文件."""
    title = _policy(r)
    return title.split("《", 1)[0] or title


def overview_rows(card: pd.DataFrame) -> list[list[object]]:
    """One row per scorecard line; the 数值 column is a (value, number format) pair for the workbook."""
    out: list[list[object]] = []
    for _, r in _sorted(card).iterrows():
        code = str(r["indicator_code"])
        out.append(
            [
                str(r["part"]),
                _CODE_SHOWN.get(code, code),
                _text(r.get("name_zh")),
                _SECTION_ZH.get(str(r["section"]), str(r["section"])),
                _text(r.get("item")),
                value_cell(r.get("measure"), r.get("value"), r.get("unit")),
                threshold_text(r),
                STATUS_ZH.get(str(r["status"]), str(r["status"])),
                _note(r.get("note")),
                _policy_short(r),
            ]
        )
    return out


def overview_text_rows(card: pd.DataFrame) -> list[list[str]]:
    """The same rows for a page: every value as text."""
    rows = overview_rows(card)
    shown = [value_text(r.get("measure"), r.get("value"), r.get("unit")) for _, r in _sorted(card).iterrows()]
    return [[*map(str, row[:5]), text, *map(str, row[6:])] for row, text in zip(rows, shown, strict=True)]


def part_counts(card: pd.DataFrame) -> list[list[object]]:
    """Per part: lines met, unmet, not reported, evidence pending."""
    rows = []
    for part in PART_ORDER:
        sub = card[card["part"] == part] if not card.empty else card
        if sub.empty:
            continue
        rows.append([part, *[int((sub["status"] == st).sum()) for st in STATUSES]])
    return rows


def verdict(card: pd.DataFrame, *, no_valid_returns: bool = False) -> tuple[bool | None, str, list[str]]:
    """Ready for the national evaluation: every line of the four parts and every veto met."""
    if no_valid_returns:
        return None, NO_VALID_TEXT, []
    if card.empty:
        return None, "尚无评估总览数据", []
    national = _sorted(card[card["part"] != "地方目标"])
    open_rows = national[national["status"] != "met"]
    reasons = [
        f"{_CODE_SHOWN.get(str(r['indicator_code']), r['indicator_code'])} {r.get('name_zh') or ''}"
        + (f"（{r['item']}）" if r.get("item") else "")
        + (f"·{_SECTION_ZH[r['section']]}" if _SECTION_ZH.get(r["section"]) else "")
        + f"：{STATUS_ZH[r['status']]}"
        for _, r in open_rows.iterrows()
    ]
    if open_rows.empty:
        return True, "四个方面全部达标、无否决项：具备申请国家评估认定的条件", []
    vetoed = bool(((national["part"] == "否决") & (national["status"] == "unmet")).any())
    counts = [(STATUS_ZH[s], int((open_rows["status"] == s).sum())) for s in STATUSES if s != "met"]
    detail = "、".join(f"{name} {n} 项" for name, n in counts if n)
    text = (
        "存在否决项，不予认定"
        if vetoed
        else f"尚不具备评估认定条件：共 {len(national)} 项评估内容中，{detail}（按评估内容逐项计）"
    )
    return False, text, reasons


def policies_text(card: pd.DataFrame) -> str:
    """The policy documents the lines were judged by (national and local overlays), by title."""
    names = sorted({_policy(r) for _, r in card.iterrows()} - {""}) if not card.empty else []
    return "、".join(names) or "无"


def write_overview_sheet(ws: Worksheet, fmts: Formats, card: pd.DataFrame, *, no_valid_returns: bool = False) -> int:
    """The 评估总览 sheet: verdict, counts per part, then every line of the scorecard. Returns the table's
    header row (zero-based), for the printed page's repeated rows."""
    ok, text, reasons = verdict(card, no_valid_returns=no_valid_returns)
    bold = fmts(bold=True, valign="top")
    colour = {True: "#2E7D32", False: "#C62828", None: "#666666"}[ok]
    wrap = {"text_wrap": True, "valign": "top"}
    last_col = len(OVERVIEW_HEADERS) - 1
    ws.write_string(0, 0, "评估结论", bold)
    ws.merge_range(0, 1, 0, last_col, "", fmts(bold=True, font_color=colour, **wrap))
    ws.write_string(0, 1, safe_text(text), fmts(bold=True, font_color=colour, **wrap))
    r = 1
    if reasons:
        listed = "；".join(reasons[:12]) + ("……" if len(reasons) > 12 else "")
        ws.write_string(r, 0, "未达标等项目", bold)
        ws.merge_range(r, 1, r, last_col, "", fmts(**wrap))
        ws.write_string(r, 1, safe_text(listed), fmts(**wrap))
        page_width = sum(COLUMN_WIDTHS[1:])
        ws.set_row(r, 15 * max(1, math.ceil(display_width(listed) / page_width)) + 4)
        r += 1
    r += 1
    if no_valid_returns:
        ws.write_string(r, 0, "学校报表入库后重新运行，即可生成评估总览的各项结果。")
        ws.set_column(0, 0, COLUMN_WIDTHS[0])
        ws.set_column(1, last_col, 12)
        return 0
    _part_counts(ws, fmts, card, r)
    r += len(part_counts(card)) + 1
    ws.write_string(r, 0, "政策文件", bold)
    ws.write_string(r, 1, safe_text(policies_text(card)))
    r += 2
    fills = {"未达标": "#FFC7CE", "未报告": "#EDEDED", "待审核": "#FFF2CC"}
    rows = []
    for row in overview_rows(card):
        cell = row[5]
        assert isinstance(cell, tuple)  # (value, number format): see overview_rows
        value, number_format = cell
        status = str(row[7])
        rows.append(
            [
                *row[:5],
                Styled(value, {"num_format": number_format} if number_format else {}),
                row[6],
                Styled(status, {"bg_color": fills[status]}) if status in fills else status,
                *row[8:],
            ]
        )
    write_table(ws, fmts, OVERVIEW_HEADERS, rows, top=r, wrap={2, 4, 6, 8, 9}, widths=COLUMN_WIDTHS)
    return r


def _part_counts(ws: Worksheet, fmts: Formats, card: pd.DataFrame, top: int) -> None:
    """The small table of lines per part and status, numbers stored as numbers."""
    for j, h in enumerate(["评估内容", "达标", "未达标", "未报告", "待审核"]):
        ws.write_string(top, j, h, fmts(bold=True, bg_color="#DDEBF7", border=1))
    for i, counts in enumerate(part_counts(card), start=top + 1):
        ws.write_string(i, 0, str(counts[0]), fmts(border=1))
        for j, n in enumerate(counts[1:], start=1):
            ws.write_number(i, j, float(n), fmts(border=1, num_format="0"))  # type: ignore[arg-type]
