"""Issue 12, Deliver 7: the reader's hint for a cell that is not a number says what the template's 说明 says.

The template (tasks/publish/template.py, 说明): "为零时填 0，不要填“—”“/”或留作空格" — a blank required cell
is a rejecting error ("「…」未填写。该项为必填项"), so the hint may never offer 留空 as a way to write zero.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tasks.publish.template import write_template
from tasks.read.numbers import NumberError, parse_number


def _fix(cell: str) -> str:
    with pytest.raises(NumberError) as e:
        parse_number(cell)
    return e.value.fix


def test_the_hint_says_zero_is_0_and_never_blank() -> None:
    fix = _fix("四十二")
    assert "为零请填 0" in fix
    assert "或留空" not in fix and "不要留空" in fix


def test_the_template_says_the_same(tmp_path: Path) -> None:
    ws = load_workbook(write_template(tmp_path / "t.xlsx"), read_only=True)["说明"]
    text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert "为零时填 0" in text and "不要填“—”“/”或留作空格" in text
