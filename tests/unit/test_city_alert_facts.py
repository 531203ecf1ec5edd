"""Which city alerts a period raises, from mart.county_progress rows written by hand (#15 item 5)."""

from __future__ import annotations

import pandas as pd

from tasks.notify.city_alerts import derive_city_alerts
from tests.fixtures.city import PLAN, A, B


def _rows(history: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    """(county, period, status, verdict) -> the mart's columns the alerts read."""
    names = {A: "澄江市", B: "易门县"}
    return pd.DataFrame(
        [
            {
                "county_code": c,
                "county_name": names[c],
                "period": p,
                "status": st,
                "verdict": v,
                "target_year": 2026,
                "status_reason": "理由",
            }
            for c, p, st, v in history
        ]
    )


def test_behind_again_after_a_month_without_data_is_not_newly_behind() -> None:
    """澄江市: 滞后 in 08, no data in 09, 滞后 in 10: the city knew since 08 — 10 raises no "转为滞后"
    (only 09's not-reported alert belongs to 09). 易门县: 按期推进 in 08, no data in 09, 滞后 in 10: newly behind."""
    rows = _rows(
        [
            (A, "2026-08", "滞后", "未达到"),
            (A, "2026-09", "本期未报送", None),
            (A, "2026-10", "滞后", "未达到"),
            (B, "2026-08", "按期推进", "未达到"),
            (B, "2026-09", "本期未报送", None),
            (B, "2026-10", "滞后", "未达到"),
        ]
    )
    facts = derive_city_alerts(PLAN, "2026-10", rows)
    assert [(f.rule, f.threshold) for f in facts] == [(f"city.behind.{B}", "按期推进")]
    assert [f.rule for f in derive_city_alerts(PLAN, "2026-09", rows)] == [f"city.missing.{A}", f"city.missing.{B}"]


def test_verdict_change_across_a_month_without_data() -> None:
    """易门县 未达到 in 08, no data in 09, 达到 in 10: the verdict changed (against 08, the last one known)."""
    rows = _rows(
        [(B, "2026-08", "按期推进", "未达到"), (B, "2026-09", "本期未报送", None), (B, "2026-10", "已达到", "达到")]
    )
    facts = derive_city_alerts(PLAN, "2026-10", rows)
    assert [(f.rule, f.value, f.threshold) for f in facts] == [(f"city.verdict.{B}", "达到", "未达到")]
