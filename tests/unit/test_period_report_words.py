"""The period report in people's words (issue 12): no internal codes, counts that add up, no verdict
without data, the CV's missing units named, the 评估总览 with numbers as numbers and policy titles."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from expectations.messages import DATA_MESSAGES, RULE_NAMES_ZH
from tasks.publish.artifacts import cv_table
from tasks.publish.period_report import describe_summary, publish_reports, rule_name, summary_markdown
from tests.unit.test_publish import CHOICES, PERIOD, make_marts

# What must never reach a reader: ids of sections, methods, policies, rules, columns; Python reprs.
_IDS = ("primary", "junior", "weighted", "unweighted", "national-2017", "R_MIN_MET", "county_code", "exclude_under_50")
INTERNAL = re.compile(
    r"(?<![\w.-])(" + "|".join(re.escape(t) for t in (*_IDS, *RULE_NAMES_ZH)) + r")(?![\w.-])"
    r"|\['|\{'|\bNone\b|\bnan\b|\bTrue\b|\bFalse\b"
)

FULL_SUMMARY: dict[str, object] = {
    "period": PERIOD,
    "county": "测试县",
    "county_code": "370830",
    "files_received": 7,
    "files_loaded": 5,
    "files_county": 1,
    "files_rejected": 1,
    "files_superseded": 1,
    "files_read": 6,
    "units": 4,
    "units_passing": 3,
    "units_not_reported": 0,
    "cv_indicators": 14,
    "cv_fail": ["小学 R1 每百名学生拥有高于规定学历教师数"],
    "violations": 2,
    "verdict": "资源配置未达到优质均衡要求",
    "county_passes": False,
    "no_valid_returns": False,
    "choices": {"cv_method": "差异系数按在校生数加权计算"},
    "alerts_opened": 2,
    "alerts_changed": 1,
    "alerts_resolved": 0,
    "alerts_open_total": 5,
    "notifications_pending": 0,
}


def _card() -> pd.DataFrame:
    """A small scorecard as tasks.model.scorecard writes it (ids and English words inside)."""
    common = {"county_code": "370830", "period": PERIOD, "policy": "national-2017"}
    source = "教督〔2017〕6号《县域义务教育优质均衡发展督导评估办法》"
    rows = [
        (
            "资源配置",
            "R_MIN_MET",
            "primary",
            "",
            "count",
            1.0,
            0.0,
            "le",
            "个未达标学校单元",
            "unmet",
            "3 个学校单元中 1 个未达标",
        ),
        ("资源配置", "R1", "primary", "", "cv", 0.62, 0.5, "le", "差异系数", "unmet", "3 个学校单元，weighted"),
        (
            "政府保障程度",
            "G3",
            "all",
            "音乐",
            "rooms",
            -1.0,
            0.0,
            "ge",
            "间（实有−应有，最差学校）",
            "unmet",
            "21 个学校中 2 个未达标",
        ),
        ("政府保障程度", "G7", "all", "", "value", 6500.0, 6000.0, "ge", "元/生", "met", ""),
        ("政府保障程度", "G9", "all", "", "rate", 95.16129, 100.0, "ge", "%", "unmet", ""),
        ("教育质量", "Q5", "all", "", "review", None, 1.0, "ge", "是/否", "evidence_pending", "佐证材料尚未审核"),
    ]
    names = {
        "R_MIN_MET": "校级达标规则（至少6项达标）",
        "R1": "每百名学生拥有高于规定学历教师数",
        "G3": "音乐、美术专用教室",
    }
    return pd.DataFrame(
        [
            {
                **common,
                "part": part,
                "indicator_code": code,
                "section": sec,
                "item": item,
                "measure": measure,
                "value": value,
                "threshold": thr,
                "comparator": cmp,
                "unit": unit,
                "status": status,
                "note": note,
                "name_zh": names.get(code, code),
                "source": source,
            }
            for part, code, sec, item, measure, value, thr, cmp, unit, status, note in rows
        ]
    )


def _texts(xlsx: Path) -> list[str]:
    wb = CalamineWorkbook.from_path(str(xlsx))
    return [str(c) for n in wb.sheet_names for row in wb.get_sheet_by_name(n).to_python() for c in row if c != ""]


@pytest.fixture
def full(tmp_path: Path) -> dict[str, Path]:
    marts = {**make_marts(), "county_scorecard": _card()}
    return publish_reports(PERIOD, marts, tmp_path, county="测试县", choices=CHOICES, summary=FULL_SUMMARY)


def test_no_internal_token_in_workbook_or_page(full: dict[str, Path]) -> None:
    for text in _texts(full["xlsx"]):
        assert not INTERNAL.search(text), text
    page = re.sub(r"<style>.*?</style>|<[^>]+>", " ", full["html"].read_text(encoding="utf-8"), flags=re.S)
    found = [m.group(0) for m in INTERNAL.finditer(page)]
    assert not found, found


def test_summary_counts_add_up() -> None:
    lines = dict(describe_summary(FULL_SUMMARY))
    # 7 files = 4 school returns + 1 county return (5 loaded) + 1 rejected + 1 superseded
    assert (
        lines["收到文件（本期累计）"] == "7 份 = 学校报表入库 4 份 + 县级报表入库 1 份 + 退回 1 份 + 被新版本替代 1 份"
    )
    assert lines["本次运行读取"].startswith("6 份学校报表（不含县级报表")
    assert lines["学校单元（学校×学段）"] == "4 个 = 达标 3 个 + 未达标 1 个"
    assert lines["校际差异系数"] == "14 项，未达标 1 项：小学 R1 每百名学生拥有高于规定学历教师数"
    assert lines["学校指标未达标记录"].startswith("2 条（每个学校单元每项未达标指标一条")
    assert lines["预警"] == "本次新增 2 条，有变化 1 条，解除 0 条；目前未解除 5 条（含本次新增）"
    assert "待发送通知" not in lines  # none pending: not listed


def test_every_rule_has_a_chinese_name() -> None:
    assert set(DATA_MESSAGES) <= set(RULE_NAMES_ZH)
    assert rule_name("subcount.exceeds_total") == "分项大于总数"
    assert rule_name("G5") == "G5 班额"
    assert rule_name("R6.value") == "R6 生均教学仪器设备值"
    assert rule_name("something.new") == "其他问题"  # never the id


def test_overview_numbers_are_numbers_with_formats_and_titles(full: dict[str, Path]) -> None:
    ws = load_workbook(full["xlsx"])["评估总览"]
    rows = {(r[1].value, r[4].value or ""): r for r in ws.iter_rows() if r[1].value and r[0].value != "评估结论"}
    g3 = rows[("G3", "音乐")]
    assert g3[5].value == -1 and g3[5].data_type == "n" and g3[5].number_format == "#,##0"
    g7 = rows[("G7", "")]
    assert g7[5].value == 6500 and g7[5].number_format == "#,##0"
    g9 = rows[("G9", "")]
    assert g9[5].value == pytest.approx(95.16129) and g9[5].number_format == '0.00"%"'
    school_rule = rows[("R1–R7", "")]
    assert school_rule[3].value == "小学" and school_rule[2].value == "校级达标规则（至少6项达标）"
    assert rows[("R1", "")][8].value == "3 个学校单元，按在校生数加权"
    assert rows[("R1", "")][9].value == "教督〔2017〕6号"
    # the verdict counts each kind apart: 6 lines, 4 unmet, 1 pending
    assert ws["B1"].value == "尚不具备评估认定条件：共 6 项评估内容中，未达标 4 项、待审核 1 项（按评估内容逐项计）"
    # the list of open lines wraps inside the page width instead of running across 50 columns
    assert ws["B2"].alignment.wrap_text is True
    assert any(str(m).startswith("B2:") for m in ws.merged_cells.ranges)
    assert "《县域义务教育优质均衡发展督导评估办法》" in " ".join(str(c.value) for c in ws["B"] if c.value)


def test_no_valid_returns_gives_no_verdict(tmp_path: Path) -> None:
    marts = {**make_marts(), "county_scorecard": _card()}
    # What the flow passes for an inbox of two broken files: nothing loaded, nothing to judge.
    summary = {
        **FULL_SUMMARY,
        **{"files_received": 2, "files_loaded": 0, "files_county": 0, "files_rejected": 2, "files_superseded": 0},
        **{"files_read": 2, "units": 0, "units_passing": 0, "cv_indicators": 0, "cv_fail": [], "violations": 0},
        **{"verdict": "无有效报表", "county_passes": None, "no_valid_returns": True},
    }
    paths = publish_reports(PERIOD, marts, tmp_path, county="测试县", choices=CHOICES, summary=summary)
    texts = _texts(paths["xlsx"])
    html = paths["html"].read_text(encoding="utf-8")
    assert load_workbook(paths["xlsx"])["概要"]["B4"].value.startswith("无有效报表")
    for said in (texts, [html], [summary_markdown(PERIOD, marts, summary)]):
        joined = "\n".join(said)
        assert "无有效报表" in joined
        assert "未达到" not in joined and "尚不具备" not in joined
        assert not re.search(r"\d+ 项未达标", joined)


def test_the_cv_line_names_the_units_left_out(tmp_path: Path) -> None:
    marts = make_marts()
    cv = marts["county_cv"]
    marts["county_cv"] = cv.assign(
        n_missing=[2] + [0] * (len(cv) - 1),
        missing_units=[["第二小学（3601000005）", "第三小学（3601000006）"]] + [[]] * (len(cv) - 1),
    )
    paths = publish_reports(PERIOD, marts, tmp_path, county="测试县", choices={}, summary={})
    ws = load_workbook(paths["xlsx"])["差异系数"]
    assert ws.cell(1, 9).value == "未计入的学校单元"
    assert ws.cell(2, 9).value == "2 个学校单元未报告，未计入：第二小学（3601000005）、第三小学（3601000006）"
    assert ws.cell(3, 9).value is None
    assert "2 个学校单元未报告，未计入：第二小学（3601000005）" in paths["html"].read_text(encoding="utf-8")


def test_prefect_cv_table_in_chinese() -> None:
    table = cv_table(make_marts()["county_cv"].iloc[::-1])  # 初中 first in the mart: 小学 first in the table
    assert table[0] == {
        "学段": "小学",
        "指标": "R1 每百名学生拥有高于规定学历教师数",
        "差异系数": "0.620",
        "标准": "≤0.50",
        "是否达标": "否",
        "学校数": "3",
    }
    assert [r["学段"] for r in table] == ["小学"] * 7 + ["初中"] * 7
