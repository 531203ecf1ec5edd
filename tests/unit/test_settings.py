"""Policy choices come from the environment, strictly validated."""

from __future__ import annotations

import pytest

from junheng.errors import ConfigError
from junheng.settings import load_settings


def test_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("JUNHENG_CV_METHOD", "JUNHENG_TEACHING_POINT_POLICY", "JUNHENG_PRIVATE_IN_CV"):
        monkeypatch.delenv(var, raising=False)
    c = load_settings().choices
    assert (c.cv_method, c.teaching_point_policy, c.private_in_cv) == ("weighted", "exclude_under_50", False)
    assert c.teaching_point_min_students == 50


def test_choices_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_CV_METHOD", "unweighted")
    monkeypatch.setenv("JUNHENG_TEACHING_POINT_POLICY", "merge")
    monkeypatch.setenv("JUNHENG_PRIVATE_IN_CV", "true")
    monkeypatch.setenv("JUNHENG_TEACHING_POINT_MIN_STUDENTS", "30")
    c = load_settings().choices
    assert (c.cv_method, c.teaching_point_policy, c.private_in_cv) == ("unweighted", "merge", True)
    assert c.teaching_point_min_students == 30


def test_a_misspelt_choice_is_a_load_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_CV_METHOD", "weigthed")
    with pytest.raises(ConfigError, match="设置有误"):
        load_settings()
