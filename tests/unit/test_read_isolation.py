"""One file cannot take the read down: a sheet that would balloon the parser is refused before it is
parsed, with the sheet and the cell (issue 13 item 1)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tasks.demo.returns import make_demo_county
from tasks.read.extent import sheet_extent

ROOT = Path(__file__).resolve().parents[2]


def with_cell(src: Path, dst: Path, sheet_part: str, xml: bytes) -> Path:
    """A copy of a workbook with ``xml`` appended to one worksheet's sheetData."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for m in zin.infolist():
            data = zin.read(m.filename)
            if m.filename == sheet_part:
                data = data.replace(b"</sheetData>", xml + b"</sheetData>")
            zout.writestr(m, data)
    return dst


def classes_part(path: Path) -> str:
    """The worksheet part of 班级学生 (from the workbook and its relationships)."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet [^>]*name="班级学生"[^>]*r:id="([^"]+)"', wb)
    assert rid
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target
    t = (target.group(1) or target.group(2)).lstrip("/")
    return t if t.startswith("xl/") else f"xl/{t}"


def read_in_a_child(paths: list[Path]) -> dict:
    """read_returns in a child process with 4 GB of address space, so a parser abort fails the test
    instead of killing pytest."""
    code = f"""
import json, resource, sys
from datetime import datetime
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from junheng.contract import ReceivedFile
from tasks.read.returns import read_returns
paths = {[str(p) for p in paths]!r}
files = [ReceivedFile(str(i), p.rsplit("/", 1)[-1], p, p, datetime(2026, 11, 1), 0) for i, p in enumerate(paths)]
b = read_returns(files)
print(json.dumps({{"schools": sorted(b.info["school_code"].astype(str)),
                  "errors": [[f.file_name, f.sheet, f.cell, f.rule, f.message] for f in b.findings
                             if f.severity == "error"]}}, ensure_ascii=False))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, f"the read died (exit {res.returncode}): {res.stderr[-800:]}"
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def two_returns(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("demo")
    return sorted(make_demo_county(out, schools=6, period="2026-10"))[:2]


def test_a_value_at_xfd1048576_is_refused_with_its_cell_and_the_rest_is_read(
    two_returns: list[Path], tmp_path: Path
) -> None:
    good, victim = two_returns
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    bad = with_cell(victim, tmp_path / "3708300099_远处单元格.xlsx", classes_part(victim), far)
    assert bad.stat().st_size < 64_000  # a small file: the size check cannot catch it
    out = read_in_a_child([good, bad])
    assert len(out["schools"]) == 1  # the good return is read
    [(_, sheet, cell, _, message)] = [e for e in out["errors"] if e[0] == bad.name]
    assert (sheet, cell) == ("班级学生", "XFD1048576")
    assert f"文件「{bad.name}」工作表「班级学生」XFD1048576 单元格：这个单元格有内容" in message
    assert "1,048,576 行 × 16,384 列" in message and "请删除" in message


def test_a_million_rows_are_refused_before_parsing(two_returns: list[Path], tmp_path: Path) -> None:
    far = b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    bad = with_cell(two_returns[0], tmp_path / "rows.xlsx", classes_part(two_returns[0]), far)
    out = read_in_a_child([bad])
    assert out["schools"] == []
    assert [e[1:3] for e in out["errors"]] == [["班级学生", "A1048576"]]


def test_extent_follows_cells_without_addresses_and_skips_formatting_only_cells() -> None:
    xml = (
        b"<sheetData><row><c><v>1</v></c><c/><c t='s'><v>2</v></c></row>"  # row 1: A1, (B1 empty), C1
        b'<row r="7"><c r="B7"><v>3</v></c><c r="XFD7" s="1"/></row>'  # XFD7 holds formatting only
        b"<row><c r='D8'><f>1+1</f></c></row></sheetData>"  # row 8 (follows row 7), a formula cell
    )
    ext = sheet_extent(xml)
    assert (ext.rows, ext.cols, ext.cell) == (8, 4, "D8")
    # namespaced elements (x:row, x:c), as some generators write them
    assert sheet_extent(b'<x:row r="3"><x:c r="AA3"><x:v>1</x:v></x:c></x:row>').cell == "AA3"
