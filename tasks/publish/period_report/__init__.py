"""Publish a period's reports: a Chinese Excel workbook, a self-contained HTML page and Parquet marts.

build.py reads the marts once into a Report; workbook.py, html.py (+ report.html.j2) and markdown.py
render it; marts.py holds the columns the report needs from each mart.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from junheng.policy import period_start
from tasks.publish.files import write_atomic
from tasks.publish.period_report.build import CvRow, Report, Unit, build_report, findings_by_rule
from tasks.publish.period_report.html import render_html
from tasks.publish.period_report.labels import (
    SEVERITY_LABELS,
    SHEET_NAMES,
    SHEET_OVERVIEW,
    STATUS_LABELS,
    describe_choices,
    describe_summary,
    rule_name,
)
from tasks.publish.period_report.markdown import summary_markdown
from tasks.publish.period_report.marts import MART_COLUMNS
from tasks.publish.period_report.parquet import write_parquet
from tasks.publish.period_report.workbook import write_workbook

__all__ = [
    "MART_COLUMNS",
    "SEVERITY_LABELS",
    "SHEET_NAMES",
    "SHEET_OVERVIEW",
    "STATUS_LABELS",
    "CvRow",
    "Report",
    "Unit",
    "build_report",
    "describe_choices",
    "describe_summary",
    "findings_by_rule",
    "publish_reports",
    "render_html",
    "rule_name",
    "summary_markdown",
    "write_parquet",
    "write_workbook",
]


def publish_reports(
    period: str,
    marts: dict[str, pd.DataFrame],
    out_dir: Path,
    *,
    county: str,
    choices: Mapping[str, object],
    summary: Mapping[str, object],
) -> dict[str, Path]:
    """Write the Excel, HTML and one Parquet per mart into ``out_dir/period``.

    Returns {"xlsx": …, "html": …, <mart name>: …parquet}. Every file is written whole or not at all.
    """
    period_start(period)  # a malformed period must not become a path
    folder = Path(out_dir) / period
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(period, marts, county=county, choices=choices, summary=summary)
    xlsx = write_workbook(report, folder / f"junheng-{period}.xlsx")
    html = write_atomic(folder / f"junheng-{period}.html", render_html(report))
    return {"xlsx": xlsx, "html": html, **write_parquet(marts, folder)}
