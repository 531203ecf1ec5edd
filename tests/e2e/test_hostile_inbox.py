"""An inbox holding attack files next to the county's returns (issue 13 items 1, 2, 3, 6, 7): the run
completes, loads every good return exactly as without them, and rejects or notes each attack file
with a located message. On DuckDB and PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from test_monthly_flow import PERIOD, classes, facilities, info, marts, run, teachers, write_county

from flows.monthly import monthly_returns
from junheng.errors import ConfigError
from tasks.publish.template import write_return

MODEL_MARTS = ("school_indicators", "school_compliance", "county_cv")


def classes_part(src: Path) -> str:
    """The worksheet part of 班级学生 (from the workbook and its relationships)."""
    with zipfile.ZipFile(src) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet [^>]*name="班级学生"[^>]*r:id="([^"]+)"', wb)
    assert rid
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target
    part = (target.group(1) or target.group(2)).lstrip("/")
    return part if part.startswith("xl/") else f"xl/{part}"


def with_far_cell(src: Path, dst: Path) -> Path:
    """A copy of a return with one value at XFD1048576 of 班级学生 (an 18 KB file the parser would
    turn into a 549 GB grid)."""
    part = classes_part(src)
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for m in zin.infolist():
            data = zin.read(m.filename)
            zout.writestr(m, data.replace(b"</sheetData>", far + b"</sheetData>") if m.filename == part else data)
    return dst


def with_million_class_rows(src: Path, dst: Path) -> Path:
    """A copy of a return whose 班级学生 holds 1,048,575 class rows below its header, every row one
    class of 40 (41.9 M pupils), written straight into the sheet's XML: a file of about half a MB."""
    part = classes_part(src)
    with zipfile.ZipFile(src) as z:
        xml = z.read(part)
        strings = re.findall(rb"<si>(.*?)</si>", z.read("xl/sharedStrings.xml"), re.S)
    primary = strings.index("<t>小学</t>".encode())
    header = re.search(rb'<row r="1".*?</row>', xml, re.S)
    assert header
    # Rows without an address follow the previous one (as the parser reads them): rows 2 to 1,048,576.
    row = b'<row><c t="s"><v>%d</v></c><c><v>1</v></c><c><v>1</v></c><c><v>40</v></c></row>' % primary
    data = b"<sheetData>" + header.group(0) + row * 1_048_575 + b"</sheetData>"
    xml = re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", lambda _: data, xml, flags=re.S)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for m in zin.infolist():
            zout.writestr(m, xml if m.filename == part else zin.read(m.filename), zipfile.ZIP_DEFLATED, 9)
    return dst


def write_absurd_returns(inbox: Path) -> None:
    """Absurd data (issue 13 item 4), each in a school of its own: 10^12 students in one class, the class
    rows pasted twice, an 11-digit 学校标识码."""

    def school(code: str, name: str, sizes: list[int]) -> dict:
        return {
            "info": info(code, name, "小学", date(2026, 10, 8)),
            "classes": classes("小学", sizes),
            "teachers": [teachers("小学", 10, 6, 2, 1, 0, 1)],
            "facilities": [facilities("小学", 700, 100, 900, 30, 3)],
        }

    write_return(inbox / "戊小学-万亿学生.xlsx", school("3708300005", "戊小学", [25, 25, 10**12, 25]))
    pasted = school("3708300006", "己小学", [25, 25, 25, 25])
    pasted["classes"] = pasted["classes"] * 2
    write_return(inbox / "己小学-班级贴了两次.xlsx", pasted)
    write_return(inbox / "庚小学-标识码11位.xlsx", school("37083000071", "庚小学", [25, 25, 25, 25]))


def sorted_frame(df):  # type: ignore[no-untyped-def]
    keys = [c for c in df.columns if c not in ("computed_at", "run_id", "loaded_at")]
    return df[keys].sort_values(keys[:4]).reset_index(drop=True)


def test_attack_files_never_stop_the_county(tmp_path: Path, warehouse_url: str) -> None:
    inbox = tmp_path / "inbox"
    write_county(inbox)
    clean = run(inbox, warehouse_url, tmp_path)
    before = {k: sorted_frame(v) for k, v in marts(warehouse_url).items() if k in MODEL_MARTS}

    long_name = "甲" * 83 + "a.xlsx"  # 255 bytes, the longest legal name
    shutil.copy2(inbox / "A.xlsx", inbox / "A(1).xlsx")  # a byte-identical copy, as mail clients save it
    shutil.copy2(inbox / "C.xlsx", inbox / long_name)
    with_far_cell(inbox / "B-final.xlsx", inbox / "乙小学-远处单元格.xlsx")
    rows = with_million_class_rows(inbox / "C.xlsx", inbox / "丙学校-百万班级.xlsx")
    assert rows.stat().st_size < 600_000  # half a MB on disk: no size limit can catch it
    (inbox / "3708300009_环境.xlsx").symlink_to("/proc/self/environ")
    os.mkfifo(inbox / "管道.xlsx")
    (inbox / ".隐藏.xlsx").write_text("不是报表", encoding="utf-8")
    write_absurd_returns(inbox)

    result = monthly_returns(
        period=PERIOD,
        inbox=str(inbox),
        warehouse_url=warehouse_url,
        data_dir=str(tmp_path / "data"),
        out_dir=str(tmp_path / "out"),
        reread="all",
    )
    assert not result["no_valid_returns"]
    after = marts(warehouse_url)
    for name in MODEL_MARTS:  # every good return loaded exactly as without the attack files
        assert sorted_frame(after[name]).equals(before[name]), name
    assert result["files_loaded"] == clean["files_loaded"] == 3

    status = after["return_status"].set_index("file_name")["status"]
    absurd = ("戊小学-万亿学生.xlsx", "己小学-班级贴了两次.xlsx", "庚小学-标识码11位.xlsx")
    for refused in (
        "乙小学-远处单元格.xlsx",
        "丙学校-百万班级.xlsx",
        "3708300009_环境.xlsx",
        "管道.xlsx",
        ".隐藏.xlsx",
        *absurd,
    ):
        assert status[refused] == "rejected", refused
    assert "A(1).xlsx" not in status.index and long_name not in status.index  # copies: one return each

    issues = after["validation_issues"]
    msg = dict(zip(issues["file_name"], issues["message"], strict=False))
    assert "工作表「班级学生」XFD1048576 单元格" in msg["乙小学-远处单元格.xlsx"]
    assert (
        "工作表「班级学生」D1048576 单元格：这个单元格有内容，使工作表达到 1,048,576 行 × 6 列"
        in msg["丙学校-百万班级.xlsx"]
    )
    assert "符号链接" in msg["3708300009_环境.xlsx"] and "不是普通文件" in msg["管道.xlsx"]
    assert "与「A.xlsx」内容完全相同" in msg["A(1).xlsx"] and "与「C.xlsx」内容完全相同" in msg[long_name]
    # Absurd data: each file's errors, located (the header is row 1, the first class row 2).
    errors = issues[issues["severity"] == "error"]
    located = {name: set(zip(g["rule"], g["sheet"], g["cell"], strict=True)) for name, g in errors.groupby("file_name")}
    assert located["戊小学-万亿学生.xlsx"] == {("number.out_of_range", "班级学生", "D4")}
    assert located["己小学-班级贴了两次.xlsx"] == {
        ("plausibility.duplicate_row", "班级学生", f"C{row}") for row in (6, 7, 8, 9)
    }
    assert located["庚小学-标识码11位.xlsx"] == {("school_code.format", "基本信息", "B3")}
    texts = errors.groupby("file_name")["message"].apply(" ".join)
    assert "超过可以接受的上限" in texts["戊小学-万亿学生.xlsx"]
    assert "本行与第 2 行的「学段」、「年级」、「班级」完全相同" in texts["己小学-班级贴了两次.xlsx"]
    assert "10 位数字" in texts["庚小学-标识码11位.xlsx"]

    archived = [p for p in (tmp_path / "data").rglob("*") if p.is_file() and ".prefect" not in p.parts]
    assert not any(b"PATH=" in p.read_bytes() for p in archived)  # the environment was never copied


def test_the_flow_checks_its_own_parameters_and_the_period_folder(tmp_path: Path, warehouse_url: str) -> None:
    inbox = tmp_path / "inbox"
    write_county(inbox)
    with pytest.raises(ConfigError, match="报表期"):
        monthly_returns(period="2026-010", inbox=str(inbox), warehouse_url=warehouse_url, data_dir=str(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    (out / PERIOD).write_text("a file where the period's folder goes", encoding="utf-8")
    with pytest.raises(ConfigError, match=PERIOD):
        monthly_returns(
            period=PERIOD, inbox=str(inbox), warehouse_url=warehouse_url, data_dir=str(tmp_path), out_dir=str(out)
        )
    assert not list((tmp_path / "archive").rglob("*.xlsx"))  # stopped before anything was received


def test_backfill_checks_its_periods(tmp_path: Path) -> None:
    from flows.backfill import rerun_returns

    for bad in ({"period_from": "2026-010"}, {"period_from": "2026-09", "period_to": "2026-1٠"}):
        with pytest.raises(ConfigError, match="报表期"):
            rerun_returns(**bad, data_dir=str(tmp_path), warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}")
