"""Run settings: one strict, typed object; environment variables override defaults."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from junheng.errors import ConfigError


class PolicyChoices(BaseModel):
    """Choices the policy leaves open; every report states the ones it was made with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cv_method: Literal["weighted", "unweighted"] = "weighted"
    teaching_point_policy: Literal["exclude_under_50", "merge"] = "exclude_under_50"
    teaching_point_min_students: int = 50
    private_in_cv: bool = False
    # Whether 民办 units count in the county's school-rule line (R_MIN_MET); by default they are judged
    # and shown, and the line counts the public units (indicators.md, "Scope").
    private_in_school_rule: bool = False
    # Which teachers count as 艺术 for R3: 音乐+美术 (indicators.md), or also 舞蹈/戏剧/戏曲 etc.
    r3_art_teachers: Literal["music_art", "all_art"] = "music_art"


class UnitCosts(BaseModel):
    """Prices (元) the bureau sets for the cost of the county report's plan; None: not set, no estimate.
    R6 (教学仪器设备值) needs none: its gap is already in 元."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    teacher: float | None = Field(default=None, gt=0)  # 元/人/年: one more teacher for a year
    room: float | None = Field(default=None, gt=0)  # 元/间: one 网络多媒体教室 equipped
    building_m2: float | None = Field(default=None, gt=0)  # 元/平方米: 教学及辅助用房
    sports_m2: float | None = Field(default=None, gt=0)  # 元/平方米: 体育运动场馆


UNIT_COST_ENV = {
    "teacher": "JUNHENG_UNIT_COST_TEACHER",
    "room": "JUNHENG_UNIT_COST_ROOM",
    "building_m2": "JUNHENG_UNIT_COST_BUILDING_M2",
    "sports_m2": "JUNHENG_UNIT_COST_SPORTS_M2",
}


def unit_costs_from_env() -> UnitCosts:
    """UnitCosts from JUNHENG_UNIT_COST_*: a positive number of 元 each (thousands separators allowed)."""
    out: dict[str, float] = {}
    for field, var in UNIT_COST_ENV.items():
        raw = os.environ.get(var, "").strip()
        if not raw:
            continue
        try:
            value = float(raw.replace(",", "").replace("，", ""))
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise ConfigError(
                f"环境变量 {var} 应为大于 0 的金额（元），收到 {raw!r}", f"例如 {var}=120000；不估算这项费用时不设"
            )
        out[field] = value
    return UnitCosts.model_validate(out)


# 县级行政区划代码 (6 digits, e.g. 370830). The default means "not set": a warehouse of one county.
DEFAULT_COUNTY_CODE = "000000"
COUNTY_CODE_RE = re.compile(r"\A[0-9]{6}\Z")  # ASCII digits only (\d takes ０ or ٠); \Z: no trailing newline


def check_county_code(code: str) -> str:
    """The code itself when it is 6 digits; it becomes a warehouse key and a folder name."""
    if not isinstance(code, str) or not COUNTY_CODE_RE.fullmatch(code):
        raise ConfigError(
            f"县级行政区划代码应为 6 位数字（如 370830），收到 {code!r}",
            "用 --county-code 或环境变量 JUNHENG_COUNTY_CODE 设置本县的 6 位行政区划代码；只有一个县时可不设",
        )
    return code


def county_subdir(base: Path, county_code: str) -> Path:
    """``base`` for the single-county default (the paths stay as they were), ``base/<county_code>``
    otherwise, so counties sharing a data directory never write into each other's folders."""
    code = check_county_code(county_code)
    return Path(base) if code == DEFAULT_COUNTY_CODE else Path(base) / code


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Path("data")
    warehouse_url: str = ""
    county: str = "本县"
    # Every warehouse row carries it: several counties can share one warehouse.
    county_code: str = DEFAULT_COUNTY_CODE
    choices: PolicyChoices = PolicyChoices()
    # Returns are due by this day of the month after the period; later, a roster school without one is missing.
    deadline_day: int = Field(default=3, ge=1, le=28)
    # Prices for the cost of the county report's plan (JUNHENG_UNIT_COST_*).
    unit_costs: UnitCosts = UnitCosts()

    @field_validator("county_code")
    @classmethod
    def _county_code_is_six_digits(cls, v: str) -> str:
        if not COUNTY_CODE_RE.fullmatch(v):
            raise ValueError(f"县级行政区划代码应为 6 位数字（如 370830），收到 {v!r}")
        return v

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def out_dir(self) -> Path:
        return self.data_dir / "reports"

    def county_dir(self, base: Path) -> Path:
        """This county's folder under ``base`` (see county_subdir)."""
        return county_subdir(base, self.county_code)

    def inbox_dir(self, period: str) -> Path:
        """Where a period's returns are expected: data/inbox/<period>, or data/inbox/<county_code>/<period>."""
        return self.county_dir(self.data_dir / "inbox") / period

    def resolved_warehouse_url(self) -> str:
        return self.warehouse_url or f"duckdb:///{(self.data_dir / 'junheng.duckdb').as_posix()}"


# Policy choices from the environment; PolicyChoices validates the values (a typo is a load error).
CHOICE_ENV = {
    "cv_method": "JUNHENG_CV_METHOD",
    "teaching_point_policy": "JUNHENG_TEACHING_POINT_POLICY",
    "teaching_point_min_students": "JUNHENG_TEACHING_POINT_MIN_STUDENTS",
    "private_in_cv": "JUNHENG_PRIVATE_IN_CV",
    "private_in_school_rule": "JUNHENG_PRIVATE_IN_SCHOOL_RULE",
    "r3_art_teachers": "JUNHENG_R3_ART_TEACHERS",
}


BOOL_CHOICES = ("private_in_cv", "private_in_school_rule")
_TRUE, _FALSE = ("1", "true", "yes", "是"), ("0", "false", "no", "否")


def _yes_no(var: str, raw: str) -> bool:
    """A yes/no choice; anything else is a load error, never a silent 'no'."""
    v = raw.strip().lower()
    if v in _TRUE or v in _FALSE:
        return v in _TRUE
    raise ConfigError(f"环境变量 {var} 应为 true 或 false，收到 {raw!r}", f"例如 {var}=false（是 / 否 也可以）")


def load_settings(**overrides: object) -> Settings:
    """Defaults, then JUNHENG_* environment variables, then explicit overrides (CLI flags)."""
    env: dict[str, object] = {}
    if v := os.environ.get("JUNHENG_DATA_DIR"):
        env["data_dir"] = Path(v)
    if v := os.environ.get("JUNHENG_WAREHOUSE_URL"):
        env["warehouse_url"] = v
    if v := os.environ.get("JUNHENG_COUNTY"):
        env["county"] = v
    if v := os.environ.get("JUNHENG_COUNTY_CODE"):
        env["county_code"] = v.strip()
    if v := os.environ.get("JUNHENG_DEADLINE_DAY"):
        env["deadline_day"] = int(v)
    choices: dict[str, object] = {}
    for field, var in CHOICE_ENV.items():
        if v := os.environ.get(var):
            choices[field] = _yes_no(var, v) if field in BOOL_CHOICES else v
    if choices:
        env["choices"] = choices
    env["unit_costs"] = unit_costs_from_env()
    env.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(env)
    except ValidationError as exc:
        raise ConfigError(f"设置有误：{exc}", "检查 JUNHENG_* 环境变量和命令行参数的取值") from exc


def previous_period(today: date | None = None) -> str:
    """The month before ``today`` in Beijing time: what a scheduled run on the 5th processes."""
    now = today or datetime.now(ZoneInfo("Asia/Shanghai")).date()
    y, m = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{y:04d}-{m:02d}"


class AlertChannels(BaseModel):
    """Where alert notifications go. Read from the environment only, so secrets never reach the repo,
    the warehouse or Prefect parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    webhook_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""
    smtp_to: tuple[str, ...] = ()
    smtp_starttls: bool = False
    timeout_seconds: float = 10.0

    def enabled(self) -> list[str]:
        return [name for name, on in (("webhook", self.webhook_url), ("email", self.smtp_host and self.smtp_to)) if on]


def load_channels() -> AlertChannels:
    """JUNHENG_WEBHOOK_URL; JUNHENG_SMTP_HOST/PORT/USER/PASSWORD/FROM/TO (TO: comma separated)/STARTTLS."""
    e = os.environ
    return AlertChannels(
        webhook_url=e.get("JUNHENG_WEBHOOK_URL", ""),
        smtp_host=e.get("JUNHENG_SMTP_HOST", ""),
        smtp_port=int(e.get("JUNHENG_SMTP_PORT", "25")),
        smtp_user=e.get("JUNHENG_SMTP_USER", ""),
        smtp_password=SecretStr(e.get("JUNHENG_SMTP_PASSWORD", "")),
        smtp_from=e.get("JUNHENG_SMTP_FROM", "") or "junheng@localhost",
        smtp_to=tuple(a.strip() for a in e.get("JUNHENG_SMTP_TO", "").split(",") if a.strip()),
        smtp_starttls=e.get("JUNHENG_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
    )
