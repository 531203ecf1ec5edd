"""What a bureau and a school receive, read and printed as they would (issue 12's acceptance).

A county of our own — the demo county with its broken returns and its county return, plus three
messy twins of the kind schools really send — runs through the monthly flow for two months. Then
every published workbook and HTML page is scanned for internal codes, Python reprs and formulas
(tests/scan_outputs.py), every sheet of the generated workbooks is printed through LibreOffice and
must be one page wide, and a school's 问题清单 of up to 20 findings prints on one page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tasks.demo.returns import make_demo_county
from tasks.publish.template import write_template
from tests.fixtures import messy
from tests.render import PrintedSheet, print_sheets, too_wide, tools_missing
from tests.scan_outputs import ISSUES_SHEET, scan

PERIOD = "2026-10"
EARLIER = "2026-09"
MESSY = (messy.numbers_typed_as_text, messy.labels_other_brackets_units, messy.formulas_with_cached_values)


def _need_tools() -> None:
    missing = tools_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"缺少 {missing}：make test 应已安装 libreoffice-calc-nogui 和 poppler-utils")
        pytest.skip(f"缺少 {missing}")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report folder of a two-month run of our own county."""
    from flows.monthly import monthly_returns

    root = tmp_path_factory.mktemp("county")
    data, out = root / "data", root / "reports"
    for period, broken in ((EARLIER, False), (PERIOD, True)):
        inbox = root / "inbox" / period
        make_demo_county(inbox, schools=24, period=period, drift=0.08, broken=broken, county_return=broken)
        if broken:
            clean = root / "clean"
            clean.mkdir()
            for k, make in enumerate(MESSY):
                code = str(3708309001 + k)
                ret = messy.clean_return(code, k)
                make(messy.write_clean(clean / f"{code}.xlsx", ret), ret, inbox / f"{code}_{make.__name__}.xlsx")
        monthly_returns(period=period, inbox=str(inbox), data_dir=str(data), out_dir=str(out))
    write_template(out / "学校报表模板.xlsx")
    return out


def test_no_internal_code_repr_or_formula_reaches_people(published: Path) -> None:
    found = scan([published])
    assert found == [], "\n".join(str(f) for f in found[:40])


def _generated(out: Path) -> dict[Path, list[str]]:
    """The workbooks junheng writes itself (not the schools' own files), every sheet."""
    books = [*out.glob(f"{PERIOD}/*.xlsx"), out / "学校报表模板.xlsx"]
    return {p: load_workbook(p, read_only=True).sheetnames for p in books}


def _feedback_issue_sheets(out: Path) -> dict[Path, list[str]]:
    return {p: [ISSUES_SHEET] for p in sorted((out / PERIOD / "feedback").glob("*.xlsx"))}


def test_every_generated_sheet_prints_one_page_wide(published: Path, tmp_path: Path) -> None:
    _need_tools()
    printed = print_sheets({**_generated(published), **_feedback_issue_sheets(published)}, tmp_path)
    wide = [f"{p.workbook.name}「{p.sheet}」：{why}" for p in printed if (why := too_wide(p))]
    assert wide == []


def _findings(p: PrintedSheet) -> int:
    ws = load_workbook(p.workbook, read_only=True)[ISSUES_SHEET]
    return sum(1 for row in ws.iter_rows(values_only=True) if row and isinstance(row[0], int))


def test_a_school_issue_list_of_up_to_20_findings_prints_on_one_page(published: Path, tmp_path: Path) -> None:
    _need_tools()
    printed = print_sheets(_feedback_issue_sheets(published), tmp_path)
    short = [p for p in printed if _findings(p) <= 20]
    assert short, "the county has schools with feedback of at most 20 findings"
    assert {p.workbook.name: len(p.pages) for p in short if len(p.pages) != 1} == {}


# G9 and G12 name whole people as the issue asks: "还需 2 名教师完成…", "还有 2 名专任教师未取得教师资格证".
_AMOUNT = re.compile(
    r"需(?:增加|新增|补充|减少)[^；。]*?[0-9][0-9,.]*\s*(?:名|人|间|平方米|元|万元|个班|名学生)"
    r"|还需 [0-9][0-9,]* 名教师完成|还有 [0-9][0-9,]* 名专任教师未取得"
)


def test_every_unmet_row_names_the_amount_and_a_sheet_that_exists(published: Path) -> None:
    problems = []
    for path in sorted((published / PERIOD / "feedback").glob("*.xlsx")):
        wb = load_workbook(path)
        rows = list(wb[ISSUES_SHEET].iter_rows(values_only=True))
        header_at = next(i for i, r in enumerate(rows) if r and "严重程度" in [str(v) for v in r])
        header = [str(v) if v is not None else "" for v in rows[header_at]]
        col = {name: header.index(name) for name in header if name}
        sheet_col = next(i for n, i in col.items() if "工作表" in n)
        level_col = col["严重程度"]
        for r in rows[header_at + 1 :]:
            if not r or r[level_col] is None or "未达标" not in str(r[level_col]):
                continue
            text = "".join(str(v) for v in r if v is not None)
            if str(r[sheet_col]) not in wb.sheetnames:
                problems.append(f"{path.name}: 工作表「{r[sheet_col]}」不在工作簿中")
            if not _AMOUNT.search(text):
                problems.append(f"{path.name}: 未说明需增加多少：{text[:80]}")
    assert problems == []


def test_the_plans_figures_agree_with_the_gap_table_for_every_school(published: Path) -> None:
    """Done when: the plan's figures agree with the gap table for every school. A plan step whose target
    is the standard needs exactly the gap table's whole need; people and rooms come whole; the county
    workbook's 改进方案 shows the gap table's figure beside the plan's and they are the same."""
    import pandas as pd

    folder = published / PERIOD
    plan = pd.read_parquet(folder / "cv_contribution.parquet")
    plan = plan[plan["plan_step"].notna()]
    gaps = pd.read_parquet(folder / "remediation.parquet")
    keys = ["section", "indicator_code", "school_code"]
    both = plan.merge(gaps[[*keys, "threshold", "need_to_threshold_whole"]], on=keys, how="left", suffixes=("", "_g"))
    assert not plan.empty, "the county has a CV over its limit, so a plan"
    for r in both.itertuples():
        assert float(r.plan_need) == int(r.plan_need), r  # whole 人, 间, 平方米, 元
        if abs(float(r.plan_target) - float(r.threshold)) < 1e-9:
            assert r.plan_need == r.need_to_threshold_whole, r
    # The county workbook's 改进方案 shows the gap table's figure beside the plan's: the same where the plan's
    # target is the standard, never less where it aims above it (the county mean).
    at_standard = {
        (str(r.school_code), float(r.plan_need))
        for r in both.itertuples()
        if abs(float(r.plan_target) - float(r.threshold)) < 1e-9
    }
    ws = load_workbook(folder / f"junheng-county-{PERIOD}.xlsx", read_only=True)["改进方案"]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and "达标差距表中的需增加" in r)
    head = rows[header_at]
    code, need, gap = head.index("学校标识码"), head.index("需增加"), head.index("达标差距表中的需增加")
    shown = [(str(r[code]), r[need], r[gap]) for r in rows[header_at + 1 :] if r and r[gap] is not None]
    assert shown and all(n >= g for _, n, g in shown), shown
    assert all(n == g for c, n, g in shown if (c, float(n)) in at_standard), shown
    assert {(c, float(n)) for c, n, _ in shown} >= at_standard  # every plan step at the standard shows its gap
