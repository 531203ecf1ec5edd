"""The county scorecard on DuckDB and PostgreSQL: every indicator and veto, statuses, verdict, dated rules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from junheng.contract import ReceivedFile
from junheng.errors import ConfigError
from junheng.policy import NATIONAL_CODES, POLICY_DIR, clear_cache, rules_in_force
from junheng.settings import load_settings
from tasks.demo.county import demo_county_return
from tasks.demo.returns import make_demo_county
from tasks.ingest.archive import archive, discover
from tasks.model.county_load import load_county_returns
from tasks.model.load import load_run
from tasks.model.recompute import recompute_period
from tasks.model.run import compute_period
from tasks.publish.county_template import write_county_return
from tasks.publish.period_report import publish_reports
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from warehouse import schema as s
from warehouse.engine import bulk_insert, init_warehouse, make_engine, query_frame
from warehouse.load import read_marts, sync_reference

NOW = datetime(2026, 11, 5, 2, 0)
CODE = "3700000001"
VETOES = [f"V{i}" for i in range(1, 7)]


@pytest.fixture(autouse=True)
def _national_only(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("JUNHENG_POLICY_OVERLAYS", raising=False)
    monkeypatch.delenv("JUNHENG_POLICY_DIR", raising=False)
    clear_cache()
    yield
    clear_cache()


def _school(engine: Any, period: str) -> None:
    """One 小学 of 90 students in 2 classes of 45, meeting every G rule it can."""
    section = {
        "county_code": "000000",
        "period": period,
        "school_code": CODE,
        "section": "primary",
        "students": 90.0,
        "classes": 2,
        "teachers": 10.0,
        "teachers_above_required_degree": 10.0,
        "backbone_teachers": 1.0,
        "pe_teachers": 1.0,
        "music_teachers": 0.0,
        "art_teachers": 0.0,
        "r3_teachers": 1.0,  # 体育 1 + 音乐 0 + 美术 0, as build_units stores it
        "certified_teachers": 10.0,
        "rotation_eligible_teachers": 10.0,
        "rotated_teachers": 1.0,  # 10 % exactly
        "rotated_backbone_teachers": 1.0,
        "trained_360h_teachers": 10.0,
        "teaching_aux_area_m2": 500.0,
        "indoor_sports_area_m2": 0.0,
        "sports_ground_area_m2": 700.0,
        "equipment_value_yuan": 200000.0,
        "multimedia_classrooms": 3.0,
        "shared_share": 0.0,
        "is_unit": True,
        "in_cv": True,
        "scope_note": "",
        "file_id": "f" * 64,
        "source_sheet": "x",
        "source_row": None,
        "loaded_at": NOW,
    }
    lineage = {
        "county_code": "000000",
        "period": period,
        "school_code": CODE,
        "file_id": "f" * 64,
        "source_sheet": "x",
        "loaded_at": NOW,
    }
    with engine.begin() as conn:
        for t in (s.fct_school_section, s.fct_class, s.raw_room, s.dim_school):
            if "period" in t.c:
                conn.execute(t.delete().where(t.c.period == period))
        conn.execute(s.dim_school.delete())
        conn.execute(
            s.dim_school.insert().values(
                school_sk=f"{CODE}@2026-01",
                school_code=CODE,
                county_code="000000",
                school_name="第一小学",
                school_type="小学",
                ownership="公办",
                is_teaching_point=False,
                valid_from="2026-01",
                is_current=True,
                file_id="f" * 64,
                loaded_at=NOW,
            )
        )
        bulk_insert(conn, s.fct_school_section, pd.DataFrame([section]))
        bulk_insert(conn, s.fct_class, pd.DataFrame([{**lineage, "section": "primary", "students": 45.0}] * 2))
        rooms = [
            {**lineage, "section": "primary", "room_type": t, "area_m2": a} for t, a in (("音乐", 96.0), ("美术", 90.0))
        ]
        bulk_insert(conn, s.raw_room, pd.DataFrame(rooms))


TP = "3700000002"


def _teaching_point(engine: Any, period: str, *, merged: bool) -> None:
    """A 教学点 of 30 students in 4 classes (8, 8, 7, 7) under CODE: 3 teachers, 2 of them certified,
    3 trained; 5 eligible for rotation, none rotated; no special rooms. Left out of the R units
    (exclude_under_50), or merged into CODE (merge: its students and teachers added to CODE's row,
    as tasks/model/units.py does)."""
    tp = {
        "students": 30.0,
        "teachers": 3.0,
        "certified_teachers": 2.0,
        "trained_360h_teachers": 3.0,
        "rotation_eligible_teachers": 5.0,
        "rotated_teachers": 0.0,
        "rotated_backbone_teachers": 0.0,
    }
    note = f"教学点：并入所属学校 {CODE} 计算" if merged else "教学点在校生 30 人，少于 50 人，不参与指标和差异系数"
    with engine.begin() as conn:
        parent = query_frame(conn, "SELECT * FROM core.fct_school_section WHERE period = :p", {"p": period})
        row = parent.iloc[0].to_dict()
        if merged:
            conn.execute(s.fct_school_section.delete().where(s.fct_school_section.c.period == period))
            merged_row = {**row, **{k: row[k] + v for k, v in tp.items()}, "classes": row["classes"] + 4}
            bulk_insert(conn, s.fct_school_section, pd.DataFrame([merged_row]))
        own = {**row, **tp, "school_code": TP, "classes": 4, "is_unit": False, "in_cv": False, "scope_note": note}
        bulk_insert(conn, s.fct_school_section, pd.DataFrame([own]))
        conn.execute(
            s.dim_school.insert().values(
                school_sk=f"{TP}@2026-01",
                school_code=TP,
                county_code="000000",
                school_name="王庄教学点",
                school_type="小学",
                ownership="公办",
                is_teaching_point=True,
                parent_school_code=CODE,
                valid_from="2026-01",
                is_current=True,
                file_id="e" * 64,
                loaded_at=NOW,
            )
        )
        lineage = {
            "county_code": "000000",
            "period": period,
            "school_code": TP,
            "file_id": "e" * 64,
            "source_sheet": "x",
            "loaded_at": NOW,
            "section": "primary",
        }
        bulk_insert(conn, s.fct_class, pd.DataFrame([{**lineage, "students": n} for n in (8.0, 8.0, 7.0, 7.0)]))


def test_teaching_points_count_in_the_g_checks(warehouse_url: str) -> None:
    """indicators.md: the exclusion of small teaching points is from R1–R7 and the CVs only."""
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    _school(engine, "2026-10")
    _teaching_point(engine, "2026-10", merged=False)
    _compute(engine, "2026-10")
    card = _card(engine, "2026-10")
    # G12: 第一小学 10/10 = 100 %, 教学点 2/3 = 66.67 %: 2 schools, 1 failing, the worst 200/3.
    g12 = _one(card, "G12")
    assert (g12["n_schools"], g12["n_unmet"], g12["status"]) == (2, 1, "unmet")
    assert g12["value"] == pytest.approx(200 / 3, rel=1e-12)
    assert (_one(card, "G9")["n_schools"], _one(card, "G9")["status"]) == (2, "met")  # 3/3 trained
    # G11 county totals: rotated (1 + 0) / eligible (10 + 5) = 6.67 % < 10 %.
    g11 = _one(card, "G11", item="交流轮岗")
    assert (g11["value"], g11["status"]) == (pytest.approx(100 / 15, rel=1e-12), "unmet")
    # G5: the 教学点's classes are judged too (largest 8): 2 schools, the worst class still 45.
    g5 = _one(card, "G5", section="primary")
    assert (g5["n_schools"], g5["value"], g5["status"]) == (2, 45.0, "met")
    # G3: 4 classes need 1 music room, it has 0: surplus 0 − 1 = −1. No room, so no area line for it.
    g3 = _one(card, "G3", measure="rooms", item="音乐")
    assert (g3["n_schools"], g3["n_unmet"], g3["value"], g3["status"]) == (2, 1, -1.0, "unmet")
    area = _one(card, "G3", measure="area", item="音乐")
    assert (area["n_schools"], area["value"], area["status"]) == (1, 96.0, "met")
    # R: still the one 小学 unit (the 教学点 is left out of R1–R7 and the CVs).
    assert _one(card, "R_MIN_MET", section="primary")["n_schools"] == 1
    engine.dispose()


def test_a_merged_teaching_point_counts_once_as_part_of_its_parent(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    _school(engine, "2026-10")
    _teaching_point(engine, "2026-10", merged=True)
    _compute(engine, "2026-10")
    card = _card(engine, "2026-10")
    # G12 on the merged school: (10 + 2) / (10 + 3) = 92.31 %; one school.
    g12 = _one(card, "G12")
    assert (g12["n_schools"], g12["n_unmet"], g12["value"]) == (1, 1, pytest.approx(1200 / 13, rel=1e-12))
    # G11: 1 / 15 = 6.67 %, the 教学点's 5 eligible teachers counted once (twice would give 1 / 20 = 5 %).
    assert _one(card, "G11", item="交流轮岗")["value"] == pytest.approx(100 / 15, rel=1e-12)
    # G3/G5: its 4 classes are the parent's: 2 + 4 = 6 classes need 1 music room, and it has 1.
    g3 = _one(card, "G3", measure="rooms", item="音乐")
    assert (g3["n_schools"], g3["value"], g3["status"]) == (1, 0.0, "met")
    assert _one(card, "G5", section="primary")["n_schools"] == 1
    engine.dispose()


PRIVATE = "3700000003"


def _private_school(engine: Any, period: str) -> None:
    """A 民办 小学 like CODE but with 1 teacher above the required degree for 90 students:
    R1 = 1 × 100 / 90 = 1.11 < 85 % of 4.2 = 3.57, so it fails the school rule."""
    with engine.begin() as conn:
        row = query_frame(conn, "SELECT * FROM core.fct_school_section WHERE school_code = :c", {"c": CODE})
        bad = {**row.iloc[0].to_dict(), "school_code": PRIVATE, "teachers_above_required_degree": 1.0}
        bulk_insert(conn, s.fct_school_section, pd.DataFrame([bad]))
        conn.execute(
            s.dim_school.insert().values(
                school_sk=f"{PRIVATE}@2026-01",
                school_code=PRIVATE,
                county_code="000000",
                school_name="育才学校",
                school_type="小学",
                ownership="民办",
                is_teaching_point=False,
                valid_from="2026-01",
                is_current=True,
                file_id="d" * 64,
                loaded_at=NOW,
            )
        )


@pytest.mark.parametrize(("counted", "n", "failing", "status"), [(False, 1, 0, "met"), (True, 2, 1, "unmet")])
def test_the_school_rule_line_counts_public_units_unless_configured(
    warehouse_url: str, counted: bool, n: int, failing: int, status: str
) -> None:
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    _school(engine, "2026-10")
    _private_school(engine, "2026-10")
    with engine.begin() as conn:
        sync_reference(conn, "2026-10", rules_in_force("2026-10"))
        compute_period(conn, "2026-10", "weighted", NOW, private_in_school_rule=counted)
    card = _card(engine, "2026-10")
    line = _one(card, "R_MIN_MET", section="primary")
    assert (line["n_schools"], line["n_unmet"], line["value"], line["status"]) == (n, failing, float(failing), status)
    assert "民办" in line["note"]
    # The 民办 unit is judged and shown either way.
    comp = query_frame(engine, "SELECT school_code, passes FROM mart.school_compliance WHERE period = '2026-10'")
    assert dict(zip(comp["school_code"], comp["passes"], strict=True)) == {CODE: True, PRIVATE: False}
    engine.dispose()


def _county(tmp_path: Path, url: str, period: str, **changes: Any) -> None:
    values = {**demo_county_return(period), **changes}
    path = write_county_return(tmp_path / f"县级报表-{period}.xlsx", values)
    rf = ReceivedFile(f"{period}-county".ljust(64, "0"), path.name, str(path), str(path), NOW, path.stat().st_size)
    out = load_county_returns(url, period, [rf], "run-1", NOW)
    assert out["county_loaded"] == path.name


def _compute(engine: Any, period: str) -> None:

    with engine.begin() as conn:
        sync_reference(conn, period, rules_in_force(period))
        compute_period(conn, period, "weighted", NOW)


def _card(engine: Any, period: str) -> pd.DataFrame:
    return query_frame(engine, "SELECT * FROM mart.county_scorecard WHERE period = :p", {"p": period})


def _one(card: pd.DataFrame, code: str, **where: str) -> pd.Series:
    rows = card[card["indicator_code"] == code]
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_every_indicator_and_veto_has_a_line_with_its_status(tmp_path: Path, warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    _school(engine, "2026-10")
    _county(tmp_path, warehouse_url, "2026-10")
    _compute(engine, "2026-10")
    card = _card(engine, "2026-10")
    assert set(NATIONAL_CODES) | set(VETOES) <= set(card["indicator_code"])
    assert set(card["status"]) <= {"met", "unmet", "not_reported", "evidence_pending"}
    assert not card.duplicated(["indicator_code", "measure", "section", "item"]).any()
    # R: one school unit, so every CV is 0 (met); the school rule holds for the one 小学 unit.
    r1 = _one(card, "R1", section="primary")
    assert (r1["value"], r1["threshold"], r1["status"]) == (0.0, 0.5, "met")
    assert _one(card, "R1", section="junior")["status"] == "not_reported"
    r_rule = _one(card, "R_MIN_MET", section="primary")
    assert (r_rule["value"], r_rule["n_schools"], r_rule["status"]) == (0.0, 1, "met")
    # Computed from the school: at the boundaries, all met.
    assert _one(card, "G3", measure="rooms", item="音乐")["status"] == "met"
    assert (
        _one(card, "G3", measure="area", item="美术")["value"],
        _one(card, "G3", measure="area", item="美术")["status"],
    ) == (90.0, "met")
    assert (_one(card, "G5", section="primary")["value"], _one(card, "G5", section="primary")["status"]) == (
        45.0,
        "met",
    )
    assert _one(card, "G5", section="junior")["status"] == "not_reported"  # no junior classes: never a guessed 0
    g11 = _one(card, "G11", item="交流轮岗")
    assert (g11["value"], g11["threshold"], g11["status"]) == (10.0, 10.0, "met")
    # Reported by the county: G8 = 98600 / 97200; G14 48 % < 50 %; Q5 not reviewed; Q9 worst level Ⅲ.
    g8 = _one(card, "G8")
    assert g8["value"] == pytest.approx(98600 / 97200) and g8["status"] == "met"
    assert (_one(card, "G14")["value"], _one(card, "G14")["status"]) == (48.0, "unmet")
    assert _one(card, "Q5")["status"] == "evidence_pending"
    assert (_one(card, "Q9", measure="level")["value"], _one(card, "Q9", measure="level")["status"]) == (3.0, "met")
    assert (_one(card, "Q9", measure="ratio")["value"], _one(card, "Q9", measure="ratio")["status"]) == (0.13, "met")
    assert all(_one(card, v)["status"] == "met" for v in VETOES)
    # Local targets are not in force without the overlay.
    assert not card["indicator_code"].str.startswith("L").any()
    verdict = query_frame(engine, "SELECT * FROM mart.county_verdict WHERE period = '2026-10'").iloc[0]
    assert not bool(verdict["ready"])
    assert "G14 未达标" in verdict["reasons"] and "Q5 待审核" in verdict["reasons"]
    assert int(verdict["n_evidence_pending"]) == 1
    engine.dispose()


def test_without_a_county_return_nothing_is_guessed(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    _school(engine, "2026-10")
    _compute(engine, "2026-10")
    card = _card(engine, "2026-10")
    reported = card[card["kind"].isin(["reported", "veto"])]
    assert len(reported) and (reported["status"] == "not_reported").all() and reported["value"].isna().all()
    assert (card[card["kind"] == "evidence"]["status"] == "evidence_pending").all()
    engine.dispose()


def test_a_veto_fails_the_verdict(tmp_path: Path, warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    _school(engine, "2026-10")
    _county(tmp_path, warehouse_url, "2026-10", v3_veto="是")
    _compute(engine, "2026-10")
    assert _one(_card(engine, "2026-10"), "V3")["status"] == "unmet"
    verdict = query_frame(engine, "SELECT * FROM mart.county_verdict WHERE period = '2026-10'").iloc[0]
    assert int(verdict["n_vetoes"]) == 1 and "V3 未达标" in verdict["reasons"]
    engine.dispose()


def _policy(tmp_path: Path, name: str, g7_from: str) -> str:
    """National rules with G7 ≥ 6000 until g7_from and ≥ 8000 from then (a later national change)."""
    d = tmp_path / name
    d.mkdir()
    text = (POLICY_DIR / "national-2017.yaml").read_text(encoding="utf-8")
    old = (
        "{code: G7, kind: reported, measure: value, scope: county, section: all, comparator: ge, value: 6000, "
        "unit: 元/生, valid_from: 2017-04-01,"
    )
    assert old in text
    (d / "national-2017.yaml").write_text(text.replace(old, old + f" valid_to: {g7_from},"), encoding="utf-8")
    (d / "national-later.yaml").write_text(
        "policy: national-later\nsource: 测试：后来的国家标准\nrules:\n"
        f"  - {{code: G7, kind: reported, measure: value, scope: county, section: all, comparator: ge, value: 8000, "
        f"unit: 元/生, valid_from: {g7_from}}}\n",
        encoding="utf-8",
    )
    return str(d)


def test_a_later_rule_judges_only_its_periods_until_recompute(
    tmp_path: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    for period in ("2026-09", "2026-10"):
        _school(engine, period)
        _county(tmp_path, warehouse_url, period, g7_special_funding=7000)
        _compute(engine, period)
    assert _one(_card(engine, "2026-09"), "G7")["status"] == "met"
    assert _one(_card(engine, "2026-10"), "G7")["status"] == "met"
    settings = load_settings()

    # A rule valid from 2026-10 arrives; the October run (here: recompute) judges October by it.
    monkeypatch.setenv("JUNHENG_POLICY_DIR", _policy(tmp_path, "from-october", "2026-10-01"))
    clear_cache()
    recompute_period(warehouse_url, "2026-10", settings.choices.cv_method, "run-2", NOW)
    oct_g7 = _one(_card(engine, "2026-10"), "G7")
    assert (oct_g7["status"], oct_g7["threshold"], oct_g7["policy"]) == ("unmet", 8000.0, "national-later")
    sep_g7 = _one(_card(engine, "2026-09"), "G7")
    assert (sep_g7["status"], sep_g7["threshold"]) == ("met", 6000.0)  # September untouched
    recompute_period(warehouse_url, "2026-09", settings.choices.cv_method, "run-3", NOW)
    assert _one(_card(engine, "2026-09"), "G7")["status"] == "met"  # not in force for September

    # The same rule dated from September: September is re-judged only when someone recomputes it.
    monkeypatch.setenv("JUNHENG_POLICY_DIR", _policy(tmp_path, "from-september", "2026-09-01"))
    clear_cache()
    assert _one(_card(engine, "2026-09"), "G7")["status"] == "met"
    recompute_period(warehouse_url, "2026-09", settings.choices.cv_method, "run-4", NOW)
    assert _one(_card(engine, "2026-09"), "G7")["status"] == "unmet"
    engine.dispose()


def test_recompute_refuses_a_period_never_loaded(warehouse_url: str) -> None:

    with pytest.raises(ConfigError, match="没有已入库"):
        recompute_period(warehouse_url, "2020-01", "weighted", "run-x", NOW)


def test_demo_county_scorecard_covers_every_indicator(tmp_path: Path, warehouse_url: str) -> None:

    inbox = tmp_path / "inbox"
    make_demo_county(inbox, schools=8, period="2026-10", county_return=True)
    files = archive(discover(inbox), tmp_path / "archive")
    batch = read_returns(files)  # the reader sets the county return apart
    assert [f.file_name for f in batch.county_files] == ["县级报表.xlsx"]
    load_county_returns(warehouse_url, "2026-10", batch.county_files, "run-d", NOW)
    settings = load_settings(warehouse_url=warehouse_url, data_dir=tmp_path)
    load_run(warehouse_url, "2026-10", batch, validate(batch, "2026-10"), settings, "run-d", NOW)
    engine = make_engine(warehouse_url)
    card = _card(engine, "2026-10")
    assert set(NATIONAL_CODES) | set(VETOES) <= set(card["indicator_code"])
    files_seen = query_frame(engine, "SELECT file_name, status FROM audit.ingest_file WHERE school_code IS NULL")
    assert files_seen.to_dict("records") == [{"file_name": "县级报表.xlsx", "status": "loaded"}]
    # The demo's big urban school has a class of 48: G5 for 小学 is unmet, with the county's worst class.
    g5 = _one(card, "G5", section="primary")
    assert (g5["status"], g5["value"]) == ("unmet", 48.0)
    # The period's workbook and HTML carry the 评估总览 with the verdict and every line.

    with engine.connect() as conn:
        marts = read_marts(conn, "2026-10")
    paths = publish_reports("2026-10", marts, tmp_path / "out", county="演示县", choices={}, summary={})
    wb = load_workbook(paths["xlsx"])
    assert wb.sheetnames[:2] == ["概要", "评估总览"]
    ws = wb["评估总览"]
    assert ws["B1"].value.startswith("尚不具备评估认定条件")
    codes = {ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert set(NATIONAL_CODES) | set(VETOES) <= codes
    html = paths["html"].read_text(encoding="utf-8")
    assert "<h2>评估总览</h2>" in html and "G14" in html and "待审核" in html
    engine.dispose()
