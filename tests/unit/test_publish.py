"""Tests for publishing the period's reports (Excel, HTML with SVG charts, Parquet, Markdown)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from junheng.errors import ConfigError, JunhengError
from tasks.publish import charts
from tasks.publish.cells import safe_text
from tasks.publish.period_report import (
    SHEET_NAMES,
    build_report,
    findings_by_rule,
    publish_reports,
    summary_markdown,
)

PERIOD = "2026-10"
CODES = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")
THRESHOLDS = {
    "primary": dict(zip(CODES, (4.2, 1.0, 0.9, 4.5, 7.5, 2000.0, 2.3), strict=True)),
    "junior": dict(zip(CODES, (5.3, 1.0, 0.9, 5.8, 10.2, 2500.0, 2.4), strict=True)),
}
EVIL_NAME = '=HYPERLINK("http://evil.example","点我")'
SCRIPT_NAME = "<script>alert(1)</script>小学"

# (code, name, section, P, R1..R7). School A misses R2 (2/3, below the 85 % floor 0.85) and R4
# (4.0: below 4.5 but above the floor 3.825), so it meets 5 of 7 and fails the school rule.
UNITS = [
    ("3601000001", "第一小学", "primary", 45, (5.0, 2 / 3, 1.2, 4.0, 8.0, 2345.678, 3.0)),
    ("3601000002", SCRIPT_NAME, "primary", 37, (4.5, 1.5, 1.0, 5.0, 9.0, 2100.4, 2.5)),
    ("3601000003", EVIL_NAME, "primary", 89, (4.3, 1.1, 0.95, 4.6, 7.6, 2001.0, 2.4)),
    ("3601000004", "第一中学|实验", "junior", 76, (6.0, 1.2, 1.0, 6.0, 11.0, 2600.0, 2.5)),
]
PRIMARY_CV = (0.62, 0.30, 0.25, 0.20, 0.15, 0.10, 0.05)
JUNIOR_CV = (0.40, 0.30, 0.20, 0.10, 0.10, 0.10, 0.10)


def make_marts() -> dict[str, pd.DataFrame]:
    ind_rows = []
    comp_rows = []
    for code, name, section, p, values in UNITS:
        met = 0
        for ind, v in zip(CODES, values, strict=True):
            thr = THRESHOLDS[section][ind]
            met += v >= thr
            ind_rows.append(
                {
                    "period": PERIOD,
                    "school_code": code,
                    "school_name": name,
                    "section": section,
                    "indicator_code": ind,
                    "value": v,
                    "threshold": thr,
                    "meets": v >= thr,
                    "floor": 0.85 * thr,
                    "students": p,
                }
            )
        comp_rows.append(
            {
                "period": PERIOD,
                "school_code": code,
                "school_name": name,
                "section": section,
                "indicators_met": met,
                "passes": met == 7,
            }  # no unit here has 6 met
        )
    cv_rows = []
    for section, cvs, limit, n in (("primary", PRIMARY_CV, 0.50, 3), ("junior", JUNIOR_CV, 0.45, 1)):
        for ind, cv in zip(CODES, cvs, strict=True):
            cv_rows.append(
                {
                    "period": PERIOD,
                    "section": section,
                    "indicator_code": ind,
                    "cv": cv,
                    "cv_limit": limit,
                    "meets": cv <= limit,
                    "n_units": n,
                    "mean": 3.21,
                }
            )
    returns = pd.DataFrame(
        {
            "period": [PERIOD] * 5,
            "file_name": ["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx", "-坏文件.xlsx"],
            "school_code": ["3601000001", "3601000002", "3601000003", "3601000004", "3601000009"],
            "status": ["loaded", "loaded", "loaded", "loaded", "rejected"],
            "n_errors": [0, 0, 0, 0, 2],
        }
    )
    issues = pd.DataFrame(
        {
            "period": [PERIOD] * 4,
            "file_name": ["-坏文件.xlsx", "-坏文件.xlsx", "a.xlsx", "a.xlsx"],
            "school_code": ["3601000009", "3601000009", "3601000001", "3601000001"],
            "sheet": ["教师", "教师", "", ""],
            "cell": ["C5", "D5", "", ""],
            "rule": ["subcount.exceeds_total", "subcount.exceeds_total", "R2", "R4"],
            "severity": ["error", "error", "violation", "violation"],
            "message": [
                "+cmd|' /C calc'!A0",
                "高于规定学历教师数（12）超过专任教师数（10），请核对后重报",
                "@SUM(1+1)",
                "生均教学及辅助用房面积 4.00 低于标准 4.5",
            ],
        }
    )
    return {
        "school_indicators": pd.DataFrame(ind_rows),
        "school_compliance": pd.DataFrame(comp_rows),
        "county_cv": pd.DataFrame(cv_rows),
        "return_status": returns,
        "validation_issues": issues,
    }


CHOICES = {
    "cv_method": "weighted",
    "teaching_point_policy": "exclude_under_50",
    "teaching_point_min_students": "50",
    "private_in_cv": "False",
}
SUMMARY: dict[str, object] = {"files_received": 5, "files_loaded": 4, "files_rejected": 1, "units": 4}


@pytest.fixture
def published(tmp_path: Path) -> dict[str, Path]:
    return publish_reports(PERIOD, make_marts(), tmp_path, county="测试县", choices=CHOICES, summary=SUMMARY)


def _header_index(ws: Worksheet, prefix: str) -> int:
    for cell in ws[1]:
        if str(cell.value).startswith(prefix):
            return int(cell.column)
    raise AssertionError(prefix)


def _row_of(ws: Worksheet, code: str) -> int:
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code:
            return int(row[0].row)
    raise AssertionError(code)


# --- files -------------------------------------------------------------------------------------


def test_all_files_written_into_period_folder(published: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / PERIOD
    assert published["xlsx"] == folder / f"junheng-{PERIOD}.xlsx"
    assert published["html"] == folder / f"junheng-{PERIOD}.html"
    for mart in ("school_indicators", "school_compliance", "county_cv", "return_status", "validation_issues"):
        assert published[mart] == folder / f"{mart}.parquet"
    assert all(p.exists() for p in published.values())
    assert not list(folder.glob("*.tmp"))


def test_parquet_round_trips(published: dict[str, Path]) -> None:
    marts = make_marts()
    for name, df in marts.items():
        back = pd.read_parquet(published[name])
        pd.testing.assert_frame_equal(back, df)
    assert pd.read_parquet(published["school_indicators"])["value"].iloc[1] == 2 / 3


def test_malformed_period_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        publish_reports("../etc", make_marts(), tmp_path, county="测试县", choices={}, summary={})


def test_missing_contract_column_is_named(tmp_path: Path) -> None:
    marts = make_marts()
    marts["county_cv"] = marts["county_cv"].drop(columns="cv_limit")
    with pytest.raises(JunhengError, match="county_cv 缺少列：cv_limit"):
        publish_reports(PERIOD, marts, tmp_path, county="测试县", choices={}, summary={})


def test_empty_marts_still_publish(tmp_path: Path) -> None:
    paths = publish_reports(PERIOD, {}, tmp_path, county="测试县", choices={}, summary={})
    assert set(paths) == {"xlsx", "html"}
    html = paths["html"].read_text(encoding="utf-8")
    # issue 12: nothing to judge is said as such, never as a failure
    assert "无有效报表" in html and "未达到" not in html
    assert "<svg" not in html
    assert load_workbook(paths["xlsx"]).sheetnames == list(SHEET_NAMES)


# --- Excel -------------------------------------------------------------------------------------


def test_workbook_has_five_chinese_sheets(published: dict[str, Path]) -> None:
    wb = load_workbook(published["xlsx"])
    assert wb.sheetnames == ["概要", "学校指标", "差异系数", "报送情况", "问题清单"]
    for name in wb.sheetnames[1:]:
        ws = wb[name]
        assert ws.freeze_panes is not None
        assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")


def test_school_sheet_headers_show_names_and_both_thresholds(published: dict[str, Path]) -> None:
    ws = load_workbook(published["xlsx"])["学校指标"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["学校标识码", "学校名称", "学段", "在校生数"]
    r1 = headers[4]
    assert r1.startswith("R1 每百名学生拥有高于规定学历教师数")
    assert "小学≥4.2" in r1 and "初中≥5.3" in r1
    assert "小学≥2000" in headers[9] and "初中≥2500" in headers[9]
    assert headers[-3:] == ["达标项数", "是否达标", "未达标指标"]
    # one row per school unit, sections in Chinese
    assert ws.max_row == 1 + len(UNITS)
    assert ws.cell(_row_of(ws, "3601000004"), 3).value == "初中"


def test_values_are_stored_unrounded_with_display_format(published: dict[str, Path]) -> None:
    ws = load_workbook(published["xlsx"])["学校指标"]
    row = _row_of(ws, "3601000001")
    r2 = ws.cell(row, _header_index(ws, "R2 "))
    assert r2.value == 2 / 3  # 0.6666…, not 0.67
    assert r2.number_format == "#,##0.00"  # issue 12: thousands separators
    r6 = ws.cell(row, _header_index(ws, "R6 "))
    assert r6.value == 2345.678
    assert r6.number_format == "#,##0"


def test_below_threshold_and_below_floor_fills(published: dict[str, Path]) -> None:
    ws = load_workbook(published["xlsx"])["学校指标"]
    row = _row_of(ws, "3601000001")
    # R4 = 4.0 < 4.5 but ≥ 0.85 × 4.5 = 3.825: light red
    r4 = ws.cell(row, _header_index(ws, "R4 "))
    assert r4.fill.fill_type == "solid"
    assert r4.fill.start_color.rgb == "FFFFC7CE"
    # R2 = 0.667 < 0.85 × 1.0: darker red
    r2 = ws.cell(row, _header_index(ws, "R2 "))
    assert r2.fill.start_color.rgb == "FFE06666"
    # R1 = 5.0 ≥ 4.2: no fill
    assert ws.cell(row, _header_index(ws, "R1 ")).fill.fill_type is None
    # the school rule: 5 of 7 met -> 否, with the failed codes listed
    assert ws.cell(row, _header_index(ws, "达标项数")).value == 5
    assert ws.cell(row, _header_index(ws, "是否达标")).value == "否"
    assert ws.cell(row, _header_index(ws, "未达标指标")).value == "R2、R4"
    other = _row_of(ws, "3601000002")
    assert ws.cell(other, _header_index(ws, "是否达标")).value == "是"


def test_cv_sheet(published: dict[str, Path]) -> None:
    ws = load_workbook(published["xlsx"])["差异系数"]
    headers = [c.value for c in ws[1]]
    # issue 12: the code apart from the name (the chart's categories), the limit stored as a number
    assert headers == ["学段", "指标", "名称", "差异系数", "标准", "是否达标", "学校数", "加权平均值"]
    first = [c.value for c in ws[2]]
    assert first == ["小学", "R1", "每百名学生拥有高于规定学历教师数", 0.62, 0.5, "否", 3, 3.21]
    assert ws.cell(2, 4).number_format == "0.000"
    assert ws.cell(2, 5).number_format == '"≤"0.00'
    assert ws.cell(2, 4).fill.start_color.rgb == "FFFFC7CE"
    junior = [c.value for c in ws[9]]
    assert junior[:6] == ["初中", "R1", "每百名学生拥有高于规定学历教师数", 0.40, 0.45, "是"]


def test_summary_sheet_states_county_choices_counts_and_verdict(published: dict[str, Path]) -> None:
    ws = load_workbook(published["xlsx"])["概要"]
    pairs = {(r[0].value, r[1].value) for r in ws.iter_rows(min_row=2)}
    assert ("县（市、区）", "测试县") in pairs
    assert ("报表期", PERIOD) in pairs
    assert ("结论", "县域义务教育资源配置未达到优质均衡要求") in pairs
    assert ("差异系数计算方法", "差异系数按在校生数加权（教督〔2017〕6号口径）") in pairs
    assert ("民办学校", "列出指标，但不计入差异系数") in pairs
    # issue 12: the counts add up: 5 = 4 + 1 + 0
    assert ("收到文件（本期累计）", "5 份 = 学校报表入库 4 份 + 退回 1 份 + 被新版本替代 0 份") in pairs
    assert ("小学", "学校单元 3 个，达标 2 个；差异系数 7 项，达标 6 项") in pairs
    assert ("初中", "学校单元 1 个，达标 1 个；差异系数 7 项，达标 7 项") in pairs


def test_returns_and_issue_sheets_in_chinese(published: dict[str, Path]) -> None:
    wb = load_workbook(published["xlsx"])
    ret = wb["报送情况"]
    assert [c.value for c in ret[1]] == ["报表期", "文件名", "学校标识码", "状态", "错误数"]
    assert [c.value for c in ret[6]][3:] == ["已拒收", 2]
    iss = wb["问题清单"]
    headers = [c.value for c in iss[1]]
    assert headers == ["文件名", "学校标识码", "工作表", "单元格", "规则", "严重程度", "说明"]
    assert [r[5].value for r in iss.iter_rows(min_row=2)] == ["错误", "错误", "未达标", "未达标"]
    # issue 12: the rule by its Chinese name, never its id
    assert [r[4].value for r in iss.iter_rows(min_row=2)] == [
        "分项大于总数",
        "分项大于总数",
        "R2 每百名学生拥有县级及以上骨干教师数",
        "R4 生均教学及辅助用房面积",
    ]


# --- formula injection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("第一小学", "第一小学"),
        ("a=b", "a=b"),
        ("bad\x07bell", "badbell"),
    ],
)
def test_safe_text(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown


def test_formula_like_text_is_stored_as_literal_text(published: dict[str, Path]) -> None:
    cal = CalamineWorkbook.from_path(str(published["xlsx"]))
    schools = cal.get_sheet_by_name("学校指标").to_python()
    names = [row[1] for row in schools[1:]]
    assert "'" + EVIL_NAME in names  # the literal text, not a formula (which would read as '')
    issues = cal.get_sheet_by_name("问题清单").to_python()
    assert issues[1][0] == "'-坏文件.xlsx"
    assert issues[1][6] == "'+cmd|' /C calc'!A0"
    assert issues[3][6] == "'@SUM(1+1)"
    # no worksheet of the file holds a single formula
    with zipfile.ZipFile(published["xlsx"]) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for n in sheets:
            assert "<f>" not in z.read(n).decode("utf-8")
    ws = load_workbook(published["xlsx"])["学校指标"]
    assert ws.cell(_row_of(ws, "3601000003"), 2).data_type == "s"


# --- HTML and charts ----------------------------------------------------------------------------


def test_html_is_self_contained_chinese_and_escaped(published: dict[str, Path]) -> None:
    html = published["html"].read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    assert "测试县" in html and "本报告口径" in html and "差异系数按在校生数加权" in html
    assert "县域义务教育资源配置未达到优质均衡要求" in html
    lowered = html.lower()
    assert "<script" not in lowered and "<link" not in lowered and "src=" not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;小学" in html
    assert "0.620" in html  # CV with 3 decimals
    # findings counted by rule
    assert re.search(r"<td>分项大于总数</td><td>错误</td><td class=\"num\">2</td>", html)
    assert "subcount.exceeds_total" not in html


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg.*?</svg>", html, flags=re.S)]


def test_html_has_one_svg_per_chart(published: dict[str, Path]) -> None:
    html = published["html"].read_text(encoding="utf-8")
    # per section: one CV bar chart and one strip chart per indicator R1–R7
    assert html.count("<svg") == 2 * (1 + 7)
    svgs = _svgs(html)  # every chart is well-formed XML
    assert len(svgs) == 16


def test_cv_limit_line_is_where_the_limit_is(published: dict[str, Path]) -> None:
    ns = "{http://www.w3.org/2000/svg}"
    svgs = _svgs(published["html"].read_text(encoding="utf-8"))
    limits = [line for svg in svgs for line in svg.iter(f"{ns}line") if line.get("class") == "limit"]
    assert len(limits) == 2
    # Plot area: height 300, top margin 36, bottom margin 44 -> 220 px from y=36 to y=256.
    # Primary: largest value 0.62 -> ticks of 0.2 -> axis 0..0.8; y(0.50) = 36 + (1 - 0.5/0.8)·220 = 118.5
    # Junior: largest value 0.45 (the limit) -> ticks of 0.1 -> axis 0..0.5; y(0.45) = 36 + 0.1·220 = 58.0
    assert (charts.MARGIN_TOP, charts.MARGIN_BOTTOM) == (36, 44)
    assert float(limits[0].get("y1", "")) == pytest.approx(118.5, abs=0.01)
    assert float(limits[0].get("y2", "")) == pytest.approx(118.5, abs=0.01)
    assert float(limits[1].get("y1", "")) == pytest.approx(58.0, abs=0.01)
    # the R1 primary bar (0.62) fails: red, top at 36 + (1 - 0.62/0.8)·220 = 85.5
    bars = [r for r in svgs[0].iter(f"{ns}rect") if r.get("class") == "bar"]
    assert len(bars) == 7
    assert float(bars[0].get("y", "")) == pytest.approx(85.5, abs=0.01)
    assert bars[0].get("fill") == charts.FAIL_COLOR
    assert all(b.get("fill") == charts.MEETS_COLOR for b in bars[1:])


def test_strip_chart_threshold_and_dots() -> None:
    pts = [
        charts.UnitPoint("甲<b>", 1.0, False, True),
        charts.UnitPoint("乙", 3.8, False, False),
        charts.UnitPoint("丙", 7.0, True, False),
    ]
    svg = ET.fromstring(charts.strip_chart("R1", pts, 4.2, 0.85 * 4.2, width=560))
    ns = "{http://www.w3.org/2000/svg}"
    lines = {ln.get("class"): ln for ln in svg.iter(f"{ns}line") if ln.get("class")}
    # axis 0..8 (largest 7.0, ticks of 2); plot from x=56 to x=560-24=536, 480 px wide
    # threshold 4.2 -> 56 + 4.2/8·480 = 308.0; floor 3.57 -> 56 + 3.57/8·480 = 270.2
    assert float(lines["threshold"].get("x1", "")) == pytest.approx(308.0, abs=0.01)
    assert float(lines["floor"].get("x1", "")) == pytest.approx(270.2, abs=0.01)
    dots = sorted(svg.iter(f"{ns}circle"), key=lambda c: float(c.get("cx", "")))
    assert [d.get("fill") for d in dots] == [charts.FLOOR_COLOR, charts.FAIL_COLOR, charts.MEETS_COLOR]
    assert float(dots[2].get("cx", "")) == pytest.approx(56 + 7 / 8 * 480, abs=0.01)
    title = dots[0].find(f"{ns}title")
    assert title is not None and title.text is not None and title.text.startswith("甲<b>")  # parsed back


@pytest.mark.parametrize(
    ("vmax", "ticks"),
    [
        (0.62, [0, 0.2, 0.4, 0.6, 0.8]),
        (0.45, [0, 0.1, 0.2, 0.3, 0.4, 0.5]),
        (7.0, [0, 2, 4, 6, 8]),
        (2345.678, [0, 500, 1000, 1500, 2000, 2500]),
        (0.5, [0, 0.1, 0.2, 0.3, 0.4, 0.5]),
    ],
)
def test_nice_ticks(vmax: float, ticks: list[float]) -> None:
    assert charts.nice_ticks(vmax) == pytest.approx(ticks)


def test_linear_scale() -> None:
    y = charts.LinearScale(0.0, 0.8, 256.0, 36.0)
    assert y(0.0) == 256.0 and y(0.8) == 36.0 and y(0.5) == pytest.approx(118.5)


# --- the report model and Markdown ------------------------------------------------------------------


def test_verdict_passes_when_every_unit_and_cv_passes() -> None:
    marts = make_marts()
    marts["school_compliance"] = marts["school_compliance"].assign(passes=True)
    marts["county_cv"] = marts["county_cv"].assign(meets=True)
    report = build_report(PERIOD, marts, county="测试县", choices={}, summary={})
    assert report.verdict is True
    assert report.verdict_text == "县域义务教育资源配置达到优质均衡要求"
    assert report.reasons == []


def test_verdict_reasons_when_failing() -> None:
    report = build_report(PERIOD, make_marts(), county="测试县", choices={}, summary={})
    assert report.verdict is False
    assert report.reasons[0].startswith("1 个学校单元未达到")
    assert report.reasons[1] == "差异系数超标：小学 R1 每百名学生拥有高于规定学历教师数（0.620，标准≤0.50）"


def test_unweighted_choice_is_stated() -> None:
    choices = {"cv_method": "unweighted"}
    report = build_report(PERIOD, make_marts(), county="测试县", choices=choices, summary={})
    assert report.choices[0] == ("差异系数计算方法", "差异系数不加权（各校算术平均，非官方口径）")


def test_findings_by_rule() -> None:
    counts = findings_by_rule(make_marts()["validation_issues"])
    got = [(r.rule, r.severity, r.n, r.files) for r in counts.itertuples(index=False)]
    assert got == [
        ("subcount.exceeds_total", "error", 2, 1),
        ("R2", "violation", 1, 1),
        ("R4", "violation", 1, 1),
    ]


def test_summary_markdown() -> None:
    md = summary_markdown(PERIOD, make_marts(), SUMMARY, county="测试县")
    assert md.startswith("# 测试县 2026-10 义务教育优质均衡监测")
    assert "**县域义务教育资源配置未达到优质均衡要求**" in md
    assert "| 小学 | R1 每百名学生拥有高于规定学历教师数 | 0.620 | ≤0.50 | 否 |" in md
    assert "| 初中 | R1 每百名学生拥有高于规定学历教师数 | 0.400 | ≤0.45 | 是 |" in md
    assert "- 收到文件（本期累计）：5 份 = 学校报表入库 4 份 + 退回 1 份 + 被新版本替代 0 份" in md
    assert (
        "- 第一小学（3601000001，小学）：未达标 R2 每百名学生拥有县级及以上骨干教师数、R4 生均教学及辅助用房面积" in md
    )
    # a pipe in a school name is escaped so it cannot break Markdown
    marts = make_marts()
    marts["school_compliance"] = marts["school_compliance"].assign(passes=False)
    assert "第一中学\\|实验（3601000004，初中）" in summary_markdown(PERIOD, marts, {})
