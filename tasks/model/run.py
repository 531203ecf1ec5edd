"""The model run of a county's period: the SQL indicator models, then analytics and the scorecard built on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.model.analytics import compute_analytics
from tasks.model.scorecard import compute_scorecard
from warehouse import schema as s
from warehouse.engine import run_model


def compute_period(
    conn: Connection, period: str, cv_method: str, computed_at: datetime, county_code: str = DEFAULT_COUNTY_CODE
) -> None:
    """Run the indicator models for the county's period (each replaces its (county, period) slice)."""
    params: dict[str, object] = {
        "period": period,
        "county_code": county_code,
        "cv_method": cv_method,
        "computed_at": computed_at,
    }
    run_model(conn, "indicators", "fct_school_indicator", s.fct_school_indicator, params)
    run_model(conn, "indicators", "fct_school_compliance", s.fct_school_compliance, params)
    run_model(conn, "indicators", "fct_county_indicator", s.fct_county_indicator, params)

    compute_analytics(conn, period, computed_at, county_code=county_code)
    compute_scorecard(conn, period, computed_at, county_code=county_code)
