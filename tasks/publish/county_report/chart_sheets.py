"""The county workbook's first sheet (the verdict and what to do) and its sheets with native charts."""

from __future__ import annotations

from typing import Any

from junheng.policy import INDICATOR_NAMES, R_CODES
from tasks.model.analytics.labels import VALUE_UNITS
from tasks.publish.cells import as_flag, as_text, num, yes_no
from tasks.publish.county_report.advice import actions
from tasks.publish.county_report.book import (
    BELOW_FILL,
    CHART_ROWS,
    FAIL_COLOR,
    LIMIT_COLOR,
    MEETS_COLOR,
    Page,
    filled,
)
from tasks.publish.county_report.data import CountyData, rows_of
from tasks.publish.county_report.failures import Failure, verdict
from tasks.publish.county_report.text import FMT_CV, SECTION_ZH, ind_label, section_key, value_format

SERIES_COLORS = ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#B07AA1", "#9C755F")
NOTE: dict[str, Any] = {"font_color": "#555555"}
BASIS = "依据 教督〔2017〕6号《县域义务教育优质均衡发展督导评估办法》；数值与标准比较时使用未四舍五入的原值。"

DISTRIBUTION_CHARTS_FIRST_PAGE, DISTRIBUTION_CHARTS_A_PAGE = 2, 3


def sheet_overview(p: Page, data: CountyData, found: list[Failure]) -> None:
    """结论 first: 达到 / 未达到 and why, the items not met, then what to do."""
    word, why = verdict(data, found)
    p.title(f"{data.county} {data.period} 义务教育优质均衡分析报告")
    good = word == "达到"
    color = MEETS_COLOR if good else FAIL_COLOR
    p.para(
        f"结论：本期{word}县域义务教育优质均衡发展要求。" if word != "无有效报表" else "结论：本期无有效报表。",
        bold=True,
        font_size=14,
        font_color=color,
    )
    p.para(why, chars=130)
    p.para(BASIS + "各项涉及的学校见“未达标学校”，该做什么见“工作建议”。", chars=130, **NOTE)
    p.skip()
    if found:
        rows = [
            [i, f.part, f.label, f.section, _figure(f), f.unit, f.standard, f.status, len(f.schools) or None, f.why]
            for i, f in enumerate(found, start=1)
        ]
        p.table(
            ["序号", "方面", "指标", "学段", "本县数值", "单位", "标准", "结论", "未达标学校数", "原因"],
            rows,
            num_formats={0: "0", 8: "0"},
            wrap={2, 5, 6, 9},
            widths=[5, 10, 32, 6, 10, 12, 22, 8, 8, 22],
        )
    elif word == "达到":
        p.para("本期没有未达标、未报告或待审核的项目。")


def _figure(f: Failure) -> object:
    """The county's figure as a number with a format fitting its measure; words when it is not a number."""
    if f.number is None:
        return f.value
    fmt = FMT_CV if f.unit == "差异系数" else ("#,##0" if float(f.number).is_integer() else "#,##0.00")
    return filled(f.number, fmt, None)


def sheet_actions(p: Page, data: CountyData) -> None:
    """下一步工作建议: one row per item not met (the order of 县域概览), then the gaps and the data checks."""
    p.title("下一步工作建议")
    p.para("按“县域概览”中未达标项目的顺序，每项说明涉及的学校和需要增加的数量；最后是需要学校核对的数据。", **NOTE)
    p.skip()
    acts = actions(data) or ["本期各项指标均达标，没有需要跟进的事项。"]
    p.table(
        ["序号", "建议"], [[i, a] for i, a in enumerate(acts, start=1)], num_formats={0: "0"}, wrap={1}, widths=[6, 150]
    )


def sheet_cv(p: Page, data: CountyData) -> None:
    p.title("校际差异系数与上限（小学、初中各 7 项）")
    p.para("差异系数保留 3 位小数，与上限比较时使用未四舍五入的原值；红色为超过上限。", font_color="#555555")
    p.skip()
    now = data.cv_now().copy()
    now = now.assign(_s=now["section"].map(section_key)).sort_values(["_s", "indicator_code"])
    var = data.variance[data.variance["level"] == "county"].set_index(["section", "indicator_code"])
    rows = []
    for r in rows_of(now):
        meets = as_flag(r.meets)
        key = (r.section, r.indicator_code)
        prev = num(var.loc[key, "prev_value"]) if key in var.index else None
        rows.append(
            [
                SECTION_ZH.get(as_text(r.section), ""),
                as_text(r.indicator_code),
                INDICATOR_NAMES.get(as_text(r.indicator_code), ""),
                filled(num(r.cv), FMT_CV, BELOW_FILL if meets is False else None),
                num(r.cv_limit),
                yes_no(meets, missing="—"),
                prev,
                None if num(r.n_units) is None else int(num(r.n_units) or 0),
                _missing(r),
            ]
        )
    top, _ = p.table(
        [
            "学段",
            "指标",
            "名称",
            "本期差异系数",
            "上限",
            "是否达标",
            "上期差异系数",
            "学校单元数",
            "缺数据未计入的学校",
        ],
        rows,
        num_formats={4: FMT_CV, 6: FMT_CV, 7: "0"},
        wrap={2, 8},
        widths=[6, 6, 36, 12, 8, 8, 12, 10, 30],
    )
    p.ws.set_h_pagebreaks([p.row])  # the charts start on a page of their own
    first = top + 1
    for k, sec in enumerate(s for s in ("primary", "junior") if s in set(now["section"])):
        n = int((now["section"] == sec).sum())
        sub = now[now["section"] == sec]
        bar = p.chart("column")
        series = {
            "name": "差异系数",
            "categories": [p.name, first, 1, first + n - 1, 1],
            "values": [p.name, first, 3, first + n - 1, 3],
            "fill": {"color": MEETS_COLOR},
            "points": [{"fill": {"color": FAIL_COLOR if as_flag(m) is False else MEETS_COLOR}} for m in sub["meets"]],
            "data_labels": {"value": True, "num_format": FMT_CV},
        }
        bar.add_series(series)
        line = p.chart("line")
        line.add_series(
            {
                "name": "上限",
                "categories": [p.name, first, 1, first + n - 1, 1],
                "values": [p.name, first, 4, first + n - 1, 4],
                "line": {"color": LIMIT_COLOR, "dash_type": "dash", "width": 1.5},
                "marker": {"type": "none"},
            }
        )
        bar.combine(line)
        bar.set_title({"name": f"{SECTION_ZH[sec]}：差异系数与上限（红色超过上限）", "name_font": {"size": 11}})
        bar.set_y_axis({"name": "差异系数", "num_format": "0.00", "major_gridlines": {"visible": True}})
        bar.set_legend({"position": "bottom"})
        bar.set_size({"width": 620, "height": 300})
        p.ws.insert_chart(p.row + k * CHART_ROWS, 0, bar)
        first += n
    p.skip(CHART_ROWS * 2)


def _missing(r: object) -> str:
    """The units a CV left out because their value is not reported (mart.county_cv names them)."""
    n = num(getattr(r, "n_missing", None))
    return f"{int(n)} 个：{as_text(getattr(r, 'missing_units', ''))}" if n else "无"


def sheet_trend(p: Page, data: CountyData) -> None:
    p.title("差异系数趋势（各报表期）")
    p.para("每行一个报表期；图中虚线为差异系数上限。", font_color="#555555")
    p.skip()
    periods = data.periods
    rows: list[list[object]] = []
    blocks: list[tuple[str, int, int]] = []
    for sec in data.sections():
        cv = data.cv[data.cv["section"] == sec]
        if cv.empty:
            continue
        limits = cv["cv_limit"].dropna()
        limit = num(limits.iloc[-1]) if len(limits) else None
        blocks.append((sec, len(rows), len(periods)))
        for per in periods:
            by = {str(r.indicator_code): num(r.cv) for r in rows_of(cv[cv["period"] == per])}
            rows.append([SECTION_ZH[sec], per, *[by.get(c) for c in R_CODES], limit])
    headers = ["学段", "报表期", *(ind_label(c) for c in R_CODES), "上限"]
    top, _ = p.table(
        headers,
        rows,
        num_formats={j: FMT_CV for j in range(2, len(headers))},
        widths=[6, 9, *[11] * len(R_CODES), 8],
    )
    # Each chart on a page of its own: the repeated header row is tall (the indicators' names wrapped), so a
    # second chart would run over the page's end and print under the next page's header row.
    p.ws.set_h_pagebreaks([p.row + k * CHART_ROWS for k in range(len(blocks))])
    for k, (sec, start, n) in enumerate(blocks):
        first, last = top + 1 + start, top + start + n
        chart = p.chart("line")
        for j in range(2, len(headers)):
            is_limit = j == len(headers) - 1
            color = LIMIT_COLOR if is_limit else SERIES_COLORS[(j - 2) % len(SERIES_COLORS)]
            marker = {"type": "circle", "size": 6, "fill": {"color": color}, "border": {"color": color}}
            chart.add_series(
                {
                    "name": "上限" if is_limit else R_CODES[j - 2],
                    "categories": [p.name, first, 1, last, 1],
                    "values": [p.name, first, j, last, j],
                    "line": {"color": color, "width": 1.75, **({"dash_type": "dash"} if is_limit else {})},
                    "marker": {"type": "none"} if is_limit else marker,
                }
            )
        chart.set_title({"name": f"{SECTION_ZH[sec]}各指标差异系数趋势", "name_font": {"size": 11}})
        chart.set_y_axis({"name": "差异系数", "num_format": "0.00", "major_gridlines": {"visible": True}})
        chart.set_x_axis({"name": "报表期"})
        chart.set_legend({"position": "right"})
        chart.set_size({"width": 620, "height": 300})
        p.ws.insert_chart(p.row + k * CHART_ROWS, 0, chart)
    p.skip(CHART_ROWS * len(blocks))


def sheet_distribution(p: Page, data: CountyData) -> None:
    p.title("各指标在学校间的分布（按数值从低到高）")
    p.para("浅红：低于标准。图中每个点是一个学校单元（红点低于标准），虚线为标准。", font_color="#555555")
    p.skip()
    ind = data.indicators
    rows: list[list[object]] = []
    blocks = []
    for sec in data.sections():
        for code in R_CODES:
            thr, _ = data.threshold(sec, code)
            g = ind[(ind["section"] == sec) & (ind["indicator_code"] == code) & ind["value"].notna()]
            if g.empty or thr is None:
                continue
            low = []
            start = len(rows)
            for i, r in enumerate(rows_of(g.sort_values("value")), start=1):
                v = num(r.value)
                below = v is not None and v < thr
                low.append(below)
                label = f"{as_text(r.school_name)}（{as_text(r.school_code)}）"
                fmt = value_format(code)
                rows.append(
                    [
                        SECTION_ZH[sec],
                        ind_label(code),
                        i,
                        label,
                        filled(v, fmt, BELOW_FILL if below else None),
                        filled(thr, fmt, None),
                    ]
                )
            blocks.append((sec, code, thr, start, len(rows) - start, low))
    top, _ = p.table(
        ["学段", "指标", "序号", "学校单元", "指标值", "标准"],
        rows,
        num_formats={2: "0"},
        widths=[6, 30, 6, 30, 12, 10],
    )
    red = {"fill": {"color": FAIL_COLOR}, "border": {"color": FAIL_COLOR}}
    # Printed one page wide (LibreOffice, A4 landscape), a page of this sheet holds ~50 rows: two charts on
    # the first page (under the title), then three (48 rows) a page, each page starting with a chart, so that
    # none is cut by a page's end (without breaks a chart was cut on every page).
    starts = range(DISTRIBUTION_CHARTS_FIRST_PAGE, len(blocks), DISTRIBUTION_CHARTS_A_PAGE)
    p.ws.set_h_pagebreaks([top + k * CHART_ROWS for k in starts])
    for k, (sec, code, thr, start, n, low) in enumerate(blocks):
        first, last = top + 1 + start, top + start + n
        chart = p.chart("scatter", "straight")
        chart.add_series(
            {
                "name": "学校单元",
                "categories": [p.name, first, 2, last, 2],
                "values": [p.name, first, 4, last, 4],
                "line": {"none": True},
                "marker": {"type": "circle", "size": 7, "fill": {"color": "#4E79A7"}, "border": {"color": "#4E79A7"}},
                "points": [red if b else None for b in low],
            }
        )
        chart.add_series(
            {
                "name": "标准",
                "categories": [p.name, first, 2, last, 2],
                "values": [p.name, first, 5, last, 5],
                "line": {"color": LIMIT_COLOR, "dash_type": "dash", "width": 1.75},
                "marker": {"type": "none"},
            }
        )
        unit = VALUE_UNITS.get(code, "")
        chart.set_title(
            {"name": f"{SECTION_ZH[sec]} {ind_label(code)}（标准 {thr:g} {unit}）", "name_font": {"size": 10}}
        )
        chart.set_x_axis(
            {"name": "学校单元（按数值排序）", "min": 0, "max": n + 1, "major_gridlines": {"visible": False}}
        )
        chart.set_y_axis({"name": unit, "major_gridlines": {"visible": True}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 520, "height": 300})
        p.ws.insert_chart(top + k * CHART_ROWS, 7, chart)
