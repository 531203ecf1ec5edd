"""What the county report shows, read once from the marts: CountyData and the plans over the CV limits."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import starmap
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from junheng.settings import DEFAULT_COUNTY_CODE, UnitCosts
from tasks.publish.cells import as_text, num
from tasks.publish.county_report.text import SECTIONS
from warehouse.engine import query_frame

# The per-school lines of the G checks (G3 rooms, G4 size, G5 classes, G9, G12), with the school's name
# and type: the schools behind a county-level failure.
_SCHOOL_RULES_SQL = """
SELECT r.school_code, r.section, r.indicator_code, r.measure, r.item, r.value, r.threshold, r.meets, r.note,
       u.school_name, u.school_type
FROM core.fct_school_rule AS r
LEFT JOIN (
    SELECT school_code, MAX(school_name) AS school_name, MAX(school_type) AS school_type
    FROM mart.school_units
    WHERE county_code = :county_code AND period = :period
    GROUP BY school_code
) AS u ON u.school_code = r.school_code
WHERE r.county_code = :county_code AND r.period = :period
"""


@dataclass
class PlanSummary:
    """The what-if plan of one CV above its limit (no steps when raising low units cannot lower it)."""

    section: str
    code: str
    cv: float
    limit: float
    steps: list[dict[str, object]]
    cv_after: float
    reached: bool


@dataclass
class CountyData:
    period: str
    county: str
    cv: pd.DataFrame  # mart.county_cv for every period up to this one (the trend)
    indicators: pd.DataFrame
    compliance: pd.DataFrame
    variance: pd.DataFrame
    outliers: pd.DataFrame
    remediation: pd.DataFrame
    contribution: pd.DataFrame
    issues: pd.DataFrame
    scorecard: pd.DataFrame = field(default_factory=pd.DataFrame)  # mart.county_scorecard of the period
    school_rules: pd.DataFrame = field(default_factory=pd.DataFrame)  # core.fct_school_rule + name and type
    unit_costs: UnitCosts = field(default_factory=UnitCosts)
    names: dict[str, str] = field(default_factory=dict)
    # Results derived from the frames above (plans, failures), kept by the frames' identity: a frame
    # replaced afterwards (tests do) is a new key.
    derived: dict[tuple[object, ...], object] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, name: str, *frames: pd.DataFrame) -> tuple[object, ...]:
        return (name, *(id(f) for f in frames))

    @property
    def periods(self) -> list[str]:
        return sorted(self.cv["period"].astype(str).unique()) if not self.cv.empty else [self.period]

    def cv_now(self) -> pd.DataFrame:
        return self.cv[self.cv["period"] == self.period]

    def sections(self) -> list[str]:
        present = {str(s) for s in self.indicators["section"].unique()} | {str(s) for s in self.cv_now()["section"]}
        return [s for s in SECTIONS if s in present]

    def threshold(self, section: str, code: str) -> tuple[float | None, float | None]:
        """The standard and its 85 % floor of an indicator (as the first unit of the period has them)."""
        key = self.memo("thresholds", self.indicators)
        if key not in self.derived:
            first = self.indicators.drop_duplicates(["section", "indicator_code"])
            self.derived[key] = {
                (str(r.section), str(r.indicator_code)): (num(r.threshold), num(r.floor)) for r in rows_of(first)
            }
        found: dict[tuple[str, str], tuple[float | None, float | None]] = self.derived[key]  # type: ignore[assignment]
        return found.get((section, code), (None, None))

    def school_label(self, code: str) -> str:
        return f"{self.names.get(code, '')}（{code}）"

    @property
    def has_data(self) -> bool:
        """False when no valid return reached the warehouse: then there is no verdict to give."""
        return not self.indicators.empty or not self.compliance.empty


def _mart(conn: Connection, name: str, where: str, params: dict[str, object]) -> pd.DataFrame:
    # name comes from the fixed list below, never from data; the values are bound parameters.
    return query_frame(conn, f"SELECT * FROM mart.{name} WHERE {where}", params)


def load_county_data(
    conn: Connection,
    period: str,
    county: str,
    county_code: str = DEFAULT_COUNTY_CODE,
    unit_costs: UnitCosts | None = None,
) -> CountyData:
    """Everything the county report shows, from the marts (the trend from every earlier period of
    the same county)."""
    p: dict[str, object] = {"period": period, "county_code": county_code}
    now = "county_code = :county_code AND period = :period"
    data = CountyData(
        period=period,
        county=county,
        cv=_mart(conn, "county_cv", "county_code = :county_code AND period <= :period", p),
        indicators=_mart(conn, "school_indicators", now, p),
        compliance=_mart(conn, "school_compliance", now, p),
        variance=_mart(conn, "variance_report", now, p),
        outliers=_mart(conn, "outliers", now, p),
        remediation=_mart(conn, "remediation", now, p),
        contribution=_mart(conn, "cv_contribution", now, p),
        issues=_mart(conn, "validation_issues", now, p),
        scorecard=_mart(conn, "county_scorecard", now, p),
        school_rules=query_frame(conn, _SCHOOL_RULES_SQL, p),
        unit_costs=unit_costs or UnitCosts(),
    )
    for df in (data.indicators, data.compliance):
        for code, name in zip(df["school_code"].tolist(), df["school_name"].tolist(), strict=True):
            data.names.setdefault(as_text(code), as_text(name))
    return data


def rows_of(df: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``df`` as named tuples, as ``df.itertuples(index=False)`` gives them, built from whole columns:
    pandas hands out the values of its Arrow-backed text columns one at a time, several times slower."""
    row = namedtuple("Row", [str(c) for c in df.columns], rename=True)  # type: ignore[misc]
    return starmap(row, zip(*(df[c].tolist() for c in df.columns), strict=True))


def plan_summaries(data: CountyData) -> list[PlanSummary]:
    """One plan per CV above its limit (also when raising units cannot reach it: no steps)."""
    key = data.memo("plans", data.cv, data.contribution)
    if key not in data.derived:
        data.derived[key] = _plan_summaries(data)
    return data.derived[key]  # type: ignore[return-value]


def _plan_summaries(data: CountyData) -> list[PlanSummary]:
    out: list[PlanSummary] = []
    c = data.contribution
    for r in rows_of(data.cv_now()):
        cv, limit = num(r.cv), num(r.cv_limit)
        if cv is None or limit is None or cv <= limit:
            continue
        rows = c[(c["section"] == r.section) & (c["indicator_code"] == r.indicator_code) & c["plan_step"].notna()]
        steps = rows.sort_values("plan_step").to_dict("records")
        after = num(steps[-1]["plan_cv_after"]) if steps else cv
        assert after is not None
        out.append(PlanSummary(str(r.section), str(r.indicator_code), cv, limit, steps, after, after <= limit))
    order = {s: i for i, s in enumerate(SECTIONS)}
    return sorted(out, key=lambda p: (order.get(p.section, 9), p.code))
