"""R3's art-teacher choice on both engines, and returns made before the optional 其他艺术 column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from junheng import spec
from junheng.settings import PolicyChoices, load_settings
from tasks.ingest.archive import archive
from tasks.model.load import fetch_marts, load_run
from tasks.publish.template import write_return
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from tests.integration.test_load import school

PERIOD = "2026-10"


def _drop_other_art_column(path: Path) -> None:
    """The return as an older template wrote it: the 教师 sheet has no 其他艺术 column."""
    wb = load_workbook(path)
    ws = wb[spec.TEACHERS.name]
    col = spec.TEACHERS.codes.index("other_art_teachers") + 1
    assert ws.cell(1, col).value == spec.TEACHERS.by_code("other_art_teachers").label
    ws.delete_cols(col)
    wb.save(path)


@pytest.mark.parametrize(("choice", "r3_with", "r3_without"), [("music_art", 3.0, 3.0), ("all_art", 5.0, 3.0)])
def test_r3_follows_the_choice_and_old_returns_load_cleanly(
    tmp_path: Path, warehouse_url: str, choice: str, r3_with: float, r3_without: float
) -> None:
    # Both schools: P = 4 × 25 = 100, 体育 1 + 音乐 1 + 美术 1. School A also reports 其他艺术 2;
    # school B's workbook has no such column (counts 0 under all_art). R3 = count / 100 × 100.
    inbox = tmp_path / "inbox"
    a = school("甲小学", PERIOD, date(2026, 10, 5), [25] * 4)
    a["teachers"][0]["other_art_teachers"] = 2
    b = school("乙小学", PERIOD, date(2026, 10, 5), [25] * 4)
    b["info"]["school_code"] = "3708300002"
    write_return(inbox / "a.xlsx", a)
    _drop_other_art_column(write_return(inbox / "b.xlsx", b))

    settings = load_settings(
        data_dir=tmp_path / "data", warehouse_url=warehouse_url, choices=PolicyChoices(r3_art_teachers=choice)
    )
    files = archive(sorted(inbox.iterdir()), settings.archive_dir)
    batch = read_returns(files)
    findings = [*batch.findings, *validate(batch, PERIOD)]
    # The optional column may be absent: no finding of any kind about it, and nothing else either.
    assert [f for f in findings if "其他艺术" in f.message or "other_art" in f.rule] == []
    assert [f for f in findings if f.severity == "error"] == []
    load_run(warehouse_url, PERIOD, batch, findings, settings, "r1")

    marts = fetch_marts(warehouse_url, PERIOD)
    assert set(marts["return_status"]["status"]) == {"loaded"}
    ind = marts["school_indicators"]
    r3 = ind[ind["indicator_code"] == "R3"].set_index("school_code")
    assert r3.loc["3708300001", "value"] == r3_with
    assert r3.loc["3708300002", "value"] == r3_without
    assert r3.loc["3708300001", "resource"] == r3_with  # 100 students, so the count equals R3
