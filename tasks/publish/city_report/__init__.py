"""The city report: each county of a city plan against its target year, in Excel and HTML."""

from __future__ import annotations

from pathlib import Path

from junheng.plans import CityPlan
from tasks.publish.city_report.build import build_city_report
from tasks.publish.city_report.html import write_html
from tasks.publish.city_report.workbook import write_workbook
from warehouse.engine import connected


def city_report(
    url: str, plan: CityPlan, period: str, out_dir: Path, private_in_school_rule: bool = False
) -> dict[str, Path]:
    """Write <out>/<city_code>/<period>/junheng-city-<period>.xlsx and .html; the counties' own reports are
    linked from <out>/<county_code>/<period>/ (where each county's monthly run writes them)."""
    folder = Path(out_dir) / plan.city_code / period
    with connected(url) as engine, engine.connect() as conn:
        report = build_city_report(conn, plan, period, Path(out_dir), private_in_school_rule)
    return {
        "city_xlsx": write_workbook(report, folder / f"junheng-city-{period}.xlsx"),
        "city_html": write_html(report, folder / f"junheng-city-{period}.html"),
    }
