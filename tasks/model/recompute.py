"""Judge a stored period again with the policy files as they are now (junheng recompute)."""

from __future__ import annotations

from datetime import datetime

from junheng.errors import ConfigError
from junheng.policy import rules_in_force
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.model.load import check_policy_run
from tasks.model.run import compute_period
from warehouse.engine import connected, init_warehouse, query_frame
from warehouse.load import sync_reference, sync_shared_reference
from warehouse.locks import lock_period


def recompute_period(
    url: str,
    period: str,
    cv_method: str,
    run_id: str,
    now: datetime | None = None,
    county_code: str = DEFAULT_COUNTY_CODE,
    *,
    private_in_school_rule: bool = False,
) -> dict[str, int]:
    """Judge a county's stored period again with the policy files as they are now (the rules in force for it).

    Loads nothing: the period's slices stay as they are; its thresholds, indicator models,
    scorecard and policy violations are rebuilt. Without this, a rule added later never
    re-judges an earlier period.
    """
    now = now or datetime.now().replace(microsecond=0)
    rules = rules_in_force(period)
    params: dict[str, object] = {"period": period, "county_code": county_code}
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            sync_shared_reference(conn, period, rules)
        with engine.begin() as conn:
            lock_period(conn, county_code, period)
            stored = query_frame(
                conn,
                "SELECT COUNT(*) AS n FROM audit.ingest_file "
                "WHERE county_code = :county_code AND period = :period AND status = 'loaded'",
                params,
            )
            if int(stored.iloc[0]["n"]) == 0:
                raise ConfigError(
                    f"报表期 {period} 没有已入库的报表（县级行政区划代码 {county_code}），无法重新计算",
                    "先用 junheng run 入库该期报表；多个县共用仓库时检查 --county-code",
                )
            sync_reference(conn, period, rules, county_code)
            compute_period(conn, period, cv_method, now, county_code, private_in_school_rule=private_in_school_rule)
            n = len(
                query_frame(
                    conn,
                    "SELECT 1 FROM core.fct_county_scorecard WHERE county_code = :county_code AND period = :period",
                    params,
                )
            )
    violations = check_policy_run(url, period, run_id, rules, county_code)
    return {"rules": len(rules), "scorecard_rows": n, "violations": violations}
