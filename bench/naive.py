"""The pipeline a user would write with the same packages: openpyxl per sheet, GX per file, to_sql per file."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from junheng import spec

# Header label -> code, per sheet: what a user would write as a rename dict.
RENAMES = {s.name: {f.label: f.code for f in s.fields} for s in spec.TABLE_SHEETS}
TABLE_NAMES = {s.name: f"naive_{spec.FRAME_OF_SHEET[s.name]}" for s in spec.TABLE_SHEETS}


def _label(header: str) -> str:
    """「教学及辅助用房面积（平方米）」→「教学及辅助用房面积」: the template prints units in brackets."""
    return str(header).split("（")[0].strip()


class NaivePipeline:
    """One workbook at a time: read each sheet, validate, append to the database."""

    def __init__(self, url: str) -> None:
        import great_expectations as gx
        import great_expectations.expectations as gxe

        for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
            logging.getLogger(name).setLevel(logging.WARNING)
        self.engine = sa.create_engine(url)
        self.context = gx.get_context(mode="ephemeral")
        source = self.context.data_sources.add_pandas("naive")
        self.batch_definition = source.add_dataframe_asset("classes").add_batch_definition_whole_dataframe("whole")
        # A small suite on the main table, as a user would start with.
        suite = gx.ExpectationSuite(name="naive_classes")
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="students"))
        suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="students", min_value=0, max_value=200))
        suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column="section", value_set=list(spec.SECTIONS)))
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="grade"))
        suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="migrant_students", min_value=0))
        self.suite = self.context.suites.add(suite)
        self.failed = 0
        self.stage_s = {"read": 0.0, "validate": 0.0, "load": 0.0}

    def process(self, path: Path) -> None:
        t0 = time.perf_counter()
        kv = pd.read_excel(path, sheet_name=spec.INFO.name, header=None, engine="openpyxl")
        labels = {f.label: f.code for f in spec.INFO.fields}
        info: dict[str, Any] = {"file_name": path.name}
        for label, value in zip(kv[0], kv[1], strict=True):
            if isinstance(label, str) and label.strip() in labels:
                info[labels[label.strip()]] = value
        frames: dict[str, pd.DataFrame] = {"naive_info": pd.DataFrame([info]).astype(str)}
        for sheet in spec.TABLE_SHEETS:
            df = pd.read_excel(path, sheet_name=sheet.name, engine="openpyxl")
            df = df.rename(columns=lambda h, s=sheet: RENAMES[s.name].get(_label(h), _label(h)))
            df["school_code"] = str(info.get("school_code"))
            df["period"] = str(info.get("period"))
            frames[TABLE_NAMES[sheet.name]] = df
        t1 = time.perf_counter()
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frames["naive_classes"]})
        if not batch.validate(self.suite).success:
            self.failed += 1
        t2 = time.perf_counter()
        with self.engine.begin() as conn:
            for name, df in frames.items():
                df.to_sql(name, conn, if_exists="append", index=False)
        t3 = time.perf_counter()
        self.stage_s["read"] += t1 - t0
        self.stage_s["validate"] += t2 - t1
        self.stage_s["load"] += t3 - t2

    def close(self) -> None:
        self.engine.dispose()


def run_naive(files: list[Path], url: str) -> dict[str, Any]:
    """Seconds for set-up and for the files, one after another."""
    t0 = time.perf_counter()
    pipe = NaivePipeline(url)
    t1 = time.perf_counter()
    for p in files:
        pipe.process(p)
    t2 = time.perf_counter()
    pipe.close()
    return {
        "setup_s": t1 - t0,
        "files_s": t2 - t1,
        "files": len(files),
        "failed_validation": pipe.failed,
        "stage_s": pipe.stage_s,
    }
