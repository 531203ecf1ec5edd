"""A school's 问题清单 and the bureau's 报送情况 as printed by LibreOffice: up to 20 findings on one page,
every sheet one page wide."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tasks.demo.returns import make_demo_returns
from tasks.publish.feedback import ISSUES_SHEET, school_feedback
from tasks.publish.feedback.status import LONE_SHEET, STATUS_SHEET, write_status
from tasks.publish.template import write_return
from tests.render import print_sheets, too_wide, tools_missing

pytestmark = pytest.mark.skipif(bool(tools_missing()), reason=f"needs {tools_missing()}")

LONG = (
    "「{n}」号问题：初中「每百名学生拥有体育、艺术（美术、音乐）专任教师数」为 0 人/百名学生，"
    "低于标准 0.9 人/百名学生。"
    "初中在校生 772 人，体育、音乐、美术专任教师共 0 人。需增加 7 名体育或艺术（音乐、美术）专任教师可达到标准；"
    "至少增加 6 名可达到标准的 85%（0.765）。"
)


def findings(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "sheet": "教师",
                "cell": f"B{i + 2}",
                "rule": "value.negative",
                "severity": "error",
                "value": str(-i),
                "message": LONG.format(n=f"第{i + 1:02d}条"),
            }
            for i in range(n)
        ]
    )


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    name, ret = make_demo_returns(schools=6)[0]
    return write_return(tmp_path_factory.mktemp("school") / name, ret)


def test_twenty_findings_print_on_one_page_and_more_stay_one_page_wide(school: Path, tmp_path: Path) -> None:
    twenty = school_feedback(school, school.name, "rejected", findings(20), tmp_path / "20.xlsx", "测试县 2026-10")
    many = school_feedback(school, school.name, "rejected", findings(45), tmp_path / "45.xlsx", "测试县 2026-10")
    printed = {p.workbook.name: p for p in print_sheets({twenty: [ISSUES_SHEET], many: [ISSUES_SHEET]}, tmp_path)}

    one = printed["20.xlsx"]
    assert len(one.pages) == 1
    squashed = one.pages[0].replace(" ", "").replace("\n", "")
    assert all(f"第{i:02d}条" in squashed for i in range(1, 21))
    assert "测试县2026-10" in squashed and "第1页" in squashed

    long = printed["45.xlsx"]
    assert len(long.pages) > 1 and too_wide(long) is None  # header row on every page: one page wide


def test_the_status_workbook_prints_one_page_wide(tmp_path: Path) -> None:
    status = pd.DataFrame(
        [
            {
                "file_name": f"37083000{i:02d}_城关街道第{i}实验小学（本期修订后再次报送的版本）.xlsx",
                "school_code": f"37083000{i:02d}",
                "status": "loaded" if i % 3 else "rejected",
                "n_errors": 0 if i % 3 else 2,
                "n_violations": i % 4,
                "n_warnings": i % 2,
                "submitted_on": "2026-10-08",
                "received_at": "2026-11-02 09:00:00",
                "file_id": f"{i:064d}",
            }
            for i in range(1, 60)
        ]
    )
    lone = pd.DataFrame(
        [{"file_name": "x.xlsx", "school_code": None, "rule": "file.unreadable", "message": "文件无法打开。" * 20}]
    )
    path = write_status(tmp_path / "报送情况.xlsx", "2026-10", status, lone, {}, {}, str, "测试县")
    for printed in print_sheets({path: [STATUS_SHEET, LONE_SHEET]}, tmp_path / "pdf"):
        assert too_wide(printed) is None, printed.sheet


def test_the_status_workbook_says_none_when_no_problem_is_left_without_a_school(tmp_path: Path) -> None:
    """报送情况's second sheet reads 无 rather than an empty table (#12 audit slip)."""
    from openpyxl import load_workbook

    status = pd.DataFrame(
        [
            {
                "file_name": "3708300001.xlsx",
                "school_code": "3708300001",
                "status": "loaded",
                "n_errors": 0,
                "n_violations": 0,
                "n_warnings": 0,
                "submitted_on": "2026-10-08",
                "received_at": "2026-11-02 09:00:00",
                "file_id": "1" * 64,
            }
        ]
    )
    lone = pd.DataFrame(columns=["file_name", "school_code", "rule", "message"])
    path = write_status(tmp_path / "报送情况.xlsx", "2026-10", status, lone, {}, {}, str, "测试县")
    ws = load_workbook(path)[LONE_SHEET]
    assert [c.value for c in ws[1]] == ["文件名", "学校标识码", "问题", "说明及修改方法"]
    assert ws["A2"].value == "无（本期没有未对应学校的问题）" and "A2:D2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.max_row == 2
    for printed in print_sheets({path: [LONE_SHEET]}, tmp_path / "pdf"):  # LibreOffice opens and prints it
        assert too_wide(printed) is None and len(printed.pages) == 1
