"""ASCII digits only where a code or a period is read (issue 13 item 6): a 学校标识码 with an
Arabic-Indic digit is refused at validation instead of loading as a new school; full-width digits,
which Chinese input methods type, still read as the same code."""

from __future__ import annotations

import hashlib
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from junheng.contract import ReceivedFile
from tasks.publish.template import write_return
from tasks.read.returns import read_returns
from tasks.validate.gx import validate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from test_monthly_flow import classes, facilities, info, teachers


def a_return(path: Path, code: str) -> ReceivedFile:
    write_return(
        path,
        {
            "info": info(code, "甲小学", "小学", date(2026, 10, 8)),
            "classes": classes("小学", [25, 25]),
            "teachers": [teachers("小学", 10, 6, 2, 1, 0, 1)],
            "facilities": [facilities("小学", 700, 100, 900, 30, 3)],
        },
    )
    data = path.read_bytes()
    return ReceivedFile(hashlib.sha256(data).hexdigest(), path.name, str(path), str(path), datetime(2026, 11, 1), 1)


@pytest.mark.parametrize(
    ("code", "refused"),
    [("370830000٣", True), ("٣٧٠٨٣٠٠٠٠٣", True), ("３７０８３０００３", True), ("３７０８３００００３", False)],
)
def test_school_codes_take_ascii_digits(tmp_path: Path, code: str, refused: bool) -> None:
    rf = a_return(tmp_path / "r.xlsx", code)
    batch = read_returns([rf])
    findings = validate(batch, "2026-10")
    bad = [f for f in findings if f.rule == "school_code.format"]
    assert bool(bad) == refused, [f.message for f in findings]
    if not refused:  # full-width digits, typed with a Chinese input method: the same school
        assert batch.info["school_code"].tolist() == ["3708300003"]
