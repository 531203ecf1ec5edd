"""The R3 art-teacher choice: settable by environment and stated in every report."""

from __future__ import annotations

import pytest

from junheng.errors import ConfigError
from junheng.settings import PolicyChoices, load_settings
from tasks.publish.period_report import describe_choices
from tasks.publish.summary import choices_text


def test_default_is_music_and_art_and_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNHENG_R3_ART_TEACHERS", raising=False)
    assert load_settings().choices.r3_art_teachers == "music_art"
    monkeypatch.setenv("JUNHENG_R3_ART_TEACHERS", "all_art")
    assert load_settings().choices == PolicyChoices(r3_art_teachers="all_art")
    monkeypatch.setenv("JUNHENG_R3_ART_TEACHERS", "dance")
    with pytest.raises(ConfigError, match="r3_art_teachers"):
        load_settings()


@pytest.mark.parametrize(("choice", "text"), [("music_art", "音乐、美术"), ("all_art", "音乐、美术及其他艺术学科")])
def test_reports_state_the_choice(choice: str, text: str) -> None:
    settings = load_settings(choices=PolicyChoices(r3_art_teachers=choice))  # type: ignore[arg-type]
    choices = choices_text(settings)
    assert choices["r3_art_teachers"] == text
    # The Excel 概要 and HTML 本报告口径 sections list describe_choices(choices).
    assert ("R3 艺术教师口径", text) in describe_choices(choices)
    assert ("R3 艺术教师口径", text) in describe_choices(settings.choices.model_dump())


@pytest.mark.parametrize("private_in_cv", [True, False])
def test_reports_state_the_private_school_choice_as_chosen(private_in_cv: bool) -> None:
    """The reports get the sentences of choices_text: 民办学校计入差异系数 must not read as 不计入."""
    settings = load_settings(choices=PolicyChoices(private_in_cv=private_in_cv))
    lines = dict(describe_choices(choices_text(settings)))
    expected = "民办学校计入差异系数" if private_in_cv else "民办学校不计入差异系数（仍按学校达标规则评价）"
    assert lines["民办学校"] == expected
    assert dict(describe_choices(settings.choices.model_dump()))["民办学校"] == (
        "计入差异系数" if private_in_cv else "列出指标，但不计入差异系数"
    )
