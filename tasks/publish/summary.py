"""The run summary: counts, verdicts and the choices the numbers were made with."""

from __future__ import annotations

import pandas as pd

from junheng.settings import Settings
from tasks.model.load import LoadResult

CHOICE_TEXT: dict[str, dict[object, str]] = {
    "cv_method": {"weighted": "差异系数按在校生数加权计算", "unweighted": "差异系数不加权计算"},
    "teaching_point_policy": {
        "exclude_under_50": "不足50人的教学点不参与指标和差异系数",
        "merge": "教学点并入所属学校计算",
    },
    "private_in_cv": {True: "民办学校计入差异系数", False: "民办学校不计入差异系数（仍按学校达标规则评价）"},
    "r3_art_teachers": {"music_art": "音乐、美术", "all_art": "音乐、美术及其他艺术学科"},
}


def choices_text(settings: Settings) -> dict[str, str]:
    c = settings.choices
    return {
        "cv_method": CHOICE_TEXT["cv_method"][c.cv_method],
        "teaching_point_policy": CHOICE_TEXT["teaching_point_policy"][c.teaching_point_policy],
        "private_in_cv": CHOICE_TEXT["private_in_cv"][c.private_in_cv],
        "r3_art_teachers": CHOICE_TEXT["r3_art_teachers"][c.r3_art_teachers],
    }


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
    cv_fail = cv[cv["meets"].fillna(False).astype(bool) == False]  # noqa: E712 - NULL counts as not met
    cv_fail_list = [f"{'小学' if r.section == 'primary' else '初中'}{r.indicator_code}" for r in cv_fail.itertuples()]
    resource_ok = bool(units_total) and units_pass == units_total and cv_fail.empty
    # The period's files as the warehouse has them: a rerun reads only new files, but reports the whole period.
    st = marts["return_status"]["status"] if "return_status" in marts else pd.Series(dtype=str)
    files = st[st != "missing"]
    period_counts = {
        "files_received": len(files),
        "files_loaded": int((files == "loaded").sum()),
        "files_rejected": int((files == "rejected").sum()),
        "files_superseded": int((files == "superseded").sum()),
        "files_read": load.files_received,  # this run's share; 0 when nothing new arrived
    }
    extra: dict[str, object] = {"schools_missing": int((st == "missing").sum())}
    if alerts is not None:
        extra.update({f"alerts_{k}": alerts[k] for k in ("opened", "changed", "resolved", "open_total")})
        extra["notifications_pending"] = alerts.get("notifications_pending", 0)
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
        "verdict": "资源配置达到优质均衡要求" if resource_ok else "资源配置未达到优质均衡要求",
        "county_passes": resource_ok,
        "choices": choices_text(settings),
        **extra,
    }


def summary_lines(summary: dict[str, object]) -> list[str]:
    """A short plain-text summary for the terminal."""
    fails = summary["cv_fail"]
    choices = summary["choices"]
    basis = (
        "；".join(f"R3 艺术教师口径：{v}" if k == "r3_art_teachers" else str(v) for k, v in choices.items())
        if isinstance(choices, dict)
        else ""
    )
    return [
        f"{summary['county']} {summary['period']}：收到报表 {summary['files_received']} 份，"
        f"入库 {summary['files_loaded']}，退回 {summary['files_rejected']}，被替代 {summary['files_superseded']}"
        + (f"（本次读取 {summary['files_read']} 份）" if "files_read" in summary else ""),
        f"学校单元 {summary['units']} 个，达标 {summary['units_passing']} 个"
        + (f"，数据不全 {summary['units_not_reported']} 个" if summary["units_not_reported"] else ""),
        f"差异系数 {summary['cv_indicators']} 项，未达标："
        + ("、".join(fails) if isinstance(fails, list) and fails else "无"),
        f"政策未达标记录 {summary['violations']} 条；结论：{summary['verdict']}",
        *(
            [
                f"预警：新增 {summary['alerts_opened']}，变化 {summary['alerts_changed']}，"
                f"解除 {summary['alerts_resolved']}，现有 {summary['alerts_open_total']}"
                + (
                    f"；待发送通知 {summary['notifications_pending']} 条"
                    if summary.get("notifications_pending")
                    else ""
                )
            ]
            if "alerts_opened" in summary
            else []
        ),
        *([f"逾期未报学校 {summary['schools_missing']} 所"] if summary.get("schools_missing") else []),
        f"口径：{basis}",
    ]
