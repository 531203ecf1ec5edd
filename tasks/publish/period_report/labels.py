"""Words and numbers as the report shows them: sheet names, Chinese labels, the run's choices, formats."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from junheng.policy import R_CODES
from junheng.spec import SECTION_CODES, SECTION_LABELS
from tasks.publish.cells import as_text, yes_no

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


def section_label(code: object) -> str:
    return SECTION_LABELS.get(as_text(code), as_text(code))


def section_order() -> list[str]:
    return [SECTION_CODES[s] for s in ("小学", "初中")]


def fmt(v: float | None, decimals: int) -> str:
    if v is None:
        return "—"
    return f"{v:,.{decimals}f}" if abs(v) >= 10000 else f"{v:.{decimals}f}"


def limit_text(limit: float | None) -> str:
    return "" if limit is None else f"≤{limit:.2f}"


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
            text = fmt(v, 2)
        else:
            text = as_text(v)
        out.append((SUMMARY_LABELS.get(k, k), text))
    return out
