"""How the county report writes numbers and names: Chinese labels, display formats, Excel number formats."""

from __future__ import annotations

from junheng.policy import INDICATOR_NAMES
from tasks.model.analytics import RESOURCE_UNITS

SECTIONS = ("primary", "junior")
SECTION_ZH = {"primary": "小学", "junior": "初中"}
SEVERITY_ZH = {"error": "错误", "violation": "未达标", "warning": "警告", "info": "提示"}
METHOD_ZH = {"cross_section": "与全县同学段比较", "own_history": "与本校历史比较"}
VERDICT_ZH = {True: "达标", False: "未达标", None: "无法判定"}

# Excel number formats officials expect: CV to 3 decimals, 元 and m² with thousands separators.
FMT_CV = "0.000"
FMT_PCT = "0.0%"
FMT_INT = "#,##0"
FMT_2 = "#,##0.00"
FMT_1 = "#,##0.0"


def section_zh(section: object) -> str:
    s = "" if section is None else str(section)
    return SECTION_ZH.get(s, s)


def value_format(code: str) -> str:
    return FMT_INT if code == "R6" else FMT_2


def need_format(code: str) -> str:
    return FMT_INT if RESOURCE_UNITS.get(code) in ("人", "间", "元") else FMT_1


def decimals(code: str) -> int:
    return 0 if code == "R6" else 2


def fmt_value(v: float | None, code: str) -> str:
    return "—" if v is None else f"{v:,.{decimals(code)}f}"


def fmt_need(v: float | None, code: str) -> str:
    if v is None:
        return "—"
    whole = RESOURCE_UNITS.get(code) in ("人", "间", "元") or float(v).is_integer()
    return f"{v:,.0f}" if whole else f"{v:,.1f}"


def fmt_cv(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def fmt_pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1%}"


def ind_label(code: str) -> str:
    return f"{code} {INDICATOR_NAMES.get(code, code)}"
