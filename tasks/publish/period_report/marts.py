"""The analyst contract of the marts the period report reads: columns every mart must carry."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from junheng.errors import JunhengError
from warehouse.models import contract_columns, names

# The columns each mart must carry: its `contract` in sql/models.yml (extra columns are kept, in
# Parquet and where the report knows them, e.g. county_cv.n_missing).
MART_COLUMNS: dict[str, tuple[str, ...]] = {n: contract_columns(n) for n in names("marts") if contract_columns(n)}


def mart(marts: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """The mart, or an empty frame with the contract columns when the flow has none."""
    df = marts.get(name)
    cols = MART_COLUMNS[name]
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise JunhengError(
            f"数据集 {name} 缺少列：{'、'.join(missing)}",
            "检查指标计算步骤的输出是否符合数据集的列约定（sql/models.yml 中的 contract）",
        )
    return df
