"""The county report's words and numbers on a hand-made county: action text, formats, escaping, sheets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from junheng.settings import UnitCosts
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
    write_county_workbook,
)
from tasks.publish.county_report.advice import plan_cost, unit_price
from tasks.publish.county_report.failures import failures, verdict

P = "2026-10"
COUNTY_SHEETS = ["县域概览", "工作建议", "未达标学校", "差异系数", "改进方案", "差异贡献", "达标差距", "差距合计"]
COUNTY_SHEETS += ["趋势", "分布", "本期变动", "异常值"]
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
    data = CountyData(P, "演示县", cv, ind, comp, variance, outliers, remediation, contribution, issues)
    data.scorecard = scorecard()
    data.school_rules = pd.DataFrame(
        {
            "school_code": ["a", "b"],
            "section": "all",
            "indicator_code": "G3",
            "measure": "rooms",
            "item": "音乐",
            "value": [1.0, 1.0],
            "threshold": [1.0, 2.0],
            "meets": [True, False],
            "note": ["", "24 个班，需 音乐教室 2 间，有 1 间"],
            "school_name": [EVIL, "乙校"],
            "school_type": "小学",
        }
    )
    data.names = dict(zip(CODES, [EVIL, "乙校", "丙校", "丁校"], strict=True))
    return data


def scorecard() -> pd.DataFrame:
    """Five lines not met and one met: R4's CV, the school rule (a and b miss it), G3 rooms (b has 1 music
    room of 2), G14 (48 % < 50 %), Q5 (evidence not reviewed); R1's CV is met."""
    cols = ["part", "indicator_code", "name_zh", "measure", "scope", "section", "item", "value", "comparator"]
    cols += ["threshold", "unit", "status", "n_schools", "n_unmet"]
    rows = [
        (
            "资源配置",
            "R4",
            "生均教学及辅助用房面积",
            "cv",
            "county",
            "primary",
            "",
            0.719019,
            "le",
            0.45,
            "差异系数",
            "unmet",
            4,
            None,
        ),
        (
            "资源配置",
            "R1",
            "每百名学生拥有高于规定学历教师数",
            "cv",
            "county",
            "primary",
            "",
            0.2,
            "le",
            0.5,
            "差异系数",
            "met",
            4,
            None,
        ),
        (
            "资源配置",
            "R_MIN_MET",
            "校级达标规则（至少6项达标）",
            "count",
            "school_unit",
            "primary",
            "",
            2.0,
            "le",
            0.0,
            "个未达标学校单元",
            "unmet",
            4,
            2,
        ),
        (
            "政府保障程度",
            "G3",
            "音乐、美术专用教室",
            "rooms",
            "school",
            "all",
            "音乐",
            -1.0,
            "ge",
            0.0,
            "间（实有−应有，最差学校）",
            "unmet",
            2,
            1,
        ),
        (
            "政府保障程度",
            "G14",
            "优质高中招生名额分配比例",
            "rate",
            "county",
            "all",
            "",
            48.0,
            "ge",
            50.0,
            "%",
            "unmet",
            None,
            None,
        ),
        (
            "教育质量",
            "Q5",
            "教师熟练运用信息化手段组织教学",
            "review",
            "county",
            "all",
            "",
            None,
            "ge",
            1.0,
            "是/否",
            "evidence_pending",
            None,
            None,
        ),
    ]
    return pd.DataFrame(rows, columns=cols)


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
    acts = actions(data)
    first = acts[0]
    assert first.startswith("小学R4 生均教学及辅助用房面积 差异系数 0.719，超过上限 0.45：改善 2 所学校单元")
    # 350 + 350 m²; no price for teaching rooms is set, and the line says so
    assert "乙校（b）增加 350 平方米" in first and "合计增加 700 平方米（未设置每平方米教学及辅助用房单价" in first
    assert first.endswith("差异系数可降至 0.228。")
    # every item not met has its line, in the order of the verdict table
    assert acts[1].startswith("小学校级达标规则（每个学校单元至少 6 项达标）：4 个学校单元中 2 个未达标——")
    assert "乙校（b）0 项达标，R4 低于标准的 85%，R4 生均教学及辅助用房面积 需增加 300 平方米" in acts[1]
    assert acts[2].startswith(
        "G3 音乐、美术专用教室（音乐教室间数）：2 个学校中 1 个未达标——乙校（b）1 间，需增加 1 间音乐教室。"
    )
    assert (
        acts[3]
        == "G14 优质高中招生名额分配比例：本县 48%，标准 ≥ 50%。请提高优质普通高中招生名额分配到区域内初中的比例。"
    )
    assert acts[4].startswith("Q5 教师熟练运用信息化手段组织教学：佐证材料尚未审核")
    # county totals: 2 units short, 350 + 300 m² to the threshold, 283 + 233 to the floor
    assert (
        "小学R4 生均教学及辅助用房面积：2 个学校单元低于标准，合计需增加 650 平方米（达到标准的85%需 516 平方米），"
        "逐校见“达标差距”。" in acts
    )


def test_verdict_names_the_items_and_the_schools() -> None:
    data = county()
    found = failures(data)
    assert verdict(data, found) == ("未达到", "共有 4 项未达标、1 项待审核（见下表）。")
    assert [(f.code, f.section, f.status) for f in found] == [
        ("R4", "小学", "未达标"),
        ("R_MIN_MET", "小学", "未达标"),
        ("G3", "", "未达标"),
        ("G14", "", "未达标"),
        ("Q5", "", "待审核"),
    ]
    cv, rule, g3, g14, _ = found
    assert [(s.code, s.todo) for s in cv.schools] == [("a", "需增加 350 平方米"), ("b", "需增加 350 平方米")]
    # a and b: R4 at 1.0 and 1.5 m²/生, below 85 % of 4.5 (3.825) too: named, with the rule in full
    assert [(s.code, s.value, s.standard) for s in rule.schools] == [
        ("a", "0 项达标，R4 低于标准的 85%", "至少 6 项达标，其余不低于标准的 85%"),
        ("b", "0 项达标，R4 低于标准的 85%", "至少 6 项达标，其余不低于标准的 85%"),
    ]
    assert [(s.code, s.value, s.standard, s.todo) for s in g3.schools] == [
        ("b", "1 间", "应有 2 间", "需增加 1 间音乐教室")
    ]
    assert (g14.value, g14.standard, g14.schools) == ("48%", "≥ 50%", [])


def test_plan_cost_uses_the_bureaus_unit_price() -> None:
    data = county()
    (plan,) = plan_summaries(data)
    assert plan_cost(plan, data) == (None, "未设置每平方米教学及辅助用房单价，未估算费用")
    data.unit_costs = UnitCosts(building_m2=3000.0)
    # 350 + 350 m² × 3,000 元/平方米 = 2,100,000 元
    assert plan_cost(plan, data) == (2_100_000.0, "按每平方米教学及辅助用房 3,000 元/平方米估算")
    assert "估算费用约 210.0 万元（按每平方米教学及辅助用房 3,000 元/平方米估算）" in actions(data)[0]


def test_no_valid_return_gives_no_verdict() -> None:
    data = county()
    # the scorecard of a period without returns: every line 未报告, none of them a finding
    data.indicators, data.compliance = data.indicators.iloc[0:0], data.compliance.iloc[0:0]
    data.scorecard = data.scorecard.assign(status="not_reported", value=None)
    assert failures(data) == []
    word, why = verdict(data, failures(data))
    assert word == "无有效报表" and "未达到" not in why
    html = render_county_html(data)
    assert "无有效报表" in html and "未达到" not in html and "未报告" not in html


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


def test_html_leads_with_the_verdict_escapes_names_and_draws_charts() -> None:
    html = render_county_html(county())
    assert "<script>" not in html and "&lt;script&gt;" in html
    top = html[html.index("<h1>") : html.index("<h2>")]
    assert "结论：本期未达到县域义务教育优质均衡发展要求" in top and "共有 4 项未达标、1 项待审核" in top
    assert html.index("未达标和待审核的项目") < html.index("下一步工作建议") < html.index("校际差异系数与上限")
    assert "需增加 1 间音乐教室" in html
    assert "差异系数 0.719 → 0.228（上限 0.45，可以达标）" in html
    assert html.count("<svg") >= 3  # trend, CV bars, R4 strip
    for word in (
        "贪心",
        "mart.",
        "primary",
        "junior",
        "weighted",
        "R_MIN_MET",
        "cross_section",
        "own_history",
        "数据字典",
    ):
        assert word not in html, word


def test_trend_chart_positions() -> None:
    # periods at x = 56 + 20 = 76 … 560 − 24 − 70 − 10 = 456; y axis 0 … 0.8 (ticks of 0.2 up to the
    # largest CV 0.719) from 256 (300 − 44) to 36: y(v) = 256 − v / 0.8 × 220.
    svg = trend_chart("趋势", [("R4", [0.6, 0.719019])], ["2026-09", "2026-10"], 0.45, width=560, height=300)
    assert '<polyline class="series" points="76.00,91.00 456.00,58.27"' in svg  # 256 − 197.73 = 58.27
    assert 'class="limit" x1="56" y1="132.25"' in svg  # 256 − 0.45 / 0.8 × 220


def test_workbook_escapes_formulas_and_names_sheets(tmp_path: Path) -> None:
    path = write_county_workbook(county(), tmp_path / "c.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [*COUNTY_SHEETS, "学校明细"]  # the schools' pages on one sheet, not a sheet each
    school = wb["学校明细"]
    texts = [c.value for row in school.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert texts and all(t.startswith("'=") for t in texts)  # a's name on its page: text, never a formula
    plan = wb["改进方案"]
    names = [c.value for row in plan.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert names and all(n.startswith("'=") for n in names)
    wb.close()


def test_a_total_already_at_the_floor_says_so_and_equipment_needs_no_price() -> None:
    data = county()
    # a and b at 4.0 m²/生 (400 m² for 100 students): 4.5 × 100 − 400 = 50 m² each, 100 in all; the floor
    # 3.825 × 100 = 382.5 ≤ 400, so nothing is needed to reach it: said in words, not "需 0 平方米".
    data.remediation = data.remediation.assign(
        resource=400.0,
        value=4.0,
        below_floor=False,
        need_to_threshold=50.0,
        need_to_threshold_whole=50.0,
        need_to_floor=0.0,
        need_to_floor_whole=0.0,
    )
    line = (
        "小学R4 生均教学及辅助用房面积：2 个学校单元低于标准，合计需增加 100 平方米（均已达到标准的85%），"
        "逐校见“达标差距”。"
    )
    assert line in actions(data)
    assert not any("需 0 " in a for a in actions(data))
    # 仪器设备值 is money already: no price to set, and the report says so in plain words.
    assert unit_price("R6", data) == (1.0, "所需费用即增加的仪器设备值，无需另设单价")


def _more_lines(data: CountyData) -> CountyData:
    """G4, G5, G9 and G12 not met at one school each, and a veto (V1) found."""
    cols = list(data.scorecard.columns)
    more = [
        (
            "政府保障程度",
            "G4",
            "学校规模",
            "value",
            "school",
            "all",
            "小学、初级中学、完全中学",
            2093.0,
            "le",
            2000.0,
            "人",
            "unmet",
            3,
            1,
        ),
        ("政府保障程度", "G5", "班额", "value", "class", "primary", "", 48.0, "le", 45.0, "人/班", "unmet", 4, 1),
        (
            "政府保障程度",
            "G9",
            "教师5年360学时培训完成率",
            "rate",
            "school",
            "all",
            "",
            95.16129,
            "ge",
            100.0,
            "%",
            "unmet",
            4,
            1,
        ),
        (
            "政府保障程度",
            "G12",
            "专任教师持有教师资格证上岗率",
            "rate",
            "school",
            "all",
            "",
            200 / 3,
            "ge",
            100.0,
            "%",
            "unmet",
            4,
            1,
        ),
        ("否决", "V1", "存在以考试方式招生", "flag", "county", "all", "", 1.0, "le", 0.0, "是/否", "unmet", None, None),
    ]
    data.scorecard = pd.concat([data.scorecard, pd.DataFrame(more, columns=cols)], ignore_index=True)
    rule = {"section": "all", "measure": "value", "item": "", "meets": False, "note": "", "school_type": "小学"}
    data.school_rules = pd.concat(
        [
            data.school_rules,
            pd.DataFrame(
                [
                    {**rule, "school_code": "c", "school_name": "丙校", "indicator_code": "G4"}
                    | {"value": 2093.0, "threshold": 2000.0},
                    {**rule, "school_code": "b", "school_name": "乙校", "indicator_code": "G5", "section": "primary"}
                    | {"value": 48.0, "threshold": 45.0, "note": "8 个班，1 个超过 45 人"},
                    {**rule, "school_code": "d", "school_name": "丁校", "indicator_code": "G9", "measure": "rate"}
                    | {"value": 95.16129, "threshold": 100.0},
                    {**rule, "school_code": "c", "school_name": "丙校", "indicator_code": "G9", "measure": "rate"}
                    | {"value": 100.0, "threshold": 100.0, "meets": True},
                    {**rule, "school_code": "a", "school_name": EVIL, "indicator_code": "G12", "measure": "rate"}
                    | {"value": 200 / 3, "threshold": 100.0},
                ]
            ),
        ],
        ignore_index=True,
    )
    return data


def test_every_school_level_g_failure_names_its_schools_and_a_veto_leads_the_verdict() -> None:
    data = _more_lines(county())
    found = {f.code: f for f in failures(data)}
    figures = {c: [(s.code, s.value, s.standard, s.todo) for s in found[c].schools] for c in ("G4", "G5", "G9", "G12")}
    assert figures == {
        "G4": [("c", "2,093 人", "≤ 2,000 人", "超出 93 人，需分流或控制招生规模")],  # 2,093 − 2,000
        "G5": [("b", "最大班额 48 人", "≤ 45 人/班", "最大的班超出 3 人，需调整分班")],  # 48 − 45
        "G9": [("d", "95.16%", "≥ 100%", "差 4.84 个百分点")],  # 100 − 95.16; 丙校 meets it and is not named
        "G12": [("a", "66.67%", "≥ 100%", "差 33.33 个百分点")],  # 2 of 3 teachers certified
    }
    assert (found["V1"].part, found["V1"].status, found["V1"].schools) == ("否决", "未达标", [])
    word, why = verdict(data, failures(data))
    assert word == "未达到" and why.startswith("存在否决情形，共有 9 项未达标")  # 4 before + G4, G5, G9, G12, V1
    # 下一步工作建议 has a line for every item not met, each naming its schools.
    acts = actions(data)
    for text in (
        "G4 学校规模（小学、初级中学、完全中学）：3 个学校中 1 个未达标——丙校（c）2,093 人，超出 93 人",
        "G5 班额（小学）：4 个学校中 1 个未达标——乙校（b）最大班额 48 人，最大的班超出 3 人",
        "G9 教师5年360学时培训完成率：4 个学校中 1 个未达标——丁校（d）95.16%，差 4.84 个百分点",
        "G12 专任教师持有教师资格证上岗率：4 个学校中 1 个未达标——",
        "V1 存在以考试方式招生：存在否决情形，整改到位前不能认定为优质均衡。",
    ):
        assert any(a.startswith(text) for a in acts), text
    assert len([f for f in failures(data) if f.status == "未达标"]) == 9
