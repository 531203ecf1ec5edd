"""The period in a few Markdown lines (the Prefect artifact): verdict, counts, CVs and the failing units."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tasks.publish.cells import yes_no
from tasks.publish.period_report.build import build_report
from tasks.publish.period_report.labels import fmt, indicator_label, limit_text, section_label

FAILING_SHOWN = 20


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(
    period: str, marts: Mapping[str, pd.DataFrame], summary: Mapping[str, object], *, county: str = ""
) -> str:
    """A short Markdown summary of the period: verdict, counts, CVs and the failing units."""
    report = build_report(period, marts, county=county, choices={}, summary=summary)
    heading = f"# {_md(county + ' ' if county else '')}{period} 义务教育优质均衡监测"
    lines = [heading, "", f"**{report.verdict_text}**", ""]
    lines += [f"- {_md(r)}" for r in report.reasons]
    if report.reasons:
        lines.append("")
    lines += [f"- {_md(k)}：{_md(v)}" for k, v in report.summary]
    if report.cv:
        lines += ["", "| 学段 | 指标 | 差异系数 | 标准 | 是否达标 |", "|---|---|---:|---|---|"]
        lines += [
            f"| {section_label(r.section)} | {indicator_label(r.code)} | {fmt(r.cv, 3)} | {limit_text(r.limit)} "
            f"| {yes_no(r.meets)} |"
            for r in report.cv
        ]
    failing = [u for u in report.units if u.passes is False]
    if failing:
        lines += ["", f"未达标学校单元（{len(failing)} 个）："]
        shown = failing[:FAILING_SHOWN]
        lines += [
            f"- {_md(u.school_name)}（{_md(u.school_code)}，{section_label(u.section)}）："
            f"未达标 {'、'.join(indicator_label(c) for c in u.failed_codes) or '—'}"
            for u in shown
        ]
        if len(failing) > len(shown):
            lines.append(f"- ……另有 {len(failing) - len(shown)} 个，见 Excel 报表")
    return "\n".join(lines) + "\n"
