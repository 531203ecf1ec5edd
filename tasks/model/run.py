"""The model run of a county's period: every table model of sql/models.yml, in the order its
dependencies give, each replacing its (county, period) slice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from graphlib import TopologicalSorter

from sqlalchemy import Connection

from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.model.analytics.config import config_from_env
from tasks.model.analytics.persist import compute_analytics
from tasks.model.scorecard import compute_scorecard
from warehouse.engine import run_model
from warehouse.models import Model, models


@dataclass(frozen=True)
class ModelRun:
    """What one county's period run is computed with."""

    period: str
    county_code: str
    computed_at: datetime
    cv_method: str
    private_in_school_rule: bool

    def sql_params(self) -> dict[str, object]:
        return {
            "period": self.period,
            "county_code": self.county_code,
            "cv_method": self.cv_method,
            "computed_at": self.computed_at,
            "change_bound": config_from_env().change_bound,
        }


Step = Callable[[Connection, ModelRun], object]

# The Python steps that fill table models (a model's `python:` in the manifest names its step).
PYTHON_STEPS: dict[str, Step] = {
    "analytics": lambda conn, r: compute_analytics(conn, r.period, r.computed_at, county_code=r.county_code),
    "scorecard": lambda conn, r: compute_scorecard(
        conn, r.period, r.computed_at, county_code=r.county_code, private_in_school_rule=r.private_in_school_rule
    ),
}


def _step_of(m: Model) -> str:
    """A SQL model is its own step; models filled by one Python step share it."""
    return f"python:{m.python}" if m.python else m.name


def run_order(all_models: dict[str, Model] | None = None) -> list[str]:
    """The steps of a county's period run, each after the steps that fill the tables it reads.

    Views need no step (they read the tables as they are); a view a table model reads passes the
    dependency on to the tables behind it.
    """
    all_models = all_models if all_models is not None else models()

    def tables_behind(name: str) -> set[str]:
        m = all_models[name]
        if m.kind == "table":
            return {name}
        return set().union(*(tables_behind(d) for d in m.depends_on)) if m.depends_on else set()

    graph: dict[str, set[str]] = {}
    for m in all_models.values():
        if m.kind != "table" or m.slice != "county_period":
            continue
        step = _step_of(m)
        before = set().union(*(tables_behind(d) for d in m.depends_on)) if m.depends_on else set()
        graph.setdefault(step, set()).update(_step_of(all_models[t]) for t in before if _step_of(all_models[t]) != step)
    return list(TopologicalSorter(graph).static_order())


def compute_period(
    conn: Connection,
    period: str,
    cv_method: str,
    computed_at: datetime,
    county_code: str = DEFAULT_COUNTY_CODE,
    *,
    private_in_school_rule: bool = False,
) -> None:
    """Run the county's period: each table model replaces its (county, period) slice."""
    run = ModelRun(period, county_code, computed_at, cv_method, private_in_school_rule)
    params = run.sql_params()
    for step in run_order():
        if step.startswith("python:"):
            PYTHON_STEPS[step.removeprefix("python:")](conn, run)
        else:
            run_model(conn, step, params)
