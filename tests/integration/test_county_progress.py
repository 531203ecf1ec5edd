"""mart.county_progress on a hand-built 3-county city over 3 periods, on DuckDB and PostgreSQL.

Each county's scorecard lines are written straight into the warehouse (tests/fixtures/city.py; the marts
are views over them), so every expected number below is counted by hand from those lines, not from the code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from tasks.model.progress import compute_progress, read_progress, rollup
from tasks.publish.city_report.build import build_city_report
from tests.fixtures.city import NOW, OTHER, PLAN, A, B, C, load_city
from warehouse import schema as s
from warehouse.engine import make_engine


@pytest.fixture
def city(warehouse_url: str) -> Any:
    engine = make_engine(warehouse_url)
    load_city(engine)
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


def _mark_private(engine: Any, schools: dict[str, tuple[str, str]], period: str) -> None:
    """Give units of the fixture an ownership (core.dim_school, valid from ``period``): code -> (county, name)."""
    y, m = period.split("-")
    with engine.begin() as conn:
        conn.execute(
            s.dim_period.insert(),
            [{"period": period, "period_start": date(int(y), int(m), 1), "year": int(y), "month": int(m)}],
        )
        conn.execute(
            s.dim_school.insert(),
            [
                {
                    "school_sk": f"{code}@{period}",
                    "school_code": code,
                    "school_name": name,
                    "school_type": "小学",
                    "ownership": "民办",
                    "is_teaching_point": False,
                    "county_code": county,
                    "valid_from": period,
                    "valid_to": None,
                    "is_current": True,
                    "file_id": "0" * 64,
                    "loaded_at": NOW,
                }
                for code, (county, name) in schools.items()
            ],
        )


@pytest.mark.parametrize("private_counted", [False, True])
def test_share_of_units_follows_the_school_rule_population(city: Any, private_counted: bool) -> None:
    """#15: the share of school units passing counts the units the county's school-rule line (R_MIN_MET) counts:
    public units only by default (issue #12's stated choice), 民办 ones too with private_in_school_rule.

    2026-10 units (UNITS): 易门县 6 pass, 1 fails, 1 not judged; 通海县 5 pass, 3 fail. Marked 民办 here:
    易门县 unit 0000 (passes) and 0006 (fails); 通海县 unit 0006 (fails, 民办丙校). By hand:
      public only: 易门县 5 passing of 5 judged (7 − 2), 通海县 5 of 7 (8 − 1);
      with 民办:   易门县 6 of 7, 通海县 5 of 8 (as before).
    The city report's school-rule item of 通海县 (behind) lists the failing units of the same population."""
    _mark_private(
        city,
        {f"{B}0000": (B, "民办甲校"), f"{B}0006": (B, "民办乙校"), f"{C}0006": (C, "民办丙校")},
        "2026-10",
    )
    with city.begin() as conn:  # 通海县's 小学 school-rule line not met, so the report lists its schools
        conn.execute(
            sa.text(
                "UPDATE core.fct_county_scorecard SET status = 'unmet', meets = FALSE "
                "WHERE county_code = :c AND period = '2026-10' AND indicator_code = 'R_MIN_MET' AND section = 'primary'"
            ),
            {"c": C},
        )
        compute_progress(conn, PLAN, "2026-10", NOW, private_in_school_rule=private_counted)
    with city.connect() as conn:
        got = read_progress(conn, "530400", "2026-10")
        report = build_city_report(conn, PLAN, "2026-10", Path("/nonexistent"), private_counted)
    now = got[got["period"] == "2026-10"].set_index("county_code")
    expected = {B: (6, 7), C: (5, 8)} if private_counted else {B: (5, 5), C: (5, 7)}
    for code, (passing, judged) in expected.items():
        r = now.loc[code]
        assert (int(r["units_passing"]), int(r["units_judged"])) == (passing, judged), code
        assert r["share_units_passing"] == passing / judged, code
    a = now.loc[A]  # no ownership recorded: counted as public, as the school-rule line does
    assert (int(a["units_passing"]), int(a["units_judged"])) == (8, 8)
    assert now.loc[C, "status"] == "滞后"  # counts unchanged by the population: still reported
    item = next(b for b in report.blocking[C] if b.item.startswith("学校达标"))
    failing = [f"{C}0005（7 项达标）", f"{C}0007（7 项达标）"]
    assert sorted(item.schools) == sorted([*failing, "民办丙校（7 项达标）"] if private_counted else failing)
    assert ("统计公办和民办学校单元" in report.rule) is private_counted
    assert ("只统计公办学校单元" in report.rule) is not private_counted


def test_a_county_of_private_units_only_is_still_reported(city: Any) -> None:
    """Every 2026-10 unit of 通海县 民办, public only: no unit counted (0 of 0, the share empty, never 0 %),
    yet the county reported this period (its status stays 滞后, not 本期未报送)."""
    _mark_private(city, {f"{C}{i:04d}": (C, f"民办{i}") for i in range(8)}, "2026-10")
    with city.begin() as conn:
        compute_progress(conn, PLAN, "2026-10", NOW)
    with city.connect() as conn:
        got = read_progress(conn, "530400", "2026-10")
    r = got[(got["period"] == "2026-10") & (got["county_code"] == C)].iloc[0]
    assert (int(r["units_passing"]), int(r["units_judged"])) == (0, 0)
    assert pd.isna(r["share_units_passing"])
    assert (r["status"], int(r["indicators_met"])) == ("滞后", 4)


def test_rollup_summary_lists_counties_in_the_plan_order(warehouse_url: str, city: Any) -> None:
    """2026-08: all three on track; the summary names them as the plan does (澄江市, 易门县, 通海县), not in
    code-point order (易 < 澄)."""
    summary = rollup(warehouse_url, PLAN, "2026-08", NOW)
    assert summary["status"] == {"已达到": [], "按期推进": ["澄江市", "易门县", "通海县"], "滞后": [], "本期未报送": []}
