"""The county return: template round trip, detection, located errors, and which return is loaded."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from junheng import spec
from junheng.contract import ReceivedFile
from tasks.demo.county import demo_county_return
from tasks.publish.county_template import write_county_return, write_county_template
from tasks.publish.template import write_template
from tasks.read.county_return import pick_county_return, read_county_return

PERIOD = "2026-10"


def _rf(path: Path, received: datetime = datetime(2026, 11, 2, 9, 0)) -> ReceivedFile:
    return ReceivedFile(path.name.ljust(64, "0")[:64], path.name, str(path), str(path), received, path.stat().st_size)


def _write(tmp_path: Path, name: str = "county.xlsx", **values: Any) -> Path:
    base: dict[str, Any] = {"county_name": "汶上县", "period": PERIOD}
    return write_county_return(tmp_path / name, {**base, **values})


def _row_of(code: str) -> int:
    return 4 + spec.COUNTY.codes.index(code)


def test_template_has_every_item_and_the_version_line(tmp_path: Path) -> None:
    path = write_county_template(tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path)[spec.COUNTY_SHEET]
    assert ws["A2"].value == f"模板版本：{spec.COUNTY_TEMPLATE_VERSION}"
    labels = [ws.cell(r, 1).value for r in range(4, 4 + len(spec.COUNTY.fields))]
    assert labels == [f.label for f in spec.COUNTY.fields]
    # Every G/Q/S/V item the issue lists has a row.
    indicators = {i.indicator for i in spec.COUNTY_ITEMS}
    assert {"G6", "G7", "G8", "G13", "G14", "G15", "Q1", "Q2", "Q4", "Q9", "S1"} <= indicators
    assert {"G1", "G2", "G10", "Q3", "Q5", "Q6", "Q7", "Q8"} <= indicators
    assert {f"V{i}" for i in range(1, 7)} <= indicators


def test_round_trip_of_the_demo_return(tmp_path: Path) -> None:
    path = write_county_return(tmp_path / "c.xlsx", demo_county_return(PERIOD))
    ret = read_county_return(_rf(path), PERIOD)
    assert ret.findings == []
    assert (ret.county_name, ret.period, ret.submitted_on) == ("演示县", PERIOD, date(2026, 10, 20))
    items = ret.items.set_index("item_code")
    assert items.loc["g13_junior", "value_num"] == 96.4
    assert (items.loc["g13_junior", "indicator_code"], items.loc["g13_junior", "section"]) == ("G13", "junior")
    assert (items.loc["q9_level_math", "value_num"], items.loc["q9_level_math", "item"]) == (4.0, "数学")
    assert items.loc["v1_veto", "value_num"] == 0.0
    g1 = items.loc["g1_review"]
    assert (g1["value_num"], g1["reviewer"], g1["reviewed_on"]) == (1.0, "督学 李明", date(2026, 10, 20))
    # Q5 not reviewed: kept with no value (evidence pending); Q9 science not monitored: no row at all.
    assert items.loc["q5_review"].isna()["value_num"]
    assert "q9_level_science" not in items.index


def test_reader_sets_the_county_return_apart(tmp_path: Path) -> None:
    """The flow's reader opens each file once: the county return goes to county_files, not to the schools."""
    from tasks.read.returns import read_returns

    county, school = _write(tmp_path), write_template(tmp_path / "school.xlsx")
    junk = tmp_path / "notes.xlsx"
    junk.write_bytes(b"not a workbook")
    batch = read_returns([_rf(school), _rf(county), _rf(junk)])
    assert [f.file_name for f in batch.county_files] == ["county.xlsx"]
    assert [f.file_name for f in batch.files] == ["school.xlsx", "notes.xlsx"]
    assert not [f for f in batch.findings if f.file_name == "county.xlsx"]  # no school-template errors for it
    assert {f.file_name for f in batch.findings} >= {"notes.xlsx"}  # the junk is still reported


def test_labels_without_the_code_prefix_and_roman_levels_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path, q9_level_chinese="III级")
    wb = openpyxl.load_workbook(path)
    ws = wb[spec.COUNTY_SHEET]
    ws.cell(_row_of("s1_recognition"), 1).value = "社会认可度(%)"
    ws.cell(_row_of("s1_recognition"), 2).value = "87.5"
    wb.save(path)
    ret = read_county_return(_rf(path), PERIOD)
    assert ret.findings == []
    items = ret.items.set_index("item_code")
    assert items.loc["s1_recognition", "value_num"] == 87.5
    assert items.loc["q9_level_chinese", "value_num"] == 3.0


def test_bad_values_are_located_errors(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        g15_migrant=185,
        q9_diff_math=12,
        q9_level_math="优秀",
        v2_veto="没有",
        g7_special_funding="六千",
        g2_review="是",  # a conclusion without reviewer and date
    )
    ret = read_county_return(_rf(path), PERIOD)
    got = {(f.cell, f.rule) for f in ret.findings if f.severity == "error"}
    assert got == {
        (f"B{_row_of('g15_migrant')}", "value.percent_range"),
        (f"B{_row_of('q9_diff_math')}", "value.ratio_range"),
        (f"B{_row_of('q9_level_math')}", "value.not_in_list"),
        (f"B{_row_of('v2_veto')}", "value.not_in_list"),
        (f"B{_row_of('g7_special_funding')}", "value.not_a_number"),
        (f"B{_row_of('g2_review')}", "review.incomplete"),
    }
    msg = next(f.message for f in ret.findings if f.rule == "value.percent_range")
    assert msg.startswith(f"文件「county.xlsx」工作表「县级指标」B{_row_of('g15_migrant')} 单元格：")
    assert "185" in msg and "100%" in msg
    assert set(ret.items["item_code"]).isdisjoint({"g15_migrant", "q9_diff_math", "v2_veto", "g2_review"})


def test_wrong_period_and_missing_county_name_are_errors(tmp_path: Path) -> None:
    path = write_county_return(tmp_path / "c.xlsx", {"period": "2026-09"})
    ret = read_county_return(_rf(path), PERIOD)
    rules = {f.rule for f in ret.findings if f.severity == "error"}
    assert {"period.mismatch", "value.required"} <= rules


def test_a_school_template_version_is_refused_in_a_county_sheet(tmp_path: Path) -> None:
    path = _write(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb[spec.COUNTY_SHEET]["A2"] = f"模板版本：{spec.TEMPLATE_VERSION}"
    wb.save(path)
    ret = read_county_return(_rf(path), PERIOD)
    assert [(f.cell, f.rule) for f in ret.findings] == [("A2", "template.version")]


def test_only_one_pay_figure_is_a_warning_not_a_guess(tmp_path: Path) -> None:
    ret = read_county_return(_rf(_write(tmp_path, g8_teacher_pay=98000)), PERIOD)
    assert [(f.rule, f.severity) for f in ret.findings] == [("value.pair", "warning")]


def test_the_newest_valid_return_is_picked(tmp_path: Path) -> None:
    old = read_county_return(_rf(_write(tmp_path, "a.xlsx", submitted_on=date(2026, 10, 28))), PERIOD)
    new = read_county_return(_rf(_write(tmp_path, "b.xlsx", submitted_on=date(2026, 10, 30))), PERIOD)
    bad = read_county_return(
        _rf(_write(tmp_path, "c.xlsx", submitted_on=date(2026, 10, 31), s1_recognition=120)), PERIOD
    )
    assert pick_county_return([old, new, bad]) is new
    assert pick_county_return([bad]) is None
