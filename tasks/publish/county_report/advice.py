"""下一步工作建议: what the bureau should do next, in plain words."""

from __future__ import annotations

from tasks.model.analytics import RESOURCE_UNITS, county_totals
from tasks.publish.cells import as_text, num
from tasks.publish.county_report.data import CountyData, plan_summaries
from tasks.publish.county_report.text import fmt_cv, fmt_need, fmt_value, ind_label, section_zh


def actions(data: CountyData) -> list[str]:
    """The report's first lines: what the bureau should do next, in plain words."""
    lines: list[str] = []
    o = data.outliers
    for p in plan_summaries(data):
        head = f"{section_zh(p.section)}{ind_label(p.code)} 差异系数 {fmt_cv(p.cv)}，超过上限 {p.limit:.2f}"
        high = o[
            (o["section"] == p.section)
            & (o["indicator_code"] == p.code)
            & (o["method"] == "cross_section")
            & (o["score"].fillna(0) > 0)
        ]
        if len(high):
            who = "、".join(data.school_label(as_text(c)) for c in sorted(high["school_code"].astype(str).unique()))
            head += f"。请先核对{who}的数据（明显高于全县其他学校，可能填错，填错时差异系数也不准）。若数据无误"
        if not p.steps:
            lines.append(head + "：仅提高个别学校无法降到上限以内，需核实高值学校的数据。")
            continue
        todo = "；".join(
            f"{data.school_label(as_text(s['school_code']))}提高到 {fmt_value(num(s['plan_target']), p.code)}"
            f"（需增加 {fmt_need(num(s['plan_need']), p.code)} {RESOURCE_UNITS.get(p.code, '')}）"
            for s in p.steps[:5]
        )
        more = f"等 {len(p.steps)} 所" if len(p.steps) > 5 else f"{len(p.steps)} 所"
        tail = "可降至" if p.reached else "最多降至"
        lines.append(f"{head}：改善{more}学校单元——{todo}——差异系数{tail} {fmt_cv(p.cv_after)}。")
    for r in county_totals(data.remediation).itertuples(index=False):
        unit = as_text(r.resource_unit)
        code = as_text(r.indicator_code)
        lines.append(
            f"{section_zh(r.section)}{ind_label(code)}："
            f"{int(r.units)} 个学校单元未达标，合计需增加 {fmt_need(num(r.need_to_threshold), code)}"
            f" {unit}（达到标准的85%需 {fmt_need(num(r.need_to_floor), code)} {unit}）。"
        )
    if len(data.outliers):
        lines.append(f"异常值警告 {len(data.outliers)} 条：请学校核对数据，见“异常值”。")
    flagged = data.variance[data.variance["flagged"].fillna(False).astype(bool)]
    if len(flagged):
        lines.append(f"与上期相比变动较大的 {len(flagged)} 项：见“本期变动”。")
    return lines
