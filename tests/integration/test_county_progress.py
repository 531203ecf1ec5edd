"""mart.county_progress on a hand-built 3-county city over 3 periods, on DuckDB and PostgreSQL.

Each county's scorecard lines are written straight into the warehouse (tests/fixtures/city.py; the marts
are views over them), so every expected number below is counted by hand from those lines, not from the code.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tasks.model.progress import compute_progress, read_progress
from tests.fixtures.city import NOW, OTHER, PLAN, A, B, C, load_city
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
