"""County totals of the remediation gaps: units short and whole resource needed, per section and indicator."""

from __future__ import annotations

import pandas as pd


def county_totals(remediation: pd.DataFrame) -> pd.DataFrame:
    """Per section and indicator: units short, whole resource needed to the threshold and the floor."""
    cols = [
        "section",
        "indicator_code",
        "resource_unit",
        "units",
        "units_below_floor",
        "need_to_threshold",
        "need_to_floor",
    ]
    if remediation.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    g = (
        remediation.assign(below=remediation["below_floor"].astype(bool))
        .groupby(["section", "indicator_code", "resource_unit"], sort=True)
        .agg(
            units=("school_code", "size"),
            units_below_floor=("below", "sum"),
            need_to_threshold=("need_to_threshold_whole", "sum"),
            need_to_floor=("need_to_floor_whole", "sum"),
        )
        .reset_index()
    )
    order = g["section"].map({"primary": 0, "junior": 1}).fillna(9)
    return g.assign(_o=order).sort_values(["_o", "indicator_code"], kind="stable")[cols].reset_index(drop=True)
