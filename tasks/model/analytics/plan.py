"""The whole-unit plan: the fewest improvements, chosen greedily, that bring a county CV within its limit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tasks.model.analytics.contribution import Moments, UnitValue, mean_cv

# An exact need such as 4.2 × 500 / 100 − 20 = 1.0000000000000036 stays 1 (the same slack as the
# gap table, sql/analytics/fct_remediation.sql).
WHOLE_SLACK = 1e-6


def whole_need(resource: float, students: float, per_students: float, target: float) -> int:
    """The fewest whole units (teachers, rooms, m², 元) that bring resource × per_students / students to
    ``target`` or above: rounded up, then checked unrounded — adding it meets the target, one less does not."""
    raw = target * students / per_students - resource
    if raw <= WHOLE_SLACK:
        return 0
    n = math.ceil(raw - WHOLE_SLACK)
    while (resource + n) * per_students / students < target:
        n += 1
    while n > 0 and (resource + n - 1) * per_students / students >= target:
        n -= 1
    return n


@dataclass(frozen=True)
class PlanStep:
    step: int
    school_code: str
    from_value: float
    target: float
    need: float  # resource to add, in the indicator's own terms: (target − x)·P / per_students (whole: rounded up)
    cv_after: float
    value_after: float = 0.0  # the unit's value once ``need`` is added (≥ target; above it when need is whole)


@dataclass(frozen=True)
class Plan:
    cv_before: float | None
    limit: float
    steps: tuple[PlanStep, ...]
    cv_after: float | None
    reached: bool


def greedy_plan(
    units: Sequence[UnitValue],
    *,
    threshold: float | None,
    limit: float,
    per_students: float,
    max_steps: int = 100,
    whole: bool = False,
) -> Plan:
    """The fewest unit improvements, chosen greedily, that bring the CV within its limit.

    An improvement raises one unit's value to the target max(current mean, threshold): the county
    mean is what lowers dispersion, the threshold is what the school rule asks for anyway. Each
    step takes the improvement that lowers the CV most (ties: the lower school code); a unit is
    improved at most once. It stops when CV ≤ limit (compared unrounded), when no improvement
    lowers the CV (then only reducing the high values would help, which is not a plan), or after
    max_steps. Greedy is a heuristic: it is optimal for one step and near the fewest in practice.

    whole=True (units with a known resource): people, rooms, m² and 元 come whole, so a step adds
    whole_need(...) and the unit's value becomes (resource + need) × per_students / P, at or a little
    above the target; the CVs are those of the values actually reached.
    """
    weights = [u.weight for u in units]
    values = [u.value for u in units]
    _, cv = mean_cv(weights, values)
    cv_before = cv
    steps: list[PlanStep] = []
    improved: set[int] = set()
    while cv is not None and cv > limit and len(steps) < max_steps:
        moments = Moments(weights, values)  # O(n) once per step; each trial below is O(1)
        m = moments.mean
        target = m if threshold is None else max(m, threshold)
        best: tuple[float, str, int, float, float] | None = None
        for i, u in enumerate(units):
            if i in improved or values[i] >= target:
                continue
            if whole and u.resource is not None:
                need = float(whole_need(u.resource, u.students, per_students, target))
                reached = (u.resource + need) * per_students / u.students
            else:
                need, reached = (target - values[i]) * u.students / per_students, target
            c = moments.cv_replacing(i, reached)
            if c is None:
                continue
            if best is None or (c, u.school_code) < (best[0], best[1]):
                best = (c, u.school_code, i, need, reached)
        if best is None or best[0] >= cv:
            break
        c, code, i, need, reached = best
        steps.append(PlanStep(len(steps) + 1, code, values[i], target, need, c, reached))
        values[i] = reached
        improved.add(i)
        cv = c
    return Plan(cv_before, limit, tuple(steps), cv, cv is not None and cv <= limit)
