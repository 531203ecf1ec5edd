"""Nothing reaches the database that it could refuse (#13 item 2): broken twins of a good return, each
named after the rule that rejects it, are rejected at validation with a located finding, and the good
return loads, on both engines (PostgreSQL refused the whole load on an 11-digit code or a NUL before).
A refusal validation cannot foresee (a constraint added to the warehouse) rejects only its file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tests.integration.test_load import ingest, school
from warehouse import schema as s
from warehouse.engine import init_warehouse, make_engine, query_frame

P = "2026-10"


def _ret(code: str, name: str = "甲小学") -> dict:
    ret = school(name, P, date(2026, 10, 3), [25] * 4)
    ret["info"]["school_code"] = code
    return ret


def _twins() -> dict[str, dict]:
    out = {"good.xlsx": _ret("3708300001")}
    r = _ret("37083000011")
    out["school_code.format.xlsx"] = r
    r = _ret("3708300003", "乙\x00小学")  # XlsxWriter writes NUL as _x0000_, as some exporters do
    out["text.control_char.xlsx"] = r
    r = _ret("3708300004")
    r["info"]["township"] = "城关" * 101  # 202 characters
    out["text.too_long.xlsx"] = r
    r = _ret("3708300005")
    r["classes"][1]["students"] = 10**12
    out["number.out_of_range.xlsx"] = r
    r = _ret("3708300006")
    r["info"]["founded_year"] = 3_000_000_000  # beyond the warehouse's INTEGER
    out["number.out_of_range.year.xlsx"] = r
    return out


def _issues(url: str) -> dict[str, set[tuple[str, str, str]]]:
    eng = make_engine(url)
    rows = query_frame(eng, "SELECT file_name, sheet, cell, rule, severity FROM mart.validation_issues")
    eng.dispose()
    out: dict[str, set[tuple[str, str, str]]] = {}
    for r in rows[rows["severity"] == "error"].itertuples(index=False):
        out.setdefault(str(r.file_name), set()).add((str(r.rule), str(r.sheet), str(r.cell)))
    return out


def _status(url: str) -> dict[str, str]:
    eng = make_engine(url)
    st = query_frame(eng, "SELECT file_name, status FROM mart.return_status WHERE period = :p", {"p": P})
    eng.dispose()
    return dict(zip(st["file_name"], st["status"], strict=True))


def test_broken_twins_are_rejected_at_validation_and_the_good_return_loads(tmp_path: Path, warehouse_url: str) -> None:
    ingest(tmp_path, warehouse_url, P, _twins(), "r1")
    assert _status(warehouse_url) == {
        "good.xlsx": "loaded",
        "school_code.format.xlsx": "rejected",
        "text.control_char.xlsx": "rejected",
        "text.too_long.xlsx": "rejected",
        "number.out_of_range.xlsx": "rejected",
        "number.out_of_range.year.xlsx": "rejected",
    }
    issues = _issues(warehouse_url)
    assert "good.xlsx" not in issues
    # 基本信息 is key/value: 学校标识码 B3, 学校名称 B4, 所在乡镇 B6, 建校年份 B12; 学生数 is column D of 班级学生.
    assert issues["school_code.format.xlsx"] == {("school_code.format", "基本信息", "B3")}
    assert issues["text.control_char.xlsx"] == {("text.control_char", "基本信息", "B4")}
    assert issues["text.too_long.xlsx"] == {("text.too_long", "基本信息", "B6")}
    assert issues["number.out_of_range.xlsx"] == {("number.out_of_range", "班级学生", "D3")}
    assert issues["number.out_of_range.year.xlsx"] == {("number.out_of_range", "基本信息", "B12")}
    eng = make_engine(warehouse_url)
    loaded = query_frame(eng, "SELECT DISTINCT school_code FROM core.fct_class")
    r1 = query_frame(eng, "SELECT value FROM mart.school_indicators WHERE indicator_code = 'R1'")
    eng.dispose()
    assert list(loaded["school_code"]) == ["3708300001"]
    assert list(r1["value"]) == [6.0]  # 6 teachers above the degree per 100 students × 100


def test_a_file_the_database_refuses_is_rejected_alone(tmp_path: Path, warehouse_url: str) -> None:
    eng = make_engine(warehouse_url)
    init_warehouse(eng)
    # Stands for any refusal validation did not foresee: the warehouse refuses a class named 故障班.
    with eng.begin() as conn:
        if eng.dialect.name == "duckdb":  # DuckDB adds constraints only with the table
            conn.execute(sa.text("DROP TABLE core.fct_class"))
            table = s.fct_class.to_metadata(sa.MetaData())
            table.append_constraint(sa.CheckConstraint("class_name <> '故障班'", name="refuses_test_class"))
            table.create(conn)
        else:
            conn.execute(
                sa.text("ALTER TABLE core.fct_class ADD CONSTRAINT refuses_test_class CHECK (class_name <> '故障班')")
            )
    eng.dispose()
    refused = _ret("3708300002", "乙小学")
    refused["classes"][2]["class_name"] = "故障班"
    ingest(tmp_path, warehouse_url, P, {"good.xlsx": _ret("3708300001"), "refused.xlsx": refused}, "r1")
    assert _status(warehouse_url) == {"good.xlsx": "loaded", "refused.xlsx": "rejected"}
    assert _issues(warehouse_url) == {"refused.xlsx": {("db.refused", "班级学生", "")}}
    eng = make_engine(warehouse_url)
    msg = query_frame(eng, "SELECT message FROM audit.validation_issue WHERE rule = 'db.refused'")["message"].iloc[0]
    loaded = query_frame(eng, "SELECT DISTINCT school_code FROM core.fct_class")
    eng.dispose()
    assert "「班级学生」表的数据无法存入数据仓库" in msg and "其他学校的报表不受影响" in msg
    assert list(loaded["school_code"]) == ["3708300001"]
