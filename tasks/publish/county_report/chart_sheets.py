"""The county workbook's sheets with native charts: 县域概览 (CV bars against the limit), 趋势, 分布."""

from __future__ import annotations

from junheng.policy import INDICATOR_NAMES, R_CODES
from tasks.model.analytics import VALUE_UNITS
from tasks.publish.cells import as_flag, as_text, num, yes_no
from tasks.publish.county_report.advice import actions
from tasks.publish.county_report.book import Sheet
from tasks.publish.county_report.data import CountyData
from tasks.publish.county_report.text import FMT_CV, SECTION_ZH, ind_label, value_format

LIMIT_COLOR = "#E65100"
MEETS_COLOR = "#2E7D32"
FAIL_COLOR = "#D32F2F"
DOT = "#4E79A7"
SERIES_COLORS = ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#B07AA1", "#9C755F")


def sheet_overview(s: Sheet, data: CountyData) -> None:
    s.text(f"{data.county} {data.period} 义务教育优质均衡分析报告", s.fmt.title)
    s.text("依据 教督〔2017〕6号《县域义务教育优质均衡发展督导评估办法》；差异系数与上限比较时使用未四舍五入的原值")
    s.skip()
    s.text("下一步工作建议", s.fmt.bold)
    acts = actions(data) or ["本期各项指标和差异系数均达标，没有需要跟进的事项。"]
    for i, a in enumerate(acts, start=1):
        s.text(f"{i}. {a}")
    s.skip()
    now = data.cv_now()
    for sec in data.sections():
        sub = now[now["section"] == sec].sort_values("indicator_code")
        if sub.empty:
            continue
        start = s.text(f"{SECTION_ZH[sec]}校际差异系数", s.fmt.bold)
        rows = [
            [
                str(r.indicator_code),
                INDICATOR_NAMES.get(str(r.indicator_code), ""),
                num(r.cv),
                num(r.cv_limit),
                yes_no(as_flag(r.meets), missing="—"),
                int(r.n_units),
            ]
            for r in sub.itertuples(index=False)
        ]
        below = s.fmt.num(FMT_CV, "below")
        top, last = s.table(
            ["指标", "名称", "差异系数", "上限", "是否达标", "学校单元数"],
            rows,
            [None, None, FMT_CV, FMT_CV, None, "0"],
            [(None, None, below if r[4] == "否" else None) for r in rows],
        )
        name = s.ws.get_name()
        bar = s.ws_chart("column")
        bar.add_series(
            {
                "name": [name, top, 2],
                "categories": [name, top + 1, 0, last, 0],
                "values": [name, top + 1, 2, last, 2],
                "fill": {"color": MEETS_COLOR},
                "points": [{"fill": {"color": FAIL_COLOR if r[4] == "否" else MEETS_COLOR}} for r in rows],
            }
        )
        line = s.ws_chart("line")
        line.add_series(
            {
                "name": [name, top, 3],
                "categories": [name, top + 1, 0, last, 0],
                "values": [name, top + 1, 3, last, 3],
                "line": {"color": LIMIT_COLOR, "dash_type": "dash", "width": 1.5},
                "marker": {"type": "none"},
            }
        )
        bar.combine(line)
        bar.set_title({"name": f"{SECTION_ZH[sec]}：差异系数与上限（红色为超过上限）"})
        bar.set_y_axis({"name": "差异系数", "num_format": FMT_CV, "major_gridlines": {"visible": True}})
        bar.set_legend({"position": "bottom"})
        bar.set_size({"width": 600, "height": 290})
        s.ws.insert_chart(start, 7, bar)
        s.row = max(s.row, start + 17)
    s.widths([8, 44, 12, 10, 10, 12])


def sheet_trend(s: Sheet, data: CountyData) -> None:
    s.text("差异系数趋势（各报表期）", s.fmt.title, gap=2)
    periods = data.periods
    name = s.ws.get_name()
    for sec in data.sections():
        cv = data.cv[data.cv["section"] == sec]
        if cv.empty:
            continue
        start = s.text(SECTION_ZH[sec], s.fmt.bold)
        limits = cv["cv_limit"].dropna()
        limit = num(limits.iloc[-1]) if len(limits) else None
        table = []
        for p in periods:
            by = {str(r.indicator_code): num(r.cv) for r in cv[cv["period"] == p].itertuples(index=False)}
            table.append([p, *[by.get(c) for c in R_CODES], limit])
        top, last = s.table(["报表期", *R_CODES, "上限"], table, [None, *[FMT_CV] * 8])
        chart = s.ws_chart("line")
        for j in range(1, len(R_CODES) + 2):
            is_limit = j == len(R_CODES) + 1
            color = LIMIT_COLOR if is_limit else SERIES_COLORS[(j - 1) % len(SERIES_COLORS)]
            chart.add_series(
                {
                    "name": [name, top, j],
                    "categories": [name, top + 1, 0, last, 0],
                    "values": [name, top + 1, j, last, j],
                    "line": {"color": color, "width": 1.5, **({"dash_type": "dash"} if is_limit else {})},
                    "marker": {"type": "none"}
                    if is_limit
                    else {"type": "circle", "size": 5, "fill": {"color": color}, "border": {"color": color}},
                }
            )
        chart.set_title({"name": f"{SECTION_ZH[sec]}各指标差异系数趋势"})
        chart.set_y_axis({"name": "差异系数", "num_format": FMT_CV, "major_gridlines": {"visible": True}})
        chart.set_x_axis({"name": "报表期"})
        chart.set_legend({"position": "right"})
        chart.set_size({"width": 600, "height": 290})
        s.ws.insert_chart(start, 10, chart)
        s.row = max(s.row, start + 17)
    s.widths([10, *[9] * 8])


def sheet_distribution(s: Sheet, data: CountyData) -> None:
    s.text("各指标在学校间的分布（按数值从低到高；红线为标准）", s.fmt.title, gap=2)
    ind = data.indicators
    name = s.ws.get_name()
    for sec in data.sections():
        for code in R_CODES:
            thr, _ = data.threshold(sec, code)
            g = ind[(ind["section"] == sec) & (ind["indicator_code"] == code) & ind["value"].notna()]
            if g.empty or thr is None:
                continue
            g = g.sort_values("value")
            unit = VALUE_UNITS.get(code, "")
            start = s.text(f"{SECTION_ZH[sec]} {ind_label(code)}（{unit}）", s.fmt.bold)
            rows = [
                [i, f"{as_text(r.school_name)}（{as_text(r.school_code)}）", num(r.value), thr]
                for i, r in enumerate(g.itertuples(index=False), start=1)
            ]
            fill = [None, None, s.fmt.num(value_format(code), "below")]
            low = [(v := num(r[2])) is not None and v < thr for r in rows]
            top, last = s.table(
                ["序号", "学校单元", "指标值", "标准"],
                rows,
                ["0", None, value_format(code), value_format(code)],
                [fill if b else () for b in low],
            )
            chart = s.ws_chart("scatter", "straight")
            red = {"fill": {"color": FAIL_COLOR}, "border": {"color": FAIL_COLOR}}
            xs = [name, top + 1, 0, last, 0]
            chart.add_series(
                {
                    "name": [name, top, 2],
                    "categories": xs,
                    "values": [name, top + 1, 2, last, 2],
                    "line": {"none": True},
                    "marker": {"type": "circle", "size": 6, "fill": {"color": DOT}, "border": {"color": DOT}},
                    "points": [red if b else None for b in low],
                }
            )
            chart.add_series(
                {
                    "name": [name, top, 3],
                    "categories": xs,
                    "values": [name, top + 1, 3, last, 3],
                    "line": {"color": LIMIT_COLOR, "dash_type": "dash", "width": 1.5},
                    "marker": {"type": "none"},
                }
            )
            chart.set_title({"name": f"{SECTION_ZH[sec]} {code} 各学校单元（红线：标准 {thr:g}）"})
            chart.set_x_axis({"name": "学校单元（按数值排序）", "min": 0, "max": len(rows) + 1})
            chart.set_y_axis({"name": unit, "major_gridlines": {"visible": True}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 520, "height": 270})
            s.ws.insert_chart(start, 5, chart)
            s.row = max(s.row, start + 16)
    s.widths([6, 36, 12, 10])
