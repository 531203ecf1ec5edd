"""The demo county's own return (县级报表): most items met, G14 short, Q5 not yet reviewed."""

from __future__ import annotations

from datetime import date
from typing import Any


def demo_county_return(period: str) -> dict[str, Any]:
    """A plausible county return for the demo: most items met, G14 short, Q5 not yet reviewed."""
    y, m = (int(x) for x in period.split("-"))
    reviewed = date(y, m, 20)
    values: dict[str, Any] = {
        "county_name": "演示县",
        "period": period,
        "reporter": "县教育局督导室",
        "submitted_on": reviewed,
        "g6_rate": 100,
        "g7_special_funding": 6500,
        "g8_teacher_pay": 98600,
        "g8_civil_pay": 97200,
        "g13_primary": 100,
        "g13_junior": 96.4,
        "g14_quota": 48.0,
        "g15_migrant": 91.2,
        "q1_retention": 97.8,
        "q2_disabled": 96.5,
        "q4_training": 5.2,
        "q9_level_chinese": "Ⅲ",
        "q9_diff_chinese": 0.11,
        "q9_level_math": "Ⅳ",
        "q9_diff_math": 0.13,
        "s1_recognition": 88.4,
        "l4_art_hires": 22.5,
    }
    values.update({f"v{i}_veto": "否" for i in range(1, 7)})
    reviews: dict[str, dict[str, Any]] = {}
    for code in ("g1", "g2", "g10", "q3", "q6", "q7", "q8"):
        values[f"{code}_review"] = "是"
        reviews[f"{code}_review"] = {"reviewer": "督学 李明", "reviewed_on": reviewed, "note": "佐证材料齐全"}
    values["reviews"] = reviews
    return values
