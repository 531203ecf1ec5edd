"""下一步工作建议: one line for every item that is not met, then the checks on the data, in plain words."""

from __future__ import annotations

from tasks.model.analytics.labels import RESOURCE_UNITS
from tasks.model.analytics.totals import county_totals
from tasks.publish.cells import as_text, num
from tasks.publish.county_report.data import CountyData, PlanSummary, plan_summaries, rows_of
from tasks.publish.county_report.failures import Failure, failures
from tasks.publish.county_report.text import (
    COST_FIELD,
    COST_NAME,
    COST_UNIT,
    fmt_cv,
    fmt_need,
    ind_label,
    plain,
    section_zh,
)

# What to do about a school-level G item once its schools are named.
_SCHOOL_TODO = {
    "G3": "请按每 12 个班至少 1 间的标准配齐音乐、美术专用教室。",
    "G4": "请通过新建、扩建学校或调整招生范围控制学校规模。",
    "G5": "请调整分班，把每个班控制在标准班额以内。",
    "G9": "请督促未完成的教师参加培训，完成 5 年 360 学时。",
    "G12": "请安排未持证的专任教师取得教师资格证后上岗。",
}
# What to do about a county-level item (no school is behind it).
_COUNTY_TODO = {
    "G14": "请提高优质普通高中招生名额分配到区域内初中的比例。",
    "G15": "请扩大公办学校和政府购买服务的民办学校接收随迁子女的名额。",
    "Q1": "请加强控辍保学，提高初中三年巩固率。",
    "Q2": "请落实残疾儿童少年“一人一案”，提高入学率。",
    "S1": "请针对社会认可度调查中反映的问题逐项整改。",
}


def unit_price(code: str, data: CountyData) -> tuple[float | None, str]:
    """元 per unit of the indicator's resource and how it is stated; None when the bureau has set no price."""
    if code == "R6":
        return 1.0, "所需费用即增加的仪器设备值，无需另设单价"
    field = COST_FIELD.get(code)
    price = getattr(data.unit_costs, field, None) if field else None
    if field is None or price is None:
        return None, f"未设置{COST_NAME.get(field or '', '')}单价，未估算费用"
    return float(price), f"按{COST_NAME[field]} {plain(price)} {COST_UNIT[field]}估算"


def plan_cost(p: PlanSummary, data: CountyData) -> tuple[float | None, str]:
    """The plan's cost in 元 and how it was reckoned (unit price stated), or None when no price is set."""
    price, how = unit_price(p.code, data)
    need = sum(num(s["plan_need"]) or 0.0 for s in p.steps)
    return (None if price is None else need * price), how


def money(yuan: float) -> str:
    return f"{yuan / 10000:,.1f} 万元" if yuan >= 10000 else f"{yuan:,.0f} 元"


def _plan_line(data: CountyData, p: PlanSummary) -> str:
    head = f"{section_zh(p.section)}{ind_label(p.code)} 差异系数 {fmt_cv(p.cv)}，超过上限 {p.limit:.2f}"
    o = data.outliers
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
        return head + "：仅提高个别学校无法降到上限以内，需核实高值学校的数据。"
    unit = RESOURCE_UNITS.get(p.code, "")
    todo = "；".join(
        f"{data.school_label(as_text(s['school_code']))}增加 {fmt_need(num(s['plan_need']), p.code)} {unit}"
        for s in p.steps[:5]
    )
    more = f"等 {len(p.steps)} 所" if len(p.steps) > 5 else f" {len(p.steps)} 所"
    total = sum(num(s["plan_need"]) or 0.0 for s in p.steps)
    cost, how = plan_cost(p, data)
    money_text = f"，估算费用约 {money(cost)}（{how}）" if cost is not None and p.code != "R6" else f"（{how}）"
    tail = "可降至" if p.reached else "最多降至"
    return (
        f"{head}：改善{more}学校单元——{todo}——合计增加 {fmt_need(total, p.code)} {unit}{money_text}，"
        f"差异系数{tail} {fmt_cv(p.cv_after)}。"
    )


def _schools_line(f: Failure) -> str:
    who = "；".join(f"{s.name}（{s.code}）{s.value}，{s.todo}" for s in f.schools[:8])
    more = f"等 {len(f.schools)} 所" if len(f.schools) > 8 else ""
    where = f"（{f.section}）" if f.section else ""
    return f"{f.label}{where}：{f.why}——{who}{more}。{_SCHOOL_TODO.get(f.code, '')}"


def _unit_line(data: CountyData, f: Failure) -> str:
    who = "；".join(f"{s.name}（{s.code}）{s.value}，{s.todo}" for s in f.schools[:8])
    more = f"等 {len(f.schools)} 个" if len(f.schools) > 8 else ""
    return f"{f.section}{f.label}：{f.why}——{who}{more}。逐校需增加的资源见“达标差距”。"


def failure_line(data: CountyData, f: Failure, plans: dict[tuple[str, str], PlanSummary]) -> str:
    if f.status == "待审核":
        return f"{f.label}：佐证材料尚未审核，请督学审核后在县级报表中填写审核结论。"
    if f.status == "未报告":
        return f"{f.section}{f.label}：未报告，请在县级报表中填报（或补齐学校报表中的相关数据）。"
    if f.part == "否决":
        return f"{f.label}：存在否决情形，整改到位前不能认定为优质均衡。"
    if f.code.startswith("R") and f.code != "R_MIN_MET":
        p = plans.get((f.section, f.code))
        return _plan_line(data, p) if p is not None else f"{f.section}{f.label}：{f.why}。"
    if f.code == "R_MIN_MET":
        return _unit_line(data, f)
    if f.schools:
        return _schools_line(f)
    todo = _COUNTY_TODO.get(f.code, "请县政府及有关部门采取措施，使其达到标准。")
    where = f"（{f.section}）" if f.section else ""
    return f"{f.label}{where}：本县 {f.value}，标准 {f.standard}。{todo}"


def actions(data: CountyData) -> list[str]:
    """The report's advice: every item not met (the order of the verdict table), then the gap totals, the data
    checks and the changes."""
    plans = {(section_zh(p.section), p.code): p for p in plan_summaries(data)}
    lines = [failure_line(data, f, plans) for f in failures(data)]
    covered = {(f.section, f.code) for f in failures(data)}
    for p in plan_summaries(data):  # a CV over its limit without a scorecard line (no rule in force)
        if (section_zh(p.section), p.code) not in covered:
            lines.append(_plan_line(data, p))
    for r in rows_of(county_totals(data.remediation)):
        unit, code = as_text(r.resource_unit), as_text(r.indicator_code)
        need, floor = fmt_need(num(r.need_to_threshold), code), fmt_need(num(r.need_to_floor), code)
        at_floor = "均已达到标准的85%" if not num(r.need_to_floor) else f"达到标准的85%需 {floor} {unit}"
        lines.append(
            f"{section_zh(r.section)}{ind_label(code)}：{int(r.units)} 个学校单元低于标准，合计需增加"
            f" {need} {unit}（{at_floor}），逐校见“达标差距”。"
        )
    if len(data.outliers):
        lines.append(f"异常值警告 {len(data.outliers)} 条：请学校核对数据，见“异常值”。")
    flagged = data.variance[data.variance["flagged"].fillna(False).astype(bool)]
    if len(flagged):
        lines.append(f"与上期相比变动较大的 {len(flagged)} 项：请核实原因，见“本期变动”。")
    return lines
