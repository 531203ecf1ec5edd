"""Issue 12, Deliver 7: the school-rule population is a stated policy choice. Default: public units counted,
民办 judged and shown; the terminal summary and the period report say which, in people's words."""

from __future__ import annotations

import pytest

from junheng.settings import load_settings
from tasks.publish.period_report.labels import describe_choices
from tasks.publish.summary import choices_text


def test_the_default_counts_public_units_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNHENG_PRIVATE_IN_SCHOOL_RULE", raising=False)
    said = choices_text(load_settings())["private_in_school_rule"]
    assert said == "学校达标规则只统计公办学校单元（民办也评价并列出）"
    shown = dict(describe_choices({"private_in_school_rule": False}))
    assert shown["学校达标规则的统计范围"] == "公办学校单元（民办学校单元也评价并列出，但不计入）"


def test_counting_private_units_is_a_choice_the_reports_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_PRIVATE_IN_SCHOOL_RULE", "true")
    assert choices_text(load_settings())["private_in_school_rule"] == "学校达标规则统计公办和民办学校单元"
    assert dict(describe_choices({"private_in_school_rule": True}))["学校达标规则的统计范围"] == "公办和民办学校单元"
