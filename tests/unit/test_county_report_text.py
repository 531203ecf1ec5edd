"""The county report's words and numbers on a hand-made county: action text, formats, escaping, sheets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tasks.publish.charts import trend_chart
from tasks.publish.county_report import (
    CountyData,
    actions,
    fmt_cv,
    fmt_need,
    fmt_pct,
    fmt_value,
    plan_summaries,
    render_county_html,
    school_pages,
    sheet_name,
    write_county_workbook,
)

P = "2026-10"
EVIL = '=HYPERLINK("http://x")<script>'
# The greedy example of tests/unit/test_analytics.py: X = 1, 1.5, 6, 8 (P = 100), threshold 4.5,
# limit 0.45: CV 0.719019 → a to 4.5 (+350 m², 0.474342) → b to 5 (+350 m², 0.228166).
CODES = ["a", "b", "c", "d"]
VALUES = [1.0, 1.5, 6.0, 8.0]


def county() -> CountyData:
    ind = pd.DataFrame(
        {
            "period": P,
            "school_code": CODES,
            "school_name": [EVIL, "乙校", "丙校", "丁校"],
            "section": "primary",
            "indicator_code": "R4",
            "value": VALUES,
            "threshold": 4.5,
            "floor": 3.825,
            "meets": [False, False, True, True],
            "students": 100.0,
        }
    )
    comp = ind[["school_code", "school_name", "section"]].assign(passes=[False, False, True, True])
    cv = pd.DataFrame(
        {
            "period": ["2026-09", P],
            "section": "primary",
            "indicator_code": "R4",
            "cv": [0.6, 0.719019],
            "cv_limit": 0.45,
            "meets": False,
            "n_units": 4,
        }
    )
    variance = pd.DataFrame(
        {
            "level": ["school_unit", "county"],
            "school_code": ["a", None],
            "section": "primary",
            "indicator_code": "R4",
            "measure": ["value", "cv"],
            "value": [1.0, 0.719019],
            "prev_period": "2026-09",
            "prev_value": [2.0, 0.6],
            "change_abs": [-1.0, 0.119019],
            "change_pct": [-0.5, 0.198365],
            "change_bound": 0.2,
            "flagged": [True, False],
        }
    )
    outliers = pd.DataFrame(
        {
            "school_code": ["d"],
            "section": "primary",
            "indicator_code": "R4",
            "method": "own_history",
            "value": 8.0,
            "center": 6.0,
            "score": [None],
            "band_low": 4.8,
            "band_high": 7.2,
            "message": "小学R4 本期为 8.00 平方米/生，超出本校此前 2 期的正常范围 4.80～7.20",
        }
    )
    remediation = pd.DataFrame(
        {
            "school_code": ["a", "b"],
            "section": "primary",
            "indicator_code": "R4",
            "students": 100.0,
            "resource": [100.0, 150.0],
            "value": [1.0, 1.5],
            "threshold": 4.5,
            "floor": 3.825,
            "below_floor": True,
            "resource_unit": "平方米",
            "need_to_threshold": [350.0, 300.0],
            "need_to_threshold_whole": [350.0, 300.0],
            "need_to_floor": [282.5, 232.5],
            "need_to_floor_whole": [283.0, 233.0],
        }
    )
    contribution = pd.DataFrame(
        {
            "school_code": CODES,
            "section": "primary",
            "indicator_code": "R4",
            "students": 100.0,
            "value": VALUES,
            "weight_share": 0.25,
            "cv": 0.719019,
            "contribution_share": [9.765625 / 35.1875, 6.890625 / 35.1875, 3.515625 / 35.1875, 15.015625 / 35.1875],
            "cv_contribution": 0.1,
            "cv_if_mean": [0.5, 0.6, None, None],
            "cv_if_threshold": [0.474342, 0.524859, None, None],
            "plan_step": [1, 2, None, None],
            "plan_target": [4.5, 5.0, None, None],
            "plan_need": [350.0, 350.0, None, None],
            "plan_cv_after": [0.474342, 0.228166, None, None],
        }
    )
    issues = pd.DataFrame(
        {"school_code": ["b"], "sheet": ["办学条件"], "cell": ["C5"], "severity": ["warning"], "message": ["面积偏小"]}
    )
    dictionary = pd.DataFrame(
        [("remediation", "差距", "学校单元", "need_to_threshold", "数值", "达到标准还需增加")],
        columns=["mart", "mart_description", "grain", "column", "type", "description"],
    )
    data = CountyData(P, "演示县", cv, ind, comp, variance, outliers, remediation, contribution, issues, dictionary)
    data.names = dict(zip(CODES, [EVIL, "乙校", "丙校", "丁校"], strict=True))
    return data


def test_formats_officials_expect() -> None:
    assert fmt_cv(0.5152566) == "0.515"
    assert fmt_value(2434.4, "R6") == "2,434" and fmt_value(6.334437, "R4") == "6.33"
    assert fmt_need(400000.0, "R6") == "400,000" and fmt_need(3.0, "R1") == "3"
    assert fmt_need(12.5, "R4") == "12.5" and fmt_need(1320.0, "R4") == "1,320"
    assert fmt_pct(2 / 7) == "+28.6%" and fmt_pct(-0.5) == "-50.0%"


def test_plan_and_actions_in_plain_words() -> None:
    data = county()
    (plan,) = plan_summaries(data)
    assert (plan.cv, plan.cv_after, plan.reached, len(plan.steps)) == (0.719019, 0.228166, True, 2)
    first = actions(data)[0]
    assert first.startswith("小学R4 生均教学及辅助用房面积 差异系数 0.719，超过上限 0.45：改善2 所学校单元")
    assert "乙校（b）提高到 5.00（需增加 350 平方米）" in first and first.endswith("差异系数可降至 0.228。")
    # county totals: 2 units short, 350 + 300 m² to the threshold, 283 + 233 to the floor
    assert (
        "小学R4 生均教学及辅助用房面积：2 个学校单元未达标，合计需增加 650 平方米（达到标准的85%需 516 平方米）。"
        in actions(data)
    )


def test_school_pages_gather_gaps_changes_and_findings() -> None:
    pages = {p.code: p for p in school_pages(county())}
    a = pages["a"].sections["primary"][0]
    assert (a["need"], a["need_floor"], a["prev"], a["change"], a["flagged"], a["plan_step"]) == (
        350.0,
        283.0,
        2.0,
        -0.5,
        True,
        1.0,
    )
    assert pages["b"].findings == [("警告", "办学条件C5 面积偏小")]
    assert pages["d"].findings[0][0] == "异常值"


def test_html_escapes_names_and_draws_charts() -> None:
    html = render_county_html(county())
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "差异系数 0.719 → 0.228（上限 0.45，可以达标）" in html
    assert html.count("<svg") >= 3  # trend, CV bars, R4 strip


def test_trend_chart_positions() -> None:
    # periods at x = 56 + 20 = 76 … 560 − 24 − 70 − 10 = 456; y axis 0 … 0.8 (ticks of 0.2 up to the
    # largest CV 0.719) from 256 (300 − 44) to 36: y(v) = 256 − v / 0.8 × 220.
    svg = trend_chart("趋势", [("R4", [0.6, 0.719019])], ["2026-09", "2026-10"], 0.45, width=560, height=300)
    assert '<polyline class="series" points="76.00,91.00 456.00,58.27"' in svg  # 256 − 197.73 = 58.27
    assert 'class="limit" x1="56" y1="132.25"' in svg  # 256 − 0.45 / 0.8 × 220


def test_workbook_escapes_formulas_and_names_sheets(tmp_path: Path) -> None:
    path = write_county_workbook(county(), tmp_path / "c.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[:8] == [
        "县域概览",
        "趋势",
        "分布",
        "改进方案与贡献",
        "达标差距",
        "本期变动",
        "异常值",
        "数据字典",
    ]
    school = wb[wb.sheetnames[8]]
    assert wb.sheetnames[8] == 'a=HYPERLINK("httpx")<script>'  # ':' and '/' are not allowed
    assert str(school["A1"].value).startswith("=HYPERLINK") is False
    gaps = wb["改进方案与贡献"]
    names = [c.value for row in gaps.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert names and all(n.startswith("'=") for n in names)
    wb.close()


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("3708300001", "城关[一]小学/分校", "3708300001城关一小学分校"),
        ("3708300002", "很" * 40, "3708300002" + "很" * 21),
    ],
)
def test_sheet_names_are_legal_and_unique(code: str, name: str, expected: str) -> None:
    taken: set[str] = set()
    assert sheet_name(code, name, taken) == expected
    assert sheet_name(code, name, taken) == expected[:29] + "-2"
