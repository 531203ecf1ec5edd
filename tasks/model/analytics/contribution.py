"""CV contribution and what-if: each unit's share of the county CV, and the CV with one value changed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class UnitValue:
    """One school unit in a county CV: weight is its students (weighted CV) or 1 (unweighted)."""

    school_code: str
    students: float
    value: float
    weight: float
    # The numerator in its own unit (teachers, m², 元, rooms), when known: plans then add whole amounts.
    resource: float | None = None


def mean_cv(weights: Sequence[float], values: Sequence[float]) -> tuple[float, float | None]:
    """Weighted mean and CV = sqrt(Σw(x − mean)²/Σw)/mean (None when the mean is not positive)."""
    total = sum(weights)
    m = sum(w * x for w, x in zip(weights, values, strict=True)) / total
    var = sum(w * (x - m) ** 2 for w, x in zip(weights, values, strict=True)) / total
    return m, (math.sqrt(var) / m if m > 0 else None)


def cv_with(units: Sequence[UnitValue], index: int, new_value: float) -> float | None:
    """The CV if unit ``index`` had ``new_value`` (everything else unchanged)."""
    values = [new_value if i == index else u.value for i, u in enumerate(units)]
    return mean_cv([u.weight for u in units], values)[1]


class Moments:
    """Σw, the weighted mean and the centred sums of one set of units: the CV with any one value
    replaced in O(1) instead of O(n), so what-ifs and plans stay linear in the number of units.

    Centred (Σw(x − m), Σw(x − m)²) rather than raw power sums (Σwx²): no cancellation, so the
    answers agree with ``mean_cv`` on the changed list to rounding."""

    def __init__(self, weights: Sequence[float], values: Sequence[float]) -> None:
        self.weights, self.values = weights, values
        self.total = sum(weights)
        self.mean = sum(w * x for w, x in zip(weights, values, strict=True)) / self.total
        dev = [x - self.mean for x in values]
        self.s1 = sum(w * d for w, d in zip(weights, dev, strict=True))  # 0 up to rounding
        self.s2 = sum(w * d * d for w, d in zip(weights, dev, strict=True))

    def cv(self) -> float | None:
        return math.sqrt(self.s2 / self.total) / self.mean if self.mean > 0 else None

    def cv_replacing(self, index: int, new_value: float) -> float | None:
        """The CV if value ``index`` were ``new_value``: Σ_j w_j(x'_j − m')² from the centred sums."""
        w, x = self.weights[index], self.values[index]
        dx, dy = x - self.mean, new_value - self.mean
        shift = w * (new_value - x) / self.total  # m' − m
        rest_s1 = self.s1 - w * dx  # Σ_{j≠i} w_j(x_j − m)
        rest_s2 = self.s2 - w * dx * dx
        s2 = rest_s2 - 2 * shift * rest_s1 + shift * shift * (self.total - w) + w * (dy - shift) ** 2
        m = self.mean + shift
        return math.sqrt(max(s2, 0.0) / self.total) / m if m > 0 else None


@dataclass(frozen=True)
class Contribution:
    school_code: str
    weight_share: float  # w_i / Σw
    contribution_share: float  # w_i(x_i − mean)² / Σ w(x − mean)²: its share of the variance
    cv_contribution: float | None  # contribution_share × CV (they add up to the CV)
    cv_if_mean: float | None  # CV if this unit were raised to the county mean (None when at/above it)
    cv_if_threshold: float | None  # CV if raised to the threshold (None when it already meets it)


def contributions(units: Sequence[UnitValue], threshold: float | None) -> list[Contribution]:
    """Each unit's share of the county CV and the CV if it alone reached the mean or the threshold."""
    weights = [u.weight for u in units]
    m, cv = mean_cv(weights, [u.value for u in units])
    total_w = sum(weights)
    sq = [u.weight * (u.value - m) ** 2 for u in units]
    total_sq = sum(sq)
    moments = Moments(weights, [u.value for u in units])
    out: list[Contribution] = []
    for i, u in enumerate(units):
        share = sq[i] / total_sq if total_sq > 0 else 0.0
        out.append(
            Contribution(
                school_code=u.school_code,
                weight_share=u.weight / total_w,
                contribution_share=share,
                cv_contribution=None if cv is None else share * cv,
                cv_if_mean=moments.cv_replacing(i, m) if u.value < m else None,
                cv_if_threshold=(
                    moments.cv_replacing(i, threshold) if threshold is not None and u.value < threshold else None
                ),
            )
        )
    return out
