"""The city report built from the warehouse (#15 item 3), on the hand-built 3-county city of tests/fixtures/city.py,
both engines: the first screen's counts, a row per county, the CV grid with the failing cells, the behind county's
blocking items, the trend over periods, and the links to the counties' own reports. Every expected value is
counted by hand from the fixture's lines (NOT_MET, CV, UNITS), never from the code under test."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tasks.model.progress import compute_progress
from tasks.publish.city_report import city_report
from tests.fixtures.city import NOW, PLAN, A, B, C, load_city
from warehouse.engine import make_engine

PERIOD = "2026-10"


@pytest.fixture
def built(warehouse_url: str, tmp_path: Path) -> Any:
    engine = make_engine(warehouse_url)
    load_city(engine)
    with engine.begin() as conn:
        compute_progress(conn, PLAN, PERIOD, NOW)
    engine.dispose()
    out = tmp_path / "reports"
    # 澄江市's own monthly run wrote its reports; the other two counties have none this period.
    own = out / A / PERIOD
    own.mkdir(parents=True)
    (own / f"junheng-county-{PERIOD}.html").write_text("<html></html>", encoding="utf-8")
    (own / f"junheng-county-{PERIOD}.xlsx").write_bytes(b"xlsx")
    return warehouse_url, out


def test_city_report_from_the_warehouse(built: Any) -> None:
    from tasks.publish.city_report.build import build_city_report
    from tasks.publish.dictionary import MISSING, build_dictionary

    url, out = built
    engine = make_engine(url)
    with engine.connect() as conn:
        report = build_city_report(conn, PLAN, PERIOD, out)
        dictionary = build_dictionary(conn)
    engine.dispose()
    # The analysts' contract: mart.county_progress in the data dictionary, its 滞后 rule and the units' population.
    progress = dictionary[dictionary["mart"] == "county_progress"].set_index("column")
    assert "滞后：尚未达到" in progress["mart_description"].iloc[0]
    assert "trend ≤ 0" in progress["mart_description"].iloc[0]
    assert "默认只统计公办学校单元" in progress.loc["units_passing", "description"]
    assert MISSING not in set(progress["type"]) | set(progress["description"])
    # First screen: 2026-10 澄江市 every line met (已达到), 易门县 1 unmet with +3 since 08 (按期推进),
    # 通海县 2 unmet with +1 since 08 and 2 months left (滞后).
    assert report.counts == {"已达到": 1, "按期推进": 1, "滞后": 1, "本期未报送": 0}
    # A row per county of the plan, the behind ones first.
    assert [c.name for c in report.counties] == ["通海县", "澄江市", "易门县"]
    tong, cheng, yi = report.counties
    assert (tong.target_year, tong.verdict, tong.met, tong.total, tong.trend, tong.trend_since) == (
        2026, "未达到", 4, 6, 1, "2026-08",
    )  # fmt: skip
    assert [u.split()[0] for u in tong.unmet] == ["R3", "G14"] and all(" " in u for u in tong.unmet)  # named
    assert (cheng.verdict, cheng.met, cheng.unmet) == ("达到", 6, [])
    assert (yi.target_year, yi.met, yi.trend, [u.split()[0] for u in yi.unmet]) == (2027, 5, 3, ["R3"])
    assert (tong.cv_met, cheng.cv_met, yi.cv_met) == (9, 14, 11)
    assert (tong.passing, tong.judged, yi.passing, yi.judged) == (5, 8, 6, 7)
    # CV grid: 通海县 2026-10 meets 小学 R1–R7 and 初中 R1–R2, misses 初中 R3–R7.
    grid = report.cv[C]
    assert [grid[("primary", f"R{i}")][2] for i in range(1, 8)] == [True] * 7
    assert [grid[("junior", f"R{i}")][2] for i in range(1, 8)] == [True, True, False, False, False, False, False]
    # Blocking items of the behind county only: its unmet R3 (初中) and G14 (a county-level item).
    assert list(report.blocking) == [C]
    items = report.blocking[C]
    assert [(b.item.split()[0], b.section, b.status) for b in items] == [
        ("R3", "初中", "未达标"),
        ("G14", "全县", "未达标"),
    ]
    assert "县级报表项目" in items[1].detail
    # Indicators met over time (易门县 did not report 2026-09: no point, never 0).
    assert report.periods == ["2026-08", "2026-09", "2026-10"]
    assert report.history == {
        A: {"2026-08": 4, "2026-09": 5, "2026-10": 6},
        B: {"2026-08": 2, "2026-10": 5},
        C: {"2026-08": 3, "2026-09": 4, "2026-10": 4},
    }
    # The county's own reports where its run wrote them; none for the others.
    assert cheng.report_html == out / A / PERIOD / f"junheng-county-{PERIOD}.html"
    assert cheng.report_xlsx == out / A / PERIOD / f"junheng-county-{PERIOD}.xlsx"
    assert tong.report_html is None and yi.report_xlsx is None


def test_city_report_links_reach_the_county_reports(built: Any) -> None:
    url, out = built
    paths = city_report(url, PLAN, PERIOD, out)
    html, xlsx = paths["city_html"], paths["city_xlsx"]
    assert html.parent == out / "530400" / PERIOD
    page = html.read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert sorted(hrefs) == sorted(
        [f"../../{A}/{PERIOD}/junheng-county-{PERIOD}.html", f"../../{A}/{PERIOD}/junheng-county-{PERIOD}.xlsx"]
    )
    assert all((html.parent / h).resolve().is_file() for h in hrefs)
    # The workbook's 概览: 澄江市's row links its workbook (relative), the others say there is none.
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))["概览"]
    rows = {ws.cell(r, 1).value: r for r in range(7, 10)}
    link = ws.cell(rows["澄江市"], 13)
    assert link.value == "打开澄江市报告" and link.hyperlink is not None
    target = str(link.hyperlink.target).replace("\\", "/")  # XlsxWriter writes external: paths Windows-style
    assert (xlsx.parent / target).resolve() == (out / A / PERIOD / f"junheng-county-{PERIOD}.xlsx")
    assert ws.cell(rows["通海县"], 13).value == "（本期无县级报告）"
    # The first screen's counts as stored numbers, and the 滞后 rule stated.
    assert [ws.cell(3, c).value for c in range(1, 9)] == ["已达到", 1, "按期推进", 1, "滞后", 1, "本期未报送", 0]
    assert "滞后：尚未达到" in str(ws.cell(4, 1).value)
    assert "滞后：尚未达到" in page and "只统计公办学校单元" in page
