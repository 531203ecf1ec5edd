"""The zip-level feedback against the openpyxl one: the same workbook as a school sees it (cells, formats,
comments, 问题清单, print set-up, names; read back with openpyxl and calamine), on the demo county, on the
messy twins and on files made to be awkward; anything unusual goes to openpyxl."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.comments import Comment
from python_calamine import CalamineWorkbook

from tasks.demo.returns import make_demo_county, make_demo_returns
from tasks.publish.feedback import ISSUES_SHEET, school, write_feedback
from tasks.publish.feedback.advice import SchoolContext
from tasks.publish.feedback.fast import fast_feedback
from tasks.publish.template import write_return
from tests.fixtures import messy
from tests.unit.feedback_readback import reading
from tests.unit.test_feedback import run

HEADER = "测试县 学校（3708300001） 2026-10 问题清单"


def finding(sheet: str, cell: str, rule: str, severity: str, value: str = "", section: str = "") -> dict[str, Any]:
    return {
        "sheet": sheet,
        "cell": cell,
        "rule": rule,
        "severity": severity,
        "value": value,
        "message": f"{rule} 的说明 <&> ]]>",
        "section": section,
    }


# A located error, two findings on one cell, a warning, shortfalls located through the template contract
# (the resource cells and the students behind them), an oversized school and one without a place.
FINDINGS = pd.DataFrame(
    [
        finding("班级学生", "D3", "value.range", "error", "-1"),
        finding("班级学生", "D3", "G5", "violation", "51", "primary"),
        finding("教师", "B2", "plausibility.outlier", "warning", "3"),
        finding("办学条件", "", "R4", "violation", "3.1", "primary"),
        finding("", "", "R3", "violation", "0.5", "junior"),
        finding("", "", "G4", "violation", "2093"),
        finding("", "", "value.missing", "info"),
    ]
)


def both(src: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch, findings: pd.DataFrame = FINDINGS) -> tuple[Path, Path]:
    """The feedback of ``src`` by the zip path (which must take it) and by openpyxl."""
    assert fast_feedback(src, src.name, "loaded", findings, HEADER, SchoolContext()) is not None
    fast = school.school_feedback(src, src.name, "loaded", findings, tmp / "fast.xlsx", HEADER)
    with monkeypatch.context() as m:
        m.setattr(school, "fast_feedback", lambda *a, **k: None)
        slow = school.school_feedback(src, src.name, "loaded", findings, tmp / "slow.xlsx", HEADER)
    return fast, slow


def test_demo_county_feedback_is_the_same_on_both_paths(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    run(warehouse_url, data, make_demo_county(tmp_path / "inbox", schools=24, broken=True))
    taken: list[bool] = []
    real = school.fast_feedback

    def counted(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(school, "fast_feedback", counted)
    fast = write_feedback(warehouse_url, "2026-10", tmp_path / "fast", data, county="测试县")
    monkeypatch.setattr(school, "fast_feedback", lambda *a, **k: None)
    slow = write_feedback(warehouse_url, "2026-10", tmp_path / "slow", data, county="测试县")
    files = sorted(k for k in fast if k != "overview")
    assert files == sorted(k for k in slow if k != "overview") and len(files) >= 5
    assert taken and all(taken)  # every demo school's file goes the zip way
    marked = 0
    for fid in files:
        a, b = reading(fast[fid]), reading(slow[fid])
        assert a == b, fast[fid].name
        marked += sum(len(a[s]["comments"]) for s in a["sheets"])
    assert marked >= len(files)  # the comparison covers marked and commented cells


@pytest.mark.parametrize("case", [c for c in messy.MESSY if c not in ("legacy_xls", "html_saved_as_xls")])
def test_messy_twins_are_the_same_on_both_paths(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ret = messy.clean_return("3708300001", 1)
    clean = messy.write_clean(tmp_path / "clean.xlsx", ret)
    src = messy.MESSY[case](clean, ret, tmp_path / "twin")
    fast, slow = both(src, tmp_path, monkeypatch)
    a, b = reading(fast), reading(slow)
    sent = CalamineWorkbook.from_path(str(src))
    for name in sent.sheet_names:  # the school's values as sent, formulas' cached results included
        assert a["calamine"][name] == sent.get_sheet_by_name(name).to_python(skip_empty_area=False), name
    # openpyxl's save loses some of what was sent (formulas' cached results, a value under a merged area),
    # so calamine's view of the school's sheets is compared with the file sent, the list between the paths.
    assert a.pop("calamine")[ISSUES_SHEET] == b.pop("calamine")[ISSUES_SHEET]
    assert a == b
    assert a["sheets"][0] == ISSUES_SHEET and a["active"] == ISSUES_SHEET
    assert sum(len(a[s]["comments"]) for s in a["sheets"]) >= 4  # D3, B2 and the shortfalls' cells


def test_awkward_cells_merged_missing_and_beyond_the_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A comment on a merged area goes to its first cell; a cell or a whole row the file lacks is made."""
    name, ret = make_demo_returns(schools=6)[0]
    wb = load_workbook(write_return(tmp_path / name, ret))
    ws = wb["说明"]
    ws.merge_cells("A20:C21")
    ws["A20"] = "合并"
    wb["班级学生"]["H2"].value = None
    src = tmp_path / "awkward.xlsx"
    wb.save(src)
    findings = pd.DataFrame(
        [
            finding("说明", "B21", "value.range", "error", "x"),  # inside the merged area
            finding("班级学生", "H2", "value.range", "violation"),  # right of the row's cells
            finding("班级学生", "B400", "value.range", "warning"),  # a row the sheet does not have
            finding("基本信息", "A1", "value.range", "info"),  # a comment, no colour
        ]
    )
    fast, slow = both(src, tmp_path, monkeypatch, findings)
    a = reading(fast)
    assert a == reading(slow)
    assert set(a["说明"]["comments"]) == {"A20"} and a["说明"]["cells"]["A20"][1][1] == "FFFFC7CE"
    assert a["班级学生"]["cells"]["H2"][1][1] == "FFFFEB9C" and "B400" in a["班级学生"]["comments"]
    assert "A1" in a["基本信息"]["comments"]
    assert "<&> ]]>" in a["班级学生"]["comments"]["H2"][0]  # finding text stays text


def _with_comment(src: Path, tmp: Path) -> Path:
    wb = load_workbook(src)
    wb["教师"]["A1"].comment = Comment("学校自己的批注", "学校")
    wb.save(tmp / "commented.xlsx")
    return tmp / "commented.xlsx"


def _macro_type(src: Path, tmp: Path) -> Path:
    out = tmp / "macro.xlsx"
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w") as w:
        for n in z.namelist():
            data = z.read(n)
            if n == "[Content_Types].xml":
                data = data.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml").replace(
                    b"spreadsheetml.sheet.macroEnabled.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
                )
            w.writestr(n, data)
    return out


def _prefixed(src: Path, tmp: Path) -> Path:
    out = tmp / "prefixed.xlsx"
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w") as w:
        for n in z.namelist():
            data = z.read(n)
            if n == "xl/worksheets/sheet3.xml":
                data = data.replace(b'<c r="A2"', b"<c")
            w.writestr(n, data)
    return out


@pytest.mark.parametrize("make", [_with_comment, _macro_type, _prefixed], ids=["comment", "xlsm", "cell-without-ref"])
def test_unusual_files_go_to_openpyxl(make: Any, tmp_path: Path) -> None:
    name, ret = make_demo_returns(schools=6)[0]
    src = make(write_return(tmp_path / name, ret), tmp_path)
    assert fast_feedback(src, src.name, "loaded", FINDINGS, HEADER, None) is None
    out = school.school_feedback(src, src.name, "loaded", FINDINGS, tmp_path / "fb.xlsx", HEADER)
    wb = load_workbook(out)
    assert wb.sheetnames[0] == ISSUES_SHEET and wb["班级学生"]["D3"].comment is not None
    if make is _with_comment:
        assert wb["教师"]["A1"].comment.text == "学校自己的批注"


def test_a_workbook_without_names_or_print_fitting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As openpyxl writes a return with no print titles: <definedNames />, <pageSetUpPr />, no pageSetup."""
    name, ret = make_demo_returns(schools=6)[0]
    sent, src = write_return(tmp_path / name, ret), tmp_path / "plain.xlsx"
    with zipfile.ZipFile(sent) as z, zipfile.ZipFile(src, "w") as w:
        for n in z.namelist():
            text = z.read(n).decode("utf-8")
            text = re.sub(r"<definedNames>.*</definedNames>", "<definedNames />", text)
            text = re.sub(r'<pageSetUpPr fitToPage="1"/>', "<pageSetUpPr />", text)
            w.writestr(n, re.sub(r' fitTo(Width|Height)="\d+"', "", text))
    with zipfile.ZipFile(src) as z:
        assert b"<definedNames />" in z.read("xl/workbook.xml") and b"fitTo" not in z.read("xl/worksheets/sheet3.xml")
    fast, slow = both(src, tmp_path, monkeypatch)
    a = reading(fast)
    assert a == reading(slow)
    assert all(a[s]["page"][2:] == (1, 0, True) for s in a["sheets"][1:])  # one page wide, as long as needed
    assert a[ISSUES_SHEET]["titles"][0] == "$4:$4" and a[ISSUES_SHEET]["filter"] == "A4:G11"


@pytest.mark.parametrize("case", ["legacy_xls", "html_saved_as_xls"])
def test_xls_and_html_are_rebuilt_by_openpyxl(case: str, tmp_path: Path) -> None:
    ret = messy.clean_return("3708300001", 1)
    src = messy.MESSY[case](messy.write_clean(tmp_path / "clean.xlsx", ret), ret, tmp_path / "twin")
    assert fast_feedback(src, src.name, "loaded", FINDINGS, HEADER, None) is None
    wb = load_workbook(school.school_feedback(src, src.name, "loaded", FINDINGS, tmp_path / "fb.xlsx", HEADER))
    assert wb.sheetnames[0] == ISSUES_SHEET and wb["班级学生"]["D3"].comment is not None
