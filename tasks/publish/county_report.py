"""The county analytics report: Excel with native charts, HTML with inline SVG, one page per school, data dictionary."""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from html import escape
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.child import avoid_duplicate_name
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from sqlalchemy.engine import Connection

from junheng.policy import INDICATOR_NAMES, R_CODES, period_start
from junheng.settings import DEFAULT_COUNTY_CODE, Settings
from tasks.model.analytics import RESOURCE_UNITS, VALUE_UNITS, county_totals
from tasks.publish.cells import as_flag, as_text, num, safe_text, yes_no
from tasks.publish.charts import (
    AXIS_COLOR,
    FAIL_COLOR,
    GRID_COLOR,
    LIMIT_COLOR,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    CvBar,
    LinearScale,
    UnitPoint,
    cv_bar_chart,
    nice_ticks,
    strip_chart,
)
from tasks.publish.dictionary import HEADERS_ZH, build_dictionary, dictionary_html, dictionary_markdown

SECTIONS = ("primary", "junior")
SECTION_ZH = {"primary": "小学", "junior": "初中"}
SEVERITY_ZH = {"error": "错误", "violation": "未达标", "warning": "警告", "info": "提示"}
METHOD_ZH = {"cross_section": "与全县同学段比较", "own_history": "与本校历史比较"}
# One colour per indicator in trend charts (colour-blind-safe Tableau 10 subset).
SERIES_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f")

# Excel number formats officials expect: CV to 3 decimals, 元 and m² with thousands separators.
FMT_CV = "0.000"
FMT_PCT = "0.0%"
FMT_INT = "#,##0"
FMT_2 = "#,##0.00"


def value_format(code: str) -> str:
    return FMT_INT if code == "R6" else FMT_2


def need_format(code: str) -> str:
    return FMT_INT if RESOURCE_UNITS.get(code) in ("人", "间", "元") else "#,##0.0"


def _decimals(code: str) -> int:
    return 0 if code == "R6" else 2


def fmt_value(v: float | None, code: str) -> str:
    return "—" if v is None else f"{v:,.{_decimals(code)}f}"


def fmt_need(v: float | None, code: str) -> str:
    if v is None:
        return "—"
    whole = RESOURCE_UNITS.get(code) in ("人", "间", "元") or float(v).is_integer()
    return f"{v:,.0f}" if whole else f"{v:,.1f}"


def fmt_cv(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def fmt_pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1%}"


def ind_label(code: str) -> str:
    return f"{code} {INDICATOR_NAMES.get(code, code)}"


# ---------------------------------------------------------------------------------------------
# the data of one report, read from the marts


@dataclass
class PlanSummary:
    section: str
    code: str
    cv: float
    limit: float
    steps: list[dict[str, object]]
    cv_after: float
    reached: bool


@dataclass
class CountyData:
    period: str
    county: str
    cv: pd.DataFrame  # mart.county_cv for every period up to this one (the trend)
    indicators: pd.DataFrame
    compliance: pd.DataFrame
    variance: pd.DataFrame
    outliers: pd.DataFrame
    remediation: pd.DataFrame
    contribution: pd.DataFrame
    issues: pd.DataFrame
    dictionary: pd.DataFrame
    names: dict[str, str] = field(default_factory=dict)

    @property
    def periods(self) -> list[str]:
        return sorted(self.cv["period"].astype(str).unique()) if not self.cv.empty else [self.period]

    def cv_now(self) -> pd.DataFrame:
        return self.cv[self.cv["period"] == self.period]

    def sections(self) -> list[str]:
        present = set(self.indicators["section"].astype(str)) | set(self.cv_now()["section"].astype(str))
        return [s for s in SECTIONS if s in present]

    def threshold(self, section: str, code: str) -> tuple[float | None, float | None]:
        rows = self.indicators[(self.indicators["section"] == section) & (self.indicators["indicator_code"] == code)]
        if rows.empty:
            return None, None
        return num(rows["threshold"].iloc[0]), num(rows["floor"].iloc[0])

    def school_label(self, code: str) -> str:
        return f"{self.names.get(code, '')}（{code}）"


def _mart(conn: Connection, name: str, where: str, params: dict[str, object]) -> pd.DataFrame:
    from warehouse.engine import query_frame

    return query_frame(conn, f"SELECT * FROM mart.{name} WHERE {where}", params)


def load_county_data(conn: Connection, period: str, county: str, county_code: str = DEFAULT_COUNTY_CODE) -> CountyData:
    """Everything the county report shows, from the marts (the trend from every earlier period of
    the same county)."""
    p: dict[str, object] = {"period": period, "county_code": county_code}
    now = "county_code = :county_code AND period = :period"
    data = CountyData(
        period=period,
        county=county,
        cv=_mart(conn, "county_cv", "county_code = :county_code AND period <= :period", p),
        indicators=_mart(conn, "school_indicators", now, p),
        compliance=_mart(conn, "school_compliance", now, p),
        variance=_mart(conn, "variance_report", now, p),
        outliers=_mart(conn, "outliers", now, p),
        remediation=_mart(conn, "remediation", now, p),
        contribution=_mart(conn, "cv_contribution", now, p),
        issues=_mart(conn, "validation_issues", now, p),
        dictionary=build_dictionary(conn),
    )
    for df in (data.indicators, data.compliance):
        for r in df[["school_code", "school_name"]].itertuples(index=False):
            data.names.setdefault(as_text(r.school_code), as_text(r.school_name))
    return data


def plan_summaries(data: CountyData) -> list[PlanSummary]:
    """One plan per CV above its limit (also when raising units cannot reach it: no steps)."""
    out: list[PlanSummary] = []
    now = data.cv_now()
    c = data.contribution
    for r in now.itertuples(index=False):
        cv, limit = num(r.cv), num(r.cv_limit)
        if cv is None or limit is None or cv <= limit:
            continue
        rows = c[(c["section"] == r.section) & (c["indicator_code"] == r.indicator_code) & c["plan_step"].notna()]
        steps = rows.sort_values("plan_step").to_dict("records")
        after = num(steps[-1]["plan_cv_after"]) if steps else cv
        assert after is not None
        out.append(PlanSummary(str(r.section), str(r.indicator_code), cv, limit, steps, after, after <= limit))
    order = {s: i for i, s in enumerate(SECTIONS)}
    return sorted(out, key=lambda p: (order.get(p.section, 9), p.code))


def actions(data: CountyData) -> list[str]:
    """The report's first lines: what the bureau should do next, in plain words."""
    lines: list[str] = []
    o = data.outliers
    for p in plan_summaries(data):
        head = (
            f"{SECTION_ZH.get(p.section, p.section)}{ind_label(p.code)} 差异系数 {fmt_cv(p.cv)}，超过上限 {p.limit:.2f}"
        )
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
    totals = county_totals(data.remediation)
    for r in totals.itertuples(index=False):
        unit = as_text(r.resource_unit)
        code = as_text(r.indicator_code)
        lines.append(
            f"{SECTION_ZH.get(as_text(r.section), as_text(r.section))}{ind_label(as_text(r.indicator_code))}："
            f"{int(r.units)} 个学校单元未达标，合计需增加 {fmt_need(num(r.need_to_threshold), code)}"
            f" {unit}（达到标准的85%需 {fmt_need(num(r.need_to_floor), code)} {unit}）。"
        )
    if len(data.outliers):
        lines.append(f"异常值警告 {len(data.outliers)} 条：请学校核对数据，见“异常值”。")
    flagged = data.variance[data.variance["flagged"].fillna(False).astype(bool)]
    if len(flagged):
        lines.append(f"与上期相比变动较大的 {len(flagged)} 项：见“本期变动”。")
    return lines


# ---------------------------------------------------------------------------------------------
# SVG: CV trend


def trend_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[float | None]]],
    periods: Sequence[str],
    limit: float | None,
    *,
    width: int = 560,
    height: int = 300,
) -> str:
    """CV of each indicator (one line each) across periods, with the limit as a dashed line."""
    vals = [v for _, ys in series for v in ys if v is not None and math.isfinite(v)]
    ticks = nice_ticks(max([limit or 0.0, *vals, 0.1]))
    bottom = height - MARGIN_BOTTOM
    y = LinearScale(0.0, ticks[-1], float(bottom), float(MARGIN_TOP))
    right = width - MARGIN_RIGHT - 70  # room for the legend
    n = len(periods)
    x = LinearScale(0.0, float(max(n - 1, 1)), float(MARGIN_LEFT + 20), float(right - 10))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="chart trend">',
        f"<title>{escape(title)}</title>",
        f'<text x="{MARGIN_LEFT}" y="20" font-size="14" font-weight="600">{escape(title)}</text>',
    ]
    for t in ticks:
        ty = y(t)
        out.append(f'<line x1="{MARGIN_LEFT}" y1="{ty:.2f}" x2="{right}" y2="{ty:.2f}" stroke="{GRID_COLOR}"/>')
        out.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{ty + 4:.2f}" text-anchor="end" font-size="11" '
            f'fill="{AXIS_COLOR}">{t:.2f}</text>'
        )
    for i, p in enumerate(periods):
        out.append(
            f'<text x="{x(i):.2f}" y="{bottom + 16}" text-anchor="middle" font-size="11" '
            f'fill="{AXIS_COLOR}">{escape(p)}</text>'
        )
    if limit is not None:
        ly = y(limit)
        out.append(
            f'<line class="limit" x1="{MARGIN_LEFT}" y1="{ly:.2f}" x2="{right}" y2="{ly:.2f}" stroke="{LIMIT_COLOR}" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text x="{right}" y="{ly - 5:.2f}" text-anchor="end" font-size="11" fill="{LIMIT_COLOR}">'
            f"上限 {limit:.2f}</text>"
        )
    for k, (label, ys) in enumerate(series):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        pts = [(x(i), y(v), v, periods[i]) for i, v in enumerate(ys) if v is not None and math.isfinite(v)]
        if len(pts) > 1:
            path = " ".join(f"{px:.2f},{py:.2f}" for px, py, _, _ in pts)
            out.append(f'<polyline class="series" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for px, py, v, p in pts:
            over = limit is not None and v > limit
            out.append(
                f'<circle class="point" cx="{px:.2f}" cy="{py:.2f}" r="{4.5 if over else 3.5}" fill="{color}" '
                f'stroke="{FAIL_COLOR if over else color}" stroke-width="{2 if over else 1}">'
                f"<title>{escape(label)} {escape(p)}：{v:.3f}</title></circle>"
            )
        ly = MARGIN_TOP + 14 * k
        out.append(f'<rect x="{right + 8}" y="{ly - 8}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{right + 22}" y="{ly + 1}" font-size="11" fill="{AXIS_COLOR}">{escape(label)}</text>')
    out.append(f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{AXIS_COLOR}"/>')
    out.append(
        f'<text x="{MARGIN_LEFT}" y="{height - 8}" font-size="11" fill="{AXIS_COLOR}">'
        "报表期（虚线为差异系数上限；红圈为超过上限）</text>"
    )
    out.append("</svg>")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
 color:#222;margin:0;background:#f7f7f5;line-height:1.6}
main{max-width:1200px;margin:0 auto;padding:24px 32px 64px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;border-bottom:2px solid #1f4e79;padding-bottom:4px;margin-top:40px}
h3{font-size:16px;margin:24px 0 8px}.meta{color:#555}.note{color:#666;font-size:13px}
ol.actions li{margin:4px 0}
table{border-collapse:collapse;font-size:13px;margin:8px 0 16px;width:100%}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#ddebf7}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.bad{background:#ffc7ce;color:#9c0006}td.worse{background:#e06666;color:#4a0000;font-weight:700}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{max-width:100%;height:auto;border:1px solid #eee}
section.school{break-before:page;page-break-before:always;border-top:3px solid #1f4e79;margin-top:32px}
@media print{main{padding:0}h2{break-after:avoid}}
"""


def _td(text: str, cls: str = "") -> str:
    return f'<td class="{cls}">{escape(text)}</td>' if cls else f"<td>{escape(text)}</td>"


def _table(headers: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join(rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _cv_table_html(data: CountyData) -> str:
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
            rows.append(
                "<tr>"
                + _td(SECTION_ZH[sec])
                + _td(ind_label(code))
                + _td(fmt_cv(num(row["cv"])), "num bad" if meets is False else "num")
                + _td(f"≤{num(row['cv_limit']) or 0:.2f}")
                + _td(yes_no(meets, missing="—"), "bad" if meets is False else "")
                + _td(fmt_cv(prev), "num")
                + _td(str(int(row["n_units"])), "num")
                + "</tr>"
            )
    return _table(["学段", "指标", "本期差异系数", "上限", "是否达标", "上期差异系数", "学校单元数"], rows)


def _trend_html(data: CountyData) -> str:
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
        charts.append(trend_chart(f"{SECTION_ZH[sec]}各指标差异系数趋势", series, periods, limit))
    return '<div class="charts">' + "\n".join(charts) + "</div>"


def _distribution_html(data: CountyData) -> str:
    parts = []
    ind = data.indicators
    for sec in data.sections():
        charts = []
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
            charts.append(
                strip_chart(
                    f"{SECTION_ZH[sec]} {ind_label(code)}",
                    points,
                    thr,
                    floor,
                    decimals=_decimals(code),
                    unit=VALUE_UNITS.get(code, ""),
                )
            )
        bars = [
            CvBar(str(r.indicator_code), INDICATOR_NAMES.get(str(r.indicator_code), ""), num(r.cv), as_flag(r.meets))
            for r in data.cv_now()[data.cv_now()["section"] == sec].sort_values("indicator_code").itertuples()
        ]
        limits = data.cv_now()[data.cv_now()["section"] == sec]["cv_limit"].dropna()
        if bars and len(limits):
            charts.insert(0, cv_bar_chart(f"{SECTION_ZH[sec]}差异系数与上限", bars, float(limits.iloc[0])))
        parts.append(f'<h3>{SECTION_ZH[sec]}</h3><div class="charts">' + "\n".join(charts) + "</div>")
    return "\n".join(parts)


def _changes_html(data: CountyData) -> str:
    v = data.variance[data.variance["flagged"].fillna(False).astype(bool)]
    rows = [
        "<tr>"
        + _td("县域" if as_text(r.level) == "county" else data.school_label(as_text(r.school_code)))
        + _td(SECTION_ZH.get(as_text(r.section), as_text(r.section)))
        + _td(ind_label(as_text(r.indicator_code)) + ("（差异系数）" if as_text(r.measure) == "cv" else ""))
        + _td(as_text(r.prev_period))
        + _td(_change_value(r.prev_value, r), "num")
        + _td(_change_value(r.value, r), "num")
        + _td(fmt_pct(num(r.change_pct)), "num")
        + "</tr>"
        for r in v.sort_values(["level", "section", "indicator_code", "school_code"]).itertuples(index=False)
    ]
    bound = num(data.variance["change_bound"].iloc[0]) if len(data.variance) else 0.2
    return (
        f'<p class="note">与上一次报送期相比变动超过 ±{(bound or 0.2):.0%} 的项目（上期为0的变动也列出）。</p>'
        + _table(["对象", "学段", "指标", "上期", "上期值", "本期值", "变动率"], rows)
    )


def _change_value(x: object, r: object) -> str:
    code = as_text(getattr(r, "indicator_code", ""))
    return fmt_cv(num(x)) if as_text(getattr(r, "measure", "")) == "cv" else fmt_value(num(x), code)


def _outliers_html(data: CountyData) -> str:
    rows = [
        "<tr>"
        + _td(data.school_label(as_text(r.school_code)))
        + _td(SECTION_ZH.get(as_text(r.section), as_text(r.section)))
        + _td(as_text(r.indicator_code))
        + _td(METHOD_ZH.get(as_text(r.method), as_text(r.method)))
        + _td(fmt_value(num(r.value), as_text(r.indicator_code)), "num")
        + _td(as_text(r.message))
        + "</tr>"
        for r in data.outliers.sort_values(["section", "indicator_code", "school_code"]).itertuples(index=False)
    ]
    return (
        '<p class="note">稳健 z 值 = 0.6745 ×（值 − 中位数）/ 中位数绝对偏差（MAD），绝对值超过 3.5 为异常；'
        "过半学校数值相同（MAD=0）时改用平均绝对偏差：z =（值 − 中位数）/（1.253314 × 平均绝对偏差）。"
        "学校有 3 期及以上数据时，另与本校此前各期比较。异常值只是警告，不影响达标判定。</p>"
        + _table(["学校", "学段", "指标", "方法", "本期值", "说明"], rows)
    )


def _remediation_html(data: CountyData) -> str:
    totals = county_totals(data.remediation)
    trows = [
        "<tr>"
        + _td(SECTION_ZH.get(as_text(r.section), as_text(r.section)))
        + _td(ind_label(as_text(r.indicator_code)))
        + _td(str(int(r.units)), "num")
        + _td(str(int(r.units_below_floor)), "num")
        + _td(f"{fmt_need(num(r.need_to_threshold), as_text(r.indicator_code))} {as_text(r.resource_unit)}", "num")
        + _td(f"{fmt_need(num(r.need_to_floor), as_text(r.indicator_code))} {as_text(r.resource_unit)}", "num")
        + "</tr>"
        for r in totals.itertuples(index=False)
    ]
    rem = data.remediation.sort_values(
        ["section", "indicator_code", "need_to_threshold"], ascending=[True, True, False]
    )
    drows = [
        "<tr>"
        + _td(data.school_label(as_text(r.school_code)))
        + _td(SECTION_ZH.get(as_text(r.section), as_text(r.section)))
        + _td(as_text(r.indicator_code))
        + _td(
            fmt_value(num(r.value), as_text(r.indicator_code)),
            "num worse" if as_flag(r.below_floor) else "num bad",
        )
        + _td(fmt_value(num(r.threshold), as_text(r.indicator_code)), "num")
        + _td(
            f"{fmt_need(num(r.need_to_threshold_whole), as_text(r.indicator_code))} {as_text(r.resource_unit)}", "num"
        )
        + _td(f"{fmt_need(num(r.need_to_floor_whole), as_text(r.indicator_code))} {as_text(r.resource_unit)}", "num")
        + "</tr>"
        for r in rem.itertuples(index=False)
    ]
    return (
        "<h3>全县合计</h3>"
        + _table(["学段", "指标", "未达标单元数", "其中低于85%", "达到标准需增加", "达到85%需增加"], trows)
        + '<h3>逐校差距</h3><p class="note">需增加量 = 标准 × 在校生数 ÷ 每多少名学生 − 现有量，'
        "向上取整到整人、整间、整平方米、整元。浅红：低于标准；深红：低于标准的85%。</p>"
        + _table(["学校", "学段", "指标", "本期值", "标准", "达到标准需增加", "达到85%需增加"], drows)
    )


def _plan_html(data: CountyData) -> str:
    parts = []
    for p in plan_summaries(data):
        head = (
            f"<h3>{SECTION_ZH.get(p.section, p.section)} {escape(ind_label(p.code))}："
            f"差异系数 {fmt_cv(p.cv)} → {fmt_cv(p.cv_after)}（上限 {p.limit:.2f}，"
            f"{'可以达标' if p.reached else '仅靠提高低值学校无法达标'}）</h3>"
        )
        rows = [
            "<tr>"
            + _td(str(int(num(s["plan_step"]) or 0)), "num")
            + _td(data.school_label(as_text(s["school_code"])))
            + _td(fmt_value(num(s["value"]), p.code), "num")
            + _td(fmt_value(num(s["plan_target"]), p.code), "num")
            + _td(f"{fmt_need(num(s['plan_need']), p.code)} {RESOURCE_UNITS.get(p.code, '')}", "num")
            + _td(fmt_cv(num(s["plan_cv_after"])), "num")
            + "</tr>"
            for s in p.steps
        ]
        parts.append(head + _table(["步骤", "学校", "现值", "提高到", "需增加", "完成后差异系数"], rows))
    if not parts:
        return "<p>本期各项差异系数均未超过上限，无需改进方案。</p>"
    note = (
        '<p class="note">每一步选择使差异系数下降最多的一所学校，把它提高到当时的县域均值与标准中的较高者；'
        "每校最多一次。这是贪心算法，步数接近最少。</p>"
    )
    return note + "\n".join(parts)


def _contribution_html(data: CountyData) -> str:
    c = data.contribution
    over = {(p.section, p.code) for p in plan_summaries(data)}
    rows = []
    for (sec, code), g in c.groupby(["section", "indicator_code"], sort=True):
        if (sec, code) not in over:
            continue
        for r in g.sort_values("contribution_share", ascending=False).head(10).itertuples(index=False):
            rows.append(
                "<tr>"
                + _td(SECTION_ZH.get(str(sec), str(sec)))
                + _td(str(code))
                + _td(data.school_label(as_text(r.school_code)))
                + _td(fmt_value(num(r.value), str(code)), "num")
                + _td(fmt_pct(num(r.contribution_share)).lstrip("+"), "num")
                + _td(fmt_cv(num(r.cv_contribution)), "num")
                + _td(fmt_cv(num(r.cv_if_mean)), "num")
                + _td(fmt_cv(num(r.cv_if_threshold)), "num")
                + "</tr>"
            )
    if not rows:
        return "<p>本期各项差异系数均未超过上限。完整的贡献数据见 Excel 和 mart.cv_contribution。</p>"
    return (
        '<p class="note">只列出超过上限的差异系数中贡献最大的10个学校单元。贡献占比 = 权重 ×（值 − 均值）²'
        " / 合计；假设情形只改变这一所学校。</p>"
        + _table(["学段", "指标", "学校", "本期值", "贡献占比", "对差异系数的贡献", "若达到县均值", "若达到标准"], rows)
    )


@dataclass
class SchoolPage:
    code: str
    name: str
    sections: dict[str, list[dict[str, object]]]  # section -> rows per indicator
    passes: dict[str, bool | None]
    findings: list[tuple[str, str]]  # (kind, text)


def _keyed(df: pd.DataFrame, keys: Sequence[str], cols: Sequence[str]) -> dict[tuple[str, ...], dict[str, object]]:
    """Rows by their key (as text), with only the columns ``cols``: one dict look-up per school instead of
    a .loc per cell (whole rows cost ~1 KB each: ~600 MB of dicts for 20,000 schools)."""
    recs = df[[*keys, *cols]].to_dict("records")
    return {tuple(str(r[k]) for k in keys): r for r in recs}


def _by_school(df: pd.DataFrame) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for r in df.itertuples(index=False):
        if isinstance(r.school_code, str):  # a missing school code belongs to no school's page
            out.setdefault(r.school_code, []).append(r)
    return out


def school_pages(data: CountyData) -> list[SchoolPage]:
    """One page per school: its indicators, gaps, contributions, changes and findings (one pass over each mart)."""
    ind = data.indicators
    keys = ["school_code", "section", "indicator_code"]
    rem = _keyed(data.remediation, keys, ["below_floor", "need_to_threshold_whole", "need_to_floor_whole"])
    var = _keyed(data.variance[data.variance["level"] == "school_unit"], keys, ["prev_value", "change_pct", "flagged"])
    con = _keyed(data.contribution, keys, ["contribution_share", "plan_step"])
    comp = _keyed(data.compliance, ["school_code", "section"], ["passes"])
    outliers, issues = _by_school(data.outliers), _by_school(data.issues)
    mine_by: dict[str, dict[str, list[object]]] = {}
    order = ind.assign(_code=ind["school_code"].astype(str)).sort_values(["_code", "indicator_code"], kind="stable")
    for r in order.itertuples(index=False):
        mine_by.setdefault(str(r.school_code), {}).setdefault(str(r.section), []).append(r)
    pages = []
    for code in sorted(mine_by):
        mine = mine_by[code]
        sections: dict[str, list[dict[str, object]]] = {}
        passes: dict[str, bool | None] = {}
        for sec in [s for s in SECTIONS if s in mine]:
            rows: list[dict[str, object]] = []
            for r in mine[sec]:
                ic = str(r.indicator_code)  # type: ignore[attr-defined]
                k = (code, sec, ic)
                g, v, c = rem.get(k), var.get(k), con.get(k)
                rows.append(
                    {
                        "code": ic,
                        "value": num(r.value),  # type: ignore[attr-defined]
                        "threshold": num(r.threshold),  # type: ignore[attr-defined]
                        "meets": as_flag(r.meets),  # type: ignore[attr-defined]
                        "below_floor": bool(g is not None and as_flag(g["below_floor"])),
                        "need": None if g is None else num(g["need_to_threshold_whole"]),
                        "need_floor": None if g is None else num(g["need_to_floor_whole"]),
                        "unit": RESOURCE_UNITS.get(ic, ""),
                        "prev": None if v is None else num(v["prev_value"]),
                        "change": None if v is None else num(v["change_pct"]),
                        "flagged": None if v is None else as_flag(v["flagged"]),
                        "share": None if c is None else num(c["contribution_share"]),
                        "plan_step": None if c is None else num(c["plan_step"]),
                    }
                )
            sections[sec] = rows
            p = comp.get((code, sec))
            passes[sec] = as_flag(p["passes"]) if p is not None else None
        findings: list[tuple[str, str]] = []
        for o in outliers.get(code, []):
            findings.append(("异常值", as_text(o.message)))  # type: ignore[attr-defined]
        for f in issues.get(code, []):
            where = "".join(x for x in (as_text(f.sheet), as_text(f.cell)) if x)  # type: ignore[attr-defined]
            sev = as_text(f.severity)  # type: ignore[attr-defined]
            findings.append((SEVERITY_ZH.get(sev, sev), f"{where} {as_text(f.message)}".strip()))  # type: ignore[attr-defined]
        pages.append(SchoolPage(code, data.names.get(code, ""), sections, passes, findings))
    return pages


def _school_html(data: CountyData, page: SchoolPage) -> str:
    parts = [
        f'<section class="school" id="school-{escape(page.code)}"><h3>{escape(page.name)}（{escape(page.code)}）</h3>'
    ]
    for sec, rows in page.sections.items():
        verdict = {True: "达标", False: "未达标", None: "无法判定"}[page.passes.get(sec)]
        parts.append(f"<p><b>{SECTION_ZH[sec]}</b>：学校达标规则 {verdict}</p>")
        trs = []
        for r in rows:
            code = str(r["code"])
            cls = "num" if r["meets"] is not False else ("num worse" if r["below_floor"] else "num bad")
            trs.append(
                "<tr>"
                + _td(ind_label(code))
                + _td(fmt_value(num(r["value"]), code), cls)
                + _td(fmt_value(num(r["threshold"]), code), "num")
                + _td(yes_no(as_flag(r["meets"]), missing="—"))
                + _td("" if r["need"] is None else f"{fmt_need(num(r['need']), code)} {r['unit']}", "num")
                + _td("" if r["need_floor"] is None else f"{fmt_need(num(r['need_floor']), code)} {r['unit']}", "num")
                + _td(fmt_value(num(r["prev"]), code), "num")
                + _td(fmt_pct(num(r["change"])), "num bad" if r["flagged"] else "num")
                + _td("" if r["share"] is None else fmt_pct(num(r["share"])).lstrip("+"), "num")
                + _td("" if r["plan_step"] is None else f"第 {int(num(r['plan_step']) or 0)} 步")
                + "</tr>"
            )
        parts.append(
            _table(
                [
                    "指标",
                    "本期值",
                    "标准",
                    "达标",
                    "达到标准需增加",
                    "达到85%需增加",
                    "上期值",
                    "变动率",
                    "差异贡献占比",
                    "改进方案",
                ],
                trs,
            )
        )
    if page.findings:
        parts.append("<ul>" + "".join(f"<li>【{escape(k)}】{escape(t)}</li>" for k, t in page.findings) + "</ul>")
    else:
        parts.append("<p>本期没有问题记录。</p>")
    parts.append("</section>")
    return "\n".join(parts)


def render_county_html(data: CountyData, *, pages: Sequence[SchoolPage] | None = None) -> str:
    """The county report as one HTML page (``pages``: school_pages(data), if already computed for the workbook)."""
    title = f"{data.county} {data.period} 义务教育优质均衡分析报告"
    acts = actions(data)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">报表期 {escape(data.period)} · 趋势覆盖 {escape("、".join(data.periods))} · '
        "依据 教督〔2017〕6号《县域义务教育优质均衡发展督导评估办法》</p>",
        "<h2>下一步工作建议</h2>",
        ('<ol class="actions">' + "".join(f"<li>{escape(a)}</li>" for a in acts) + "</ol>")
        if acts
        else "<p>本期各项指标和差异系数均达标，没有需要跟进的事项。</p>",
        "<h2>校际差异系数与上限</h2>",
        '<p class="note">差异系数保留3位小数，与上限比较时使用未四舍五入的原值。</p>',
        _cv_table_html(data),
        "<h2>差异系数趋势</h2>",
        _trend_html(data),
        "<h2>各指标在学校间的分布</h2>",
        '<p class="note">每个点是一个学校单元；虚线为标准，点线为标准的85%。</p>',
        _distribution_html(data),
        "<h2>改进方案（贪心）</h2>",
        _plan_html(data),
        "<h2>差异系数贡献与假设情形</h2>",
        _contribution_html(data),
        "<h2>达标差距</h2>",
        _remediation_html(data),
        "<h2>本期变动</h2>",
        _changes_html(data),
        "<h2>异常值</h2>",
        _outliers_html(data),
        "<h2>学校一页纸</h2>",
        *(_school_html(data, p) for p in (school_pages(data) if pages is None else pages)),
        "<h2>数据字典</h2>",
        dictionary_html(data.dictionary),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------------------------------------
# Excel

FILL_HEADER = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
FILL_BELOW = PatternFill("solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
FILL_FLOOR = PatternFill("solid", start_color="FFE06666", end_color="FFE06666")
BOLD = Font(bold=True)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _cell_value(v: object) -> object:
    if isinstance(v, str):
        return safe_text(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _write_rows(
    ws: Worksheet,
    top: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    formats: Sequence[str | None] = (),
    left: int = 1,
) -> int:
    """Write a header row and rows at (top, left); returns the next free row."""
    for j, h in enumerate(headers):
        c = ws.cell(row=top, column=left + j, value=safe_text(h))
        c.font, c.fill = BOLD, FILL_HEADER
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            c = ws.cell(row=top + i, column=left + j, value=_cell_value(v))
            fmt = formats[j] if j < len(formats) else None
            if fmt and isinstance(v, (int, float)):
                c.number_format = fmt
    return top + len(rows) + 2


def _widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w


def _title(ws: Worksheet, text: str) -> None:
    ws["A1"] = safe_text(text)
    ws["A1"].font = Font(bold=True, size=14)


# ---------------------------------------------------------------------------------------------
# Sheets written as worksheet XML
#
# openpyxl spends ~20 µs of CPU per cell (a Cell and a style copy per cell, an ElementTree pass at save)
# and ~0.5 ms per Worksheet before a cell is written. The sheets without charts (a page per school,
# ~1,900 at N = 2,000, and the county tables 改进方案与贡献, 达标差距, 本期变动, 异常值, 数据字典,
# ~500,000 cells at N = 2,000) are therefore rendered here as the XML openpyxl wrote for them: inline
# strings, numbers as "%.16g", cell formats registered in the workbook's own style tables (_Styles),
# merges, row heights, widths, page setup; _CountyWriter adds them to the package. The sheets with
# native charts (县域概览, 趋势, 分布) stay openpyxl worksheets. tests/unit/test_county_report_fast.py
# compares every rendered sheet (cells, formats, fonts, fills, alignment, merges, widths, heights,
# panes) with openpyxl's output of the old code; the writer hooks into openpyxl 3.1.5 (pinned).

_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_TITLE_FONT = Font(bold=True, size=14)
_FILLS = {"below": FILL_BELOW, "floor": FILL_FLOOR}
_XML_NS = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
_XML_VIEWS = (
    '<sheetViews><sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
    '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
)
_XML_MARGINS = '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'


def _x_str(ref: str, text: str, s: str = "") -> str:
    """A text cell as openpyxl writes it: safe_text, cut to Excel's 32,767 characters, an inline string."""
    v = safe_text(text)[:32767]
    if not v:
        return f'<c r="{ref}"{s} t="inlineStr"/>'
    if v in ERROR_CODES:  # openpyxl stores these as error cells
        return f'<c r="{ref}"{s} t="e"><v>{v}</v></c>'
    esc = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if v != v.strip() and v.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{esc}</t></is></c>'


def _x_num(ref: str, v: float | None, s: str = "") -> str:
    """A number cell; an empty one is written only when it has a format (as openpyxl does)."""
    if v is None:
        return f'<c r="{ref}"{s} t="n"/>' if s else ""
    return f'<c r="{ref}"{s} t="n"><v>{v:.16g}</v></c>'


def _x_cell(ref: str, v: object, s: str = "") -> str:
    """A cell holding what _write_rows stores for v (_cell_value): text, a number, a boolean, or nothing
    (None, NaN and ±inf; written empty only when it has a format)."""
    if isinstance(v, str):
        return _x_str(ref, v, s)
    if isinstance(v, bool):
        return f'<c r="{ref}"{s} t="b"><v>{v:d}</v></c>'
    if v is None:
        return _x_num(ref, None, s)
    if isinstance(v, numbers.Real):
        return _x_num(ref, v if math.isfinite(v) else None, s)  # type: ignore[arg-type]
    raise TypeError(f"单元格的值类型不受支持：{type(v).__name__}")


def _x_row(n: int, cells: str, attrs: str = "") -> str:
    return f'<row r="{n}"{attrs}>{cells}</row>' if cells else f'<row r="{n}"{attrs}/>'


class _Styles:
    """Cell formats as ' s="<cellXfs id>"', registered in the workbook's style tables through a cell that is
    never placed on a sheet (the descriptors openpyxl's own cells go through)."""

    def __init__(self, ws: Worksheet) -> None:
        self._ws = ws
        self.title = self._xf(font=_TITLE_FONT)
        self.bold = self._xf(font=BOLD)
        self.header = self._xf(font=BOLD, fill=FILL_HEADER, alignment=_WRAP_TOP)
        self.wrap = self._xf(alignment=_WRAP_TOP)
        self._num: dict[tuple[str, str], str] = {}

    def _xf(
        self,
        font: Font | None = None,
        fill: PatternFill | None = None,
        alignment: Alignment | None = None,
        number_format: str | None = None,
    ) -> str:
        c = Cell(self._ws)
        if font is not None:
            c.font = font
        if fill is not None:
            c.fill = fill
        if alignment is not None:
            c.alignment = alignment
        if number_format is not None:
            c.number_format = number_format
        return f' s="{c.style_id}"' if c.has_style else ""

    def num(self, number_format: str, fill: str = "") -> str:
        """A number format, with the "below" or "floor" fill or none."""
        s = self._num.get((number_format, fill))
        if s is None:
            s = self._num[(number_format, fill)] = self._xf(fill=_FILLS.get(fill), number_format=number_format)
        return s


class _XSheet:
    """A worksheet rendered row by row, top to bottom, as openpyxl writes it (rows in order, each once)."""

    def __init__(self, st: _Styles) -> None:
        self.st = st
        self.rows: list[str] = []
        self.merges: list[str] = []
        self.last_row = 0
        self.last_col = 1

    def row(self, n: int, cells: str, width: int = 1, attrs: str = "") -> None:
        """Row n with its rendered cells; ``width``: the columns openpyxl had cells in (for the dimension)."""
        assert n > self.last_row, "rows are rendered top to bottom, each once"
        self.rows.append(_x_row(n, cells, attrs))
        self.last_row, self.last_col = n, max(self.last_col, width)

    def text(self, n: int, text: str, s: str = "") -> None:
        """Row n with a single text cell in column A (a title, a label, a note)."""
        self.row(n, _x_str(f"A{n}", text, s))

    def table(
        self,
        top: int,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        formats: Sequence[str | None] = (),
        styles: Callable[[Sequence[object]], Sequence[str | None]] | None = None,
    ) -> int:
        """_write_rows as XML: a header row at top, then the rows; returns the next free row. A column's format
        applies to numbers (int, float, bool, as isinstance sees them); ``styles(row)`` gives cell formats that
        replace those whatever the value (None: keep), as formats set on the cells afterwards did."""
        width = max(len(headers), max((len(r) for r in rows), default=0))
        cols = [get_column_letter(j) for j in range(1, width + 1)]
        head = self.st.header
        self.row(top, "".join(_x_str(f"{cols[j]}{top}", h, head) for j, h in enumerate(headers)), width)
        fs = [self.st.num(f) if f else "" for f in formats]
        nf = len(fs)
        for n, row in enumerate(rows, start=top + 1):
            over = styles(row) if styles is not None else ()
            parts = []
            for j, v in enumerate(row):
                s = fs[j] if j < nf and isinstance(v, (int, float)) else ""
                if j < len(over) and over[j] is not None:
                    s = over[j]  # type: ignore[assignment]
                parts.append(_x_cell(f"{cols[j]}{n}", v, s))
            self.row(n, "".join(parts), len(row))
        return top + len(rows) + 2

    def xml(self, widths: Sequence[float], fit_page: bool = False) -> bytes:
        """The worksheet part: sheetData, merges, column widths; landscape on one page when ``fit_page``."""
        cols = "".join(f'<col width="{w:.16g}" customWidth="1" min="{j}" max="{j}"/>' for j, w in enumerate(widths, 1))
        last = get_column_letter(self.last_col)
        return "".join(
            [
                _XML_NS,
                '<sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>',
                '<pageSetUpPr fitToPage="1"/>' if fit_page else "<pageSetUpPr/>",
                f'</sheetPr><dimension ref="A1:{last}{max(self.last_row, 1)}"/>',
                _XML_VIEWS,
                f"<cols>{cols}</cols>" if cols else "",
                "<sheetData>",
                *self.rows,
                "</sheetData>",
                f'<mergeCells count="{len(self.merges)}">{"".join(self.merges)}</mergeCells>' if self.merges else "",
                _XML_MARGINS,
                '<pageSetup orientation="landscape" fitToHeight="1" fitToWidth="1"/>' if fit_page else "",
                "</worksheet>",
            ]
        ).encode("utf-8")


def _sheet_overview(ws: Worksheet, data: CountyData) -> None:
    _title(ws, f"{data.county} {data.period} 义务教育优质均衡分析报告")
    ws["A2"] = safe_text(
        "依据 教督〔2017〕6号《县域义务教育优质均衡发展督导评估办法》；差异系数与上限比较时使用未四舍五入的原值"
    )
    row = 4
    ws.cell(row=row, column=1, value="下一步工作建议").font = BOLD
    acts = actions(data) or ["本期各项指标和差异系数均达标，没有需要跟进的事项。"]
    for i, a in enumerate(acts, start=1):
        ws.cell(row=row + i, column=1, value=safe_text(f"{i}. {a}"))
    row += len(acts) + 2
    now = data.cv_now()
    for sec in data.sections():
        sub = now[now["section"] == sec].sort_values("indicator_code")
        if sub.empty:
            continue
        ws.cell(row=row, column=1, value=f"{SECTION_ZH[sec]}校际差异系数").font = BOLD
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
        top = row + 1
        end = _write_rows(
            ws,
            top,
            ["指标", "名称", "差异系数", "上限", "是否达标", "学校单元数"],
            rows,
            [None, None, FMT_CV, FMT_CV, None, "0"],
        )
        for i, r in enumerate(rows, start=1):
            if r[4] == "否":
                ws.cell(row=top + i, column=3).fill = FILL_BELOW
        bar = BarChart()
        bar.type = "col"
        bar.title = f"{SECTION_ZH[sec]}：差异系数与上限"
        bar.y_axis.title = "差异系数"
        bar.y_axis.numFmt = FMT_CV
        cats = Reference(ws, min_col=1, min_row=top + 1, max_row=top + len(rows))
        bar.add_data(Reference(ws, min_col=3, min_row=top, max_row=top + len(rows)), titles_from_data=True)
        bar.set_categories(cats)
        line = LineChart()
        line.add_data(Reference(ws, min_col=4, min_row=top, max_row=top + len(rows)), titles_from_data=True)
        line.series[0].graphicalProperties.line.solidFill = "E65100"
        line.series[0].graphicalProperties.line.dashStyle = "dash"
        bar += line
        bar.height, bar.width = 7.5, 16
        ws.add_chart(bar, f"H{row}")
        row = max(end, row + 17)
    _widths(ws, [8, 44, 12, 10, 10, 12])


def _sheet_trend(ws: Worksheet, data: CountyData) -> None:
    _title(ws, "差异系数趋势（各报表期）")
    periods = data.periods
    row = 3
    for sec in data.sections():
        cv = data.cv[data.cv["section"] == sec]
        if cv.empty:
            continue
        ws.cell(row=row, column=1, value=f"{SECTION_ZH[sec]}").font = BOLD
        top = row + 1
        limits = cv["cv_limit"].dropna()
        limit = num(limits.iloc[-1]) if len(limits) else None
        table = []
        for p in periods:
            by = {str(r.indicator_code): num(r.cv) for r in cv[cv["period"] == p].itertuples(index=False)}
            table.append([p, *[by.get(c) for c in R_CODES], limit])
        end = _write_rows(ws, top, ["报表期", *R_CODES, "上限"], table, [None, *[FMT_CV] * 8])
        chart = LineChart()
        chart.title = f"{SECTION_ZH[sec]}各指标差异系数趋势"
        chart.y_axis.title = "差异系数"
        chart.y_axis.numFmt = FMT_CV
        chart.x_axis.title = "报表期"
        chart.add_data(
            Reference(ws, min_col=2, max_col=len(R_CODES) + 2, min_row=top, max_row=top + len(periods)),
            titles_from_data=True,
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + len(periods)))
        chart.series[-1].graphicalProperties.line.dashStyle = "dash"
        chart.height, chart.width = 7.5, 16
        ws.add_chart(chart, f"K{row}")
        row = max(end, row + 17)
    _widths(ws, [10, *[9] * 8])


def _sheet_distribution(ws: Worksheet, data: CountyData) -> None:
    _title(ws, "各指标在学校间的分布（按数值从低到高；红线为标准）")
    row = 3
    ind = data.indicators
    for sec in data.sections():
        for code in R_CODES:
            thr, _ = data.threshold(sec, code)
            g = ind[(ind["section"] == sec) & (ind["indicator_code"] == code) & ind["value"].notna()]
            if g.empty or thr is None:
                continue
            g = g.sort_values("value")
            ws.cell(
                row=row,
                column=1,
                value=safe_text(f"{SECTION_ZH[sec]} {ind_label(code)}（{VALUE_UNITS.get(code, '')}）"),
            ).font = BOLD
            top = row + 1
            rows = [
                [i, f"{as_text(r.school_name)}（{as_text(r.school_code)}）", num(r.value), thr]
                for i, r in enumerate(g.itertuples(index=False), start=1)
            ]
            end = _write_rows(
                ws,
                top,
                ["序号", "学校单元", "指标值", "标准"],
                rows,
                ["0", None, value_format(code), value_format(code)],
            )
            for i, r in enumerate(rows, start=1):
                v = num(r[2])
                if v is not None and v < thr:
                    ws.cell(row=top + i, column=3).fill = FILL_BELOW
            n = len(rows)
            chart = ScatterChart()
            chart.title = f"{SECTION_ZH[sec]} {code} 各学校单元（红线：标准 {thr:g}）"
            chart.style = 13
            chart.x_axis.title = "学校单元（按数值排序）"
            chart.y_axis.title = VALUE_UNITS.get(code, "")
            xs = Reference(ws, min_col=1, min_row=top + 1, max_row=top + n)
            pts = Series(Reference(ws, min_col=3, min_row=top, max_row=top + n), xs, title_from_data=True)
            pts.marker.symbol = "circle"
            pts.marker.size = 6
            pts.graphicalProperties.line.noFill = True
            chart.series.append(pts)
            line = Series(Reference(ws, min_col=4, min_row=top, max_row=top + n), xs, title_from_data=True)
            line.marker.symbol = "none"
            line.graphicalProperties.line.solidFill = "E65100"
            line.graphicalProperties.line.dashStyle = "dash"
            chart.series.append(line)
            chart.height, chart.width = 7, 14
            ws.add_chart(chart, f"F{row}")
            row = max(end, row + 16)
    _widths(ws, [6, 36, 12, 10])


def _sheet_changes(data: CountyData, st: _Styles) -> bytes:
    x = _XSheet(st)
    x.text(1, "与上一次报送期相比的变动（超过变动界限的标记为“是”）", st.title)
    v = data.variance.sort_values(
        ["flagged", "level", "section", "indicator_code", "school_code"],
        ascending=[False, True, True, True, True],
        na_position="last",
    )
    rows = [
        [
            "县域" if as_text(r.level) == "county" else as_text(r.school_code),
            "" if as_text(r.level) == "county" else data.names.get(as_text(r.school_code), ""),
            SECTION_ZH.get(as_text(r.section), as_text(r.section)),
            as_text(r.indicator_code),
            "差异系数" if as_text(r.measure) == "cv" else "指标值",
            as_text(r.prev_period),
            num(r.prev_value),
            num(r.value),
            num(r.change_abs),
            num(r.change_pct),
            yes_no(as_flag(r.flagged), missing="—"),
        ]
        for r in v.itertuples(index=False)
    ]
    x.table(
        3,
        [
            "学校标识码",
            "学校名称",
            "学段",
            "指标",
            "比较的量",
            "上期",
            "上期值",
            "本期值",
            "变动量",
            "变动率",
            "超出界限",
        ],
        rows,
        [None] * 6 + [FMT_2, FMT_2, FMT_2, FMT_PCT],
    )
    return x.xml([12, 30, 6, 6, 10, 10, 12, 12, 12, 10, 10])


def _sheet_outliers(data: CountyData, st: _Styles) -> bytes:
    x = _XSheet(st)
    x.text(1, "异常值警告（稳健 z 值绝对值超过 3.5，或超出本校历史正常范围）", st.title)
    rows = [
        [
            as_text(r.school_code),
            data.names.get(as_text(r.school_code), ""),
            SECTION_ZH.get(as_text(r.section), ""),
            as_text(r.indicator_code),
            METHOD_ZH.get(as_text(r.method), as_text(r.method)),
            num(r.value),
            num(r.center),
            num(r.score),
            num(r.band_low),
            num(r.band_high),
            as_text(r.message),
        ]
        for r in data.outliers.sort_values(["section", "indicator_code", "school_code"]).itertuples(index=False)
    ]
    x.table(
        3,
        [
            "学校标识码",
            "学校名称",
            "学段",
            "指标",
            "方法",
            "本期值",
            "中位数",
            "稳健z值",
            "正常范围下限",
            "正常范围上限",
            "说明",
        ],
        rows,
        [None] * 5 + [FMT_2, FMT_2, "0.0", FMT_2, FMT_2],
    )
    return x.xml([12, 30, 6, 6, 16, 12, 12, 10, 12, 12, 90])


def _sheet_remediation(data: CountyData, st: _Styles) -> bytes:
    x = _XSheet(st)
    x.text(1, "达标差距：达到标准、达到标准85%各需增加的资源（向上取整）", st.title)
    totals = county_totals(data.remediation)
    x.text(3, "全县合计", st.bold)
    trows = [
        [
            SECTION_ZH.get(as_text(r.section), ""),
            as_text(r.indicator_code),
            INDICATOR_NAMES.get(as_text(r.indicator_code), ""),
            int(r.units),
            int(r.units_below_floor),
            num(r.need_to_threshold),
            num(r.need_to_floor),
            as_text(r.resource_unit),
        ]
        for r in totals.itertuples(index=False)
    ]
    row = x.table(
        4,
        ["学段", "指标", "名称", "未达标单元数", "其中低于85%", "达到标准需增加", "达到85%需增加", "单位"],
        trows,
        [None, None, None, "0", "0", FMT_INT, FMT_INT],
    )
    x.text(row, "逐校差距", st.bold)
    rem = data.remediation.sort_values(["section", "indicator_code", "school_code"])
    rows = [
        [
            SECTION_ZH.get(as_text(r.section), ""),
            as_text(r.indicator_code),
            as_text(r.school_code),
            data.names.get(as_text(r.school_code), ""),
            num(r.students),
            num(r.value),
            num(r.threshold),
            yes_no(as_flag(r.below_floor), missing="—"),
            num(r.resource),
            num(r.need_to_threshold_whole),
            num(r.need_to_floor_whole),
            as_text(r.resource_unit),
        ]
        for r in rem.itertuples(index=False)
    ]
    by_code: dict[tuple[str, bool], tuple[str | None, ...]] = {}

    def styles(r: Sequence[object]) -> tuple[str | None, ...]:
        """本期值 filled (darker below 85%); value and need formats by indicator, set on empty cells too."""
        key = (str(r[1]), r[7] == "是")
        s = by_code.get(key)
        if s is None:
            vf, nf = value_format(key[0]), st.num(need_format(key[0]))
            fill = st.num(vf, "floor" if key[1] else "below")
            s = by_code[key] = (None, None, None, None, None, fill, st.num(vf), None, nf, nf, nf)
        return s

    x.table(
        row + 1,
        [
            "学段",
            "指标",
            "学校标识码",
            "学校名称",
            "在校生数",
            "本期值",
            "标准",
            "低于85%",
            "现有量",
            "达到标准需增加",
            "达到85%需增加",
            "单位",
        ],
        rows,
        [None, None, None, None, FMT_INT, FMT_2, FMT_2, None, FMT_INT, FMT_INT, FMT_INT],
        styles,
    )
    return x.xml([6, 6, 12, 30, 10, 12, 10, 8, 14, 14, 14, 8])


def _sheet_contribution(data: CountyData, st: _Styles) -> bytes:
    x = _XSheet(st)
    x.text(1, "差异系数贡献、假设情形与改进方案", st.title)
    row = 3
    x.text(row, "改进方案（每步选择使差异系数下降最多的一所学校）", st.bold)
    row += 1
    for p in plan_summaries(data):
        x.text(
            row,
            f"{SECTION_ZH.get(p.section, '')}{ind_label(p.code)}：差异系数 {fmt_cv(p.cv)} → {fmt_cv(p.cv_after)}"
            f"（上限 {p.limit:.2f}，{'可以达标' if p.reached else '仅靠提高低值学校无法达标'}）",
        )
        rows = [
            [
                int(num(s["plan_step"]) or 0),
                as_text(s["school_code"]),
                data.names.get(as_text(s["school_code"]), ""),
                num(s["value"]),
                num(s["plan_target"]),
                num(s["plan_need"]),
                RESOURCE_UNITS.get(p.code, ""),
                num(s["plan_cv_after"]),
            ]
            for s in p.steps
        ]
        row = x.table(
            row + 1,
            ["步骤", "学校标识码", "学校名称", "现值", "提高到", "需增加", "单位", "完成后差异系数"],
            rows,
            ["0", None, None, value_format(p.code), value_format(p.code), need_format(p.code), None, FMT_CV],
        )
    if row == 4:
        x.text(row, "本期各项差异系数均未超过上限，无需改进方案。")
        row += 2
    x.text(row, "各学校单元对差异系数的贡献", st.bold)
    c = data.contribution.sort_values(
        ["section", "indicator_code", "contribution_share"], ascending=[True, True, False]
    )
    rows = [
        [
            SECTION_ZH.get(as_text(r.section), ""),
            as_text(r.indicator_code),
            as_text(r.school_code),
            data.names.get(as_text(r.school_code), ""),
            num(r.students),
            num(r.value),
            num(r.weight_share),
            num(r.contribution_share),
            num(r.cv_contribution),
            num(r.cv),
            num(r.cv_if_mean),
            num(r.cv_if_threshold),
            None if num(r.plan_step) is None else int(num(r.plan_step) or 0),
        ]
        for r in c.itertuples(index=False)
    ]
    x.table(
        row + 1,
        [
            "学段",
            "指标",
            "学校标识码",
            "学校名称",
            "在校生数",
            "指标值",
            "权重占比",
            "贡献占比",
            "对差异系数的贡献",
            "差异系数",
            "若达到县均值",
            "若达到标准",
            "方案步骤",
        ],
        rows,
        [None] * 4 + [FMT_INT, FMT_2, FMT_PCT, FMT_PCT, FMT_CV, FMT_CV, FMT_CV, FMT_CV, "0"],
    )
    return x.xml([8, 12, 14, 30, 10, 12, 10, 10, 14, 10, 12, 12, 10])


def sheet_name(code: str, name: str, taken: set[str]) -> str:
    """A legal, unique sheet name (≤ 31 characters, no []:*?/\\) from the school code and name."""
    base = _SHEET_BAD.sub("", f"{code}{name}")[:31]
    out, k = base, 2
    while out in taken:
        suffix = f"-{k}"
        out, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(out)
    return out


def _sheet_dictionary(data: CountyData, st: _Styles) -> bytes:
    x = _XSheet(st)
    x.text(1, "数据字典：每个数据集（mart.<名称>）的每一列", st.title)
    d = data.dictionary
    rows = [[f"mart.{r.mart}", r.mart_description, r.grain, r.column, r.type, r.description] for r in d.itertuples()]
    x.table(3, [HEADERS_ZH[c] for c in d.columns], rows)
    return x.xml([22, 40, 30, 24, 8, 80])


# ---------------------------------------------------------------------------------------------
# School sheets (one per school, rendered as XML: see "Sheets written as worksheet XML")

_SCHOOL_HEADERS = (
    "指标",
    "本期值",
    "标准",
    "达标",
    "达到标准需增加",
    "达到85%需增加",
    "单位",
    "上期值",
    "变动率",
    "差异贡献占比",
    "改进方案",
)
_SCHOOL_WIDTHS = (44, 11, 9, 6, 14, 14, 7, 11, 9, 12, 10)
_SCHOOL_COLS = [get_column_letter(j) for j in range(1, len(_SCHOOL_HEADERS) + 1)]
_SCHOOL_LAST_COL = _SCHOOL_COLS[-1]


def _school_sheet_xml(data: CountyData, page: SchoolPage, st: _Styles) -> bytes:
    """One school's page: its indicators per section (gaps, change, contribution, plan step), then its findings."""
    x = _XSheet(st)
    x.text(1, f"{page.name}（{page.code}） {data.period}", st.title)
    row = 3
    pct = st.num(FMT_PCT)
    width = len(_SCHOOL_HEADERS)
    for sec, items in page.sections.items():
        verdict = {True: "达标", False: "未达标", None: "无法判定"}[page.passes.get(sec)]
        x.text(row, f"{SECTION_ZH[sec]}：学校达标规则 {verdict}", st.bold)
        top = row + 1
        head = (_x_str(f"{c}{top}", h, st.header) for c, h in zip(_SCHOOL_COLS, _SCHOOL_HEADERS, strict=True))
        x.row(top, "".join(head), width)
        for n, r in enumerate(items, start=top + 1):
            code = str(r["code"])
            vf, nf = st.num(value_format(code)), st.num(need_format(code))
            meets = as_flag(r["meets"])
            below = st.num(value_format(code), "floor" if r["below_floor"] else "below") if meets is False else vf
            step = "" if r["plan_step"] is None else f"第 {int(num(r['plan_step']) or 0)} 步"
            x.row(
                n,
                _x_str(f"A{n}", ind_label(code))
                + _x_num(f"B{n}", num(r["value"]), below)
                + _x_num(f"C{n}", num(r["threshold"]), vf)
                + _x_str(f"D{n}", yes_no(meets, missing="—"))
                + _x_num(f"E{n}", num(r["need"]), nf)
                + _x_num(f"F{n}", num(r["need_floor"]), nf)
                + _x_str(f"G{n}", str(r["unit"]) if r["need"] is not None else "")
                + _x_num(f"H{n}", num(r["prev"]), vf)
                + _x_num(f"I{n}", (change := num(r["change"])), pct if change is not None else "")
                + _x_num(f"J{n}", (share := num(r["share"])), pct if share is not None else "")
                + _x_str(f"K{n}", step),
                width,
            )
        row = top + len(items) + 2
    x.text(row, "问题与警告", st.bold)
    for n, (kind, text) in enumerate(page.findings or [("", "本期没有问题记录。")], start=row + 1):
        # merged across the table, wrapped, two lines high
        x.row(n, _x_str(f"A{n}", f"【{kind}】{text}" if kind else text, st.wrap), attrs=' ht="30" customHeight="1"')
        x.merges.append(f'<mergeCell ref="A{n}:{_SCHOOL_LAST_COL}{n}"/>')
    x.last_col = width  # the merges reach column K (openpyxl counts the merged cells)
    return x.xml(_SCHOOL_WIDTHS, fit_page=True)


class _RenderedSheet:
    """A worksheet part already rendered as XML, with what openpyxl's workbook and package writers read of a
    sheet (title, state, relationship and content type, part name). Not a Worksheet: creating one costs 0.5 ms."""

    _rel_type = Worksheet._rel_type
    mime_type = Worksheet.mime_type
    sheet_state = "visible"

    def __init__(self, title: str, xml: bytes | Callable[[], bytes]) -> None:
        self.title, self.xml, self.path = title, xml, ""

    def render(self) -> bytes:
        return self.xml() if callable(self.xml) else self.xml


class _CountyWriter(ExcelWriter):
    """openpyxl's package writer; the rendered sheets are written after the worksheets openpyxl writes."""

    def _write_worksheets(self) -> None:
        super()._write_worksheets()
        # openpyxl numbers its worksheets' parts 1…n in workbook.worksheets order; these follow on.
        first = len(self.workbook.worksheets) + 1
        rendered = (s for s in self.workbook._sheets if isinstance(s, _RenderedSheet))
        for k, sheet in enumerate(rendered, start=first):
            sheet.path = f"/xl/worksheets/sheet{k}.xml"
            self._archive.writestr(sheet.path[1:], sheet.render())
            sheet.xml = b""  # written: the part is in the zip, its text need not stay in memory
            self.manifest.append(sheet)


class _CountyWorkbook(Workbook):
    """A workbook with openpyxl's worksheets (the county sheets with charts) and rendered sheets after them
    (openpyxl's defined names count worksheets only, so a rendered sheet must not come before one)."""

    def add_rendered_sheet(self, title: str, xml: bytes | Callable[[], bytes], folded: set[str]) -> str:
        """Add a rendered sheet after the others (openpyxl numbers worksheets' defined names in the order of
        workbook.worksheets, which leaves these out). Titles come unique from sheet_name, so only a clash by
        case with ``folded`` (the titles so far, lower-cased as Excel compares them) is looked for:
        create_sheet compared every title with all the others, O(n²). ``xml`` may be a function that renders
        the sheet when the package is written, so 20,000 schools' sheets are never all in memory at once."""
        if title.lower() in folded:  # a clash by case only: renamed as openpyxl's create_sheet renames it
            title = avoid_duplicate_name(self.sheetnames, title)
        folded.add(title.lower())
        self._sheets.append(_RenderedSheet(title, xml))
        return title

    def save(self, filename: str | os.PathLike[str]) -> None:
        """openpyxl's save_workbook with _CountyWriter."""
        with ZipFile(filename, "w", ZIP_DEFLATED, allowZip64=True) as archive:
            self.properties.modified = datetime.now(tz=UTC).replace(tzinfo=None)
            _CountyWriter(self, archive).save()


def write_county_workbook(data: CountyData, path: Path, *, pages: Sequence[SchoolPage] | None = None) -> Path:
    """The county workbook: county sheets, then a sheet per school (``pages``: school_pages(data), if already
    computed for the HTML)."""
    wb = _CountyWorkbook()
    ws = wb.active
    assert ws is not None
    ws.title = "县域概览"
    _sheet_overview(ws, data)
    for title, fill in (("趋势", _sheet_trend), ("分布", _sheet_distribution)):
        fill(wb.create_sheet(title), data)
    folded = {t.lower() for t in wb.sheetnames}
    styles = _Styles(ws)
    for title, render in (
        ("改进方案与贡献", _sheet_contribution),
        ("达标差距", _sheet_remediation),
        ("本期变动", _sheet_changes),
        ("异常值", _sheet_outliers),
        ("数据字典", _sheet_dictionary),
    ):
        wb.add_rendered_sheet(title, partial(render, data, styles), folded)  # rendered as the zip is written
    taken = set(wb.sheetnames)
    for page in school_pages(data) if pages is None else pages:
        render_school = partial(_school_sheet_xml, data, page, styles)  # rendered while the zip is written
        wb.add_rendered_sheet(sheet_name(page.code, page.name, taken), render_school, folded)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------------------------
# entry point


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def publish_county_report(
    url: str, period: str, out_dir: Path, *, county: str, county_code: str = DEFAULT_COUNTY_CODE
) -> dict[str, Path]:
    """Write the county report (xlsx, html) and the data dictionary (md) into ``out_dir/period``."""
    from warehouse.engine import connected

    period_start(period)  # a malformed period must not become a path
    folder = Path(out_dir) / period
    folder.mkdir(parents=True, exist_ok=True)
    with connected(url) as engine, engine.connect() as conn:
        data = load_county_data(conn, period, county, county_code)
    pages = school_pages(data)  # once for both outputs (0.5–2 s at 2,000 schools)
    return {
        "county_xlsx": write_county_workbook(data, folder / f"junheng-county-{period}.xlsx", pages=pages),
        "county_html": _write_text(folder / f"junheng-county-{period}.html", render_county_html(data, pages=pages)),
        "dictionary_md": _write_text(folder / "data-dictionary.md", dictionary_markdown(data.dictionary)),
    }


def county_report(url: str, period: str, out_dir: Path, settings: Settings) -> dict[str, Path]:
    return publish_county_report(url, period, out_dir, county=settings.county, county_code=settings.county_code)
