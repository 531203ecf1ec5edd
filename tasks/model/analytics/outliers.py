"""Outliers: robust spread, modified z, a unit's own history band; cross-section and own-history findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tasks.model.analytics.config import DEFAULT_CHANGE_BOUND, OUTLIER_THRESHOLD
from tasks.model.analytics.labels import SECTION_ZH, VALUE_UNITS, fmt_value

# Iglewicz & Hoaglin's modified z-score: M = 0.6745·(x − median)/MAD, outlier when |M| > 3.5.
MODIFIED_Z_FACTOR = 0.6745
# When MAD = 0 (more than half the values are equal) the score uses the mean absolute deviation
# from the median instead: M = (x − median)/(1.253314·MeanAD), 1.253314 = sqrt(π/2) being the
# ratio σ/MeanAD of a normal distribution (the fallback IBM SPSS and Iglewicz–Hoaglin use).
MEANAD_FACTOR = 1.253314
MIN_CROSS_SECTION = 3  # fewer schools than this: no median worth comparing against
MIN_HISTORY = 2  # earlier periods needed for an own-history band (≥ 3 periods with the current one)
HISTORY_PERIODS = 12  # the band looks at most this many earlier periods back


def median(xs: Sequence[float]) -> float:
    """The median (mean of the two middle values for an even count)."""
    if not xs:
        raise ValueError("median of no values")
    s = sorted(xs)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


@dataclass(frozen=True)
class Spread:
    """Centre (median) and spread of reference values; kind says which spread was usable."""

    center: float
    spread: float
    kind: str  # "mad" | "meanad" | "none" (every reference value equal)


def robust_spread(xs: Sequence[float]) -> Spread:
    """Median and MAD; the mean absolute deviation from the median when MAD = 0."""
    c = median(xs)
    dev = [abs(x - c) for x in xs]
    mad = median(dev)
    if mad > 0:
        return Spread(c, mad, "mad")
    meanad = sum(dev) / len(dev)
    if meanad > 0:
        return Spread(c, meanad, "meanad")
    return Spread(c, 0.0, "none")


def modified_z(x: float, s: Spread) -> float:
    """0.6745·(x − median)/MAD, or (x − median)/(1.253314·MeanAD) when MAD = 0; 0 when all equal."""
    if s.kind == "mad":
        return MODIFIED_Z_FACTOR * (x - s.center) / s.spread
    if s.kind == "meanad":
        return (x - s.center) / (MEANAD_FACTOR * s.spread)
    return 0.0


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    center: float
    spread: float
    kind: str  # "mad" | "meanad" | "bound"
    n_ref: int


def history_band(
    history: Sequence[float], *, threshold: float = OUTLIER_THRESHOLD, change_bound: float = DEFAULT_CHANGE_BOUND
) -> Band | None:
    """The unit's own normal range from its earlier periods: where |modified z| ≤ threshold.

    median ± threshold·MAD/0.6745 (or ± threshold·1.253314·MeanAD when MAD = 0), but never
    narrower than the period-over-period bound, median ± change_bound·|median|: two or three
    months of nearly equal values would otherwise make every ordinary change an outlier (and a
    constant history has no spread at all). None with fewer than MIN_HISTORY earlier periods.
    """
    if len(history) < MIN_HISTORY:
        return None
    s = robust_spread(history)
    floor = change_bound * abs(s.center)
    if s.kind == "mad":
        half, kind = threshold * s.spread / MODIFIED_Z_FACTOR, "mad"
    elif s.kind == "meanad":
        half, kind = threshold * MEANAD_FACTOR * s.spread, "meanad"
    else:
        half, kind = 0.0, "bound"
    if half < floor or kind == "bound":
        return Band(s.center - floor, s.center + floor, s.center, floor, "bound", len(history))
    return Band(s.center - half, s.center + half, s.center, s.spread, kind, len(history))


@dataclass(frozen=True)
class OutlierFinding:
    school_code: str
    section: str
    indicator_code: str
    method: str  # cross_section | own_history
    value: float
    center: float
    spread: float | None
    spread_kind: str
    score: float | None
    band_low: float | None
    band_high: float | None
    n_ref: int
    message: str


def cross_section_outliers(
    section: str, code: str, values: Mapping[str, float], *, threshold: float = OUTLIER_THRESHOLD
) -> list[OutlierFinding]:
    """Units whose |modified z| across the section's schools exceeds the threshold."""
    if len(values) < MIN_CROSS_SECTION:
        return []
    s = robust_spread(list(values.values()))
    out: list[OutlierFinding] = []
    for school, x in sorted(values.items()):
        z = modified_z(x, s)
        if abs(z) <= threshold:
            continue
        side = "高" if z > 0 else "低"
        basis = "" if s.kind == "mad" else "（过半学校数值相同，改用平均绝对偏差计算）"
        msg = (
            f"{SECTION_ZH.get(section, section)}{code} 本期为 {fmt_value(x, code)} {VALUE_UNITS.get(code, '')}，"
            f"明显{side}于全县同学段 {len(values)} 个学校单元的中位数 {fmt_value(s.center, code)}"
            f"（稳健 z 值 {z:.1f}，超过 ±{threshold:g}{basis}）。请核对报表是否填错"
            "（如万元与元、面积单位、学生数），数据属实的请说明原因。"
        )
        out.append(
            OutlierFinding(
                school, section, code, "cross_section", x, s.center, s.spread, s.kind, z, None, None, len(values), msg
            )
        )
    return out


def own_history_outlier(
    school: str,
    section: str,
    code: str,
    value: float,
    history: Sequence[float],
    *,
    threshold: float = OUTLIER_THRESHOLD,
    change_bound: float = DEFAULT_CHANGE_BOUND,
) -> OutlierFinding | None:
    """A finding when the value lies outside the unit's own history band (strictly)."""
    band = history_band(history, threshold=threshold, change_bound=change_bound)
    if band is None or band.low <= value <= band.high:
        return None
    how = {
        "mad": f"中位数 ±{threshold:g} 个稳健标准差",
        "meanad": f"中位数 ±{threshold:g} 个稳健标准差（按平均绝对偏差）",
        "bound": f"以往各期变化很小，按 ±{change_bound:.0%} 计",
    }[band.kind]
    msg = (
        f"{SECTION_ZH.get(section, section)}{code} 本期为 {fmt_value(value, code)} {VALUE_UNITS.get(code, '')}，"
        f"超出本校此前 {band.n_ref} 期的正常范围 {fmt_value(band.low, code)}～{fmt_value(band.high, code)}（{how}）。"
        "请核对是否填报有误，或说明变化原因。"
    )
    return OutlierFinding(
        school,
        section,
        code,
        "own_history",
        value,
        band.center,
        band.spread,
        band.kind,
        None,
        band.low,
        band.high,
        band.n_ref,
        msg,
    )
