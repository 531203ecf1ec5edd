"""mart.county_progress on a hand-built 3-county city over 3 periods, on DuckDB and PostgreSQL.

Each county's scorecard lines are written straight into the warehouse (the marts are views over them),
so every expected number below is counted by hand from the lines in LINES, not from the code.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import pytest

from junheng.plans import CityPlan, PlanCounty
from tasks.model.progress import compute_progress, read_progress
from warehouse import schema as s
from warehouse.engine import bulk_insert, init_warehouse, make_engine

NOW = datetime(2026, 11, 8, 3, 0)
A, B, C, OTHER = "530481", "530425", "530423", "530402"
PLAN = CityPlan(
    plan="test-city",
    title="测试计划",
    issuer="测试市人民政府办公室",
    issued_on=date(2026, 1, 1),
    source="测试",
    city_code="530400",
    city_name="玉溪市",
    valid_from=date(2026, 1, 1),
    counties=[
        PlanCounty(code=A, name="澄江市", target_year=2026),
        PlanCounty(code=B, name="易门县", target_year=2027),
        PlanCounty(code=C, name="通海县", target_year=2026),
    ],
)

# Six indicator codes per county; R1, R3 and R_MIN_MET have a 小学 and a 初中 line, G3 two room types.
# Only the lines that are not met are listed: (county, period) -> {(code, section/item): status}.
NOT_MET: dict[tuple[str, str], dict[tuple[str, str], str]] = {
    (A, "2026-08"): {("R3", "junior"): "unmet", ("G14", "all"): "unmet"},
    (A, "2026-09"): {("G14", "all"): "unmet"},
    (A, "2026-10"): {},  # every line met (a local target fails below: it must not count)
    (B, "2026-08"): {
        ("R1", "primary"): "unmet",
        ("R3", "primary"): "unmet",
        ("R3", "junior"): "unmet",
        ("G3", "音乐"): "evidence_pending",
        ("V1", "all"): "not_reported",
    },
    # B did not report 2026-09
    (B, "2026-10"): {("R3", "junior"): "unmet"},
    (C, "2026-08"): {("R1", "junior"): "unmet", ("R3", "primary"): "unmet", ("G14", "all"): "not_reported"},
    (C, "2026-09"): {("R3", "primary"): "unmet", ("G14", "all"): "unmet"},
    (C, "2026-10"): {("R3", "junior"): "unmet", ("G14", "all"): "unmet"},
    (OTHER, "2026-10"): {},  # a county of the city that is not in the plan: never in the roll-up
}
LINES = [
    ("资源配置", "R1", "primary", ""),
    ("资源配置", "R1", "junior", ""),
    ("资源配置", "R3", "primary", ""),
    ("资源配置", "R3", "junior", ""),
    ("资源配置", "R_MIN_MET", "primary", ""),
    ("资源配置", "R_MIN_MET", "junior", ""),
    ("政府保障程度", "G3", "all", "音乐"),
    ("政府保障程度", "G3", "all", "美术"),
    ("政府保障程度", "G14", "all", ""),
    ("否决", "V1", "all", ""),
]


def _scorecard() -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for (county, period), bad in NOT_MET.items():
        for part, code, section, item in LINES:
            status = bad.get((code, item or section), "met")
            rows.append(
                {
                    "county_code": county,
                    "period": period,
                    "part": part,
                    "indicator_code": code,
                    "section": section,
                    "item": item,
                    "meets": {"met": True, "unmet": False}.get(status),
                    "status": status,
                    "computed_at": NOW,
                }
            )
        if (county, period) == (A, "2026-10"):
            rows.append({**rows[-1], "part": "地方目标", "indicator_code": "L1", "status": "unmet", "meets": False})
    return pd.DataFrame(rows)


# CV lines that meet (True), miss (False) or cannot be computed (None), per county and period.
CV: dict[tuple[str, str], list[bool | None]] = {
    (A, "2026-08"): [True] * 12 + [False, None],  # 12 of 14
    (A, "2026-09"): [True] * 13 + [False],  # 13
    (A, "2026-10"): [True] * 14,  # 14
    (B, "2026-08"): [True] * 9 + [False] * 5,  # 9
    (B, "2026-10"): [True] * 11 + [False] * 3,  # 11
    (C, "2026-08"): [True] * 10 + [False] * 4,  # 10
    (C, "2026-09"): [True] * 10 + [False] * 4,  # 10
    (C, "2026-10"): [True] * 9 + [False] * 5,  # 9
}
# School units: passing, failing, not judged (passes NULL).
UNITS: dict[tuple[str, str], tuple[int, int, int]] = {
    (A, "2026-08"): (6, 2, 0),  # 6 / 8
    (A, "2026-09"): (7, 1, 0),
    (A, "2026-10"): (8, 0, 0),
    (B, "2026-08"): (3, 4, 1),  # 3 / 7 (the NULL is not judged)
    (B, "2026-10"): (6, 1, 1),  # 6 / 7
    (C, "2026-08"): (4, 4, 0),
    (C, "2026-09"): (5, 3, 0),
    (C, "2026-10"): (5, 3, 0),
}


def _cv() -> pd.DataFrame:
    rows = []
    for (county, period), flags in CV.items():
        for i, meets in enumerate(flags):
            rows.append(
                {
                    "county_code": county,
                    "period": period,
                    "section": "primary" if i < 7 else "junior",
                    "indicator_code": f"R{i % 7 + 1}",
                    "n_units": 8,
                    "students": 1000.0,
                    "cv_method": "weighted",
                    "meets": meets,
                    "computed_at": NOW,
                }
            )
    return pd.DataFrame(rows)


def _units() -> pd.DataFrame:
    rows = []
    for (county, period), (ok, bad, unknown) in UNITS.items():
        for i, passes in enumerate([True] * ok + [False] * bad + [None] * unknown):
            rows.append(
                {
                    "county_code": county,
                    "period": period,
                    "school_code": f"{county}{i:04d}",
                    "section": "primary",
                    "indicators_met": 7,
                    "indicators_reported": 7,
                    "indicators_total": 7,
                    "passes": passes,
                    "file_id": "0" * 64,
                    "computed_at": NOW,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def city(warehouse_url: str) -> Any:
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    with engine.begin() as conn:
        bulk_insert(conn, s.fct_county_scorecard, _scorecard())
        bulk_insert(conn, s.fct_county_indicator, _cv())
        bulk_insert(conn, s.fct_school_compliance, _units())
    yield engine
    engine.dispose()


# Counted by hand from NOT_MET (6 codes each: R1, R3, R_MIN_MET, G3, G14, V1), CV and UNITS.
# status: 2026-10 months left = 2 (target 2026) or 14 (2027); 2026-09: 3 / 15; 2026-08: 4 / 16.
EXPECTED = {
    # (county, period): (met, cv_met, passing, judged, verdict, months_left, trend, since, status, unmet)
    (A, "2026-08"): (4, 12, 6, 8, "未达到", 4, None, None, "按期推进", "R3、G14"),
    (A, "2026-09"): (5, 13, 7, 8, "未达到", 3, 1, "2026-08", "按期推进", "G14"),  # 1 left × 1 month ≤ +1 × 3
    (A, "2026-10"): (6, 14, 8, 8, "达到", 2, 2, "2026-08", "已达到", None),
    (B, "2026-08"): (2, 9, 3, 7, "未达到", 16, None, None, "按期推进", "R1、R3、G3、V1"),
    (B, "2026-09"): (None, None, None, None, None, 15, None, None, "本期未报送", None),
    (B, "2026-10"): (5, 11, 6, 7, "未达到", 14, 3, "2026-08", "按期推进", "R3"),  # 1 × 2 months ≤ +3 × 14
    (C, "2026-08"): (3, 10, 4, 8, "未达到", 4, None, None, "按期推进", "R1、R3、G14"),
    (C, "2026-09"): (4, 10, 5, 8, "未达到", 3, 1, "2026-08", "按期推进", "R3、G14"),  # 2 × 1 ≤ +1 × 3
    (C, "2026-10"): (4, 9, 5, 8, "未达到", 2, 1, "2026-08", "滞后", "R3、G14"),  # 2 × 2 > +1 × 2
}


def test_roll_up_by_hand(city: Any) -> None:
    with city.begin() as conn:
        compute_progress(conn, PLAN, "2026-10", NOW)
    with city.connect() as conn:
        got = read_progress(conn, "530400", "2026-10")
    assert len(got) == 9 and OTHER not in set(got["county_code"])
    assert set(got["indicators_total"].dropna().astype(int)) == {6}
    assert set(got["cv_total"]) == {14}
    for r in got.itertuples(index=False):
        met, cv_met, passing, judged, verdict, left, trend, since, status, unmet = EXPECTED[(r.county_code, r.period)]
        key = (r.county_code, r.period)

        def val(x: Any) -> Any:
            return None if pd.isna(x) else x

        assert (val(r.indicators_met), val(r.cv_met), val(r.units_passing), val(r.units_judged)) == (
            met,
            cv_met,
            passing,
            judged,
        ), key
        assert (val(r.verdict), r.months_left, val(r.trend), val(r.trend_since)) == (verdict, left, trend, since), key
        assert (r.status, val(r.unmet_items)) == (status, unmet), key
        if judged:
            assert r.share_units_passing == pytest.approx(passing / judged, rel=0, abs=0), key  # unrounded
        assert r.status_reason, key


def test_roll_up_of_an_earlier_period_and_rerun(city: Any) -> None:
    """Rolling up 2026-09 writes 08 and 09 only; rolling up again replaces, never duplicates."""
    for _ in range(2):
        with city.begin() as conn:
            compute_progress(conn, PLAN, "2026-09", NOW)
    with city.connect() as conn:
        got = read_progress(conn, "530400", "2026-12")
    assert sorted(set(got["period"])) == ["2026-08", "2026-09"] and len(got) == 6
    c09 = got[(got["county_code"] == C) & (got["period"] == "2026-09")].iloc[0]
    assert c09["status"] == "按期推进"
