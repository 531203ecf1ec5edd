"""Policy thresholds as dated, typed data: load, check and select the rules in force."""

from __future__ import annotations

import itertools
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from junheng.errors import ConfigError

POLICY_DIR = Path(__file__).resolve().parent.parent / "expectations" / "policy"

R_CODES = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")

INDICATOR_NAMES = {
    "R1": "每百名学生拥有高于规定学历教师数",
    "R2": "每百名学生拥有县级及以上骨干教师数",
    "R3": "每百名学生拥有体育、艺术（美术、音乐）专任教师数",
    "R4": "生均教学及辅助用房面积",
    "R5": "生均体育运动场馆面积",
    "R6": "生均教学仪器设备值",
    "R7": "每百名学生拥有网络多媒体教室数",
    "G4": "学校规模",
    "G5": "班额",
}


class Rule(BaseModel):
    """One threshold with its validity interval [valid_from, valid_to)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    measure: Literal["value", "cv", "count", "ratio"]
    scope: Literal["school_unit", "school", "class", "county"]
    section: Literal["primary", "junior", "all"]
    comparator: Literal["ge", "gt", "le", "lt"]
    value: float
    unit: str
    valid_from: date
    valid_to: date | None = None
    school_types: tuple[str, ...] = ()
    source: str = ""

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)

    def passes(self, x: float) -> bool:
        """Compare unrounded: the policy says "达到", so the threshold itself passes."""
        return {
            "ge": x >= self.value,
            "gt": x > self.value,
            "le": x <= self.value,
            "lt": x < self.value,
        }[self.comparator]


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: str
    source: str
    rules: list[Rule]


def period_start(period: str) -> date:
    """'2026-10' -> date(2026, 10, 1); raises ConfigError on anything else."""
    try:
        y, m = period.split("-")
        return date(int(y), int(m), 1)
    except (ValueError, AttributeError) as exc:
        raise ConfigError(f"报表期格式错误：{period!r}", "使用 YYYY-MM，例如 2026-10") from exc


def load_policy_file(path: Path) -> list[Rule]:
    try:
        doc = PolicyFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise ConfigError(f"政策文件 {path.name} 无法读取：{exc}", "按 national-2017.yaml 的格式修改") from exc
    return [r.model_copy(update={"source": r.source or doc.source}) for r in doc.rules]


def _key(r: Rule) -> tuple[str, str, str, str, tuple[str, ...]]:
    return (r.code, r.measure, r.scope, r.section, r.school_types)


def check_overlaps(rules: list[Rule]) -> None:
    """Two rules for the same key may not be in force on the same day."""
    by_key: dict[tuple[str, str, str, str, tuple[str, ...]], list[Rule]] = {}
    for r in rules:
        by_key.setdefault(_key(r), []).append(r)
    for key, rs in by_key.items():
        rs.sort(key=lambda r: r.valid_from)
        for a, b in itertools.pairwise(rs):
            if a.valid_to is None or a.valid_to > b.valid_from:
                raise ConfigError(
                    f"政策规则 {key} 的有效期重叠：{a.valid_from}–{a.valid_to} 与 {b.valid_from}–{b.valid_to}",
                    "给较早的规则设置 valid_to，使其不晚于较新规则的 valid_from",
                )


@lru_cache(maxsize=8)
def load_rules(policy_dir: str = str(POLICY_DIR)) -> tuple[Rule, ...]:
    """All rules of every policy file in the folder, checked for overlaps."""
    rules: list[Rule] = []
    for path in sorted(Path(policy_dir).glob("*.yaml")):
        rules.extend(load_policy_file(path))
    check_overlaps(rules)
    return tuple(rules)


def rules_in_force(period: str, policy_dir: str = str(POLICY_DIR)) -> list[Rule]:
    on = period_start(period)
    return [r for r in load_rules(policy_dir) if r.in_force(on)]


def rule(rules: list[Rule], code: str, measure: str, section: str = "all") -> Rule:
    for r in rules:
        if r.code == code and r.measure == measure and r.section == section:
            return r
    raise ConfigError(f"本期没有生效的规则 {code}/{measure}/{section}", "检查政策文件的有效期")
