"""The county report as one HTML page, from the Jinja2 templates beside this module (autoescape on)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import tasks.publish.county_report.html_parts as parts
import tasks.publish.county_report.html_plan as html_plan
from tasks.publish.cells import num
from tasks.publish.county_report.advice import actions
from tasks.publish.county_report.data import CountyData
from tasks.publish.county_report.failures import failures, verdict
from tasks.publish.county_report.pages import SchoolPage, school_pages
from tasks.publish.html import templates

_ENV = templates(Path(__file__).parent / "templates", strict=True)


def render_county_html(data: CountyData, *, pages: Sequence[SchoolPage] | None = None) -> str:
    """The county report as one HTML page (``pages``: school_pages(data), if already computed for the workbook)."""
    found = failures(data)
    word, why = verdict(data, found)
    totals, gaps = html_plan.remediation_tables(data)
    bound = num(data.variance["change_bound"].iloc[0]) if len(data.variance) else None
    return _ENV.get_template("report.html.j2").render(
        title=f"{data.county} {data.period} 义务教育优质均衡分析报告",
        period=data.period,
        periods="、".join(data.periods),
        verdict=word,
        why=why,
        failures=parts.failures_table(found) if found else None,
        blocks=parts.failure_blocks(found),
        actions=actions(data),
        cv_table=parts.cv_table(data),
        cv_bars=parts.cv_bars(data),
        trends=parts.trend_svgs(data),
        distributions=parts.distribution_svgs(data),
        plans=html_plan.plans(data),
        contribution=html_plan.contribution_table(data),
        totals=totals,
        gaps=gaps,
        change_bound=f"{bound or 0.2:.0%}",
        changes=parts.changes_table(data),
        outliers=parts.outliers_table(data),
        schools=[parts.school_view(p) for p in (school_pages(data) if pages is None else pages)],
    )
