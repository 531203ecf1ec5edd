"""A city's plan as dated data: which county is to reach 优质均衡 in which year, checked against the
national county codes (行政区划代码) so that a mistyped code or name is a load error, never a stray county."""

from __future__ import annotations

import difflib
import os
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from junheng.errors import ConfigError
from junheng.policy import period_start
from junheng.settings import COUNTY_CODE_RE

PLAN_DIR = Path(__file__).resolve().parent.parent / "expectations" / "plans"
# Another folder of plan files (a city may keep its own outside the repository); searched first.
PLAN_DIR_ENV = "JUNHENG_PLAN_DIR"
DIVISIONS_FILE = "divisions.yaml"


def _six_digits(v: str, what: str) -> str:
    if not COUNTY_CODE_RE.match(v):
        raise ValueError(f'{what}应为 6 位数字的行政区划代码（加引号，如 "530481"），收到 {v!r}')
    return v


class PlanCounty(BaseModel):
    """One county of the plan and the year by whose end it is to reach 优质均衡."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    code: str
    name: str = Field(min_length=1)
    target_year: int = Field(ge=2013, le=2100)
    note: str = ""

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        return _six_digits(v, "县级代码")


class CityPlan(BaseModel):
    """A city's plan (实施方案): the issuing document and each county's target year, in force [valid_from, valid_to)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    plan: str = Field(min_length=1)
    title: str = Field(min_length=1)
    issuer: str = Field(min_length=1)
    issued_on: date
    source: str = Field(min_length=1)
    city_code: str
    city_name: str = Field(min_length=1)
    valid_from: date
    valid_to: date | None = None
    counties: list[PlanCounty] = Field(min_length=1)

    @field_validator("city_code")
    @classmethod
    def _city(cls, v: str) -> str:
        v = _six_digits(v, "城市代码")
        if not v.endswith("00"):
            raise ValueError(f"城市代码应以 00 结尾（地级市，如 530400），收到 {v!r}")
        return v

    @model_validator(mode="after")
    def _check(self) -> CityPlan:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} 不晚于 valid_from {self.valid_from}")
        codes = [c.code for c in self.counties]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"县级代码重复：{'、'.join(twice)}")
        return self

    def in_force(self, period: str) -> bool:
        """Whether the plan applies to a period (judged on the period's first day, as the policy rules are)."""
        on = period_start(period)
        start = self.valid_from.replace(day=1)  # a plan issued mid-month applies to that month's returns
        return start <= on and (self.valid_to is None or on < self.valid_to)

    def county(self, code: str) -> PlanCounty:
        for c in self.counties:
            if c.code == code:
                return c
        raise ConfigError(
            f"计划 {self.plan} 中没有县级代码 {code}", f"可用：{'、'.join(c.code for c in self.counties)}"
        )


class DivisionCity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str
    counties: dict[str, str]


class Divisions(BaseModel):
    """The national county codes of the cities that have plans (divisions.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    source: str
    checked_on: date
    cities: dict[str, DivisionCity]


_ERROR_ZH = {
    "missing": "缺少必填项",
    "string_type": "应为文本（代码请加引号）",
    "int_type": "应为整数",
    "date_type": "应为日期（YYYY-MM-DD）",
    "too_short": "不能为空",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "list_type": "应为列表",
    "dict_type": "应为键值表",
    "model_type": "应为键值表",
}


def _zh_errors(exc: ValidationError, model: type[BaseModel]) -> str:
    """Pydantic's findings in Chinese, with the nearest known key for a misspelt one."""
    out = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "（整个文件）"
        kind = e["type"]
        if kind == "extra_forbidden":
            key = str(e["loc"][-1])
            known = _known_keys(model, e["loc"][:-1])
            near = difflib.get_close_matches(key, known, n=1)
            hint = f"，是不是 {near[0]}？" if near else f"；可用的键：{'、'.join(known)}"
            out.append(f"{where}：未知的键 {key!r}{hint}")
        elif kind == "value_error":
            out.append(f"{where}：{str(e['msg']).removeprefix('Value error, ')}")
        else:
            out.append(f"{where}：{_ERROR_ZH.get(kind, e['msg'])}（收到 {e.get('input')!r}）")
    return "；".join(out)


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at ``loc`` (county entries for counties.N)."""
    if model is CityPlan and loc and loc[0] == "counties":
        return list(PlanCounty.model_fields)
    return list(model.model_fields)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"计划文件 {path} 无法读取：{exc}", "检查文件是否存在、是否为 UTF-8 编码的 YAML") from exc


def plan_dirs() -> list[Path]:
    """Where plan files are looked for: JUNHENG_PLAN_DIR first (a city's own), then the shipped ones."""
    extra = os.environ.get(PLAN_DIR_ENV, "").strip()
    return [*([Path(extra)] if extra else []), PLAN_DIR]


def load_divisions(dirs: list[Path] | None = None) -> dict[str, DivisionCity]:
    """Every city's county codes, from divisions.yaml in each plan folder (a city's own folder may add cities)."""
    cities: dict[str, DivisionCity] = {}
    for folder in reversed(dirs or plan_dirs()):
        path = folder / DIVISIONS_FILE
        if not path.is_file():
            continue
        try:
            doc = Divisions.model_validate(_read_yaml(path))
        except ValidationError as exc:
            raise ConfigError(
                f"区划代码表 {path} 有误：{_zh_errors(exc, Divisions)}",
                "按 expectations/plans/divisions.yaml 的格式修改",
            ) from exc
        cities.update(doc.cities)
    return cities


def check_against_divisions(plan: CityPlan, cities: dict[str, DivisionCity], where: str) -> None:
    """The city and every county must be in the national code table, with the same names."""
    fix = "核对国家行政区划代码后改正计划文件；新增城市请先把它的县级代码加进 divisions.yaml"
    city = cities.get(plan.city_code)
    if city is None:
        raise ConfigError(f"计划文件 {where}：城市代码 {plan.city_code}（{plan.city_name}）不在区划代码表中", fix)
    if city.name != plan.city_name:
        raise ConfigError(
            f"计划文件 {where}：城市代码 {plan.city_code} 是 {city.name}，文件写的是 {plan.city_name}", fix
        )
    for c in plan.counties:
        name = city.counties.get(c.code)
        if name is None:
            near = [f"{k} {v}" for k, v in city.counties.items() if v.startswith(c.name[:2])]
            hint = f"（{c.name} 的代码是不是 {near[0]}？）" if near else ""
            raise ConfigError(f"计划文件 {where}：{city.name}没有县级代码 {c.code}（{c.name}）{hint}", fix)
        if name != c.name:
            raise ConfigError(f"计划文件 {where}：县级代码 {c.code} 是 {name}，文件写的是 {c.name}", fix)


def read_plan_file(path: Path, cities: dict[str, DivisionCity] | None = None) -> CityPlan:
    """A plan file, validated strictly and checked against the county code table."""
    try:
        plan = CityPlan.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(
            f"计划文件 {path.name} 有误：{_zh_errors(exc, CityPlan)}", "按 expectations/plans/yuxi-2023.yaml 的格式修改"
        ) from exc
    if plan.plan != path.stem:
        raise ConfigError(f"计划文件 {path.name} 的 plan 写的是 {plan.plan!r}", f"plan 应与文件名一致：{path.stem}")
    check_against_divisions(plan, cities if cities is not None else load_divisions(), path.name)
    return plan


def plan_names() -> list[str]:
    """Every plan that can be named with --plan."""
    names = {p.stem for d in plan_dirs() if d.is_dir() for p in d.glob("*.yaml") if p.name != DIVISIONS_FILE}
    return sorted(names)


def load_plan(name: str) -> CityPlan:
    """The plan called ``name`` (file <name>.yaml in JUNHENG_PLAN_DIR or expectations/plans)."""
    for folder in plan_dirs():
        path = folder / f"{name}.yaml"
        if path.is_file():
            return read_plan_file(path)
    known = plan_names()
    near = difflib.get_close_matches(name, known, n=1)
    raise ConfigError(
        f"没有名为 {name!r} 的城市计划" + (f"，是不是 {near[0]}？" if near else ""),
        f"可用的计划：{'、'.join(known) or '无'}；自己的计划文件放在 {PLAN_DIR} 或环境变量 {PLAN_DIR_ENV} 指向的文件夹",
    )
