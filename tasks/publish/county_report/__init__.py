"""The county analytics report: a workbook with native charts, an HTML page with inline SVG, a page per school."""

from __future__ import annotations

from pathlib import Path

from junheng.policy import period_start
from junheng.settings import DEFAULT_COUNTY_CODE, Settings, UnitCosts
from tasks.publish.county_report.advice import actions
from tasks.publish.county_report.data import CountyData, PlanSummary, load_county_data, plan_summaries
from tasks.publish.county_report.html import render_county_html
from tasks.publish.county_report.pages import SchoolPage, school_pages
from tasks.publish.county_report.text import fmt_cv, fmt_need, fmt_pct, fmt_value, ind_label
from tasks.publish.county_report.workbook import write_county_workbook
from tasks.publish.dictionary import build_dictionary, dictionary_markdown
from tasks.publish.files import write_atomic
from warehouse.engine import connected

__all__ = [
    "CountyData",
    "PlanSummary",
    "SchoolPage",
    "actions",
    "county_report",
    "fmt_cv",
    "fmt_need",
    "fmt_pct",
    "fmt_value",
    "ind_label",
    "load_county_data",
    "plan_summaries",
    "publish_county_report",
    "render_county_html",
    "school_pages",
    "write_county_workbook",
]


def publish_county_report(
    url: str,
    period: str,
    out_dir: Path,
    *,
    county: str,
    county_code: str = DEFAULT_COUNTY_CODE,
    unit_costs: UnitCosts | None = None,
) -> dict[str, Path]:
    """Write the county report (xlsx, html) for the bureau and the data dictionary (md) for analysts into
    ``out_dir/period``."""
    period_start(period)  # a malformed period must not become a path
    folder = Path(out_dir) / period
    with connected(url) as engine, engine.connect() as conn:
        data = load_county_data(conn, period, county, county_code, unit_costs)
        dictionary = build_dictionary(conn)
    pages = school_pages(data)  # once for both outputs
    return {
        "county_xlsx": write_county_workbook(data, folder / f"junheng-county-{period}.xlsx", pages=pages),
        "county_html": write_atomic(folder / f"junheng-county-{period}.html", render_county_html(data, pages=pages)),
        "dictionary_md": write_atomic(folder / "data-dictionary.md", dictionary_markdown(dictionary)),
    }


def county_report(url: str, period: str, out_dir: Path, settings: Settings) -> dict[str, Path]:
    return publish_county_report(
        url, period, out_dir, county=settings.county, county_code=settings.county_code, unit_costs=settings.unit_costs
    )
