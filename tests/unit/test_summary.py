"""The terminal summary names every count and the choices the numbers were made with."""

from __future__ import annotations

from tasks.publish.summary import summary_lines


def test_summary_lines_state_counts_failures_and_choices() -> None:
    lines = summary_lines(
        {
            "county": "本县",
            "period": "2026-10",
            "files_received": 5,
            "files_loaded": 3,
            "files_rejected": 1,
            "files_superseded": 1,
            "units": 4,
            "units_passing": 3,
            "units_not_reported": 0,
            "cv_indicators": 14,
            "cv_fail": ["小学R4"],
            "violations": 2,
            "verdict": "资源配置未达到优质均衡要求",
            "choices": {"cv_method": "差异系数按在校生数加权计算", "r3_art_teachers": "音乐、美术"},
        }
    )
    text = "\n".join(lines)
    assert "收到报表 5 份，入库 3，退回 1，被替代 1" in text
    assert "学校单元 4 个，达标 3 个" in text and "数据不全" not in text
    assert "未达标：小学R4" in text
    assert "口径：差异系数按在校生数加权计算；R3 艺术教师口径：音乐、美术" in text
