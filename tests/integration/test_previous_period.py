"""Plausibility rule f (issue 13 item 3): a school against its own previous loaded return, a 提醒 located
on the cell, generated from the contract's compared fields. One broken twin per compared field, a clean
twin, a twin exactly at the stated factor, and a school without an earlier return. On both engines."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest

from expectations.messages import RULE_NAMES_ZH
from junheng import spec
from junheng.contract import Finding, ReturnBatch
from junheng.settings import Settings, load_settings
from tasks.ingest.archive import archive
from tasks.model.load import load_run
from tasks.publish.template import write_return
from tasks.read.returns import read_returns
from tasks.validate.decide import decide
from tasks.validate.gx import validate
from tests.integration.test_load import school

SEP, OCT = "2026-09", "2026-10"
RULE = "plausibility.previous_period"


def _school(
    code: str, period: str, students: list[int], teachers: int = 10, area: float = 700, wan: float = 30
) -> dict:
    """A 小学 of the test_load fixture: in September 100 pupils, 10 teachers, 700 m², 30 万元 of equipment."""
    ret = school(f"学校{code[-1]}", period, date(int(period[:4]), int(period[5:]), 8), students)
    ret["info"]["school_code"] = code
    ret["teachers"][0] |= {"teachers": teachers, "certified_teachers": min(10, teachers), "trained_360h_teachers": 0}
    ret["facilities"][0] |= {
        "teaching_aux_area_m2": area,
        "indoor_sports_area_m2": min(100, area),
        "equipment_value_yuan": wan,
    }
    return ret


def _batch(tmp_path: Path, url: str, returns: dict[str, dict]) -> tuple[ReturnBatch, Settings]:
    inbox = Path(tempfile.mkdtemp(dir=tmp_path))
    for name, ret in returns.items():
        write_return(inbox / name, ret)
    settings = load_settings(data_dir=tmp_path / "data", warehouse_url=url)
    return read_returns(archive(sorted(inbox.iterdir()), settings.archive_dir)), settings


@pytest.fixture
def october(tmp_path: Path, warehouse_url: str) -> tuple[list[Finding], dict[str, str]]:
    """September loaded for schools 1–6; October's findings with the warehouse, and each file's status."""
    sep = {f"{k}-9.xlsx": _school(f"370830000{k}", SEP, [25] * 4) for k in range(1, 7)}
    batch, settings = _batch(tmp_path, warehouse_url, sep)
    load_run(warehouse_url, SEP, batch, validate(batch, SEP), settings, "sep", now=datetime(2026, 10, 9, 8))
    oct_ = {
        "1-clean.xlsx": _school("3708300001", OCT, [25, 26, 24, 25]),
        "2-students.xlsx": _school("3708300002", OCT, [90] * 4),  # 360 pupils: 3.6 × 100
        "3-teachers.xlsx": _school("3708300003", OCT, [25] * 4, teachers=100),  # a 0 too many
        "4-area.xlsx": _school("3708300004", OCT, [25] * 4, area=70),  # a 0 missing
        "5-equipment.xlsx": _school("3708300005", OCT, [25] * 4, wan=3),  # 30,000 元: a tenth
        "6-at-factor.xlsx": _school("3708300006", OCT, [75] * 4),  # 300 pupils: exactly 3 ×, not beyond
        "7-new-school.xlsx": _school("3708300007", OCT, [90] * 4),  # no earlier return to compare with
    }
    batch, _ = _batch(tmp_path, warehouse_url, oct_)
    findings = validate(batch, OCT, warehouse_url)
    status = decide(batch, findings).set_index("file_name")["status"].to_dict()
    return findings, status


def _hits(findings: list[Finding], name: str) -> list[Finding]:
    return [f for f in findings if f.rule == RULE and f.file_name == name]


def test_the_factor_is_a_typed_contract_value() -> None:
    assert spec.PREVIOUS_PERIOD_JUMP.factor == 3.0
    with pytest.raises(ValueError, match="extra"):
        spec.PreviousPeriodJump(factor=3.0, factr=2.0)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="greater than 1"):
        spec.PreviousPeriodJump(factor=1.0)
    compared = [f.code for s in spec.TABLE_SHEETS for f in s.fields if f.previous_unit]
    assert compared == ["students", "teachers", "teaching_aux_area_m2", "equipment_value_yuan"]
    assert RULE_NAMES_ZH[RULE] == "与本校上期相比变化过大"


def test_a_school_against_its_own_previous_return(october: tuple[list[Finding], dict[str, str]]) -> None:
    findings, status = october
    # Clean, exactly at the factor, and without an earlier return: silent.
    for name in ("1-clean.xlsx", "6-at-factor.xlsx", "7-new-school.xlsx"):
        assert _hits(findings, name) == [], name

    [f] = _hits(findings, "2-students.xlsx")
    assert (f.severity, f.sheet, f.cell, f.value, f.section) == ("warning", "班级学生", "D2", "360 人", "primary")
    assert f.message.startswith("小学各班级「学生数」合计为 360 人，本校上期（2026-09）为 100 人，是上期的 3.6 倍")
    assert "变化超过 3 倍" in f.message and "请核对本单元格起该学段各行的数值和单位" in f.message

    [f] = _hits(findings, "3-teachers.xlsx")
    assert (f.sheet, f.cell, f.value) == ("教师", "B2", "100 人")
    assert f.message.startswith("小学「专任教师数」为 100 人，本校上期（2026-09）为 10 人，是上期的 10 倍")

    [f] = _hits(findings, "4-area.xlsx")
    assert (f.sheet, f.cell, f.value) == ("办学条件", "B2", "70 平方米")
    assert f.message.startswith(
        "小学「教学及辅助用房面积」为 70 平方米，本校上期（2026-09）为 700 平方米，只有上期的 10%"
    )

    [f] = _hits(findings, "5-equipment.xlsx")
    assert (f.sheet, f.cell, f.value) == ("办学条件", "E2", "30,000 元")
    assert f.message.startswith("小学「教学仪器设备值」为 30,000 元，本校上期（2026-09）为 300,000 元，只有上期的 10%")
    assert "数据属实的" in f.message and "请在报送时说明" in f.message

    # 提醒 only: every return loads.
    assert {n: s for n, s in status.items() if s != "loaded"} == {}
