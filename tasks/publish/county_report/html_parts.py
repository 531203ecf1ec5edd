"""What the county report's HTML page shows, as plain values for the templates: tables as a header list and
rows of (text, css class) cells, SVG charts from tasks.publish.charts (which escapes every text it draws)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from junheng.policy import INDICATOR_NAMES, R_CODES
from tasks.model.analytics.labels import VALUE_UNITS
from tasks.publish.cells import as_flag, as_text, num, yes_no
from tasks.publish.charts import CvBar, UnitPoint, cv_bar_chart, strip_chart, trend_chart
from tasks.publish.county_report.data import CountyData, rows_of
from tasks.publish.county_report.failures import Failure
from tasks.publish.county_report.pages import SchoolPage
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
    section_key,
    section_zh,
)

Cell = tuple[str, str]  # (text, css class)
Table = dict[str, object]


def svg(text: str) -> Markup:
    """An SVG drawn by tasks.publish.charts, which escapes every text it puts in; nothing else is marked safe."""
    return Markup(text)  # noqa: S704 - escaped where it was built


def table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Table:
    return {"headers": list(headers), "rows": [list(r) for r in rows]}


def failures_table(found: list[Failure]) -> Table:
    rows = [
        [
            (f.part, "nw"),
            (f.label, ""),
            (f.section, "nw"),
            (f.value, "num bad" if f.status == "未达标" else "num"),
            (f.standard, ""),
            (f.status, "nw bad" if f.status == "未达标" else "nw"),
            (f.why, ""),
        ]
        for f in found
    ]
    return table(["方面", "指标", "学段", "本县数值", "标准", "结论", "原因"], rows)


def failure_blocks(found: list[Failure]) -> list[dict[str, object]]:
    """Each failure with the schools behind it (only those that have schools)."""
    return [
        {
            "title": f"{f.label}{('（' + f.section + '）') if f.section else ''}：{f.why}",
            "table": table(
                ["学校", "本校数值", "标准", "需要做什么", "说明"],
                [
                    [(f"{s.name}（{s.code}）", ""), (s.value, "num bad"), (s.standard, ""), (s.todo, ""), (s.note, "")]
                    for s in f.schools
                ],
            ),
        }
        for f in found
        if f.schools
    ]


def cv_table(data: CountyData) -> Table:
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
                    (_missing(row), ""),
                ]
            )
    headers = ["学段", "指标", "本期差异系数", "上限", "是否达标", "上期差异系数", "学校单元数", "缺数据未计入的学校"]
    return table(headers, rows)


def _missing(row: object) -> str:
    n = num(row.get("n_missing") if hasattr(row, "get") else None)
    return f"{int(n)} 个：{as_text(row.get('missing_units'))}" if n and hasattr(row, "get") else "无"


def cv_bars(data: CountyData) -> list[Markup]:
    out = []
    now = data.cv_now()
    for sec in data.sections():
        mine = now[now["section"] == sec]
        bars = [
            CvBar(str(r.indicator_code), INDICATOR_NAMES.get(str(r.indicator_code), ""), num(r.cv), as_flag(r.meets))
            for r in rows_of(mine.sort_values("indicator_code"))
        ]
        limits = mine["cv_limit"].dropna()
        if bars and len(limits):
            out.append(svg(cv_bar_chart(f"{SECTION_ZH[sec]}差异系数与上限", bars, float(limits.iloc[0]))))
    return out


def trend_svgs(data: CountyData) -> list[Markup]:
    charts = []
    periods = data.periods
    for sec in data.sections():
        cv = data.cv[data.cv["section"] == sec]
        series = []
        for code in R_CODES:
            by_p = {str(r.period): num(r.cv) for r in rows_of(cv[cv["indicator_code"] == code])}
            series.append((code, [by_p.get(p) for p in periods]))
        limits = cv["cv_limit"].dropna()
        limit = num(limits.iloc[-1]) if len(limits) else None
        charts.append(svg(trend_chart(f"{SECTION_ZH[sec]}各指标差异系数趋势", series, periods, limit)))
    return charts


def distribution_svgs(data: CountyData) -> list[dict[str, object]]:
    parts: list[dict[str, object]] = []
    ind = data.indicators
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
                for r in rows_of(rows)
                if (v := num(r.value)) is not None
            ]
            if thr is None or not points:
                continue
            title = f"{SECTION_ZH[sec]} {ind_label(code)}"
            unit = VALUE_UNITS.get(code, "")
            charts.append(svg(strip_chart(title, points, thr, floor, decimals=decimals(code), unit=unit)))
        parts.append({"title": SECTION_ZH[sec], "charts": charts})
    return parts


def _change_value(x: object, r: object) -> str:
    code = as_text(getattr(r, "indicator_code", ""))
    return fmt_cv(num(x)) if as_text(getattr(r, "measure", "")) == "cv" else fmt_value(num(x), code)


def changes_table(data: CountyData) -> Table:
    v = data.variance[data.variance["flagged"].fillna(False).astype(bool)]
    v = v.assign(_s=v["section"].map(section_key)).sort_values(["level", "_s", "indicator_code", "school_code"])
    rows = [
        [
            ("全县" if as_text(r.level) == "county" else data.school_label(as_text(r.school_code)), ""),
            (section_zh(r.section), ""),
            (ind_label(as_text(r.indicator_code)) + ("（差异系数）" if as_text(r.measure) == "cv" else ""), ""),
            (as_text(r.prev_period), ""),
            (_change_value(r.prev_value, r), "num"),
            (_change_value(r.value, r), "num"),
            (fmt_pct(num(r.change_pct)), "num"),
        ]
        for r in rows_of(v)
    ]
    return table(["对象", "学段", "指标", "上期", "上期值", "本期值", "变动率"], rows)


def outliers_table(data: CountyData) -> Table:
    o = data.outliers
    o = o.assign(_s=o["section"].map(section_key)).sort_values(["_s", "indicator_code", "school_code"]) if len(o) else o
    rows = [
        [
            (data.school_label(as_text(r.school_code)), ""),
            (section_zh(r.section), ""),
            (ind_label(as_text(r.indicator_code)), ""),
            (METHOD_ZH.get(as_text(r.method), "其他"), ""),
            (fmt_value(num(r.value), as_text(r.indicator_code)), "num"),
            (as_text(r.message), ""),
        ]
        for r in rows_of(o)
    ]
    return table(["学校", "学段", "指标", "比较方法", "本期值", "说明"], rows)


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
                "table": table([*headers, "差异贡献占比", "改进方案"], rows),
            }
        )
    return {"code": page.code, "name": page.name, "sections": sections, "findings": page.findings}
