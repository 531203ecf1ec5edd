"""The terminal summary names every count and the choices the numbers were made with, in people's words."""

from __future__ import annotations

import pandas as pd

from tasks.publish.summary import cv_fail_names, summary_lines

BASE: dict[str, object] = {
    "county": "本县",
    "period": "2026-10",
    "files_received": 6,
    "files_loaded": 4,
    "files_county": 1,
    "files_rejected": 1,
    "files_superseded": 1,
    "files_read": 5,
    "units": 4,
    "units_passing": 3,
    "units_not_reported": 0,
    "cv_indicators": 14,
    "cv_fail": ["小学 R4 生均教学及辅助用房面积"],
    "violations": 2,
    "verdict": "资源配置未达到优质均衡要求",
    "choices": {"cv_method": "差异系数按在校生数加权计算", "r3_art_teachers": "音乐、美术"},
}


def test_summary_lines_state_counts_failures_and_choices() -> None:
    text = "\n".join(summary_lines(BASE))
    # 6 received = 4 loaded (3 school returns + 1 county return) + 1 returned + 1 replaced
    assert "收到报表 6 份，入库 4，退回 1，被替代 1（入库中学校报表 3 份、县级报表 1 份）" in text
    assert "本次运行读取学校报表 5 份" in text
    assert "学校单元 4 个：达标 3 个，未达标 1 个" in text and "缺少达标判定" not in text
    assert "校际差异系数 14 项，未达标 1 项：小学 R4 生均教学及辅助用房面积" in text
    assert "学校指标未达标记录 2 条" in text
    assert "口径：差异系数按在校生数加权计算；R3 艺术教师口径：音乐、美术" in text
    for token in ("primary", "junior", "county_code", "[", "{", "None"):
        assert token not in text


def test_alert_counts_are_explained() -> None:
    lines = summary_lines(
        {**BASE, "alerts_opened": 26, "alerts_changed": 0, "alerts_resolved": 0, "alerts_open_total": 26}
    )
    assert "预警：本次新增 26 条，有变化 0 条，解除 0 条；目前未解除 26 条（含本次新增）" in lines


def test_no_valid_returns_gives_no_verdict() -> None:
    summary = {**BASE, "files_loaded": 0, "files_county": 0, "units": 0, "units_passing": 0, "no_valid_returns": True}
    text = "\n".join(summary_lines(summary))
    assert "结论：无有效报表" in text
    assert "未达到" not in text and "学校单元" not in text


def test_cv_fail_names_put_primary_first_with_names() -> None:
    cv = pd.DataFrame(
        {
            "section": ["junior", "primary", "primary", "primary"],
            "indicator_code": ["R3", "R6", "R3", "R1"],
            "meets": [False, False, None, True],  # a CV that cannot be computed counts as not met
        }
    )
    assert cv_fail_names(cv) == [
        "小学 R3 每百名学生拥有体育、艺术（美术、音乐）专任教师数",
        "小学 R6 生均教学仪器设备值",
        "初中 R3 每百名学生拥有体育、艺术（美术、音乐）专任教师数",
    ]
