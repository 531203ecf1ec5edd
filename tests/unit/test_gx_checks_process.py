"""The checks process (a county's run loads GX there while Prefect starts): validation and the policy
check give there exactly the findings they give in the run's own process (issue 14 item 1)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from expectations import gx_suite
from junheng.policy import rules_in_force
from tests.unit.test_gx_suite import PERIOD, TWINS, _classes, _schools, _units, make_batch, school


@pytest.fixture
def checks_process() -> Iterator[None]:
    gx_suite.start_checks_process(PERIOD)
    assert gx_suite._checks_process(1) is not None
    yield
    gx_suite._forget_checks_process()


def _policy_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    units = _units([("below", "primary", "R1", 3.81), ("at", "primary", "R1", 4.2)])
    classes = _classes([("c", "小学", 2, 46, "D2"), ("c", "初中", 3, 46, "D3")])
    schools = _schools([("s1", "小学", 2001), ("s3", "小学", 2000)])
    return units, classes, schools


def test_the_checks_process_finds_what_this_process_finds(checks_process: None) -> None:
    batch = make_batch({"clean": school(), **{name: s for name, (s, _) in TWINS.items()}})
    units, classes, schools = _policy_inputs()
    rules = rules_in_force(PERIOD)
    there = gx_suite.validate_returns(batch, PERIOD), gx_suite.check_policy(PERIOD, rules, units, classes, schools)
    gx_suite._forget_checks_process()
    here = gx_suite.validate_returns(batch, PERIOD), gx_suite.check_policy(PERIOD, rules, units, classes, schools)
    assert there == here
    # Every broken twin's finding and the three policy violations (an R1 shortfall, a class over 45, a
    # school over 2000), so the comparison is not between two empty lists.
    assert {f.file_id for f in there[0]} == {name for name, (_, want) in TWINS.items() if want}
    assert sorted((f.file_id, f.rule) for f in there[1]) == [("below", "R1"), ("c", "G5"), ("s1", "G4")]


def test_large_inputs_stay_in_this_process(checks_process: None) -> None:
    assert gx_suite._checks_process(gx_suite.CHECKS_PROCESS_MAX_ROWS + 1) is None
