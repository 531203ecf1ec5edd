"""The 评估总览 (all 31 indicators and the vetoes) as people read it: rows, verdict, sheet and HTML."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from junheng.policy import code_order
from tasks.model.scorecard import STATUSES
from tasks.publish.cells import safe_text
from tasks.publish.xlsx import Formats, Styled, write_table

STATUS_ZH = {"met": "达标", "unmet": "未达标", "not_reported": "未报告", "evidence_pending": "待审核"}

OVERVIEW_HEADERS = ["评估内容", "指标", "名称", "学段", "分项", "数值", "标准", "状态", "说明", "依据"]
PART_ORDER = ("资源配置", "政府保障程度", "教育质量", "社会认可度", "否决", "地方目标")
_SECTION_ZH = {"primary": "小学", "junior": "初中", "all": ""}
_CMP_ZH = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
_LEVELS = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ")


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
            *code_order(str(r["indicator_code"])),
        ),
        axis=1,
    )
    return card.assign(_k=keys).sort_values(["_k", "section", "item"], kind="stable").drop(columns="_k")


def overview_rows(card: pd.DataFrame) -> list[list[str]]:
    out = []
    for _, r in _sorted(card).iterrows():
        out.append(
            [
                str(r["part"]),
                str(r["indicator_code"]),
                str(r.get("name_zh") or ""),
                _SECTION_ZH.get(str(r["section"]), str(r["section"])),
                str(r.get("item") or ""),
                value_text(r.get("measure"), r.get("value"), r.get("unit")),
                threshold_text(r),
                STATUS_ZH.get(str(r["status"]), str(r["status"])),
                str(r.get("note") or ""),
                str(r.get("policy") or ""),
            ]
        )
    return out


def part_counts(card: pd.DataFrame) -> list[list[object]]:
    """Per part: lines met, unmet, not reported, evidence pending."""
    rows = []
    for part in PART_ORDER:
        sub = card[card["part"] == part] if not card.empty else card
        if sub.empty:
            continue
        rows.append([part, *[int((sub["status"] == st).sum()) for st in STATUSES]])
    return rows


def verdict(card: pd.DataFrame) -> tuple[bool | None, str, list[str]]:
    """Ready for the national evaluation: every line of the four parts and every veto met."""
    if card.empty:
        return None, "尚无评估总览数据", []
    national = _sorted(card[card["part"] != "地方目标"])
    open_rows = national[national["status"] != "met"]
    reasons = [
        f"{r['indicator_code']} {r.get('name_zh') or ''}"
        + (f"（{r['item']}）" if r.get("item") else "")
        + (f"·{_SECTION_ZH[r['section']]}" if _SECTION_ZH.get(r["section"]) else "")
        + f"：{STATUS_ZH[r['status']]}"
        for _, r in open_rows.iterrows()
    ]
    if open_rows.empty:
        return True, "四个方面全部达标、无否决项：具备申请国家评估认定的条件", []
    vetoed = bool(((national["part"] == "否决") & (national["status"] == "unmet")).any())
    text = "存在否决项，不予认定" if vetoed else f"尚不具备评估认定条件：{len(open_rows)} 项未达标、未报告或待审核"
    return False, text, reasons


def policies_text(card: pd.DataFrame) -> str:
    """The policy files the lines were judged by (national and local overlays)."""
    names = sorted({str(p) for p in card.get("policy", pd.Series(dtype=object)).dropna() if str(p)})
    return "、".join(names) or "无"


def write_overview_sheet(ws: Worksheet, fmts: Formats, card: pd.DataFrame) -> None:
    """The 评估总览 sheet: verdict, counts per part, then every line of the scorecard."""
    ok, text, reasons = verdict(card)
    bold = fmts(bold=True)
    ws.write_string(0, 0, "评估结论", bold)
    ws.write_string(0, 1, text, fmts(bold=True, font_color={True: "#2E7D32", False: "#C62828", None: "#666666"}[ok]))
    if reasons:
        ws.write_string(1, 1, safe_text("；".join(reasons[:12]) + ("……" if len(reasons) > 12 else "")))
    r = 2
    for j, h in enumerate(["评估内容", "达标", "未达标", "未报告", "待审核"]):
        ws.write_string(r, j, h, bold)
    for counts in part_counts(card):
        r += 1
        ws.write_string(r, 0, str(counts[0]))
        for j, n in enumerate(counts[1:], start=1):
            ws.write_number(r, j, float(n))  # type: ignore[arg-type]
    r += 1
    ws.write_string(r, 0, "政策文件", bold)
    ws.write_string(r, 1, safe_text(policies_text(card)))
    r += 2
    fills = {"未达标": "#FFC7CE", "未报告": "#EDEDED", "待审核": "#FFF2CC"}
    rows = [
        [Styled(v, {"bg_color": fills[v]}) if j == 7 and v in fills else v for j, v in enumerate(row)]
        for row in overview_rows(card)
    ]
    write_table(ws, fmts, OVERVIEW_HEADERS, rows, top=r)
    for j, width in enumerate((12, 10, 40, 6, 10, 12, 18, 8, 50, 16)):
        ws.set_column(j, j, width)
