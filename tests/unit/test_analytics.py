"""Analytics by hand: robust outliers, own-history bands, CV contribution, what-if, greedy plan, totals."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from junheng.errors import ConfigError
from tasks.model.analytics.config import AnalyticsConfig, config_from_env
from tasks.model.analytics.contribution import UnitValue, contributions, mean_cv
from tasks.model.analytics.outliers import (
    cross_section_outliers,
    history_band,
    median,
    modified_z,
    own_history_outlier,
    robust_spread,
)
from tasks.model.analytics.plan import greedy_plan, whole_need
from tasks.model.analytics.totals import county_totals

approx = pytest.approx


def test_median_odd_and_even() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_modified_z_with_mad() -> None:
    # median 12; |x − 12| = 2, 0, 1, 1, 28 → sorted 0, 1, 1, 2, 28 → MAD = 1.
    s = robust_spread([10.0, 12.0, 11.0, 13.0, 40.0])
    assert (s.center, s.spread, s.kind) == (12.0, 1.0, "mad")
    assert modified_z(40.0, s) == approx(0.6745 * 28)  # 18.886
    assert modified_z(10.0, s) == approx(-1.349)


def test_cross_section_flags_only_beyond_3_5() -> None:
    found = cross_section_outliers("primary", "R4", {"a": 10.0, "b": 12.0, "c": 11.0, "d": 13.0, "e": 40.0})
    assert [(f.school_code, f.method) for f in found] == [("e", "cross_section")]
    f = found[0]
    assert f.score == approx(18.886)
    assert f.center == 12.0 and f.n_ref == 5
    assert "小学R4" in f.message and "40.00" in f.message and "中位数 12.00" in f.message and "18.9" in f.message


def test_mad_zero_falls_back_to_mean_absolute_deviation() -> None:
    # [1, 1, 1, 1, 5]: median 1, MAD = median(0, 0, 0, 0, 4) = 0; MeanAD = 4 / 5 = 0.8;
    # M(5) = (5 − 1) / (1.253314 × 0.8) = 4 / 1.0026512 = 3.98942 > 3.5.
    s = robust_spread([1.0, 1.0, 1.0, 1.0, 5.0])
    assert (s.kind, s.spread) == ("meanad", approx(0.8))
    found = cross_section_outliers("junior", "R6", {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 5.0})
    assert [f.school_code for f in found] == ["e"]
    assert found[0].score == approx(3.98942, abs=1e-5)
    assert found[0].spread_kind == "meanad"
    assert "平均绝对偏差" in found[0].message
    # [1, 1, 1, 1, 3] scores the same 3.98942 (MeanAD 0.4): one value off four equal ones is always
    # (n / 1.253314) away. [1, 1, 1, 2, 3]: MAD 0, MeanAD 3 / 5 = 0.6, M(3) = 2 / 0.7519884 = 2.65961.
    assert cross_section_outliers("junior", "R6", {"a": 1.0, "b": 1.0, "c": 1.0, "d": 2.0, "e": 3.0}) == []


def test_all_equal_or_too_few_values_give_no_outlier() -> None:
    assert cross_section_outliers("primary", "R1", {"a": 2.0, "b": 2.0, "c": 2.0}) == []
    assert cross_section_outliers("primary", "R1", {"a": 1.0, "b": 100.0}) == []  # fewer than 3 schools


def test_history_band_with_mad() -> None:
    # history 10, 12, 11: median 11, MAD = median(1, 1, 0) = 1; half width 3.5 / 0.6745 = 5.18903.
    band = history_band([10.0, 12.0, 11.0])
    assert band is not None
    assert (band.low, band.high, band.kind, band.n_ref) == (
        approx(5.81097, abs=1e-5),
        approx(16.18903, abs=1e-5),
        "mad",
        3,
    )
    assert own_history_outlier("s", "primary", "R4", 16.0, [10.0, 12.0, 11.0]) is None
    f = own_history_outlier("s", "primary", "R4", 17.0, [10.0, 12.0, 11.0])
    assert f is not None and f.method == "own_history"
    assert "此前 3 期" in f.message and "5.81～16.19" in f.message


def test_history_band_fallbacks() -> None:
    # 10, 10, 14: MAD = median(0, 0, 4) = 0, MeanAD = 4 / 3; half = 3.5 × 1.253314 × 4/3 = 5.84880.
    band = history_band([10.0, 10.0, 14.0])
    assert band is not None and band.kind == "meanad"
    assert (band.low, band.high) == (approx(4.15120, abs=1e-5), approx(15.84880, abs=1e-5))
    # Constant history 10, 10: no spread at all, so the ±20 % change bound: [8, 12], inclusive.
    band = history_band([10.0, 10.0])
    assert band is not None and (band.low, band.high, band.kind) == (approx(8.0), approx(12.0), "bound")
    assert own_history_outlier("s", "junior", "R1", 12.0, [10.0, 10.0]) is None
    f = own_history_outlier("s", "junior", "R1", 12.5, [10.0, 10.0])
    assert f is not None and "±20%" in f.message
    # 100, 101, 102: MAD 1 gives ± 5.189, narrower than ±20 % of 101 = ± 20.2: the bound wins,
    # so ordinary month-to-month change is no outlier: band [80.8, 121.2].
    band = history_band([100.0, 101.0, 102.0])
    assert band is not None and (band.low, band.high, band.kind) == (approx(80.8), approx(121.2), "bound")
    assert own_history_outlier("s", "junior", "R6", 110.0, [100.0, 101.0, 102.0]) is None
    assert own_history_outlier("s", "junior", "R6", 125.0, [100.0, 101.0, 102.0]) is not None
    # One earlier period is not a history (the unit needs ≥ 3 periods with the current one).
    assert history_band([10.0]) is None
    assert own_history_outlier("s", "junior", "R1", 99.0, [10.0]) is None


def test_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_from_env() == AnalyticsConfig(change_bound=0.2, outlier_threshold=3.5)
    monkeypatch.setenv("JUNHENG_CHANGE_BOUND", "0.1")
    assert config_from_env().change_bound == 0.1
    monkeypatch.setenv("JUNHENG_OUTLIER_Z", "abc")
    with pytest.raises(ConfigError, match="JUNHENG_OUTLIER_Z"):
        config_from_env()


# indicators.md worked example: P = 45, 37, 89, 76, 55 and resource 279, 137, 935, 160, 402.
P = [45.0, 37.0, 89.0, 76.0, 55.0]
A = [279.0, 137.0, 935.0, 160.0, 402.0]
EXAMPLE = [UnitValue(f"u{i}", p, a / p, p) for i, (p, a) in enumerate(zip(P, A, strict=True))]


def test_mean_cv_worked_example() -> None:
    m, cv = mean_cv([u.weight for u in EXAMPLE], [u.value for u in EXAMPLE])
    assert m == approx(1913 / 302)  # 6.334
    assert cv is not None and round(cv, 3) == 0.515
    # unweighted population CV 0.489
    assert round(mean_cv([1.0] * 5, [u.value for u in EXAMPLE])[1] or 0, 3) == 0.489


def test_contributions_of_four_equal_units() -> None:
    # P = 100 each, X = 1, 2, 6, 7: mean 4, squared deviations 9, 4, 4, 9 (sum 26), variance 6.5,
    # CV = sqrt(6.5) / 4 = 0.637377.
    units = [UnitValue(c, 100.0, x, 100.0) for c, x in zip("abcd", (1.0, 2.0, 6.0, 7.0), strict=True)]
    out = {c.school_code: c for c in contributions(units, threshold=4.5)}
    assert out["a"].weight_share == 0.25
    assert out["a"].contribution_share == approx(9 / 26)
    assert out["b"].contribution_share == approx(4 / 26)
    assert out["a"].cv_contribution == approx(9 / 26 * math.sqrt(6.5) / 4)  # 0.220630
    assert sum(c.cv_contribution or 0 for c in out.values()) == approx(math.sqrt(6.5) / 4)
    # a at the mean: 4, 2, 6, 7 → mean 4.75, variance 14.75 / 4 = 3.6875, CV 1.920286 / 4.75 = 0.404271
    assert out["a"].cv_if_mean == approx(0.404271, abs=1e-6)
    # b at the mean: 1, 4, 6, 7 → mean 4.5, variance 21 / 4 = 5.25, CV 2.291288 / 4.5 = 0.509175
    assert out["b"].cv_if_mean == approx(0.509175, abs=1e-6)
    # a at the threshold 4.5: 4.5, 2, 6, 7 → mean 4.875, variance 14.1875 / 4, CV 0.386321
    assert out["a"].cv_if_threshold == approx(0.386321, abs=1e-6)
    # b at 4.5: 1, 4.5, 6, 7 → mean 4.625, variance 20.6875 / 4, CV 0.491713
    assert out["b"].cv_if_threshold == approx(0.491713, abs=1e-6)
    # c and d are above the mean and the threshold: nothing to reach.
    assert (out["c"].cv_if_mean, out["c"].cv_if_threshold, out["d"].cv_if_mean) == (None, None, None)


def test_contributions_worked_example() -> None:
    # shares P_i (X_i − X̄)² / Σ: computed by hand from X̄ = 1913 / 302.
    out = contributions(EXAMPLE, threshold=4.5)
    assert [round(c.contribution_share, 4) for c in out] == [0.0003, 0.0797, 0.4813, 0.4225, 0.0162]
    assert out[3].cv_if_mean == approx(0.302796, abs=1e-6)
    assert out[3].cv_if_threshold == approx(0.371326, abs=1e-6)
    assert out[1].cv_if_threshold == approx(0.496700, abs=1e-6)


def test_greedy_plan_two_steps_by_hand() -> None:
    """4 units of P = 100, X = 1, 1.5, 6, 8; threshold 4.5, CV limit 0.45.

    Before: mean 4.125, variance 35.1875 / 4 = 8.796875, CV 2.965954 / 4.125 = 0.719019.
    Step 1, target max(4.125, 4.5) = 4.5: a → 4.5 gives mean 5, variance 22.5 / 4, CV 0.474342;
      b → 4.5 gives mean 4.875, variance 26.1875 / 4, CV 0.524859. Take a; 0.474 > 0.45, go on.
    Step 2, target max(5, 4.5) = 5: b → 5 gives 4.5, 5, 6, 8: mean 5.875, variance 7.1875 / 4,
      CV 1.340476 / 5.875 = 0.228166 ≤ 0.45. No single step reaches 0.45, so 2 is the fewest.
    Needs (per_students 1, P = 100): a (4.5 − 1) × 100 = 350, b (5 − 1.5) × 100 = 350.
    """
    units = [UnitValue(c, 100.0, x, 100.0) for c, x in zip("abcd", (1.0, 1.5, 6.0, 8.0), strict=True)]
    plan = greedy_plan(units, threshold=4.5, limit=0.45, per_students=1.0)
    assert plan.cv_before == approx(0.719019, abs=1e-6)
    assert [(s.step, s.school_code) for s in plan.steps] == [(1, "a"), (2, "b")]
    a, b = plan.steps
    assert (a.from_value, a.target, a.need, a.cv_after) == (1.0, 4.5, approx(350.0), approx(0.474342, abs=1e-6))
    assert (b.from_value, b.target, b.need, b.cv_after) == (1.5, approx(5.0), approx(350.0), approx(0.228166, abs=1e-6))
    assert plan.reached and plan.cv_after == approx(0.228166, abs=1e-6)
    # Capped at one step the limit is not reached, and the plan says so.
    short = greedy_plan(units, threshold=4.5, limit=0.45, per_students=1.0, max_steps=1)
    assert len(short.steps) == 1 and not short.reached and short.cv_after == approx(0.474342, abs=1e-6)


def test_greedy_plan_worked_example_one_step() -> None:
    # CV 0.515 > 0.50: raising u3 (X = 2.105, P = 76) to the mean 6.334 gives 0.302796 (the best of
    # u0 0.513558, u1 0.467867, u3 0.302796); need (1913/302 − 160/76) × 76 = 321.4172 m².
    plan = greedy_plan(EXAMPLE, threshold=4.5, limit=0.5, per_students=1.0)
    assert [s.school_code for s in plan.steps] == ["u3"]
    assert plan.steps[0].need == approx(1913 / 302 * 76 - 160)
    assert plan.cv_after == approx(0.302796, abs=1e-6) and plan.reached


def test_greedy_plan_nothing_to_do_within_limit() -> None:
    plan = greedy_plan(EXAMPLE, threshold=4.5, limit=0.6, per_students=1.0)
    assert plan.steps == () and plan.reached and plan.cv_after == plan.cv_before


def test_county_totals_per_section() -> None:
    rem = pd.DataFrame(
        [
            ("a", "primary", "R1", "人", 1.0, 0.0, False),
            ("b", "primary", "R1", "人", 3.0, 1.0, True),
            ("a", "primary", "R6", "元", 400000.0, 250000.0, True),
            ("c", "junior", "R1", "人", 2.0, 0.0, False),
        ],
        columns=[
            "school_code",
            "section",
            "indicator_code",
            "resource_unit",
            "need_to_threshold_whole",
            "need_to_floor_whole",
            "below_floor",
        ],
    )
    t = county_totals(rem).set_index(["section", "indicator_code"])
    assert t.loc[("primary", "R1"), ["units", "units_below_floor", "need_to_threshold", "need_to_floor"]].tolist() == [
        2,
        1,
        4.0,
        1.0,
    ]
    assert t.loc[("primary", "R6"), "need_to_threshold"] == 400000.0
    assert t.loc[("junior", "R1"), "units"] == 1


@pytest.mark.parametrize(
    ("resource", "students", "per", "target", "expected"),
    [
        # 4.2 × 500 / 100 − 20 = 1.0000000000000036: exactly one teacher, not two
        (20.0, 500.0, 100.0, 4.2, 1),
        # 4.2 × 3.1 − 4 = 9.02 → 10: 13 teachers give 13 / 3.1 = 4.194 < 4.2, 14 give 4.516
        (4.0, 310.0, 100.0, 4.2, 10),
        (9.0, 310.0, 100.0, 4.2, 5),  # 13.02 − 9 = 4.02 → 5
        (14.0, 310.0, 100.0, 4.2, 0),  # 14 / 3.1 = 4.516 already meets
        (100.0, 100.0, 1.0, 4.5, 350),  # R4: 4.5 × 100 − 100 = 350 m²
    ],
)
def test_whole_need_rounds_up_and_one_less_would_not_do(
    resource: float, students: float, per: float, target: float, expected: int
) -> None:
    n = whole_need(resource, students, per, target)
    assert n == expected
    assert (resource + n) * per / students >= target
    assert n == 0 or (resource + n - 1) * per / students < target


def test_plan_adds_whole_teachers_and_agrees_with_the_gap_table() -> None:
    """4 units of P = 310 with 4, 9, 16, 21 teachers (R1, per 100 students), threshold 4.2, limit 0.50.

    Equal weights, so the CV is that of the teacher counts: mean 12.5, squared deviations 72.25, 12.25,
    12.25, 72.25 (169), variance 42.25, CV 6.5 / 12.5 = 0.52 > 0.50. Mean value 12.5 / 3.1 = 4.032 < 4.2,
    so the target is the threshold 4.2 = 13.02 teachers.
    a needs 13.02 − 4 = 9.02 → 10 teachers (9 leave 13 / 3.1 = 4.194 < 4.2): 14, 9, 16, 21 → mean 15,
      squares 1, 36, 1, 36 = 74, variance 18.5, CV 4.301163 / 15 = 0.286744.
    b needs 4.02 → 5: 4, 14, 16, 21 → mean 13.75, squares 95.0625, 0.0625, 5.0625, 52.5625 = 152.75,
      variance 38.1875, CV 6.179604 / 13.75 = 0.449426. a lowers it more: one step, reached.
    The gap table (need_to_threshold_whole) says 10 for a and 5 for b: the plan's 10 is the same.
    """
    units = [UnitValue(c, 310.0, r / 3.1, 310.0, r) for c, r in zip("abcd", (4.0, 9.0, 16.0, 21.0), strict=True)]
    plan = greedy_plan(units, threshold=4.2, limit=0.5, per_students=100.0, whole=True)
    assert plan.cv_before == approx(0.52)
    (a,) = plan.steps
    assert (a.school_code, a.target, a.need) == ("a", 4.2, 10.0)
    assert a.value_after == approx(14 / 3.1) and a.cv_after == approx(0.286744, abs=1e-6)
    assert plan.reached
    gap = {u.school_code: whole_need(u.resource or 0.0, u.students, 100.0, 4.2) for u in units[:2]}
    assert gap == {"a": 10, "b": 5} and a.need == gap["a"]


def test_plan_whole_two_steps_by_hand() -> None:
    """R7 rooms (per 100), 4 units of P = 200 with 1, 2, 9, 10 rooms; threshold 2.3, limit 0.45.

    Room counts 1, 2, 9, 10: mean 5.5, squares 20.25, 12.25, 12.25, 20.25 = 65, variance 16.25,
    CV 4.031129 / 5.5 = 0.732932. Mean value 2.75 > 2.3: target 2.75 = 5.5 rooms.
    Step 1: a 1 → 6 (+5; 5 rooms give 2.5 < 2.75): 6, 2, 9, 10 → mean 6.75, squares 0.5625, 22.5625,
      5.0625, 10.5625 = 38.75, CV 3.112475 / 6.75 = 0.461107; b 2 → 6 (+4): 1, 6, 9, 10 → mean 6.5,
      squares 30.25, 0.25, 6.25, 12.25 = 49, CV 3.5 / 6.5 = 0.538462. Take a; 0.461 > 0.45.
    Step 2: mean value 6.75 / 2 = 3.375, target 6.75 rooms: b 2 → 7 (+5; 6 give 3.0 < 3.375):
      6, 7, 9, 10 → mean 8, squares 4, 1, 1, 4 = 10, CV 1.581139 / 8 = 0.197642 ≤ 0.45.
    """
    units = [UnitValue(c, 200.0, r / 2, 200.0, r) for c, r in zip("abcd", (1.0, 2.0, 9.0, 10.0), strict=True)]
    plan = greedy_plan(units, threshold=2.3, limit=0.45, per_students=100.0, whole=True)
    assert plan.cv_before == approx(0.732932, abs=1e-6)
    assert [(s.school_code, s.need, s.value_after) for s in plan.steps] == [("a", 5.0, 3.0), ("b", 5.0, 3.5)]
    assert [s.target for s in plan.steps] == [2.75, 3.375]
    assert [s.cv_after for s in plan.steps] == [approx(0.461107, abs=1e-6), approx(0.197642, abs=1e-6)]
    assert plan.reached
