"""The county's own return (县级报表) holds nothing the warehouse could refuse: a control character (NUL,
written _x0000_ in the file) or an overlong text in a cell that is stored is a located error, as in a
school return (issue 13 item 2), and the county return's load never fails on it (DuckDB and PostgreSQL)."""

from __future__ import annotations

import uuid
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from junheng import spec
from junheng.contract import ReceivedFile
from tasks.demo.county import demo_county_return
from tasks.model.county_load import load_county_returns
from tasks.publish.county_template import write_county_return
from tasks.read.county_return import read_county_return
from warehouse.engine import connected, query_frame

PERIOD = "2026-10"


def _rf(path: Path, received: datetime = datetime(2026, 11, 2, 9, 0)) -> ReceivedFile:
    fid = path.name.encode().hex().ljust(64, "0")[:64]
    return ReceivedFile(fid, path.name, str(path), str(path), received, path.stat().st_size)


def _row_of(code: str) -> int:
    return 4 + spec.COUNTY.codes.index(code)


def _with(**changes: Any) -> dict[str, Any]:
    ret = demo_county_return(PERIOD)
    reviews = ret["reviews"]
    for code, change in changes.items():
        if isinstance(change, dict):
            reviews[code] = {**reviews[code], **change}
        else:
            ret[code] = change
    return ret


def test_the_file_holds_nul_as_excel_writes_it(tmp_path: Path) -> None:
    """The fixture's premise: the cell's text is stored as _x0000_ in the workbook's XML."""
    path = write_county_return(tmp_path / "c.xlsx", _with(county_name="汶上\x00县"))
    with zipfile.ZipFile(path) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/"))
    assert "汶上_x0000_县".encode() in xml


def test_control_characters_in_stored_text_are_located_errors(tmp_path: Path) -> None:
    path = write_county_return(
        tmp_path / "county.xlsx",
        _with(
            county_name="汶上\x00县",
            g1_review={"reviewer": "督学\x07李明"},
            g2_review={"note": "佐证\x1f材料齐全"},
        ),
    )
    ret = read_county_return(_rf(path), PERIOD)
    got = sorted((f.cell, f.rule, f.severity) for f in ret.findings)
    assert got == sorted(
        [
            (f"B{_row_of('county_name')}", "text.control_char", "error"),
            (f"C{_row_of('g1_review')}", "text.control_char", "error"),
            (f"E{_row_of('g2_review')}", "text.control_char", "error"),
        ]
    )
    first = next(f for f in ret.findings if f.cell == f"B{_row_of('county_name')}")
    assert first.message.startswith(f"文件「county.xlsx」工作表「县级指标」B{_row_of('county_name')} 单元格：")
    assert "县（市、区）名称" in first.message and "控制字符" in first.message and "重新输入" in first.message
    # What the finding shows cannot carry the character itself either.
    assert first.value == "汶上\ufffd县"
    for f in ret.findings:
        assert not any(ord(ch) < 32 for ch in f.value + f.message)


def test_overlong_text_is_a_located_error(tmp_path: Path) -> None:
    long_note = "材" * (spec.TEXT_MAX_LENGTH + 1)
    path = write_county_return(tmp_path / "c.xlsx", _with(g1_review={"note": long_note}))
    ret = read_county_return(_rf(path), PERIOD)
    assert [(f.cell, f.rule) for f in ret.findings] == [(f"E{_row_of('g1_review')}", "text.too_long")]
    assert f"{spec.TEXT_MAX_LENGTH + 1} 个字" in ret.findings[0].message
    # At the limit it is read as it is.
    path = write_county_return(tmp_path / "ok.xlsx", _with(g1_review={"note": long_note[:-1]}))
    ret = read_county_return(_rf(path), PERIOD)
    assert ret.findings == [] and ret.items.set_index("item_code").loc["g1_review", "note"] == long_note[:-1]


def test_a_nul_in_the_county_return_is_rejected_and_the_valid_one_loads(warehouse_url: str, tmp_path: Path) -> None:
    good = write_county_return(tmp_path / "县级报表.xlsx", _with())
    bad = write_county_return(tmp_path / "县级报表-改.xlsx", _with(g2_review={"note": "齐全\x00"}))
    files = [_rf(good), _rf(bad, datetime(2026, 11, 3, 9, 0))]  # the later one would win if it were valid

    out = load_county_returns(warehouse_url, PERIOD, files, str(uuid.uuid4()))

    assert out == {"county_files": 2, "county_loaded": good.name, "county_rejected": 1}
    with connected(warehouse_url) as engine:
        status = query_frame(engine, "SELECT file_name, status FROM audit.ingest_file WHERE period = :p", {"p": PERIOD})
        notes = query_frame(
            engine, "SELECT note FROM raw.county_return WHERE period = :p AND item_code = 'g2_review'", {"p": PERIOD}
        )
        found = query_frame(engine, "SELECT cell, rule, value FROM audit.validation_issue", {})
    assert dict(zip(status["file_name"], status["status"], strict=True)) == {good.name: "loaded", bad.name: "rejected"}
    assert list(notes["note"]) == ["佐证材料齐全"]
    assert [tuple(r) for r in found.itertuples(index=False)] == [
        (f"E{_row_of('g2_review')}", "text.control_char", "齐全\ufffd")
    ]
