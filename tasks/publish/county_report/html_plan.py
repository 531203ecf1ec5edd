"""The HTML page's gap tables, plans and CV contributions (plain values for the templates)."""

from __future__ import annotations

from tasks.model.analytics.labels import RESOURCE_UNITS
from tasks.model.analytics.totals import county_totals
from tasks.publish.cells import as_flag, as_text, num
from tasks.publish.county_report.advice import money, plan_cost, unit_price
from tasks.publish.county_report.data import CountyData, plan_summaries, rows_of
from tasks.publish.county_report.html_parts import Cell, Table, table
from tasks.publish.county_report.text import (
    fmt_cv,
    fmt_need,
    fmt_pct,
    fmt_value,
    ind_label,
    section_key,
    section_zh,
)


def remediation_tables(data: CountyData) -> tuple[Table, Table]:
    def need(v: object, code: str, unit: str) -> Cell:
        return (f"{fmt_need(num(v), code)} {unit}", "num")

    totals = [
        [
            (section_zh(r.section), ""),
            (ind_label(as_text(r.indicator_code)), ""),
            (str(int(r.units)), "num"),
            (str(int(r.units_below_floor)), "num"),
            need(r.need_to_threshold, as_text(r.indicator_code), as_text(r.resource_unit)),
            need(r.need_to_floor, as_text(r.indicator_code), as_text(r.resource_unit)),
        ]
        for r in rows_of(county_totals(data.remediation))
    ]
    rem = data.remediation
    if len(rem):
        rem = rem.assign(_s=rem["section"].map(section_key)).sort_values(
            ["_s", "indicator_code", "need_to_threshold"], ascending=[True, True, False]
        )
    schools = [
        [
            (data.school_label(as_text(r.school_code)), ""),
            (section_zh(r.section), ""),
            (ind_label(as_text(r.indicator_code)), ""),
            (fmt_value(num(r.value), as_text(r.indicator_code)), "num worse" if as_flag(r.below_floor) else "num bad"),
            (fmt_value(num(r.threshold), as_text(r.indicator_code)), "num"),
            need(r.need_to_threshold_whole, as_text(r.indicator_code), as_text(r.resource_unit)),
            need(r.need_to_floor_whole, as_text(r.indicator_code), as_text(r.resource_unit)),
        ]
        for r in rows_of(rem)
    ]
    return (
        table(["学段", "指标", "未达标单元数", "其中低于85%", "达到标准需增加", "达到85%需增加"], totals),
        table(["学校", "学段", "指标", "本期值", "标准", "达到标准需增加", "达到85%需增加"], schools),
    )


def plans(data: CountyData) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    rem = data.remediation.set_index(["school_code", "section", "indicator_code"])["need_to_threshold_whole"]
    for p in plan_summaries(data):
        unit = RESOURCE_UNITS.get(p.code, "")
        price, _ = unit_price(p.code, data)
        rows = []
        for s in p.steps:
            need = num(s["plan_need"])
            key = (as_text(s["school_code"]), p.section, p.code)
            gap = num(rem.get(key)) if key in rem.index else None
            rows.append(
                [
                    (str(int(num(s["plan_step"]) or 0)), "num"),
                    (data.school_label(as_text(s["school_code"])), ""),
                    (fmt_value(num(s["value"]), p.code), "num"),
                    (fmt_value(num(s["plan_target"]), p.code), "num"),
                    (f"{fmt_need(need, p.code)} {unit}", "num"),
                    ("—" if price is None or need is None else money(need * price), "num"),
                    (fmt_cv(num(s["plan_cv_after"])), "num"),
                    ("—" if gap is None else f"{fmt_need(gap, p.code)} {unit}", "num"),
                ]
            )
        cost, how = plan_cost(p, data)
        out.append(
            {
                "title": f"{section_zh(p.section)} {ind_label(p.code)}：差异系数 {fmt_cv(p.cv)} → {fmt_cv(p.cv_after)}"
                f"（上限 {p.limit:.2f}，{'可以达标' if p.reached else '仅靠提高低值学校无法达标'}）",
                "cost": (f"估算费用合计约 {money(cost)}，{how}。" if cost is not None else f"{how}。"),
                "table": table(
                    ["步骤", "学校", "现值", "目标值", "需增加", "估算费用", "完成后差异系数", "达标差距表中的需增加"],
                    rows,
                ),
            }
        )
    return out


def contribution_table(data: CountyData) -> Table | None:
    c = data.contribution
    over = {(p.section, p.code) for p in plan_summaries(data)}
    rows = []
    groups = sorted(c.groupby(["section", "indicator_code"]), key=lambda kv: (section_key(kv[0][0]), kv[0][1]))
    for (sec, code), g in groups:
        if (sec, code) not in over:
            continue
        for r in rows_of(g.sort_values("contribution_share", ascending=False).head(10)):
            rows.append(
                [
                    (section_zh(sec), ""),
                    (ind_label(str(code)), ""),
                    (data.school_label(as_text(r.school_code)), ""),
                    (fmt_value(num(r.value), str(code)), "num"),
                    (fmt_pct(num(r.contribution_share)).lstrip("+"), "num"),
                    (fmt_cv(num(r.cv_contribution)), "num"),
                    (fmt_cv(num(r.cv_if_mean)), "num"),
                    (fmt_cv(num(r.cv_if_threshold)), "num"),
                ]
            )
    if not rows:
        return None
    headers = ["学段", "指标", "学校", "本期值", "贡献占比", "对差异系数的贡献", "若达到县均值", "若达到标准"]
    return table(headers, rows)
