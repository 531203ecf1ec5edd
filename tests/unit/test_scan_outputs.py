"""The output scanner finds what it must (and passes what people may read)."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from tests.scan_outputs import problems, scan


def test_internal_tokens_reprs_and_rule_ids_are_found() -> None:
    assert problems("小学R3 primary")
    assert problems("差异系数按 weighted 计算")
    assert problems("规则：count.negative")
    assert problems("['小学R3', '初中R3']")
    assert problems("{'cv_method': 'weighted'}")
    assert problems("county_code")
    assert problems("政策：national-2017")
    assert problems("值为 nan")


def test_peoples_words_pass() -> None:
    assert problems("小学 R1 每百名学生拥有高于规定学历教师数：需增加 7 名专任教师") == []
    assert problems("文件「3708300001_城关街道第一实验小学.xlsx」工作表「班级学生」D9 单元格") == []
    assert problems("模板版本：JH-2026.1") == []
    assert problems("差异系数 0.515 ≤ 0.50？否") == []


def test_a_workbook_with_a_formula_and_a_code_is_flagged(tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(tmp_path / "r.xlsx")
    ws = wb.add_worksheet("概要")
    ws.write_formula("A1", "=1+1")
    ws.write_string("A2", "R_MIN_MET")
    ws.write_string("A3", "达标")
    wb.close()
    (tmp_path / "r.html").write_text("<p>学段：junior</p><style>.primary{}</style>", encoding="utf-8")
    found = {(f.where, f.why.split()[0]) for f in scan([tmp_path])}
    assert ("概要!A1", "公式") in found
    assert ("概要!A2", "内部代码") in found
    assert ("页面文字", "内部代码") in found
    assert not any(w.endswith("A3") for w, _ in found)
