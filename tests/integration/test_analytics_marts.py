"""The analytics marts on DuckDB and PostgreSQL: variance, outliers, remediation, CV contribution by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from junheng.policy import load_rules
from tasks.model.analytics.totals import county_totals
from tasks.model.run import compute_period
from tasks.publish.dictionary import build_dictionary, undescribed
from tests.fixtures.units import NOW, unit_row
from warehouse import schema as s
from warehouse.engine import bulk_insert, init_warehouse, make_engine, query_frame
from warehouse.load import read_marts, sync_reference

approx = pytest.approx


def unit(period: str, code: str, students: float, in_cv: bool = True, **measures: float) -> dict:
    return unit_row(period, code, students, in_cv=in_cv, file_id=(code + period).ljust(64, "0"), **measures)


def load_periods(url: str, by_period: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    """Load and compute each period in order; return the marts of the last one."""
    engine = make_engine(url)
    init_warehouse(engine)
    for period, rows in by_period.items():
        with engine.begin() as conn:
            sync_reference(conn, period, load_rules())
            bulk_insert(conn, s.fct_school_section, pd.DataFrame(rows))
            compute_period(conn, period, "weighted", NOW)
    with engine.connect() as conn:
        marts = read_marts(conn, list(by_period)[-1])
    engine.dispose()
    return marts


# R4 per period (aux → R4): A 7 → 9; B 7 → 7; C 7 (08) → 7.6 (10, absent in 09); E 7 → 7 → 10.
HISTORY = {
    "2026-08": [unit("2026-08", "C", 100), unit("2026-08", "E", 100)],
    "2026-09": [unit("2026-09", "A", 100), unit("2026-09", "B", 100), unit("2026-09", "E", 100)],
    "2026-10": [
        unit("2026-10", "A", 100, teaching_aux_area_m2=1000.0),
        unit("2026-10", "B", 100),
        unit("2026-10", "C", 100, teaching_aux_area_m2=860.0),
        unit("2026-10", "E", 100, teaching_aux_area_m2=1100.0),
    ],
}


def test_period_over_period_units_and_county_cv(warehouse_url: str) -> None:
    marts = load_periods(warehouse_url, HISTORY)
    v = marts["variance_report"]
    units = v[v["level"] == "school_unit"].set_index(["school_code", "indicator_code"])
    a = units.loc[("A", "R4")]
    # 7 → 9: +2, +28.57 % > 20 % → flagged
    assert (a["prev_period"], a["prev_value"], a["value"]) == ("2026-09", approx(7.0), approx(9.0))
    assert a["change_abs"] == approx(2.0) and a["change_pct"] == approx(2 / 7) and bool(a["flagged"])
    b = units.loc[("B", "R4")]
    assert b["change_abs"] == approx(0.0) and not bool(b["flagged"])
    # C was not reported in 09: compared with its previous reported period, 08: 7 → 7.6 = +8.57 %.
    c = units.loc[("C", "R4")]
    assert c["prev_period"] == "2026-08" and c["change_pct"] == approx(0.6 / 7) and not bool(c["flagged"])
    e = units.loc[("E", "R4")]
    assert e["change_pct"] == approx(3 / 7) and bool(e["flagged"])
    assert (units["change_bound"] == 0.2).all()
    county = v[v["level"] == "county"].set_index("indicator_code")
    assert county["school_code"].isna().all()
    # R4 CV: 09 A = B = E = 7 → 0; 10 values 9, 7, 7.6, 10 (P equal): mean 8.4, variance
    # (0.36 + 1.96 + 0.64 + 2.56) / 4 = 1.38, CV = 1.174734 / 8.4 = 0.139849. From 0: flagged, no %.
    r4 = county.loc["R4"]
    assert r4["prev_value"] == 0 and r4["value"] == approx(0.139849, abs=1e-6)
    assert pd.isna(r4["change_pct"]) and bool(r4["flagged"])
    # R1 is 10 everywhere: CV 0 → 0 is no change.
    assert county.loc["R1", "value"] == 0 and not bool(county.loc["R1", "flagged"])


def test_own_history_outlier_and_contribution(warehouse_url: str) -> None:
    marts = load_periods(warehouse_url, HISTORY)
    out = marts["outliers"]
    # E's R4 history 7, 7 is constant: band 7 ± 20 % = [5.6, 8.4]; 10 is outside. Across the section
    # R4 is 9, 7, 7.6, 10: median 8.3, MAD median(0.7, 1.3, 0.7, 1.7) = 1.0, M(10) = 1.147: no outlier.
    # Every other indicator is equal everywhere: no outlier.
    assert len(out) == 1
    o = out.iloc[0]
    assert (o["school_code"], o["indicator_code"], o["method"], o["spread_kind"]) == ("E", "R4", "own_history", "bound")
    assert (o["band_low"], o["band_high"], o["center"], int(o["n_ref"])) == (approx(5.6), approx(8.4), 7.0, 2)
    assert o["severity"] == "warning" and "正常范围 5.60～8.40" in o["message"]
    contrib = marts["cv_contribution"]
    r4 = contrib[contrib["indicator_code"] == "R4"].set_index("school_code")
    # squared deviations 0.36, 1.96, 0.64, 2.56 (sum 5.52) with equal weights
    assert r4.loc["A", "contribution_share"] == approx(0.36 / 5.52)
    assert r4.loc["E", "contribution_share"] == approx(2.56 / 5.52)
    assert r4["cv_contribution"].sum() == approx(0.139849, abs=1e-6)
    assert r4["plan_step"].isna().all()  # 0.140 ≤ 0.50: no plan needed


def example_and_short_unit() -> list[dict]:
    """indicators.md worked example (R4 = A / P, CV 0.515) plus a 民办 unit F outside the CV."""
    period = "2026-10"
    p = [45, 37, 89, 76, 55]
    a = [279, 137, 935, 160, 402]
    rows = [
        unit(period, f"37083000{i:02d}", pi, teaching_aux_area_m2=ai, indoor_sports_area_m2=0.0)
        for i, (pi, ai) in enumerate(zip(p, a, strict=True))
    ]
    # F, P = 500: R1 20/5 = 4.0 (< 4.2), R4 (2000 − 100)/500 = 3.8, R6 600000/500 = 1200, R7 10/5 = 2.0.
    rows.append(
        unit(
            period,
            "3708300099",
            500,
            in_cv=False,
            teachers_above_required_degree=20.0,
            backbone_teachers=5.0,
            pe_teachers=2.0,
            music_teachers=2.0,
            art_teachers=1.0,
            teaching_aux_area_m2=2000.0,
            sports_ground_area_m2=4000.0,
            equipment_value_yuan=600000.0,
            multimedia_classrooms=10.0,
        )
    )
    return rows


def test_remediation_in_own_terms(warehouse_url: str) -> None:
    marts = load_periods(warehouse_url, {"2026-10": example_and_short_unit()})
    rem = marts["remediation"].set_index(["school_code", "indicator_code"])
    f = "3708300099"
    # R1: 4.2 × 500 / 100 − 20 = 1 teacher (1.0000000000000036 in floating point, still 1 whole);
    # floor 3.57 × 5 = 17.85 < 20 → 0.
    r1 = rem.loc[(f, "R1")]
    assert r1["resource_unit"] == "人" and r1["need_to_threshold"] == approx(1.0)
    assert r1["need_to_threshold_whole"] == 1 and r1["need_to_floor_whole"] == 0 and not bool(r1["below_floor"])
    # R4: 4.5 × 500 − 1900 = 350 m²; floor 3.825 × 500 − 1900 = 12.5 → 13 whole m².
    r4 = rem.loc[(f, "R4")]
    assert (r4["resource_unit"], r4["need_to_threshold"], r4["need_to_floor"]) == ("平方米", approx(350), approx(12.5))
    assert r4["need_to_floor_whole"] == 13 and bool(r4["below_floor"])
    # R6: 2000 × 500 − 600000 = 400000 元; floor 1700 × 500 − 600000 = 250000 元.
    r6 = rem.loc[(f, "R6")]
    assert (r6["resource_unit"], r6["need_to_threshold_whole"], r6["need_to_floor_whole"]) == ("元", 400000, 250000)
    # R7: 2.3 × 5 − 10 = 1.5 rooms → 2; floor 1.955 × 5 = 9.775 < 10 → 0.
    r7 = rem.loc[(f, "R7")]
    assert (r7["resource_unit"], r7["need_to_threshold"], r7["need_to_threshold_whole"]) == ("间", approx(1.5), 2)
    # Worked example R4 (threshold 4.5, floor 3.825): P = 37, 137 m² → 166.5 − 137 = 29.5 → 30 and
    # 141.525 − 137 = 4.525 → 5; P = 76, 160 m² → 342 − 160 = 182 and 290.7 − 160 = 130.7 → 131.
    u1 = rem.loc[("3708300001", "R4")]
    assert (u1["need_to_threshold"], u1["need_to_threshold_whole"], u1["need_to_floor_whole"]) == (
        approx(29.5),
        30,
        5,
    )
    u3 = rem.loc[("3708300003", "R4")]
    assert (u3["need_to_threshold_whole"], u3["need_to_floor_whole"]) == (182, 131)
    assert len(rem) == 6  # F: R1, R4, R6, R7; example: two R4 misses
    totals = county_totals(marts["remediation"]).set_index(["section", "indicator_code"])
    assert totals.loc[
        ("primary", "R4"), ["units", "units_below_floor", "need_to_threshold", "need_to_floor"]
    ].tolist() == [
        3,
        3,
        30 + 182 + 350,
        5 + 131 + 13,
    ]


def test_cv_contribution_what_if_and_plan(warehouse_url: str) -> None:
    marts = load_periods(warehouse_url, {"2026-10": example_and_short_unit()})
    c = marts["cv_contribution"]
    r4 = c[(c["indicator_code"] == "R4")].set_index("school_code").sort_index()
    assert "3708300099" not in r4.index  # 民办, not in the CV
    assert r4["cv"].iloc[0] == approx(0.5152566, abs=1e-6) and r4["cv_limit"].iloc[0] == 0.5
    assert r4["mean"].iloc[0] == approx(1913 / 302)
    assert r4["weight_share"].tolist() == approx([45 / 302, 37 / 302, 89 / 302, 76 / 302, 55 / 302])
    assert [round(x, 4) for x in r4["contribution_share"]] == [0.0003, 0.0797, 0.4813, 0.4225, 0.0162]
    u3 = r4.loc["3708300003"]
    assert u3["cv_if_mean"] == approx(0.302796, abs=1e-6) and u3["cv_if_threshold"] == approx(0.371326, abs=1e-6)
    assert pd.isna(r4.loc["3708300002", "cv_if_mean"])  # above the mean
    # Plan: one step, u3 to the mean 6.334: 321.42 m² rounded up to 322 whole m² (#12), so u3 reaches
    # 482 / 76 = 6.3421: Σ A = 2235, mean 2235 / 302 = 7.400662, Σ A²/P / 302 = 59.784857, variance
    # 5.014875, CV 2.239392 / 7.400662 = 0.302593 ≤ 0.50.
    planned = r4[r4["plan_step"].notna()]
    assert planned.index.tolist() == ["3708300003"]
    assert int(u3["plan_step"]) == 1 and u3["plan_target"] == approx(1913 / 302)
    assert u3["plan_need"] == 322 and u3["plan_cv_after"] == approx(0.302593, abs=1e-6)
    # Other indicators are within their limits: no plan steps.
    assert c[c["indicator_code"] != "R4"]["plan_step"].isna().all()


def test_rerun_replaces_the_slices(warehouse_url: str) -> None:
    load_periods(warehouse_url, {"2026-10": example_and_short_unit()})
    engine = make_engine(warehouse_url)
    with engine.begin() as conn:
        compute_period(conn, "2026-10", "weighted", NOW)
    counts = {
        t: int(query_frame(engine, f"SELECT COUNT(*) AS n FROM core.{t}")["n"].iloc[0])
        for t in ("fct_remediation", "fct_cv_contribution", "fct_variance")
    }
    engine.dispose()
    assert counts == {"fct_remediation": 6, "fct_cv_contribution": 5 * 7, "fct_variance": 6 * 7 + 7}


def test_every_mart_column_is_described(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    with engine.connect() as conn:
        d = build_dictionary(conn)
    engine.dispose()
    assert {"variance_report", "outliers", "remediation", "cv_contribution", "county_cv"} <= set(d["mart"])
    assert undescribed(d) == []
    row = d[(d["mart"] == "remediation") & (d["column"] == "need_to_threshold_whole")].iloc[0]
    assert row["type"] == "数值"
