"""A school's 问题清单 shows what was found with its unit (issue 12: in the indicator's own unit), for the
oversized class (G5) and the oversized school (G4) as for the R shortfalls."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from tasks.publish.feedback import ISSUES_SHEET, school
from tasks.publish.feedback.advice import SchoolContext
from tests.fixtures import messy


def test_oversized_class_and_school_are_found_in_people_and_say_how_many_over(tmp_path: Path) -> None:
    src = messy.write_clean(tmp_path / "学校.xlsx", messy.clean_return("3708300001", 0))
    findings = pd.DataFrame(
        [
            {
                "sheet": "班级学生",
                "cell": "D2",
                "rule": "G5",
                "severity": "violation",
                "value": "48",
                "message": "小学第 2 行的班级学生数为 48 人，超过标准班额 45 人。",
                "section": "primary",
            },
            {
                "sheet": "",
                "cell": "",
                "rule": "G4",
                "severity": "violation",
                "value": "2093",
                "message": "学校规模（义务教育在校生数）超过标准规模。",
                "section": "",
            },
        ]
    )
    ctx = SchoolContext(class_limits={"primary": 45.0}, school_limit=2000.0)
    out = school.school_feedback(src, src.name, "loaded", findings, tmp_path / "fb.xlsx", "学校 问题清单", ctx)
    rows = {r[4]: r for r in load_workbook(out)[ISSUES_SHEET].iter_rows(min_row=5, values_only=True) if r[0]}
    g5, g4 = rows["G5 班额"], rows["G4 学校规模"]
    # 48 − 45 = 3 over the class limit; 2,093 − 2,000 = 93 over the school size.
    assert g5[5] == "48 人" and "多 3 人：需减少 3 名学生" in g5[6]
    assert g4[5] == "2,093 人" and "多 93 人：需减少 93 名学生" in g4[6] and g4[1] == "班级学生"
