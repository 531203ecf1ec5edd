"""The school roster: import, unknown schools flagged (accepted), missing returns after the deadline."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from cli import main
from junheng.contract import ReceivedFile, ReturnBatch
from junheng.errors import DataError
from tasks.ingest.roster import deadline_of, import_roster, read_roster, record_missing, unknown_school_findings
from warehouse import schema as s
from warehouse.engine import init_warehouse, make_engine, query_frame

P = "2026-10"
HEADER = ["学校标识码", "学校名称", "办学类型", "乡镇", "城乡分类", "办学性质", "是否教学点", "所属学校"]
SCHOOLS = [
    ["3708300001", "甲小学", "小学", "城关镇", "城区", "公办", "否", None],
    ["3708300002", "乙中学", "初级中学", "北关镇", "镇区", "公办", "否", None],
    [3708300003, "丙教学点", "小学", "西岭镇", "乡村", "公办", "是", "3708300001"],  # a code typed as a number
]


def roster_file(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "名册"
    ws.append(["某县义务教育学校名册"])  # a title row above the header
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_read_roster(tmp_path: Path) -> None:
    df = read_roster(roster_file(tmp_path / "r.xlsx", SCHOOLS))
    assert list(df["school_code"]) == ["3708300001", "3708300002", "3708300003"]
    assert list(df["is_teaching_point"]) == [False, False, True]
    assert df.loc[2, "parent_school_code"] == "3708300001"
    assert list(df["source_row"]) == [3, 4, 5]


def test_bad_roster_names_every_bad_cell(tmp_path: Path) -> None:
    bad = [
        ["370830001", "甲小学", "小学", "", "城区", "公办", "否", None],  # 9 digits
        ["3708300002", "乙中学", "高中", "", "镇区", "公办", "否", None],  # not a compulsory school type
        ["3708300002", "", "小学", "", "城区", "公办", "否", None],  # duplicate code, no name
    ]
    with pytest.raises(DataError) as e:
        read_roster(roster_file(tmp_path / "r.xlsx", bad))
    msg = str(e.value)
    assert "A3「学校标识码」应为10位数字的国家学校标识码（填的是：370830001）" in msg
    assert "C4「办学类型」应为以下之一" in msg and "（填的是：高中）" in msg
    assert "B5「学校名称」不能为空" in msg
    assert "A5「学校标识码」与 A4 重复" in msg
    assert "名册未作任何改动" in msg


def test_import_replaces_the_roster(tmp_path: Path, warehouse_url: str) -> None:
    assert import_roster(warehouse_url, roster_file(tmp_path / "r.xlsx", SCHOOLS)) == 3
    assert import_roster(warehouse_url, roster_file(tmp_path / "r2.xlsx", SCHOOLS[:2])) == 2
    eng = make_engine(warehouse_url)
    got = query_frame(eng, "SELECT school_code, source_file FROM core.roster ORDER BY school_code")
    eng.dispose()
    assert list(got["school_code"]) == ["3708300001", "3708300002"]
    assert set(got["source_file"]) == {"r2.xlsx"}


def test_cli_roster_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    assert main(["roster", "import", str(roster_file(tmp_path / "r.xlsx", SCHOOLS)), "--warehouse", url]) == 0
    assert "已导入学校名册：3 所学校" in capsys.readouterr().out
    bad = roster_file(tmp_path / "bad.xlsx", [["1", "x", "小学"]])
    assert main(["roster", "import", str(bad), "--warehouse", url]) == 2
    assert "应为10位数字" in capsys.readouterr().err


def test_unknown_school_is_accepted_with_a_warning() -> None:
    rf = ReceivedFile("a" * 64, "X.xlsx", "/x", "/x", datetime(2026, 10, 8), 1)
    batch = ReturnBatch(
        files=[rf],
        info=pd.DataFrame([{"file_id": rf.file_id, "school_code": "3708309999"}]),
        frames={},
        info_cells={rf.file_id: {"school_code": "B2"}},
    )
    [f] = unknown_school_findings(batch, {"3708300001"})
    assert (f.rule, f.severity, f.sheet, f.cell, f.value) == (
        "roster.unknown_school",
        "warning",
        "基本信息",
        "B2",
        "3708309999",
    )
    assert "不在教育局的学校名册中" in f.message
    assert unknown_school_findings(batch, {"3708309999"}) == []
    assert unknown_school_findings(batch, set()) == []  # no roster imported: nothing to compare with


def test_deadline_of() -> None:
    assert deadline_of("2026-10", 3) == date(2026, 11, 3)
    assert deadline_of("2026-12", 5) == date(2027, 1, 5)


def test_missing_returns_after_the_deadline(tmp_path: Path, warehouse_url: str) -> None:
    import_roster(warehouse_url, roster_file(tmp_path / "r.xlsx", SCHOOLS))
    eng = make_engine(warehouse_url)
    init_warehouse(eng)
    now = datetime(2026, 11, 1)
    base = {
        "county_code": "000000",
        "period": P,
        "archive_path": "/a",
        "received_at": now,
        "n_errors": 0,
        "n_violations": 0,
        "n_warnings": 0,
    }
    with eng.begin() as c:
        c.execute(
            s.ingest_file.insert(),
            [
                {
                    **base,
                    "file_id": "1" * 64,
                    "file_name": "a.xlsx",
                    "school_code": "3708300001",
                    "status": "loaded",
                    "processed_at": now,
                },
                # 乙 sent only a rejected return: still missing.
                {
                    **base,
                    "file_id": "2" * 64,
                    "file_name": "b.xlsx",
                    "school_code": "3708300002",
                    "status": "rejected",
                    "processed_at": now,
                },
                # A school not on the roster is never "missing".
                {
                    **base,
                    "file_id": "3" * 64,
                    "file_name": "z.xlsx",
                    "school_code": "3708309999",
                    "status": "loaded",
                    "processed_at": now,
                },
            ],
        )
    assert record_missing(warehouse_url, P, 3, today=date(2026, 11, 3)) == 0  # the deadline day itself: not yet
    assert record_missing(warehouse_url, P, 3, today=date(2026, 11, 4)) == 2
    status = query_frame(
        eng, "SELECT school_code, status, file_name FROM mart.return_status WHERE period = :p", {"p": P}
    )
    missing = status[status["status"] == "missing"]
    assert sorted(missing["school_code"]) == ["3708300002", "3708300003"]
    assert missing["file_name"].isna().all()
    assert len(status) == 5  # three files and two missing schools
    # A late return arrives and is loaded: the next run no longer lists the school.
    with eng.begin() as c:
        c.execute(s.ingest_file.update().where(s.ingest_file.c.file_id == "2" * 64).values(status="loaded"))
    assert record_missing(warehouse_url, P, 3, today=date(2026, 11, 20)) == 1
    with eng.connect() as c:
        assert c.execute(sa.text("SELECT school_code FROM audit.missing_return")).scalars().all() == ["3708300003"]
    eng.dispose()
