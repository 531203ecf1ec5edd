"""The what-if plan in whole teachers, on both engines: its figures agree with the gap table (mart.remediation)."""

from __future__ import annotations

import pandas as pd
import pytest

from junheng.policy import load_rules
from tasks.model.run import compute_period
from tests.fixtures.units import NOW, unit_row
from warehouse import schema as s
from warehouse.engine import bulk_insert, init_warehouse, make_engine
from warehouse.load import read_marts, sync_reference

approx = pytest.approx
PERIOD = "2026-10"


def test_plan_need_is_the_gap_tables_whole_need(warehouse_url: str) -> None:
    """4 primary units of P = 310 with 4, 9, 16, 21 teachers above the required degree (R1, threshold 4.2
    per 100 students, CV limit 0.50): CV 6.5 / 12.5 = 0.52 (equal weights: the CV of the counts).
    The mean 12.5 / 3.1 = 4.03 is below 4.2, so the plan's target is the threshold, 13.02 teachers:
    A needs 13.02 − 4 = 9.02 → 10 (9 leave 13 / 3.1 = 4.194 < 4.2), B 13.02 − 9 = 4.02 → 5.
    Raising A (to 14) gives 14, 9, 16, 21: CV 4.301163 / 15 = 0.286744 ≤ 0.50: one step.
    """
    rows = [
        unit_row(PERIOD, code, 310, teachers_above_required_degree=t)
        for code, t in (("3708300001", 4.0), ("3708300002", 9.0), ("3708300003", 16.0), ("3708300004", 21.0))
    ]
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    with engine.begin() as conn:
        sync_reference(conn, PERIOD, load_rules())
        bulk_insert(conn, s.fct_school_section, pd.DataFrame(rows))
        compute_period(conn, PERIOD, "weighted", NOW)
    with engine.connect() as conn:
        marts = read_marts(conn, PERIOD)
    engine.dispose()
    rem = marts["remediation"]
    gaps = rem[rem["indicator_code"] == "R1"].set_index("school_code")["need_to_threshold_whole"]
    assert gaps.to_dict() == {"3708300001": 10, "3708300002": 5}
    c = marts["cv_contribution"]
    r1 = c[c["indicator_code"] == "R1"].set_index("school_code")
    assert r1["cv"].iloc[0] == approx(0.52)
    plan = r1[r1["plan_step"].notna()]
    assert plan.index.tolist() == ["3708300001"]
    a = plan.loc["3708300001"]
    assert (a["plan_target"], a["plan_need"]) == (approx(4.2), 10)
    assert a["plan_cv_after"] == approx(0.286744, abs=1e-6)
    # every school in the plan whose target is the threshold needs exactly what the gap table says
    for code, step in plan.iterrows():
        if step["plan_target"] == approx(4.2):
            assert step["plan_need"] == gaps[code]
