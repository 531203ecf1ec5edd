"""A warehouse of the first release with county_code (frozen: tests/fixtures/schema_v1.py and
schema_v1_views.sql) holding a loaded period: a run refuses it with the upgrade command, `junheng warehouse
upgrade` keeps every row, and the next period's run gives the same marts as a warehouse built new (#13 item 8)."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from cli import main
from junheng.errors import ConfigError
from junheng.settings import load_settings
from tasks.ingest.archive import archive
from tasks.model.load import check_policy_run, fetch_marts, load_run
from tasks.publish.template import write_return
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from tests.fixtures import schema_v1
from tests.integration.test_load import school
from warehouse.engine import bulk_insert, init_warehouse, make_engine, query_frame

VIEWS_V1 = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1_views.sql"
SEP, OCT = "2026-09", "2026-10"


def _school(code: str, name: str, period: str, day: int, students: list[int], above: int) -> dict:
    ret = school(name, period, date(int(period[:4]), int(period[5:]), day), students, above)
    ret["info"]["school_code"] = code
    return ret


def _run(tmp_path: Path, url: str, period: str, returns: dict[str, dict], run_id: str) -> None:
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    inbox = work / "inbox"
    inbox.mkdir()
    for name, ret in returns.items():
        write_return(inbox / name, ret)
    settings = load_settings(data_dir=tmp_path / f"data-{run_id}", warehouse_url=url)
    batch = read_returns(archive(sorted(inbox.iterdir()), settings.archive_dir))
    load_run(url, period, batch, validate(batch, period), settings, run_id, now=datetime(2026, 11, 1, 8))
    check_policy_run(url, period, run_id)


SEPTEMBER = {
    "甲.xlsx": lambda: _school("3708300001", "甲小学", SEP, 5, [25] * 4, 6),
    "乙.xlsx": lambda: _school("3708300002", "乙小学", SEP, 6, [46, 30, 28], 2),
}
OCTOBER = {
    "甲10.xlsx": lambda: _school("3708300001", "甲小学", OCT, 5, [25] * 4, 5),
    "丙10.xlsx": lambda: _school("3708300003", "丙小学", OCT, 7, [31, 33], 4),
}


def _marts(url: str) -> dict[str, pd.DataFrame]:
    """Every mart of both periods, without the wall-clock columns (the policy check's created_at)."""
    out = {}
    for period in (SEP, OCT):
        for name, frame in fetch_marts(url, period).items():
            keep = [c for c in frame.columns if not c.endswith("_at")]
            out[f"{period}/{name}"] = (
                frame[keep].astype(object).sort_values(keep, key=lambda s: s.astype(str)).reset_index(drop=True)
            )
    return out


def _v1_rows(url: str) -> dict[str, pd.DataFrame]:
    eng = make_engine(url)
    with eng.connect() as conn:
        rows = {
            f"{t.schema}.{t.name}": query_frame(conn, f"SELECT * FROM {t.schema}.{t.name}")
            for t in schema_v1.metadata.sorted_tables
        }
    eng.dispose()
    return rows


def _columns(url: str) -> set[tuple[str, str, str, str]]:
    eng = make_engine(url)
    cols = query_frame(
        eng,
        "SELECT table_schema, table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema IN ('raw', 'core', 'audit', 'mart')",
    )
    eng.dispose()
    return {tuple(str(v) for v in r) for r in cols.itertuples(index=False)}  # type: ignore[misc]


def _build_first_release(url: str, rows: dict[str, pd.DataFrame]) -> None:
    """The schema, views and rows a warehouse of the first release with county_code holds."""
    eng = make_engine(url)
    with eng.begin() as conn:
        for schema in ("raw", "core", "mart", "audit"):
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        schema_v1.metadata.create_all(conn)
        for block in VIEWS_V1.read_text(encoding="utf-8").split("\n;\n"):
            sql = "\n".join(line for line in block.splitlines() if not line.startswith("-- "))
            if sql.strip():
                conn.execute(sa.text(sql))
        for t in schema_v1.metadata.sorted_tables:
            frame = rows[f"{t.schema}.{t.name}"]
            bulk_insert(conn, t, frame.astype(object).where(frame.notna(), None))
    eng.dispose()


def _drop_all(url: str) -> None:
    eng = make_engine(url)
    with eng.begin() as conn:
        if eng.dialect.name == "duckdb":
            conn.execute(sa.text("DROP SCHEMA IF EXISTS raw CASCADE"))
            for schema in ("core", "mart", "audit"):
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        else:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS raw, core, mart, audit CASCADE"))
    eng.dispose()


def test_a_first_release_warehouse_upgrades_and_runs_like_a_new_one(
    tmp_path: Path, warehouse_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A warehouse built new by this release: September, then October.
    _run(tmp_path, warehouse_url, SEP, {k: f() for k, f in SEPTEMBER.items()}, "sep")
    september_rows = _v1_rows(warehouse_url)
    assert len(september_rows["core.fct_class"]) == 7 and len(september_rows["audit.ingest_file"]) == 2
    _run(tmp_path, warehouse_url, OCT, {k: f() for k, f in OCTOBER.items()}, "oct")
    expected = _marts(warehouse_url)
    fresh_columns = _columns(warehouse_url)

    # The same September in a warehouse of the first release.
    _drop_all(warehouse_url)
    _build_first_release(warehouse_url, september_rows)
    with pytest.raises(ConfigError, match=r"较早版本 0001.*junheng warehouse upgrade --warehouse"):
        _run(tmp_path, warehouse_url, OCT, {k: f() for k, f in OCTOBER.items()}, "oct-refused")

    assert main(["warehouse", "upgrade", "--warehouse", warehouse_url]) == 0
    assert "版本 0001（多县共用一个仓库的首个版本） → 0003" in capsys.readouterr().out
    kept = _v1_rows(warehouse_url)
    for name, before in september_rows.items():
        pd.testing.assert_frame_equal(kept[name], before, check_dtype=False, obj=name)
    assert _columns(warehouse_url) == fresh_columns
    # Upgrading again changes nothing.
    assert main(["warehouse", "upgrade", "--warehouse", warehouse_url]) == 0
    assert "已是最新结构" in capsys.readouterr().out

    _run(tmp_path, warehouse_url, OCT, {k: f() for k, f in OCTOBER.items()}, "oct")
    got = _marts(warehouse_url)
    assert got.keys() == expected.keys()
    assert len(got[f"{OCT}/school_indicators"]) > 0 and len(got[f"{SEP}/school_indicators"]) > 0
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, check_dtype=False, obj=name)


def test_versions_before_the_record_and_after_this_program(tmp_path: Path) -> None:
    """A warehouse of the release before versions were recorded (today's tables, no audit.alembic_version)
    is recognised and stamped by a run; one stamped by a newer program is refused, in Chinese."""
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    eng = make_engine(url)
    init_warehouse(eng)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP TABLE audit.alembic_version"))
    init_warehouse(eng)
    assert list(query_frame(eng, "SELECT version_num FROM audit.alembic_version")["version_num"]) == ["0003"]
    with eng.begin() as conn:
        conn.execute(sa.text("UPDATE audit.alembic_version SET version_num = '0099'"))
    with pytest.raises(ConfigError, match=r"结构版本 0099 比本程序新.*相同或更新版本的 junheng"):
        init_warehouse(eng)
    eng.dispose()
