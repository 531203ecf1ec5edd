"""The SQL models on DuckDB and PostgreSQL: R indicators, school rule and CV by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from junheng.policy import load_rules
from tasks.model.run import compute_period
from tests.fixtures.units import NOW, unit_row
from warehouse import schema as s
from warehouse.engine import bulk_insert, init_warehouse, make_engine, query_frame
from warehouse.load import read_marts, sync_reference

PERIOD = "2026-10"


def unit(code: str, students: float, section: str = "primary", in_cv: bool = True, **measures: float) -> dict:
    return unit_row(PERIOD, code, students, section=section, in_cv=in_cv, **measures)


def load_units(url: str, rows: list[dict], cv_method: str = "weighted") -> dict[str, pd.DataFrame]:
    engine = make_engine(url)
    init_warehouse(engine)
    with engine.begin() as conn:
        sync_reference(conn, PERIOD, load_rules())
        bulk_insert(conn, s.fct_school_section, pd.DataFrame(rows))
        compute_period(conn, PERIOD, cv_method, NOW)
    with engine.connect() as conn:
        marts = read_marts(conn, PERIOD)
    engine.dispose()
    return marts


# indicators.md worked example: P = 45, 37, 89, 76, 55 and A = 279, 137, 935, 160, 402.
EXAMPLE_P = [45, 37, 89, 76, 55]
EXAMPLE_A = [279, 137, 935, 160, 402]


def example_rows() -> list[dict]:
    # R4 = (teaching_aux − indoor) / P, so teaching_aux = A and indoor = 0 gives X_i = A_i / P_i.
    return [
        unit(f"37083000{i:02d}", p, teaching_aux_area_m2=a, indoor_sports_area_m2=0.0)
        for i, (p, a) in enumerate(zip(EXAMPLE_P, EXAMPLE_A, strict=True))
    ]


def test_weighted_cv_matches_worked_example(warehouse_url: str) -> None:
    marts = load_units(warehouse_url, example_rows())
    cv = marts["county_cv"].set_index(["section", "indicator_code"]).loc[("primary", "R4")]
    assert cv["mean"] == pytest.approx(1913 / 302, rel=1e-12)  # = 6.334…
    assert round(float(cv["cv"]), 3) == 0.515
    assert round(float(cv["cv_unweighted"]), 3) == 0.489
    assert int(cv["n_units"]) == 5
    assert cv["cv_limit"] == 0.5
    assert not bool(cv["meets"])  # 0.515 > 0.50


def test_unweighted_choice_judges_the_unweighted_cv(warehouse_url: str) -> None:
    marts = load_units(warehouse_url, example_rows(), cv_method="unweighted")
    cv = marts["county_cv"].set_index(["section", "indicator_code"]).loc[("primary", "R4")]
    assert round(float(cv["cv"]), 3) == 0.489 and bool(cv["meets"])
    assert cv["cv_method"] == "unweighted"


def test_units_out_of_cv_scope_are_left_out(warehouse_url: str) -> None:
    rows = [*example_rows(), unit("3708309999", 500, in_cv=False, teaching_aux_area_m2=99999.0)]
    marts = load_units(warehouse_url, rows)
    cv = marts["county_cv"].set_index(["section", "indicator_code"]).loc[("primary", "R4")]
    assert int(cv["n_units"]) == 5 and round(float(cv["cv"]), 3) == 0.515


def test_the_cv_line_names_the_units_left_out_for_a_missing_value(warehouse_url: str) -> None:
    # The worked example plus two units whose R4 area is not reported: one in CV scope (left out of
    # the CV, counted and named), one out of scope (民办: neither in the CV nor "missing").
    rows = [
        *example_rows(),
        unit("3708300097", 80, teaching_aux_area_m2=float("nan")),
        unit("3708300098", 60, in_cv=False, teaching_aux_area_m2=float("nan")),
    ]
    engine = make_engine(warehouse_url)
    init_warehouse(engine)
    with engine.begin() as conn:
        sync_reference(conn, PERIOD, load_rules())
        for code, name in (("3708300097", "南湖镇第三小学"), ("3708300098", "育才学校")):
            conn.execute(
                s.dim_school.insert().values(
                    school_sk=f"{code}@{PERIOD}",
                    school_code=code,
                    county_code="000000",
                    school_name=name,
                    school_type="小学",
                    is_teaching_point=False,
                    valid_from=PERIOD,
                    is_current=True,
                    file_id="f" * 64,
                    loaded_at=NOW,
                )
            )
    engine.dispose()
    marts = load_units(warehouse_url, rows)
    cv = marts["county_cv"].set_index(["section", "indicator_code"])
    r4 = cv.loc[("primary", "R4")]
    assert (int(r4["n_units"]), int(r4["n_missing"]), r4["missing_units"]) == (5, 1, "南湖镇第三小学（小学）")
    assert round(float(r4["cv"]), 3) == 0.515  # the worked example's CV: the unreported unit is not a 0
    r1 = cv.loc[("primary", "R1")]
    assert (int(r1["n_units"]), int(r1["n_missing"])) == (6, 0) and pd.isna(r1["missing_units"])


def test_indicator_formulas_and_threshold_boundaries(warehouse_url: str) -> None:
    rows = [
        # R1 exactly 4.2 (21 / 500 × 100) meets; R4 = (3000 − 500)/500 = 5.0; R5 = (3000 + 500)/500 = 7.0
        # R6 = 12 万元 stored as 120000 元 / 500 = 240 (far below 2000); R7 = 11/500×100 = 2.2.
        unit(
            "3708300001",
            500,
            teachers_above_required_degree=21.0,
            teaching_aux_area_m2=3000.0,
            indoor_sports_area_m2=500.0,
            sports_ground_area_m2=3000.0,
            equipment_value_yuan=120000.0,
            multimedia_classrooms=11.0,
            backbone_teachers=5.0,
            pe_teachers=2.0,
            music_teachers=1.0,
            art_teachers=1.0,
        ),
        # junior, P = 100: R1 = 5.2 < 5.3 but above its floor 4.505
        unit("3708300002", 100, section="junior", teachers_above_required_degree=5.2),
    ]
    marts = load_units(warehouse_url, rows)
    si = marts["school_indicators"].set_index(["school_code", "indicator_code"])
    p = "3708300001"
    assert si.loc[(p, "R1"), "value"] == 4.2 and bool(si.loc[(p, "R1"), "meets"])
    assert si.loc[(p, "R2"), "value"] == pytest.approx(1.0) and bool(si.loc[(p, "R2"), "meets"])
    assert si.loc[(p, "R3"), "value"] == pytest.approx(0.8) and not bool(si.loc[(p, "R3"), "meets"])
    assert si.loc[(p, "R4"), "value"] == pytest.approx(5.0)
    assert si.loc[(p, "R5"), "value"] == pytest.approx(7.0) and not bool(si.loc[(p, "R5"), "meets"])
    assert si.loc[(p, "R6"), "value"] == pytest.approx(240.0)
    assert si.loc[(p, "R7"), "value"] == pytest.approx(2.2)
    assert si.loc[(p, "R6"), "floor"] == pytest.approx(1700.0)
    j = "3708300002"
    assert si.loc[(j, "R1"), "value"] == pytest.approx(5.2) and not bool(si.loc[(j, "R1"), "meets"])
    assert si.loc[(j, "R1"), "threshold"] == 5.3
    comp = marts["school_compliance"].set_index("school_code")
    assert int(comp.loc[p, "indicators_met"]) == 3 and not bool(comp.loc[p, "passes"])
    assert int(comp.loc[j, "indicators_met"]) == 6 and bool(comp.loc[j, "passes"])  # 5.2 ≥ 4.505


@pytest.mark.parametrize(("r6_resource", "passes"), [(170000.0, True), (169900.0, False)])
def test_school_rule_85_percent_floor(warehouse_url: str, r6_resource: float, passes: bool) -> None:
    # P = 100: R6 = 1700 元 is exactly 85 % of 2000 → passes with 6 of 7; 1699 fails.
    marts = load_units(warehouse_url, [unit("3708300001", 100, equipment_value_yuan=r6_resource)])
    comp = marts["school_compliance"].iloc[0]
    assert int(comp["indicators_met"]) == 6
    assert bool(comp["passes"]) is passes


def test_the_85_percent_floor_is_the_exact_decimal_product(warehouse_url: str) -> None:
    # 85 % of 4.5 m² (小学 R4) is 3.825 and of 2.3 rooms (小学 R7) 1.955; the float products are
    # 3.8249999999999997 and 1.9549999999999998. 初中 R1: 85 % of 5.3 = 4.505.
    rows = [unit("3708300001", 100), unit("3708300002", 100, section="junior")]
    si = load_units(warehouse_url, rows)["school_indicators"].set_index(["section", "indicator_code"])
    assert si.loc[("primary", "R4"), "floor"] == 3.825
    assert si.loc[("primary", "R7"), "floor"] == 1.955
    assert si.loc[("junior", "R1"), "floor"] == 4.505
    assert si.loc[("primary", "R6"), "floor"] == 1700.0


def test_two_misses_fail_even_above_floor(warehouse_url: str) -> None:
    marts = load_units(
        warehouse_url, [unit("3708300001", 100, equipment_value_yuan=190000.0, multimedia_classrooms=2.2)]
    )
    comp = marts["school_compliance"].iloc[0]
    assert int(comp["indicators_met"]) == 5 and not bool(comp["passes"])


def test_missing_input_is_not_reported(warehouse_url: str) -> None:
    marts = load_units(warehouse_url, [unit("3708300001", 100, equipment_value_yuan=float("nan"))])
    si = marts["school_indicators"].set_index("indicator_code")
    assert pd.isna(si.loc["R6", "value"]) and pd.isna(si.loc["R6", "meets"])
    comp = marts["school_compliance"].iloc[0]
    assert pd.isna(comp["passes"]) and int(comp["indicators_reported"]) == 6


def test_rerun_compute_never_duplicates(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    load_units(warehouse_url, example_rows())
    with engine.begin() as conn:
        compute_period(conn, PERIOD, "weighted", NOW)
    n = query_frame(engine, "SELECT COUNT(*) AS n FROM core.fct_school_indicator")["n"].iloc[0]
    engine.dispose()
    assert int(n) == 5 * 7
