"""Policy choices and the county code come from the environment, strictly validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from junheng.errors import ConfigError
from junheng.settings import load_settings


def test_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "JUNHENG_CV_METHOD",
        "JUNHENG_TEACHING_POINT_POLICY",
        "JUNHENG_PRIVATE_IN_CV",
        "JUNHENG_PRIVATE_IN_SCHOOL_RULE",
    ):
        monkeypatch.delenv(var, raising=False)
    c = load_settings().choices
    assert (c.cv_method, c.teaching_point_policy, c.private_in_cv) == ("weighted", "exclude_under_50", False)
    assert c.private_in_school_rule is False  # indicators.md: the school-rule line counts the public units
    assert c.teaching_point_min_students == 50


def test_choices_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_CV_METHOD", "unweighted")
    monkeypatch.setenv("JUNHENG_TEACHING_POINT_POLICY", "merge")
    monkeypatch.setenv("JUNHENG_PRIVATE_IN_CV", "true")
    monkeypatch.setenv("JUNHENG_TEACHING_POINT_MIN_STUDENTS", "30")
    monkeypatch.setenv("JUNHENG_PRIVATE_IN_SCHOOL_RULE", "是")
    c = load_settings().choices
    assert (c.cv_method, c.teaching_point_policy, c.private_in_cv) == ("unweighted", "merge", True)
    assert c.private_in_school_rule is True
    assert c.teaching_point_min_students == 30


def test_a_misspelt_choice_is_a_load_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_CV_METHOD", "weigthed")
    with pytest.raises(ConfigError, match="设置有误"):
        load_settings()


@pytest.mark.parametrize("var", ["JUNHENG_PRIVATE_IN_CV", "JUNHENG_PRIVATE_IN_SCHOOL_RULE"])
def test_a_misspelt_yes_no_is_a_load_error_not_a_silent_no(monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    monkeypatch.setenv(var, "ture")
    with pytest.raises(ConfigError, match=f"{var} 应为 true 或 false"):
        load_settings()
    monkeypatch.setenv(var, "No")
    assert getattr(load_settings().choices, var.removeprefix("JUNHENG_").lower()) is False


def test_county_code_from_environment_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNHENG_COUNTY_CODE", raising=False)
    assert load_settings().county_code == "000000"  # not set: a warehouse of one county
    monkeypatch.setenv("JUNHENG_COUNTY_CODE", "370830")
    assert load_settings().county_code == "370830"
    assert load_settings(county_code="370831").county_code == "370831"  # the CLI flag wins


@pytest.mark.parametrize("bad", ["37083", "3708300", "37O830", "../x/1", ""])
def test_a_bad_county_code_is_refused_in_chinese(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.delenv("JUNHENG_COUNTY_CODE", raising=False)
    with pytest.raises(ConfigError, match="县级行政区划代码应为 6 位数字"):
        load_settings(county_code=bad)


def test_a_bad_county_code_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_COUNTY_CODE", "wenshang")
    with pytest.raises(ConfigError, match=r"县级行政区划代码应为 6 位数字.*wenshang"):
        load_settings()


def test_a_county_has_its_own_folders_only_when_its_code_is_set() -> None:
    one = load_settings(data_dir=Path("d"), county_code="000000")
    assert one.county_dir(one.out_dir) == Path("d/reports")  # single county: paths as before
    assert one.inbox_dir("2026-10") == Path("d/inbox/2026-10")
    two = load_settings(data_dir=Path("d"), county_code="370830")
    assert two.county_dir(two.out_dir) == Path("d/reports/370830")
    assert two.inbox_dir("2026-10") == Path("d/inbox/370830/2026-10")
