"""The bounds a county may tune (change bound, outlier threshold, plan length), from the environment."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from junheng.errors import ConfigError

# Iglewicz & Hoaglin's cut-off for the modified z-score (outliers.py): an outlier when |M| > 3.5.
OUTLIER_THRESHOLD = 3.5
DEFAULT_CHANGE_BOUND = 0.20  # a change of more than ±20 % from the previous period is flagged


@dataclass(frozen=True)
class AnalyticsConfig:
    """Bounds a county may tune: JUNHENG_CHANGE_BOUND (0.2 = ±20 %) and JUNHENG_OUTLIER_Z (3.5)."""

    change_bound: float = DEFAULT_CHANGE_BOUND
    outlier_threshold: float = OUTLIER_THRESHOLD
    max_plan_steps: int = 100


def config_from_env() -> AnalyticsConfig:
    """The analytics bounds, with JUNHENG_* environment variables overriding the defaults."""
    out: dict[str, float] = {}
    for env, key in (("JUNHENG_CHANGE_BOUND", "change_bound"), ("JUNHENG_OUTLIER_Z", "outlier_threshold")):
        raw = os.environ.get(env)
        if raw is None or raw == "":
            continue
        try:
            value = float(raw)
        except ValueError as exc:
            raise ConfigError(f"环境变量 {env} 应为正数，收到 {raw!r}", f"例如 {env}=0.2") from exc
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"环境变量 {env} 应为正数，收到 {raw!r}", f"例如 {env}=0.2")
        out[key] = value
    return AnalyticsConfig(**out)  # type: ignore[arg-type]
