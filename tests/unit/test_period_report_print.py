"""The period report, the school template and the county template print (issue 12): every sheet one page
wide with its header row repeated, county and period in the page header, page numbers; tables frozen and
filtered; a CV chart with red failing bars and a limit line with markers. LibreOffice renders the files."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tasks.publish.county_template import write_county_template
from tasks.publish.period_report import publish_reports
from tasks.publish.template import write_template
from tests.unit.test_period_report_words import FULL_SUMMARY, _card
from tests.unit.test_publish import CHOICES, PERIOD, make_marts


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    marts = {**make_marts(), "county_scorecard": _card()}
    out = tmp_path_factory.mktemp("print")
    return publish_reports(PERIOD, marts, out, county="测试县&实验区", choices=CHOICES, summary=FULL_SUMMARY)["xlsx"]


def test_every_sheet_is_set_up_for_print(report: Path) -> None:
    wb = load_workbook(report)
    assert wb.sheetnames == ["概要", "评估总览", "学校指标", "差异系数", "报送情况", "问题清单"]
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        # one page wide (1 is the file format's default, so it may be left out), as many pages down as needed
        assert (ps.fitToWidth or 1, ps.fitToHeight) == (1, 0), ws.title
        assert ps.paperSize == 9, ws.title  # A4
        assert ws.print_title_rows is not None, ws.title
        assert "测试县&&实验区 2026-10" in ws.oddHeader.left.text, ws.title  # & doubled: a literal ampersand
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, ws.title
        assert ws.freeze_panes is not None, ws.title
    for name in ("评估总览", "学校指标", "差异系数", "报送情况", "问题清单"):
        assert wb[name].auto_filter.ref, name
    assert wb["学校指标"].print_title_rows == "$1:$1"
    assert wb["学校指标"].page_setup.orientation == "landscape"


def test_main_workbook_has_a_cv_chart_with_red_failing_bars_and_limit_markers(report: Path) -> None:
    with zipfile.ZipFile(report) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = [z.read(n).decode("utf-8") for n in charts]
        drawing = z.read("xl/worksheets/_rels/sheet4.xml.rels").decode("utf-8")
    assert len(charts) == 2  # 小学 and 初中, on 差异系数 (the 4th sheet)
    assert "drawing" in drawing
    primary = xml[0]
    # 小学 R1 (0.62 > 0.50) is the only failing bar: one red data point, the others green
    assert primary.count("D32F2F") == 2  # fill and border of that one point
    assert "<c:lineChart>" in primary and "<c:marker>" in primary and 'val="diamond"' in primary
    assert "<c:f>差异系数!$D$2:$D$8</c:f>" in primary  # the bars: 小学's CVs
    assert "<c:f>差异系数!$E$2:$E$8</c:f>" in primary  # the limit line: the 标准 column, stored as numbers


SOFFICE = shutil.which("soffice")


def _pages(xlsx: Path, out: Path) -> int:
    subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            f"-env:UserInstallation=file://{out}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = (out / xlsx.name).with_suffix(".pdf").read_bytes()
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") or pdf.count(b"/Type/Page") - pdf.count(
        b"/Type/Pages"
    )


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_prints_each_sheet_one_page_wide(report: Path, tmp_path: Path) -> None:
    # Each sheet of this small report fits one page once it is one page wide: a sheet wider than the
    # page would add pages beside it.
    assert _pages(report, tmp_path) == len(load_workbook(report).sheetnames)
    # The blank school template: 说明, 基本信息 and five tables, one page each.
    assert _pages(write_template(tmp_path / "school.xlsx"), tmp_path) == 7
    county = write_county_template(tmp_path / "county.xlsx")
    assert load_workbook(county).worksheets[0].page_setup.fitToHeight == 0
    assert _pages(county, tmp_path) <= 2  # one page wide; the 60-odd items run onto a second page
