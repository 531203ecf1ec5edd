"""The reader's newer rules have Chinese names a school understands, from the one list
(expectations.messages.RULE_NAMES_ZH); a note about an identical copy never reads as an unopenable file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from expectations.messages import RULE_NAMES_ZH
from tasks.demo.returns import make_demo_returns
from tasks.publish.feedback import ISSUES_SHEET, school_feedback
from tasks.publish.feedback import names as feedback_names
from tasks.publish.feedback.names import rule_name
from tasks.publish.period_report.labels import rule_name as report_rule_name
from tasks.publish.template import write_return

NEW_RULES = {
    "file.duplicate": "与另一份收到的文件完全相同（只读取一次）",
    "school_code.file_name_mismatch": "文件名中的学校标识码与表内不一致",
    "file.too_large_sheet": "工作表超出报表范围，未读取",
    "file.not_regular": "链接或特殊文件，未读取",
    "file.reader_crashed": "读取中止，文件未读取",
}

# Every rule id the reader and the validators emit (tasks/read, tasks/validate, expectations, junheng).
EMITTED = (
    "classes.missing count.negative count.not_integer db.refused enum.unknown file.duplicate file.not_regular "
    "file.reader_crashed file.too_large_sheet file.unreadable header.bad_unit header.unit_assumed "
    "number.out_of_range period.mismatch plausibility.outlier plausibility.unit_slip raw.county_return "
    "raw.quality raw.special_room return.missing review.incomplete roster.unknown_school "
    "school_code.file_name_mismatch school_code.format section.not_allowed senior.missing sheet.duplicate_column "
    "sheet.extra_column sheet.missing sheet.missing_column sheet.missing_row sheet.no_header sheet.renamed "
    "subcount.exceeds_total teachers.missing teaching_point.parent_missing template.version text.control_char "
    "text.too_long total.mismatch value.bad_date value.bad_period value.excel_error value.formula_no_value "
    "value.negative value.not_a_number value.not_in_list value.pair value.percent_range value.ratio_range "
    "value.required plausibility.impossible plausibility.duplicate_row plausibility.too_many_rows "
    "plausibility.students_per_teacher plausibility.area_per_student plausibility.previous_period file.run_interrupted"
).split()


def test_the_readers_new_rules_have_their_chinese_names() -> None:
    for rule, name in NEW_RULES.items():
        assert rule_name(rule) == name, rule
        assert report_rule_name(rule) == name, rule  # the period report reads the same list
    # An identical copy was read (once): nothing says the file could not be opened.
    assert "无法打开" not in rule_name("file.duplicate")


def test_one_list_names_every_rule() -> None:
    for rule in EMITTED:
        assert rule in RULE_NAMES_ZH, rule
        assert rule_name(rule) == RULE_NAMES_ZH[rule]
        words = rule_name(rule).replace("Excel", "")  # the program's name is what schools call it
        assert not any("a" <= ch.lower() <= "z" for ch in words), rule
    assert not hasattr(feedback_names, "LOCAL_RULE_NAMES")
    # A rule the list does not know yet is named by its family, never as 文件无法打开 for any "file.".
    assert "无法打开" not in rule_name("file.something_new")


def test_a_duplicate_note_leaves_the_schools_own_workbook(tmp_path: Path) -> None:
    name, ret = make_demo_returns(schools=6)[0]
    src = write_return(tmp_path / name, ret)
    note = {
        "sheet": "",
        "cell": "",
        "rule": "file.duplicate",
        "severity": "info",
        "value": name,
        "message": f"文件「{name} (1)」与「{name}」内容完全相同（同一份报表的副本），按一份报表处理",
    }
    out = school_feedback(src, name, "loaded", pd.DataFrame([note]), tmp_path / "fb.xlsx", "问题清单")
    wb = load_workbook(out)
    assert wb.sheetnames[0] == ISSUES_SHEET and "班级学生" in wb.sheetnames and "反馈" not in wb.sheetnames
    rows = [[c for c in r] for r in wb[ISSUES_SHEET].iter_rows(min_row=5, values_only=True)]
    assert rows == [[1, None, None, "说明", NEW_RULES["file.duplicate"], name, note["message"]]]
