"""The county workbook's table sheets: the schools behind each failure, the plan, contributions, gaps, changes,
outliers. One table a sheet, 小学 before 初中, indicators named with their codes."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tasks.model.analytics.labels import RESOURCE_UNITS
from tasks.model.analytics.totals import county_totals
from tasks.publish.cells import as_flag, as_text, num, yes_no
from tasks.publish.county_report.advice import plan_cost
from tasks.publish.county_report.book import BELOW_FILL, FLOOR_FILL, Page, filled
from tasks.publish.county_report.data import CountyData, plan_summaries, rows_of
from tasks.publish.county_report.failures import Failure
from tasks.publish.county_report.text import (
    FMT_CV,
    FMT_INT,
    FMT_PCT,
    fmt_cv,
    ind_label,
    need_format,
    section_key,
    section_zh,
    value_format,
)

NOTE: dict[str, Any] = {"font_color": "#555555"}
PLAN_HEADERS = (
    *("学段", "指标", "步骤", "学校标识码", "学校名称", "现值", "目标值", "需增加", "单位", "完成后差异系数"),
    *("估算费用（元）", "达标差距表中的需增加"),
)
CONTRIBUTION_HEADERS = (
    *("学段", "指标", "学校标识码", "学校名称", "在校生数", "指标值", "权重占比", "贡献占比", "对差异系数的贡献"),
    *("差异系数", "若达到县均值", "若达到标准", "改进方案步骤"),
)
GAP_HEADERS = (
    *("学段", "指标", "学校标识码", "学校名称", "在校生数", "本期值", "标准", "低于85%", "现有量"),
    *("达到标准需增加", "达到85%需增加", "单位"),
)
OUTLIER_HEADERS = (
    *("学校标识码", "学校名称", "学段", "指标", "比较方法", "本期值", "中位数", "稳健z值", "正常范围下限"),
    *("正常范围上限", "说明"),
)


def by_section(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """Rows with 小学 before 初中, then by ``cols``."""
    if df.empty:
        return df
    return df.assign(_s=df["section"].map(section_key)).sort_values(["_s", *cols], kind="stable")


def sheet_failing_schools(p: Page, found: list[Failure]) -> None:
    p.title("未达标项目涉及的学校")
    p.para("每个未达标的县级项目背后的学校，以及每所学校需要做什么。", **NOTE)
    p.skip()
    rows = [
        [f.label, s.section or f.section, s.code, s.name, s.value, s.standard, s.todo, s.note]
        for f in found
        for s in f.schools
    ]
    p.table(
        ["项目", "学段", "学校标识码", "学校名称", "本校数值", "标准", "需要做什么", "说明"],
        rows,
        wrap={0, 6, 7},
        widths=[30, 6, 12, 20, 14, 16, 40, 24],
    )


def sheet_plan(p: Page, data: CountyData) -> None:
    p.title("改进方案：降低超过上限的差异系数")
    p.para(
        "每一步选一所学校，把它的指标提高到当时的县域均值与标准中较高者，选使差异系数下降最多的一所，每校最多一次；"
        "教师、教室、面积和金额都按整数向上取整（少一个就达不到）。“达标差距”列是同一学校达到标准所需，目标为标准时两者相同。",
        **NOTE,
    )
    costs = []
    for plan in plan_summaries(data):
        _, how = plan_cost(plan, data)
        costs.append(f"{section_zh(plan.section)}{plan.code}：{how}")
    p.para("费用估算：" + ("；".join(costs) if costs else "本期没有需要改进的差异系数") + "。", **NOTE)
    p.skip()
    rem = data.remediation.set_index(["school_code", "section", "indicator_code"])["need_to_threshold_whole"]
    rows, summary = [], []
    for plan in plan_summaries(data):
        code, unit = plan.code, RESOURCE_UNITS.get(plan.code, "")
        _, how = plan_cost(plan, data)
        price = None if plan.code != "R6" and "未设置" in how else plan_cost(plan, data)[0]
        for s in plan.steps:
            need = num(s["plan_need"])
            key = (as_text(s["school_code"]), plan.section, code)
            each = (
                None
                if price is None or need is None
                else (
                    need
                    if code == "R6"
                    else price * need / max(sum(num(x["plan_need"]) or 0 for x in plan.steps), 1e-9)
                )
            )
            rows.append(
                [
                    section_zh(plan.section),
                    ind_label(code),
                    int(num(s["plan_step"]) or 0),
                    as_text(s["school_code"]),
                    data.names.get(as_text(s["school_code"]), ""),
                    filled(num(s["value"]), value_format(code), None),
                    filled(num(s["plan_target"]), value_format(code), None),
                    filled(need, need_format(code), None),
                    unit,
                    num(s["plan_cv_after"]),
                    each,
                    filled(num(rem.get(key)) if key in rem.index else None, need_format(code), None),
                ]
            )
        verdict = "可以达标" if plan.reached else "仅靠提高低值学校无法达标"
        summary.append(
            f"{section_zh(plan.section)}{ind_label(code)}：差异系数 {fmt_cv(plan.cv)} → {fmt_cv(plan.cv_after)}"
            f"（上限 {plan.limit:.2f}，{verdict}）"
        )
    p.table(
        PLAN_HEADERS,
        rows,
        num_formats={2: "0", 9: FMT_CV, 10: FMT_INT},
        wrap={1},
        widths=[6, 28, 6, 12, 20, 10, 10, 12, 8, 12, 14, 14],
    )
    for line in summary or ["本期各项差异系数均未超过上限，无需改进方案。"]:
        p.para(line)


def sheet_contribution(p: Page, data: CountyData) -> None:
    p.title("各学校单元对差异系数的贡献与假设情形")
    p.para("贡献占比 = 权重 ×（值 − 均值）² ÷ 合计；“若达到县均值/标准”只改变这一所学校。", **NOTE)
    p.skip()
    c = by_section(data.contribution, "indicator_code")
    c = c.sort_values(["_s", "indicator_code", "contribution_share"], ascending=[True, True, False]) if len(c) else c
    rows = [
        [
            section_zh(r.section),
            ind_label(as_text(r.indicator_code)),
            as_text(r.school_code),
            data.names.get(as_text(r.school_code), ""),
            num(r.students),
            filled(num(r.value), value_format(as_text(r.indicator_code)), None),
            num(r.weight_share),
            num(r.contribution_share),
            num(r.cv_contribution),
            num(r.cv),
            num(r.cv_if_mean),
            num(r.cv_if_threshold),
            None if num(r.plan_step) is None else int(num(r.plan_step) or 0),
        ]
        for r in rows_of(c)
    ]
    p.table(
        CONTRIBUTION_HEADERS,
        rows,
        num_formats={4: FMT_INT, 6: FMT_PCT, 7: FMT_PCT, 8: FMT_CV, 9: FMT_CV, 10: FMT_CV, 11: FMT_CV, 12: "0"},
        wrap={1},
        widths=[6, 28, 12, 20, 9, 10, 9, 9, 11, 9, 11, 11, 9],
    )


def sheet_gaps(p: Page, data: CountyData) -> None:
    p.title("达标差距：每个学校单元达到标准、达到标准 85% 各需增加的资源")
    p.para(
        "需增加量 = 标准 × 在校生数 ÷ 每多少名学生 − 现有量，向上取整到整人、整间、整平方米、整元（少一个就达不到）。"
        "浅红：低于标准；深红：低于标准的 85%。",
        **NOTE,
    )
    p.skip()
    rows = []
    for r in rows_of(by_section(data.remediation, "indicator_code", "school_code")):
        code = as_text(r.indicator_code)
        floor = bool(as_flag(r.below_floor))
        nf = need_format(code)
        rows.append(
            [
                section_zh(r.section),
                ind_label(code),
                as_text(r.school_code),
                data.names.get(as_text(r.school_code), ""),
                num(r.students),
                filled(num(r.value), value_format(code), FLOOR_FILL if floor else BELOW_FILL),
                filled(num(r.threshold), value_format(code), None),
                yes_no(as_flag(r.below_floor), missing="—"),
                filled(num(r.resource), nf, None),
                filled(num(r.need_to_threshold_whole), nf, None),
                filled(num(r.need_to_floor_whole), nf, None),
                as_text(r.resource_unit),
            ]
        )
    p.table(
        GAP_HEADERS,
        rows,
        num_formats={4: FMT_INT},
        wrap={1},
        widths=[6, 28, 12, 20, 9, 10, 9, 8, 12, 12, 12, 7],
    )


def sheet_gap_totals(p: Page, data: CountyData) -> None:
    p.title("达标差距全县合计")
    p.skip()
    rows = [
        [
            section_zh(r.section),
            ind_label(as_text(r.indicator_code)),
            int(r.units),
            int(r.units_below_floor),
            filled(num(r.need_to_threshold), need_format(as_text(r.indicator_code)), None),
            filled(num(r.need_to_floor), need_format(as_text(r.indicator_code)), None),
            as_text(r.resource_unit),
        ]
        for r in rows_of(county_totals(data.remediation))
    ]
    p.table(
        ["学段", "指标", "未达标单元数", "其中低于85%", "达到标准需增加", "达到85%需增加", "单位"],
        rows,
        num_formats={2: "0", 3: "0"},
        wrap={1},
        widths=[6, 36, 10, 10, 14, 14, 8],
    )
