"""Unit costs for the plan's cost estimate: read from JUNHENG_UNIT_COST_*, strict, Chinese errors."""

from __future__ import annotations

import pytest

from junheng.errors import ConfigError
from junheng.settings import UnitCosts, load_settings


def test_not_set_means_no_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("TEACHER", "ROOM", "BUILDING_M2", "SPORTS_M2"):
        monkeypatch.delenv(f"JUNHENG_UNIT_COST_{var}", raising=False)
    assert load_settings().unit_costs == UnitCosts()


def test_prices_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_UNIT_COST_TEACHER", "120,000")
    monkeypatch.setenv("JUNHENG_UNIT_COST_ROOM", "80000")
    monkeypatch.setenv("JUNHENG_UNIT_COST_BUILDING_M2", "3500.5")
    costs = load_settings().unit_costs
    assert (costs.teacher, costs.room, costs.building_m2, costs.sports_m2) == (120000.0, 80000.0, 3500.5, None)


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "inf", "nan"])
def test_a_bad_price_is_refused_in_chinese(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("JUNHENG_UNIT_COST_SPORTS_M2", raw)
    with pytest.raises(ConfigError, match="JUNHENG_UNIT_COST_SPORTS_M2 应为大于 0 的金额"):
        load_settings()
