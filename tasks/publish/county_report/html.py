"""The county report as one HTML page, from the Jinja2 templates beside this module (autoescaped).

Sections hand the templates plain values: tables as header lists and rows of (text, css class) cells.
The SVG charts come from tasks.publish.charts, which escapes every text it draws; only those strings are
marked safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from junheng.policy import INDICATOR_NAMES, R_CODES
from tasks.model.analytics import RESOURCE_UNITS, VALUE_UNITS, county_totals
from tasks.publish.cells import as_flag, as_text, num, yes_no
from tasks.publish.charts import CvBar, UnitPoint, cv_bar_chart, strip_chart, trend_chart
from tasks.publish.county_report.advice import actions
from tasks.publish.county_report.data import CountyData, plan_summaries
from tasks.publish.county_report.pages import SchoolPage, school_pages
from tasks.publish.county_report.text import (
    METHOD_ZH,
    SECTION_ZH,
    VERDICT_ZH,
    decimals,
    fmt_cv,
    fmt_need,
    fmt_pct,
    fmt_value,
    ind_label,
    section_zh,
)
from tasks.publish.dictionary import dictionary_html

Cell = tuple[str, str]  # (text, css class)
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def svg(text: str) -> Markup:
    """An SVG drawn by tasks.publish.charts, which escapes every text it puts in; nothing else is marked safe."""
    return Markup(text)  # noqa: S704 - escaped where it was built


def _table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> dict[str, object]:
    return {"headers": list(headers), "rows": [list(r) for r in rows]}


def cv_table(data: CountyData) -> dict[str, object]:
    now = data.cv_now()
    var = data.variance[data.variance["level"] == "county"].set_index(["section", "indicator_code"])
    rows = []
    for sec in data.sections():
        for code in R_CODES:
            r = now[(now["section"] == sec) & (now["indicator_code"] == code)]
            if r.empty:
                continue
            row = r.iloc[0]
            meets = as_flag(row["meets"])
            prev = num(var.loc[(sec, code), "prev_value"]) if (sec, code) in var.index else None
            bad = meets is False
            rows.append(
                [
                    (SECTION_ZH[sec], ""),
                    (ind_label(code), ""),
                    (fmt_cv(num(row["cv"])), "num bad" if bad else "num"),
                    (f"≤{num(row['cv_limit']) or 0:.2f}", ""),
                    (yes_no(meets, missing="—"), "bad" if bad else ""),
                    (fmt_cv(prev), "num"),
                    (str(int(row["n_units"])), "num"),
                ]
            )
    return _table(["学段", "指标", "本期差异系数", "上限", "是否达标", "上期差异系数", "学校单元数"], rows)


def trend_svgs(data: CountyData) -> list[Markup]:
    charts = []
    periods = data.periods
    for sec in data.sections():
        cv = data.cv[data.cv["section"] == sec]
        series = []
        for code in R_CODES:
            by_p = {str(r.period): num(r.cv) for r in cv[cv["indicator_code"] == code].itertuples(index=False)}
            series.append((code, [by_p.get(p) for p in periods]))
        limits = cv["cv_limit"].dropna()
        limit = num(limits.iloc[-1]) if len(limits) else None
        charts.append(svg(trend_chart(f"{SECTION_ZH[sec]}各指标差异系数趋势", series, periods, limit)))
    return charts


def distribution_svgs(data: CountyData) -> list[dict[str, object]]:
    parts: list[dict[str, object]] = []
    ind = data.indicators
    now = data.cv_now()
    for sec in data.sections():
        charts: list[Markup] = []
        for code in R_CODES:
            thr, floor = data.threshold(sec, code)
            rows = ind[(ind["section"] == sec) & (ind["indicator_code"] == code)]
            points = [
                UnitPoint(
                    f"{as_text(r.school_name)}（{as_text(r.school_code)}）",
                    v,
                    bool(as_flag(r.meets)),
                    floor is not None and v < floor,
                )
                for r in rows.itertuples(index=False)
                if (v := num(r.value)) is not None
            ]
            if thr is None or not points:
                continue
            strip = strip_chart(
                f"{SECTION_ZH[sec]} {ind_label(code)}",
                points,
                thr,
                floor,
                decimals=decimals(code),
                unit=VALUE_UNITS.get(code, ""),
            )
            charts.append(svg(strip))
        mine = now[now["section"] == sec]
        bars = [
            CvBar(str(r.indicator_code), INDICATOR_NAMES.get(str(r.indicator_code), ""), num(r.cv), as_flag(r.meets))
            for r in mine.sort_values("indicator_code").itertuples()
        ]
        limits = mine["cv_limit"].dropna()
        if bars and len(limits):
            charts.insert(0, svg(cv_bar_chart(f"{SECTION_ZH[sec]}差异系数与上限", bars, float(limits.iloc[0]))))
        parts.append({"title": SECTION_ZH[sec], "charts": charts})
    return parts


def _change_value(x: object, r: object) -> str:
    code = as_text(getattr(r, "indicator_code", ""))
    return fmt_cv(num(x)) if as_text(getattr(r, "measure", "")) == "cv" else fmt_value(num(x), code)


def changes_table(data: CountyData) -> dict[str, object]:
    v = data.variance[data.variance["flagged"].fillna(False).astype(bool)]
    rows = [
        [
            ("县域" if as_text(r.level) == "county" else data.school_label(as_text(r.school_code)), ""),
            (section_zh(r.section), ""),
            (ind_label(as_text(r.indicator_code)) + ("（差异系数）" if as_text(r.measure) == "cv" else ""), ""),
            (as_text(r.prev_period), ""),
            (_change_value(r.prev_value, r), "num"),
            (_change_value(r.value, r), "num"),
            (fmt_pct(num(r.change_pct)), "num"),
        ]
        for r in v.sort_values(["level", "section", "indicator_code", "school_code"]).itertuples(index=False)
    ]
    return _table(["对象", "学段", "指标", "上期", "上期值", "本期值", "变动率"], rows)


def change_bound(data: CountyData) -> float:
    bound = num(data.variance["change_bound"].iloc[0]) if len(data.variance) else None
    return bound or 0.2


def outliers_table(data: CountyData) -> dict[str, object]:
    rows = [
        [
            (data.school_label(as_text(r.school_code)), ""),
            (section_zh(r.section), ""),
            (as_text(r.indicator_code), ""),
            (METHOD_ZH.get(as_text(r.method), as_text(r.method)), ""),
            (fmt_value(num(r.value), as_text(r.indicator_code)), "num"),
            (as_text(r.message), ""),
        ]
        for r in data.outliers.sort_values(["section", "indicator_code", "school_code"]).itertuples(index=False)
    ]
    return _table(["学校", "学段", "指标", "方法", "本期值", "说明"], rows)


def remediation_tables(data: CountyData) -> tuple[dict[str, object], dict[str, object]]:
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
        for r in county_totals(data.remediation).itertuples(index=False)
    ]
    rem = data.remediation.sort_values(
        ["section", "indicator_code", "need_to_threshold"], ascending=[True, True, False]
    )
    schools = [
        [
            (data.school_label(as_text(r.school_code)), ""),
            (section_zh(r.section), ""),
            (as_text(r.indicator_code), ""),
            (fmt_value(num(r.value), as_text(r.indicator_code)), "num worse" if as_flag(r.below_floor) else "num bad"),
            (fmt_value(num(r.threshold), as_text(r.indicator_code)), "num"),
            need(r.need_to_threshold_whole, as_text(r.indicator_code), as_text(r.resource_unit)),
            need(r.need_to_floor_whole, as_text(r.indicator_code), as_text(r.resource_unit)),
        ]
        for r in rem.itertuples(index=False)
    ]
    return (
        _table(["学段", "指标", "未达标单元数", "其中低于85%", "达到标准需增加", "达到85%需增加"], totals),
        _table(["学校", "学段", "指标", "本期值", "标准", "达到标准需增加", "达到85%需增加"], schools),
    )


def plans(data: CountyData) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for p in plan_summaries(data):
        rows = [
            [
                (str(int(num(s["plan_step"]) or 0)), "num"),
                (data.school_label(as_text(s["school_code"])), ""),
                (fmt_value(num(s["value"]), p.code), "num"),
                (fmt_value(num(s["plan_target"]), p.code), "num"),
                (f"{fmt_need(num(s['plan_need']), p.code)} {RESOURCE_UNITS.get(p.code, '')}", "num"),
                (fmt_cv(num(s["plan_cv_after"])), "num"),
            ]
            for s in p.steps
        ]
        out.append(
            {
                "title": f"{section_zh(p.section)} {ind_label(p.code)}：差异系数 {fmt_cv(p.cv)} → {fmt_cv(p.cv_after)}"
                f"（上限 {p.limit:.2f}，{'可以达标' if p.reached else '仅靠提高低值学校无法达标'}）",
                "table": _table(["步骤", "学校", "现值", "提高到", "需增加", "完成后差异系数"], rows),
            }
        )
    return out


def contribution_table(data: CountyData) -> dict[str, object] | None:
    c = data.contribution
    over = {(p.section, p.code) for p in plan_summaries(data)}
    rows = []
    for (sec, code), g in c.groupby(["section", "indicator_code"], sort=True):
        if (sec, code) not in over:
            continue
        for r in g.sort_values("contribution_share", ascending=False).head(10).itertuples(index=False):
            rows.append(
                [
                    (section_zh(sec), ""),
                    (str(code), ""),
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
    return _table(headers, rows)


def school_view(page: SchoolPage) -> dict[str, object]:
    sections = []
    for sec, items in page.sections.items():
        rows = []
        for r in items:
            code = str(r["code"])
            cls = "num" if r["meets"] is not False else ("num worse" if r["below_floor"] else "num bad")
            unit = str(r["unit"])
            rows.append(
                [
                    (ind_label(code), ""),
                    (fmt_value(num(r["value"]), code), cls),
                    (fmt_value(num(r["threshold"]), code), "num"),
                    (yes_no(as_flag(r["meets"]), missing="—"), ""),
                    ("" if r["need"] is None else f"{fmt_need(num(r['need']), code)} {unit}", "num"),
                    ("" if r["need_floor"] is None else f"{fmt_need(num(r['need_floor']), code)} {unit}", "num"),
                    (fmt_value(num(r["prev"]), code), "num"),
                    (fmt_pct(num(r["change"])), "num bad" if r["flagged"] else "num"),
                    ("" if r["share"] is None else fmt_pct(num(r["share"])).lstrip("+"), "num"),
                    ("" if r["plan_step"] is None else f"第 {int(num(r['plan_step']) or 0)} 步", ""),
                ]
            )
        headers = ["指标", "本期值", "标准", "达标", "达到标准需增加", "达到85%需增加", "上期值", "变动率"]
        sections.append(
            {
                "title": SECTION_ZH[sec],
                "verdict": VERDICT_ZH[page.passes.get(sec)],
                "table": _table([*headers, "差异贡献占比", "改进方案"], rows),
            }
        )
    return {"code": page.code, "name": page.name, "sections": sections, "findings": page.findings}


def render_county_html(data: CountyData, *, pages: Sequence[SchoolPage] | None = None) -> str:
    """The county report as one HTML page (``pages``: school_pages(data), if already computed for the workbook)."""
    totals, gaps = remediation_tables(data)
    return _ENV.get_template("report.html.j2").render(
        title=f"{data.county} {data.period} 义务教育优质均衡分析报告",
        period=data.period,
        periods="、".join(data.periods),
        actions=actions(data),
        cv_table=cv_table(data),
        trends=trend_svgs(data),
        distributions=distribution_svgs(data),
        plans=plans(data),
        contribution=contribution_table(data),
        totals=totals,
        gaps=gaps,
        change_bound=f"{change_bound(data):.0%}",
        changes=changes_table(data),
        outliers=outliers_table(data),
        schools=[school_view(p) for p in (school_pages(data) if pages is None else pages)],
        dictionary=Markup(dictionary_html(data.dictionary)),  # noqa: S704 - escaped by dictionary_html
    )
