"""The run summary: counts, verdicts and the choices the numbers were made with."""

from __future__ import annotations

import pandas as pd

from expectations.messages import VIOLATIONS_COUNTED
from junheng.policy import INDICATOR_NAMES
from junheng.settings import Settings
from tasks.model.load import LoadResult

CHOICE_TEXT: dict[str, dict[object, str]] = {
    "cv_method": {"weighted": "差异系数按在校生数加权计算", "unweighted": "差异系数不加权计算"},
    "teaching_point_policy": {
        "exclude_under_50": "不足50人的教学点不参与指标和差异系数",
        "merge": "教学点并入所属学校计算",
    },
    "private_in_cv": {True: "民办学校计入差异系数", False: "民办学校不计入差异系数（仍按学校达标规则评价）"},
    "private_in_school_rule": {
        True: "学校达标规则统计公办和民办学校单元",
        False: "学校达标规则只统计公办学校单元（民办也评价并列出）",
    },
    "r3_art_teachers": {"music_art": "音乐、美术", "all_art": "音乐、美术及其他艺术学科"},
}

SECTION_ZH = {"primary": "小学", "junior": "初中"}
NO_VALID_RETURNS = "无有效报表：本期没有可用于计算的学校报表，不作达标判定"


def choices_text(settings: Settings) -> dict[str, str]:
    c = settings.choices
    return {
        "cv_method": CHOICE_TEXT["cv_method"][c.cv_method],
        "teaching_point_policy": CHOICE_TEXT["teaching_point_policy"][c.teaching_point_policy],
        "private_in_cv": CHOICE_TEXT["private_in_cv"][c.private_in_cv],
        "private_in_school_rule": CHOICE_TEXT["private_in_school_rule"][c.private_in_school_rule],
        "r3_art_teachers": CHOICE_TEXT["r3_art_teachers"][c.r3_art_teachers],
    }


def cv_fail_names(cv: pd.DataFrame) -> list[str]:
    """The CVs over their limit (or not computable), 小学 before 初中, each with its indicator's name."""
    failing = cv[cv["meets"].fillna(False).astype(bool) == False]  # noqa: E712 - NULL counts as not met
    order = {"primary": 0, "junior": 1}
    rows = sorted(failing.itertuples(), key=lambda r: (order.get(str(r.section), 9), str(r.indicator_code)))
    return [
        f"{SECTION_ZH.get(str(r.section), str(r.section))} {r.indicator_code} "
        f"{INDICATOR_NAMES.get(str(r.indicator_code), '')}".strip()
        for r in rows
    ]


def build_summary(
    period: str,
    load: LoadResult,
    marts: dict[str, pd.DataFrame],
    n_violations: int,
    settings: Settings,
    alerts: dict[str, object] | None = None,
) -> dict[str, object]:
    """Numbers for the CLI, the reports and the Prefect artifacts (nothing rounded here)."""
    comp = marts["school_compliance"]
    cv = marts["county_cv"]
    units_total = len(comp)
    units_pass = int(comp["passes"].fillna(False).astype(bool).sum()) if units_total else 0
    units_unknown = int(comp["passes"].isna().sum()) if units_total else 0
    cv_fail_list = cv_fail_names(cv)
    resource_ok = bool(units_total) and units_pass == units_total and not cv_fail_list
    # The period's files as the warehouse has them: a rerun reads only new files, but reports the whole period.
    rs = marts["return_status"] if "return_status" in marts else pd.DataFrame({"status": [], "school_code": []})
    st = rs["status"]
    files = rs[st != "missing"]
    county_files = files["school_code"].isna() | (files["school_code"].astype(str).str.strip() == "")
    period_counts = {
        "files_received": len(files),
        "files_loaded": int((files["status"] == "loaded").sum()),
        "files_county": int((county_files & (files["status"] == "loaded")).sum()),
        "files_rejected": int((files["status"] == "rejected").sum()),
        "files_superseded": int((files["status"] == "superseded").sum()),
        "files_read": load.files_received,  # this run's share; 0 when nothing new arrived
    }
    extra: dict[str, object] = {"schools_missing": int((st == "missing").sum())}
    if alerts is not None:
        extra.update({f"alerts_{k}": alerts[k] for k in ("opened", "changed", "resolved", "open_total")})
        extra["notifications_pending"] = alerts.get("notifications_pending", 0)
    no_valid = units_total == 0
    return {
        "period": period,
        "county": settings.county,
        "county_code": settings.county_code,
        **period_counts,
        "schools_in_period": int(comp["school_code"].nunique()) if units_total else 0,
        "units": units_total,
        "units_passing": units_pass,
        "units_not_reported": units_unknown,
        "cv_indicators": len(cv),
        "cv_fail": cv_fail_list,
        "violations": n_violations,
        "verdict": NO_VALID_RETURNS
        if no_valid
        else ("资源配置达到优质均衡要求" if resource_ok else "资源配置未达到优质均衡要求"),
        "county_passes": None if no_valid else resource_ok,
        "no_valid_returns": no_valid,
        "choices": choices_text(settings),
        **extra,
    }


def _n(summary: dict[str, object], key: str) -> int:
    v = summary.get(key)
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0


def summary_lines(summary: dict[str, object]) -> list[str]:
    """A short plain-text summary for the terminal: every count labelled so that the parts add up."""
    county = _n(summary, "files_county")
    loaded = _n(summary, "files_loaded")
    files = (
        f"{summary['county']} {summary['period']}：收到报表 {summary['files_received']} 份，"
        f"入库 {loaded}，退回 {summary['files_rejected']}，被替代 {summary['files_superseded']}"
        + (f"（入库中学校报表 {loaded - county} 份、县级报表 {county} 份）" if county else "")
        + (f"；本次运行读取学校报表 {summary['files_read']} 份" if "files_read" in summary else "")
    )
    unknown = _n(summary, "units_not_reported")
    fails = summary.get("cv_fail")
    fail_names = [str(x) for x in fails] if isinstance(fails, list | tuple) else []
    choices = summary.get("choices")
    basis = (
        "；".join(f"R3 艺术教师口径：{v}" if k == "r3_art_teachers" else str(v) for k, v in choices.items() if v)
        if isinstance(choices, dict)
        else ""
    )
    lines = [files]
    if summary.get("no_valid_returns"):
        lines.append(f"结论：{NO_VALID_RETURNS}")
    else:
        units, passing = _n(summary, "units"), _n(summary, "units_passing")
        lines += [
            f"学校单元 {units} 个：达标 {passing} 个，未达标 {units - passing - unknown} 个"
            + (f"，缺少达标判定 {unknown} 个" if unknown else ""),
            f"校际差异系数 {summary['cv_indicators']} 项，未达标 {len(fail_names)} 项"
            + ("：" + "、".join(fail_names) if fail_names else ""),
            f"学校指标未达标记录 {summary['violations']} 条（{VIOLATIONS_COUNTED}）；结论：{summary['verdict']}",
        ]
    if "alerts_opened" in summary:
        lines.append(
            f"预警：本次新增 {summary['alerts_opened']} 条，有变化 {summary['alerts_changed']} 条，"
            f"解除 {summary['alerts_resolved']} 条；目前未解除 {summary['alerts_open_total']} 条（含本次新增）"
            + (f"；待发送通知 {summary['notifications_pending']} 条" if summary.get("notifications_pending") else "")
        )
    if summary.get("schools_missing"):
        lines.append(f"逾期未报学校 {summary['schools_missing']} 所")
    lines.append(f"口径：{basis}")
    return lines
