"""The monthly flow end to end on a hand-computed county, on DuckDB and PostgreSQL."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.monthly import monthly_returns
from tasks.publish.template import write_return
from warehouse.engine import make_engine, query_frame

PERIOD = "2026-10"


def teachers(section: str, teachers: int, above: int, backbone: int, pe: int, music: int, art: int) -> dict:
    return {
        "section": section,
        "teachers": teachers,
        "teachers_above_required_degree": above,
        "backbone_teachers": backbone,
        "pe_teachers": pe,
        "music_teachers": music,
        "art_teachers": art,
        "certified_teachers": teachers,
        "rotation_eligible_teachers": 2,
        "rotated_teachers": 1,
        "rotated_backbone_teachers": 0,
        "trained_360h_teachers": teachers,
    }


def facilities(section: str, aux: float, indoor: float, ground: float, wan_yuan: float, rooms: int) -> dict:
    return {
        "section": section,
        "teaching_aux_area_m2": aux,
        "indoor_sports_area_m2": indoor,
        "sports_ground_area_m2": ground,
        "equipment_value_yuan": wan_yuan,
        "multimedia_classrooms": rooms,
    }


def info(code: str, name: str, school_type: str, submitted: date, **extra: object) -> dict:
    return {
        "school_code": code,
        "school_name": name,
        "school_type": school_type,
        "township": "城关镇",
        "urban_rural": "城区",
        "is_boarding": "否",
        "ownership": "公办",
        "is_teaching_point": "否",
        "period": PERIOD,
        "submitted_on": submitted,
        **extra,
    }


def classes(section: str, sizes: list[int]) -> list[dict]:
    grade = "一年级" if section == "小学" else "七年级"
    return [
        {
            "section": section,
            "grade": grade,
            "class_name": f"{i + 1}班",
            "students": n,
            "migrant_students": 0,
            "disabled_students": 0,
        }
        for i, n in enumerate(sizes)
    ]


def write_county(inbox: Path) -> None:
    """Four schools (one sends two returns) and one broken return; numbers chosen to compute by hand."""
    inbox.mkdir(parents=True)
    # A: 小学, P = 100. R1 6, R2 2, R3 2, R4 (700−100)/100 = 6, R5 (900+100)/100 = 10, R6 3000, R7 3.
    write_return(
        inbox / "A.xlsx",
        {
            "info": info("3708300001", "甲小学", "小学", date(2026, 10, 8)),
            "classes": classes("小学", [25, 25, 25, 25]),
            "teachers": [teachers("小学", 10, 6, 2, 1, 0, 1)],
            "facilities": [facilities("小学", 700, 100, 900, 30, 3)],
        },
    )
    # B: 小学, P = 200. R1 3 (below the 3.57 floor), R2 1, R3 1, R4 5, R5 7.5 (exactly), R6 2500, R7 2.5.
    b = {
        "info": info("3708300002", "乙小学", "小学", date(2026, 10, 9)),
        "classes": classes("小学", [40, 40, 40, 40, 40]),
        "teachers": [teachers("小学", 12, 6, 2, 1, 1, 0)],
        "facilities": [facilities("小学", 1100, 100, 1400, 50, 5)],
    }
    write_return(inbox / "B-final.xlsx", b)
    # An earlier return of B (earlier 填报日期) with other numbers: superseded, never loaded.
    write_return(
        inbox / "B-draft.xlsx",
        {**b, "info": info("3708300002", "乙小学", "小学", date(2026, 10, 2)), "classes": classes("小学", [45, 45])},
    )
    # C: 九年一贯制, A = 100 primary, B = 100 junior, only a 共用 row: primary share 100/210, junior 110/210.
    write_return(
        inbox / "C.xlsx",
        {
            "info": info("3708300003", "丙学校", "九年一贯制学校", date(2026, 10, 8)),
            "classes": classes("小学", [25, 25, 25, 25]) + classes("初中", [50, 50]),
            "teachers": [teachers("小学", 8, 5, 1, 1, 0, 0), teachers("初中", 12, 6, 1, 1, 0, 0)],
            "facilities": [facilities("共用", 2100, 210, 2100, 63, 21)],
        },
    )
    # D: rejected — 高于规定学历教师数 above 专任教师数. Contributes nothing.
    write_return(
        inbox / "D-subcount.exceeds_total.xlsx",
        {
            "info": info("3708300004", "丁小学", "小学", date(2026, 10, 8)),
            "classes": classes("小学", [30]),
            "teachers": [teachers("小学", 5, 9, 1, 1, 1, 1)],
            "facilities": [facilities("小学", 9000, 0, 9000, 900, 90)],
        },
    )


@pytest.fixture
def county(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    write_county(inbox)
    return inbox


def run(inbox: Path, url: str, tmp_path: Path) -> dict:
    return monthly_returns(
        period=PERIOD,
        inbox=str(inbox),
        warehouse_url=url,
        data_dir=str(tmp_path / "data"),
        out_dir=str(tmp_path / "out"),
    )


def marts(url: str) -> dict:
    eng = make_engine(url)
    out = {
        name: query_frame(eng, f"SELECT * FROM mart.{name} WHERE period = :p", {"p": PERIOD})
        for name in ("school_indicators", "school_compliance", "county_cv", "return_status", "validation_issues")
    }
    eng.dispose()
    return out


def test_flow_computes_the_hand_county(county: Path, warehouse_url: str, tmp_path: Path) -> None:
    result = run(county, warehouse_url, tmp_path)
    assert result["files_received"] == 5 and result["files_loaded"] == 3
    assert result["files_rejected"] == 1 and result["files_superseded"] == 1
    m = marts(warehouse_url)

    status = m["return_status"].set_index("file_name")
    assert status.loc["B-draft.xlsx", "status"] == "superseded"
    assert status.loc["D-subcount.exceeds_total.xlsx", "status"] == "rejected"
    assert status.loc["D-subcount.exceeds_total.xlsx", "n_errors"] >= 1

    si = m["school_indicators"].set_index(["school_code", "section", "indicator_code"])
    assert not any(si.index.get_level_values(0) == "3708300004")  # nothing from the rejected file
    assert si.loc[("3708300001", "primary", "R4"), "value"] == pytest.approx(6.0)
    assert si.loc[("3708300001", "primary", "R6"), "value"] == pytest.approx(3000.0)  # 30 万元 / 100
    assert si.loc[("3708300002", "primary", "R1"), "value"] == pytest.approx(3.0)  # final return, not draft
    assert bool(si.loc[("3708300002", "primary", "R5"), "meets"])  # exactly 7.5
    # C's 共用 row: primary 2100 × 100/210 = 1000 m², indoor 100 → R4 9, R5 11; junior 1100/110 → 9.9, 12.1.
    assert si.loc[("3708300003", "primary", "R4"), "value"] == pytest.approx(9.0)
    assert si.loc[("3708300003", "primary", "R5"), "value"] == pytest.approx(11.0)
    assert si.loc[("3708300003", "junior", "R4"), "value"] == pytest.approx(9.9)
    assert si.loc[("3708300003", "junior", "R6"), "value"] == pytest.approx(3300.0)
    assert si.loc[("3708300003", "junior", "R7"), "value"] == pytest.approx(11.0)

    comp = m["school_compliance"].set_index(["school_code", "section"])
    assert bool(comp.loc[("3708300001", "primary"), "passes"])
    assert not bool(comp.loc[("3708300002", "primary"), "passes"])  # 6 met, R1 below the 85 % floor
    assert int(comp.loc[("3708300002", "primary"), "indicators_met"]) == 6
    assert bool(comp.loc[("3708300003", "junior"), "passes"])

    # Weighted CV of primary R4 over A (100, 6), B (200, 5), C (100, 9): mean 2500/400 = 6.25,
    # variance (100·0.0625 + 200·1.5625 + 100·7.5625)/400 = 2.6875, CV = sqrt(2.6875)/6.25.
    cv = m["county_cv"].set_index(["section", "indicator_code"])
    assert cv.loc[("primary", "R4"), "cv"] == pytest.approx(math.sqrt(2.6875) / 6.25, rel=1e-9)
    assert cv.loc[("primary", "R4"), "mean"] == pytest.approx(6.25, rel=1e-12)
    assert int(cv.loc[("primary", "R4"), "n_units"]) == 3

    issues = m["validation_issues"]
    err = issues[(issues["file_name"] == "D-subcount.exceeds_total.xlsx") & (issues["severity"] == "error")]
    assert (err["rule"] == "subcount.exceeds_total").any()
    assert err["cell"].str.match(r"^[A-Z]+\d+$").all()
    viol = issues[issues["severity"] == "violation"]
    # B's R1 below its floor, and G3 for each loaded school: none lists a room on 专用教室 (one row per room),
    # and A (4 classes), B (5) and C (6) each need 1 音乐 and 1 美术 room (1 per 12 classes, at least 1).
    schools = ("3708300001", "3708300002", "3708300003")
    assert set(zip(viol["school_code"], viol["rule"], strict=True)) == {("3708300002", "R1")} | {
        (s, "G3") for s in schools
    }
    assert viol[viol["rule"] == "G3"].groupby("school_code").size().to_dict() == dict.fromkeys(schools, 2)

    reports = result["reports"]
    assert Path(reports["xlsx"]).exists() and Path(reports["html"]).exists()


SLICE_TABLES = (
    "core.fct_class",
    "core.fct_school_section",
    "raw.school_info",
    "raw.facility",
    "core.dim_school",
    "core.fct_school_indicator",
    "core.fct_county_indicator",
    "audit.ingest_file",
    "audit.validation_issue",
)


def row_counts(url: str) -> dict[str, int]:
    eng = make_engine(url)
    with eng.connect() as c:
        counts = {t: int(c.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in SLICE_TABLES}
    eng.dispose()
    return counts


def test_rerun_is_idempotent(county: Path, warehouse_url: str, tmp_path: Path) -> None:
    run(county, warehouse_url, tmp_path)
    first, first_counts = marts(warehouse_url), row_counts(warehouse_url)
    run(county, warehouse_url, tmp_path)
    second, second_counts = marts(warehouse_url), row_counts(warehouse_url)
    assert first_counts == second_counts
    assert all(n > 0 for n in first_counts.values())
    for name in first:
        keys = list(first[name].columns)
        a = first[name].sort_values(keys).reset_index(drop=True)
        b = second[name].sort_values(keys).reset_index(drop=True)
        assert a.equals(b), name
