"""The period report as one self-contained HTML page: Jinja2 templates beside this module, autoescaped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from junheng.policy import INDICATOR_NAMES, R_CODES
from tasks.publish import overview
from tasks.publish.cells import as_text, num, yes_no
from tasks.publish.charts import CvBar, UnitPoint, cv_bar_chart, strip_chart
from tasks.publish.html import templates
from tasks.publish.period_report.build import Report, findings_by_rule
from tasks.publish.period_report.labels import (
    DECIMALS,
    SEVERITY_LABELS,
    SHEET_ISSUES,
    STATUS_LABELS,
    fmt,
    limit_text,
    rule_name,
    section_label,
    section_order,
)

DETAIL_LIMIT = 500  # findings listed one by one; the workbook has them all


@dataclass(frozen=True)
class Td:
    text: str
    cls: str = ""


def _env() -> Environment:
    return templates(Path(__file__).parent)


def _charts(report: Report) -> list[tuple[str, list[Markup]]]:
    """Per section: the CV bar chart and one strip chart per indicator (SVG from tasks.publish.charts)."""
    out: list[tuple[str, list[Markup]]] = []
    for sec in report.sections():
        label = section_label(sec)
        charts: list[str] = []
        cvs = [r for r in report.cv if r.section == sec]
        limit = next((r.limit for r in cvs if r.limit is not None), None)
        if cvs and limit is not None:
            bars = [CvBar(r.code, INDICATOR_NAMES.get(r.code, r.code), r.cv, r.meets) for r in cvs]
            charts.append(cv_bar_chart(f"{label}：各指标校际差异系数（标准≤{limit:.2f}）", bars, limit))
        units = [u for u in report.units if u.section == sec]
        for code in R_CODES:
            thr, floor = report.thresholds.get(sec, {}).get(code, (None, None))
            points = [
                UnitPoint(
                    f"{u.school_name}（{u.school_code}）", v, bool(u.meets.get(code)), u.below_floor.get(code, False)
                )
                for u in units
                if (v := u.values.get(code)) is not None
            ]
            if thr is None or not points:
                continue
            title = f"{label} {code} {INDICATOR_NAMES.get(code, code)}"
            unit = report.units_of_measure.get(code, "")
            charts.append(strip_chart(title, points, thr, floor, decimals=DECIMALS[code], unit=unit))
        # The chart module escapes every text it draws, so its SVG is markup.
        out.append((label, [Markup(c) for c in charts]))  # noqa: S704
    return out


def _cv_rows(report: Report) -> list[list[Td]]:
    rows = []
    for r in report.cv:
        bad = "bad" if r.meets is False else ""
        rows.append(
            [
                Td(section_label(r.section)),
                Td(f"{r.code} {INDICATOR_NAMES.get(r.code, r.code)}"),
                Td(fmt(r.cv, 3), f"num {bad}".strip()),
                Td(limit_text(r.limit)),
                Td(yes_no(r.meets), bad),
                Td("" if r.n_units is None else str(r.n_units), "num"),
                Td(fmt(r.mean, DECIMALS.get(r.code, 2)), "num"),
                *([Td(r.missing_text)] if report.cv_names_missing else []),
            ]
        )
    return rows


def _school_rows(report: Report) -> list[list[Td]]:
    # Failing units first: they are what the reader acts on.
    order = section_order()
    units = sorted(
        report.units,
        key=lambda u: (u.passes is not False, order.index(u.section) if u.section in order else 9, u.school_code),
    )
    rows = []
    for u in units:
        cells = [Td(u.school_code), Td(u.school_name), Td(section_label(u.section)), Td(fmt(u.students, 0), "num")]
        for code in R_CODES:
            cls = "num"
            if u.meets.get(code) is False:
                cls += " worse" if u.below_floor.get(code) else " bad"
            cells.append(Td(fmt(u.values.get(code), DECIMALS[code]), cls))
        cells.append(Td("" if u.indicators_met is None else str(u.indicators_met), "num"))
        cells.append(Td(yes_no(u.passes), "bad" if u.passes is False else ""))
        cells.append(Td("、".join(u.failed_codes)))
        rows.append(cells)
    return rows


def _return_rows(returns: pd.DataFrame) -> list[list[Td]]:
    rows = []
    for r in returns.itertuples(index=False):
        status = as_text(r.status)
        n = num(r.n_errors)
        rows.append(
            [
                Td(as_text(r.file_name)),
                Td(as_text(r.school_code)),
                Td(STATUS_LABELS.get(status, status), "bad" if status == "rejected" else ""),
                Td("" if n is None else f"{n:.0f}", "num"),
            ]
        )
    return rows


def _severity(x: object) -> str:
    return SEVERITY_LABELS.get(as_text(x), as_text(x))


def _overview(card: pd.DataFrame | None, no_valid: bool) -> dict[str, object] | None:
    if card is None or card.empty:
        return None
    ok, text, _ = overview.verdict(card, no_valid_returns=no_valid)
    rows = [] if no_valid else [row[:9] for row in overview.overview_text_rows(card)]
    return {
        "cls": {True: "pass", False: "fail", None: "none"}[ok],
        "text": text,
        "counts": [] if no_valid else overview.part_counts(card),
        "policies": overview.policies_text(card),
        "headers": overview.OVERVIEW_HEADERS[:9],
        "rows": rows,
    }


def render_html(report: Report) -> str:
    counts = findings_by_rule(report.issues)
    detail = [
        [
            as_text(r.file_name),
            as_text(r.sheet),
            as_text(r.cell),
            rule_name(r.rule),
            _severity(r.severity),
            as_text(r.message),
        ]
        for r in report.issues.head(DETAIL_LIMIT).itertuples(index=False)
    ]
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            r=report,
            verdict_cls={True: "pass", False: "fail", None: "none"}[report.verdict],
            overview=_overview(report.overview, report.no_valid_returns),
            cv_headers=[
                *("学段", "指标", "差异系数", "标准", "是否达标", "学校数"),
                report.mean_label(),
                *(["未计入的学校单元"] if report.cv_names_missing else []),
            ],
            cv_rows=_cv_rows(report),
            charts=_charts(report),
            school_headers=[
                "学校标识码",
                "学校名称",
                "学段",
                "在校生数",
                *(f"{c} {INDICATOR_NAMES[c]}" for c in R_CODES),
                "达标项数",
                "是否达标",
                "未达标指标",
            ],
            school_rows=_school_rows(report),
            return_rows=_return_rows(report.returns),
            rule_rows=[[rule_name(c.rule), _severity(c.severity), int(c.n), int(c.files)] for c in counts.itertuples()],
            detail=detail,
            n_issues=len(report.issues),
            detail_limit=DETAIL_LIMIT,
            issues_sheet=SHEET_ISSUES,
        )
    )
