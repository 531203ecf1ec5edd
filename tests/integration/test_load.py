"""Loads on both engines: SCD2 school versions, slice replacement and supersession across runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from junheng.settings import load_settings
from tasks.ingest.archive import archive
from tasks.model.load import fetch_marts, load_run
from tasks.publish.template import write_return
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from warehouse.engine import make_engine, query_frame


def school(name: str, period: str, submitted: date, students: list[int], above: int = 6) -> dict:
    return {
        "info": {
            "school_code": "3708300001",
            "school_name": name,
            "school_type": "小学",
            "township": "城关镇",
            "urban_rural": "城区",
            "is_boarding": "否",
            "ownership": "公办",
            "period": period,
            "submitted_on": submitted,
        },
        "classes": [
            {"section": "小学", "grade": "一年级", "class_name": f"{i}班", "students": n}
            for i, n in enumerate(students, 1)
        ],
        "teachers": [
            {
                "section": "小学",
                "teachers": 10,
                "teachers_above_required_degree": above,
                "backbone_teachers": 2,
                "pe_teachers": 1,
                "music_teachers": 1,
                "art_teachers": 1,
                "certified_teachers": 10,
                "rotation_eligible_teachers": 0,
                "rotated_teachers": 0,
                "rotated_backbone_teachers": 0,
                "trained_360h_teachers": 10,
            }
        ],
        "facilities": [
            {
                "section": "小学",
                "teaching_aux_area_m2": 700,
                "indoor_sports_area_m2": 100,
                "sports_ground_area_m2": 900,
                "equipment_value_yuan": 30,
                "multimedia_classrooms": 3,
            }
        ],
    }


def ingest(tmp_path: Path, url: str, period: str, returns: dict[str, dict], run_id: str) -> None:
    inbox = tmp_path / f"inbox-{run_id}"
    inbox.mkdir()
    for name, ret in returns.items():
        write_return(inbox / name, ret)
    settings = load_settings(data_dir=tmp_path / "data", warehouse_url=url)
    files = archive(sorted(inbox.iterdir()), settings.archive_dir)
    batch = read_returns(files)
    load_run(url, period, batch, validate(batch, period), settings, run_id)


def test_school_versions_follow_the_periods(tmp_path: Path, warehouse_url: str) -> None:
    ingest(
        tmp_path, warehouse_url, "2026-09", {"a.xlsx": school("甲小学", "2026-09", date(2026, 9, 5), [25] * 4)}, "r1"
    )
    ingest(
        tmp_path,
        warehouse_url,
        "2026-10",
        {"b.xlsx": school("甲小学（更名）", "2026-10", date(2026, 10, 5), [25] * 4)},
        "r2",
    )
    eng = make_engine(warehouse_url)
    versions = query_frame(
        eng, "SELECT school_name, valid_from, valid_to, is_current FROM core.dim_school ORDER BY valid_from"
    )
    eng.dispose()
    assert list(versions["school_name"]) == ["甲小学", "甲小学（更名）"]
    assert list(versions["valid_to"].fillna("")) == ["2026-10", ""]
    assert [bool(x) for x in versions["is_current"]] == [False, True]
    sep = fetch_marts(warehouse_url, "2026-09")["school_indicators"]
    oct_ = fetch_marts(warehouse_url, "2026-10")["school_indicators"]
    assert set(sep["school_name"]) == {"甲小学"} and set(oct_["school_name"]) == {"甲小学（更名）"}


def test_corrected_return_in_a_later_run_replaces_the_slice(tmp_path: Path, warehouse_url: str) -> None:
    p = "2026-10"
    ingest(tmp_path, warehouse_url, p, {"v1.xlsx": school("甲小学", p, date(2026, 10, 3), [25] * 4, above=3)}, "r1")
    ingest(tmp_path, warehouse_url, p, {"v2.xlsx": school("甲小学", p, date(2026, 10, 9), [20] * 5, above=5)}, "r2")
    marts = fetch_marts(warehouse_url, p)
    status = marts["return_status"].set_index("file_name")["status"]
    assert status["v1.xlsx"] == "superseded" and status["v2.xlsx"] == "loaded"
    r1 = marts["school_indicators"].set_index("indicator_code").loc["R1"]
    assert r1["value"] == 5.0  # 5 / 100 × 100 from v2, not 3 from v1
    eng = make_engine(warehouse_url)
    n_classes = query_frame(eng, "SELECT COUNT(*) AS n FROM core.fct_class")["n"].iloc[0]
    eng.dispose()
    assert int(n_classes) == 5
