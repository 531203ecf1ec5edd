"""The status of a county against its target year, worked by hand (tasks.model.progress.judge)."""

from __future__ import annotations

from tasks.model.progress import BEHIND, NOT_REPORTED, ON_TRACK, REACHED, judge, months_left


def test_months_left_to_the_end_of_the_target_year() -> None:
    assert months_left("2026-10", 2026) == 2
    assert months_left("2026-12", 2026) == 0
    assert months_left("2026-10", 2027) == 14
    assert months_left("2027-01", 2026) == -1


def test_reached_beats_everything() -> None:
    j = judge([("2026-08", 30, 39, False), ("2026-10", 39, 39, True)], "2026-10", 2023)
    assert j.status == REACHED and (j.trend, j.trend_since) == (9, "2026-08")


def test_target_year_over_and_not_reached() -> None:
    assert judge([("2026-10", 38, 39, False)], "2026-10", 2025).status == BEHIND
    assert judge([("2026-12", 38, 39, False)], "2026-12", 2026).status == BEHIND  # 0 months left


def test_no_pace_with_one_period() -> None:
    j = judge([("2026-10", 20, 39, False)], "2026-10", 2026)
    assert (j.status, j.trend) == (ON_TRACK, None)


def test_no_increase_is_behind() -> None:
    h = [("2026-08", 30, 39, False), ("2026-09", 31, 39, False), ("2026-10", 30, 39, False)]
    assert judge(h, "2026-10", 2030).status == BEHIND  # 0 over the window, even with years left


def test_pace_on_the_boundary_is_on_track() -> None:
    """2027-06, target 2027: 6 months left. Window 2027-04 → 06: +3 in 2 months, so 9 unmet need exactly 6."""
    h = [("2027-04", 27, 39, False), ("2027-05", 28, 39, False), ("2027-06", 30, 39, False)]
    assert judge(h, "2027-06", 2027).status == ON_TRACK  # 9 × 2 = 18 = 3 × 6
    h[-1] = ("2027-06", 29, 39, False)  # +2: 10 unmet × 2 = 20 > 2 × 6 = 12
    assert judge(h, "2027-06", 2027).status == BEHIND


def test_window_is_the_last_three_periods_with_data() -> None:
    """Gaps are skipped: the window is 2026-05, 07, 10 (not 08–10), and the pace uses 5 calendar months."""
    h = [("2026-01", 10, 39, False), ("2026-05", 20, 39, False), ("2026-07", 25, 39, False), ("2026-10", 30, 39, False)]
    j = judge(h, "2026-10", 2027)
    assert (j.trend, j.trend_since) == (10, "2026-05")
    # 9 unmet × 5 months = 45 ≤ 10 × 14 months left = 140
    assert j.status == ON_TRACK


def test_no_data_this_period() -> None:
    h = [("2026-08", 30, 39, False), ("2026-09", 32, 39, False)]
    j = judge(h, "2026-10", 2026)
    assert j.status == NOT_REPORTED and (j.trend, j.trend_since) == (2, "2026-08")
