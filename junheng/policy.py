"""Policy thresholds as dated, typed data: load, check, overlay and select the rules in force."""

from __future__ import annotations

import itertools
import os
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from junheng.errors import ConfigError

POLICY_DIR = Path(__file__).resolve().parent.parent / "expectations" / "policy"

# A county selects its local overlays by name (the `policy:` of an overlay file), comma separated.
OVERLAYS_ENV = "JUNHENG_POLICY_OVERLAYS"
# Another folder of policy files (a county may keep its own outside the repository).
POLICY_DIR_ENV = "JUNHENG_POLICY_DIR"

R_CODES = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")
G_CODES = tuple(f"G{i}" for i in range(1, 16))
Q_CODES = tuple(f"Q{i}" for i in range(1, 10))
S_CODES = ("S1",)
# The 31 indicators of 教督〔2017〕6号 (+ S1, which the 办法 counts as a part of its own).
NATIONAL_CODES = (*R_CODES, *G_CODES, *Q_CODES, *S_CODES)

INDICATOR_NAMES = {
    "R1": "每百名学生拥有高于规定学历教师数",
    "R2": "每百名学生拥有县级及以上骨干教师数",
    "R3": "每百名学生拥有体育、艺术（美术、音乐）专任教师数",
    "R4": "生均教学及辅助用房面积",
    "R5": "生均体育运动场馆面积",
    "R6": "生均教学仪器设备值",
    "R7": "每百名学生拥有网络多媒体教室数",
    "G1": "县域内义务教育学校规划布局合理",
    "G2": "城乡学校建设、编制、公用经费、装备标准统一",
    "G3": "音乐、美术专用教室",
    "G4": "学校规模",
    "G5": "班额",
    "G6": "不足100名学生的村小学和教学点按100名学生核定公用经费",
    "G7": "特殊教育学校生均公用经费",
    "G8": "教师平均工资收入不低于当地公务员",
    "G9": "教师5年360学时培训完成率",
    "G10": "县级统筹分配各校教职工编制和岗位",
    "G11": "教师交流轮岗",
    "G12": "专任教师持有教师资格证上岗率",
    "G13": "城区和镇区公办学校就近划片入学比例",
    "G14": "优质高中招生名额分配比例",
    "G15": "符合条件的随迁子女在公办学校和政府购买服务的民办学校就读比例",
    "Q1": "初中三年巩固率",
    "Q2": "残疾儿童少年入学率",
    "Q3": "所有学校制定章程，实现学校管理与教学信息化",
    "Q4": "教师培训经费占公用经费预算比例",
    "Q5": "教师熟练运用信息化手段组织教学",
    "Q6": "德育工作、校园文化建设水平达到良好以上",
    "Q7": "课程开齐开足，教学秩序规范，综合实践活动有效开展",
    "Q8": "无过重课业负担",
    "Q9": "国家义务教育质量监测学业水平与校际差异率",
    "S1": "社会认可度",
}

PARTS = ("资源配置", "政府保障程度", "教育质量", "社会认可度", "否决", "地方目标")
Part = Literal["资源配置", "政府保障程度", "教育质量", "社会认可度", "否决", "地方目标"]
_PART_OF_PREFIX = {
    "R": "资源配置",
    "G": "政府保障程度",
    "Q": "教育质量",
    "S": "社会认可度",
    "V": "否决",
    "L": "地方目标",
}

# How a rule is judged: computed from school returns, reported in the county return, a reviewed
# document (evidence, yes/no), or a one-vote veto (yes/no: present = not recognised).
RuleKind = Literal["computed", "reported", "evidence", "veto"]
Measure = Literal["value", "cv", "count", "ratio", "rate", "rooms", "area", "level", "change", "flag", "review"]
Confidence = Literal["confirmed", "corroborated", "likely", "unconfirmed"]


def part_of(code: str) -> str:
    """The evaluation part of an indicator code (R/G/Q/S/V/L prefix)."""
    part = _PART_OF_PREFIX.get(code[:1])
    if part is None:
        raise ConfigError(f"无法识别的指标代码：{code!r}", "指标代码以 R、G、Q、S、V（否决）或 L（地方目标）开头")
    return part


class Rule(BaseModel):
    """One threshold with its validity interval [valid_from, valid_to).

    ``item`` qualifies a rule within its code (G3 room type, G11 part, Q9 subject); ``policy``
    and ``overlay`` are filled in from the file the rule was loaded from.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    measure: Measure
    scope: Literal["school_unit", "school", "class", "county"]
    section: Literal["primary", "junior", "all"]
    comparator: Literal["ge", "gt", "le", "lt"]
    value: float
    unit: str
    valid_from: date
    valid_to: date | None = None
    school_types: tuple[str, ...] = ()
    item: str = ""
    kind: RuleKind = "computed"
    part: Part | None = None
    name_zh: str = ""
    confidence: Confidence | None = None
    note: str = ""
    source: str = ""
    policy: str = ""
    overlay: bool = False

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        """part and name_zh follow from the code unless the file states them."""
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            data = dict(data)
            if data.get("part") is None:
                data["part"] = part_of(data["code"])
            if not data.get("name_zh"):
                data["name_zh"] = INDICATOR_NAMES.get(data["code"], "")
        return data

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError(f"{self.code}: valid_to {self.valid_to} 不晚于 valid_from {self.valid_from}")
        if not self.name_zh:
            raise ValueError(f"{self.code}: 缺少 name_zh（中文名称）")
        return self

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

    @property
    def key(self) -> tuple[str, str, str, str, tuple[str, ...], str]:
        """What a rule judges: two rules with one key may not be in force on the same day
        (within a layer); an overlay rule with the key of a national rule takes its place."""
        return (self.code, self.measure, self.scope, self.section, self.school_types, self.item)

    def at_least_as_strict_as(self, other: Rule) -> bool:
        """True when every value this rule passes, ``other`` passes too (same direction)."""
        lower = ("ge", "gt")
        if (self.comparator in lower) != (other.comparator in lower):
            return False
        if self.value != other.value:
            return self.value > other.value if self.comparator in lower else self.value < other.value
        # Same number: only "≥ x" against "> x" (or "≤" against "<") is looser.
        return not (self.comparator in ("ge", "le") and other.comparator in ("gt", "lt"))


class PolicyFile(BaseModel):
    """One policy source: the national rules, or a local overlay selected by name."""

    model_config = ConfigDict(extra="forbid")

    policy: str
    source: str
    overlay: bool = False
    county: str = ""
    rules: list[Rule]


def period_start(period: str) -> date:
    """'2026-10' -> date(2026, 10, 1); raises ConfigError on anything else."""
    try:
        y, m = period.split("-")
        return date(int(y), int(m), 1)
    except (ValueError, AttributeError) as exc:
        raise ConfigError(f"报表期格式错误：{period!r}", "使用 YYYY-MM，例如 2026-10") from exc


def read_policy_file(path: Path) -> PolicyFile:
    """A policy file, every rule stamped with its file's name, source and layer."""
    try:
        doc = PolicyFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise ConfigError(f"政策文件 {path.name} 无法读取：{exc}", "按 national-2017.yaml 的格式修改") from exc
    doc.rules = [
        r.model_copy(update={"source": r.source or doc.source, "policy": doc.policy, "overlay": doc.overlay})
        for r in doc.rules
    ]
    return doc


def load_policy_file(path: Path) -> list[Rule]:
    return read_policy_file(path).rules


def check_overlaps(rules: list[Rule] | tuple[Rule, ...]) -> None:
    """Two rules for the same key may not be in force on the same day."""
    by_key: dict[tuple[Any, ...], list[Rule]] = {}
    for r in rules:
        by_key.setdefault(r.key, []).append(r)
    for key, rs in by_key.items():
        rs.sort(key=lambda r: r.valid_from)
        for a, b in itertools.pairwise(rs):
            if a.valid_to is None or a.valid_to > b.valid_from:
                raise ConfigError(
                    f"政策规则 {key} 的有效期重叠：{a.valid_from}–{a.valid_to} 与 {b.valid_from}–{b.valid_to}",
                    "给较早的规则设置 valid_to，使其不晚于较新规则的 valid_from",
                )


def _overlap(a: Rule, b: Rule) -> bool:
    a_end, b_end = a.valid_to or date.max, b.valid_to or date.max
    return a.valid_from < b_end and b.valid_from < a_end


def check_tightens(national: list[Rule] | tuple[Rule, ...], overlay: list[Rule] | tuple[Rule, ...]) -> None:
    """An overlay may add rules or tighten national ones, never loosen them."""
    by_key: dict[tuple[Any, ...], list[Rule]] = {}
    for r in national:
        by_key.setdefault(r.key, []).append(r)
    for o in overlay:
        for n in by_key.get(o.key, []):
            if _overlap(o, n) and not o.at_least_as_strict_as(n):
                raise ConfigError(
                    f"地方政策 {o.policy} 的规则 {o.code}（{o.comparator} {o.value:g}）比国家规则"
                    f"（{n.comparator} {n.value:g}，{n.valid_from} 起）宽松",
                    "地方政策只能新增指标或收紧国家标准；放宽须修改国家政策文件并说明依据",
                )


def default_policy_dir() -> str:
    """The folder of policy files: JUNHENG_POLICY_DIR, else expectations/policy."""
    return os.environ.get(POLICY_DIR_ENV) or str(POLICY_DIR)


def clear_cache() -> None:
    """Forget loaded policy files (after editing them in the same process)."""
    _load_policies.cache_clear()
    _load_rules.cache_clear()


def load_policies(folder: str | None = None) -> tuple[PolicyFile, ...]:
    return _load_policies(folder or default_policy_dir())


@lru_cache(maxsize=8)
def _load_policies(policy_dir: str) -> tuple[PolicyFile, ...]:
    """Every policy file of the folder (national and overlays), names unique."""
    if not Path(policy_dir).is_dir():
        raise ConfigError(f"政策文件目录不存在：{policy_dir}", f"检查 {POLICY_DIR_ENV}")
    docs = tuple(read_policy_file(p) for p in sorted(Path(policy_dir).glob("*.yaml")))
    names = [d.policy for d in docs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"政策名称重复：{dup}", "每个政策文件的 policy: 名称必须唯一")
    return docs


def selected_overlays() -> tuple[str, ...]:
    """Overlay names from JUNHENG_POLICY_OVERLAYS (comma separated; empty = national only)."""
    raw = os.environ.get(OVERLAYS_ENV, "")
    return tuple(n.strip() for n in raw.replace("，", ",").split(",") if n.strip())


@lru_cache(maxsize=16)
def _load_rules(policy_dir: str, overlays: tuple[str, ...]) -> tuple[Rule, ...]:
    docs = load_policies(policy_dir)
    national = [r for d in docs if not d.overlay for r in d.rules]
    check_overlaps(national)
    by_name = {d.policy: d for d in docs if d.overlay}
    unknown = [n for n in overlays if n not in by_name]
    if unknown:
        raise ConfigError(
            f"{OVERLAYS_ENV} 中的地方政策不存在：{unknown}",
            f"可选：{sorted(by_name) or '（无）'}；文件放在 {policy_dir}，并写 overlay: true",
        )
    local = [r for n in overlays for r in by_name[n].rules]
    check_overlaps(local)
    check_tightens(national, local)
    return (*national, *local)


def load_rules(policy_dir: str | None = None, overlays: tuple[str, ...] | None = None) -> tuple[Rule, ...]:
    """The national rules plus the selected overlays (default: from JUNHENG_POLICY_OVERLAYS), checked.

    Overlapping validity within a layer and an overlay that loosens a national rule are load errors.
    """
    chosen = selected_overlays() if overlays is None else tuple(overlays)
    return _load_rules(policy_dir or default_policy_dir(), chosen)


def resolve(rules: list[Rule] | tuple[Rule, ...], on: date) -> list[Rule]:
    """The rules in force on a day; an overlay rule takes the place of the national rule with its key."""
    live = [r for r in rules if r.in_force(on)]
    overlaid = {r.key for r in live if r.overlay}
    return [r for r in live if r.overlay or r.key not in overlaid]


def rules_in_force(period: str, policy_dir: str | None = None, overlays: tuple[str, ...] | None = None) -> list[Rule]:
    return resolve(load_rules(policy_dir, overlays), period_start(period))


def rule(rules: list[Rule], code: str, measure: str, section: str = "all") -> Rule:
    for r in rules:
        if r.code == code and r.measure == measure and r.section == section:
            return r
    raise ConfigError(f"本期没有生效的规则 {code}/{measure}/{section}", "检查政策文件的有效期")


def code_order(code: str) -> tuple[int, str, int, str]:
    """R1 < R2 < … < G1 < G2 < G10 < … < Q1 < S1 < V1 < L1; other codes (R_MIN_MET) after their part."""
    prefix, digits = code[:1], code[1:]
    number = int(digits) if digits.isdigit() else 999
    return ("RGQSVL".find(prefix) % 7, prefix, number, code)


def rule_order(r: Rule) -> tuple[object, ...]:
    return (*code_order(r.code), r.measure, {"primary": 0, "junior": 1}.get(r.section, 2), r.item, r.valid_from)


_CMP = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
_SECTION_ZH = {"primary": "小学", "junior": "初中", "all": "全部"}
_KIND_ZH = {"computed": "计算", "reported": "县级填报", "evidence": "佐证审核", "veto": "否决项"}


# What a rule measures, in the words of the 办法 (policy show and any other listing for people).
_MEASURE_ZH = {
    "value": "指标值",
    "cv": "校际差异系数",
    "count": "达标项数",
    "ratio": "比值",
    "rate": "比例",
    "rooms": "每间专用教室对应班数",
    "area": "每间专用教室面积",
    "level": "等级",
    "change": "变化",
    "flag": "是否存在",
    "review": "审核认定",
}
_SCOPE_ZH = {"school_unit": "每校（分学段）", "school": "每校", "class": "每班", "county": "全县"}
_CONFIDENCE_ZH = {
    "confirmed": "已核对官方原文",
    "corroborated": "未见官方原文，多个来源一致",
    "likely": "仅一个来源，待核对官方原文",
    "unconfirmed": "来源不足，使用前请核对",
}
# Rules with no indicator code of the 办法 (the school rule's two parts) are shown by their name only.
_INDICATOR_CODE = re.compile(r"[RGQSVL][0-9]{1,2}")


def _standard(r: Rule) -> str:
    """The threshold as a person reads it: "校际差异系数 ≤ 0.5", "不得存在", "须审核认定为“是”"."""
    if r.measure == "flag":
        return "不得存在（存在即一票否决）" if r.kind == "veto" else "不得存在"
    if r.measure == "review":
        return "须经审核认定为“是”"
    if r.unit in ("差异系数", "校际差异率"):  # the unit names the quantity itself
        name = "校际差异系数" if r.unit == "差异系数" else r.unit
        return f"{_SCOPE_ZH[r.scope]}{name} {_CMP[r.comparator]} {r.value:g}"
    unit = "" if r.unit == "比例" else f" {r.unit}"
    return f"{_SCOPE_ZH[r.scope]}{_MEASURE_ZH[r.measure]} {_CMP[r.comparator]} {r.value:g}{unit}"


def policy_title(policy: str, source: str = "") -> str:
    """A policy file's title for people: its source document (the file's name only when it has none)."""
    return source or policy


def overlay_titles() -> tuple[str, ...]:
    """The selected local policies by their documents' titles."""
    by_name = {d.policy: d for d in load_policies() if d.overlay}
    return tuple(policy_title(n, by_name[n].source if n in by_name else "") for n in selected_overlays())


def describe(r: Rule) -> str:
    """One line for `junheng policy show`: indicator, part, how judged, section, standard, source, validity."""
    code = r.code if _INDICATOR_CODE.fullmatch(r.code) else "校级"
    what = r.name_zh or r.code
    if r.item:
        what += f"（{r.item}）"
    types = f"（{'、'.join(r.school_types)}）" if r.school_types else ""
    valid = f"{r.valid_from} 起" + (f"至 {r.valid_to} 前" if r.valid_to else "")
    layer = "地方政策 " if r.overlay else ""
    conf = f"；{_CONFIDENCE_ZH[r.confidence]}" if r.confidence else ""
    return (
        f"{code:<5} {r.part or '':<6} {_KIND_ZH[r.kind]:<5} {_SECTION_ZH[r.section]:<3}{types} {what}："
        f"{_standard(r)}  [依据：{layer}{policy_title(r.policy, r.source)}，{valid}{conf}]"
    )
