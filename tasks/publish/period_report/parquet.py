"""One Parquet file per mart, for analysts."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from junheng.errors import ConfigError
from tasks.publish.files import write_atomic

_MART_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def write_parquet(marts: Mapping[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name, df in marts.items():
        if not _MART_NAME.match(name):
            raise ConfigError(f"数据集名称 {name!r} 不能用作文件名", "只用小写字母、数字和下划线")
        buf = io.BytesIO()
        df.to_parquet(buf, engine="pyarrow", index=False)
        out[name] = write_atomic(folder / f"{name}.parquet", buf.getvalue())
    return out
