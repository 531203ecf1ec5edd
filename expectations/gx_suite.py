"""Great Expectations behind one module: suites generated from junheng.spec and the policy rules."""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pandas as pd

from expectations.checks_remote import Service, ServiceUnavailable
from expectations.messages import data_message, policy_message
from junheng import spec
from junheng.contract import Finding, ReturnBatch
from junheng.policy import INDICATOR_NAMES, Rule, period_start, rules_in_force

if TYPE_CHECKING:  # great_expectations is slow to import: only inside functions, when validating
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.datasource.fluent.pandas_datasource import PandasDatasource

# Helper columns added before validation (never part of the contract).
POS = "__pos"  # position in the validated frame: findings are looked up by it
SCHOOL_TYPE = "__school_type"  # info.school_type joined onto table rows by file_id (known types only)
SECTION = "__section"  # the row's section when it is one of the sheet's choices
# "<school type>|<section>" when both are known: one single-column set check. GX's pair set
# expectation iterates rows in Python, most of a validation's time.
TYPE_SECTION = "__type_section"
RAW = "{}__raw"  # reader's raw text of a value that failed to parse (already reported)
FRAC = "{}__frac"  # distance of an int field's value from the nearest whole number
# The value, or else the raw text the reader could not parse: "required" checks this column, so
# a value the reader already reported as unreadable is not reported again as missing (a column
# per field is cheaper in GX than a row condition per field).
GIVEN = "{}__given"
# Raw marker for a column the sheet lacks: the reader reports the missing header once, so the
# "required" check must not repeat it on every row.
COLUMN_ABSENT = "(列缺失)"
WHOLE_TOLERANCE = 1e-9  # Excel stores 45 as 45.0; float noise below this is still whole

TABLE_INDEX = ["file_id", "sheet", "row", POS]
INFO_INDEX = ["file_id", POS]
RESULT_FORMAT_BASE = {"result_format": "COMPLETE"}

POLICY_SHEET = "指标"  # derived figures (units, school size) have no cell of their own
SCOPE_FRAME = {"school_unit": "units", "class": "classes", "school": "schools"}
T = TypeVar("T")


# --------------------------------------------------------------------------- GX engine


class _Engine:
    """One ephemeral context per process; one dataframe asset per frame kind."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # GX logs its temporary Data Docs folder at INFO on every context (some of its loggers set
        # their own level, so the parent's level is not enough); that is not news to users.
        for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
            logging.getLogger(name).setLevel(logging.WARNING)
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source: PandasDatasource = self.context.data_sources.add_pandas("junheng")
        self.definitions: dict[str, BatchDefinition[Any]] = {}
        # Prefect may run tasks in threads; the context is not meant to be shared concurrently.
        self.lock = threading.Lock()

    def validate(
        self, asset: str, frame: pd.DataFrame, suite: ExpectationSuite, index: list[str]
    ) -> list[tuple[dict[str, Any], list[int]]]:
        """Per failed expectation its meta and the failing frame positions.

        Two passes: the whole suite for pass/fail only, then the failed expectations alone for their
        rows. GX's cost is per expectation and per metric (a suite has hundreds of expectations, a
        county's data a handful of failures), and the rows need several metrics more per expectation:
        the pass/fail pass costs about a third of a full one, the second is small."""
        with self.lock:
            if asset not in self.definitions:
                self.definitions[asset] = self.source.add_dataframe_asset(asset).add_batch_definition_whole_dataframe(
                    "whole"
                )
            batch = self.definitions[asset].get_batch(batch_parameters={"dataframe": frame})
            verdicts = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
            failing = [cfg for cfg in _checked(verdicts.results) if cfg is not None]
            if not failing:
                return []
            result = batch.validate(
                _suite_of(f"{suite.name}_failed", failing),
                result_format={**RESULT_FORMAT_BASE, "unexpected_index_column_names": index},
            )
        _checked(result.results)  # an expectation that breaks only when asked for its rows raises too
        failed: list[tuple[dict[str, Any], list[int]]] = []
        for r in result.results:
            cfg = r.expectation_config
            if cfg is None or r.success:
                continue
            rows = r.result.get("unexpected_index_list") or []
            failed.append((dict(cfg.meta or {}), [int(u[POS]) for u in rows]))
        return failed


def _checked(results: Iterable[Any]) -> list[Any]:
    """The configurations of the expectations that failed; a broken expectation raises."""
    out = []
    for r in results:
        cfg = r.expectation_config
        error = _raised(r.exception_info)
        if error:
            # A broken expectation is our bug (e.g. a column we failed to add), not the data's.
            raise RuntimeError(f"GX 期望 {cfg.type if cfg else ''} {cfg.meta if cfg else ''} 执行出错：{error}")
        if not r.success:
            out.append(cfg)
    return out


def _suite_of(name: str, configs: list[Any]) -> ExpectationSuite:
    """A suite of the given expectation configurations (the failed ones of a first pass)."""
    suite = _new_suite(name)
    for cfg in configs:
        suite.add_expectation(cfg.to_domain_obj())
    return suite


def _raised(info: Any) -> str:
    """The exception message GX recorded, if any (flat dict or keyed by metric id)."""
    if not isinstance(info, dict):
        return ""
    if "raised_exception" in info:
        return str(info.get("exception_message") or "") if info["raised_exception"] else ""
    for sub in info.values():
        msg = _raised(sub)
        if msg:
            return msg
    return ""


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()
# Held while suites are generated: a validation that starts while warm_up is still building them
# waits for them instead of building a second copy.
_SUITES_LOCK = threading.RLock()


def _engine() -> _Engine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


# --------------------------------------------------------------------------- suite generation


def _new_suite(name: str) -> ExpectationSuite:
    import great_expectations as gx

    _engine()  # GX binds suites to the active context: it must exist first
    return gx.ExpectationSuite(name=name)


def _data_suite(sheet: spec.Sheet, period: str) -> ExpectationSuite:
    """Every data rule of one sheet, generated from its spec fields (info gets the cross rules)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    suite = _new_suite(f"junheng_data_{spec.FRAME_OF_SHEET[sheet.name]}_{period}")

    def meta(rule: str, code: str, **extra: Any) -> dict[str, Any]:
        return {"rule": rule, "sheet": sheet.name, "column": code, **extra}

    def not_raw(code: str) -> Any:
        return Column(RAW.format(code)).is_null()

    for f in sheet.fields:
        c = f.code
        if f.required:
            suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=GIVEN.format(c), meta=meta("required", c)))
        if f.kind in ("int", "number"):
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, meta=meta("count.negative", c))
            )
        if f.kind == "int":
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeBetween(
                    column=FRAC.format(c), max_value=WHOLE_TOLERANCE, meta=meta("count.not_integer", c)
                )
            )
        if f.value_limit is not None:
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeBetween(
                    column=c, max_value=f.value_limit, meta=meta("number.out_of_range", c, limit=f.value_limit)
                )
            )
        if f.length_limit is not None:
            suite.add_expectation(
                gxe.ExpectColumnValueLengthsToBeBetween(
                    column=c, max_value=f.length_limit, meta=meta("text.too_long", c, limit=f.length_limit)
                )
            )
        if f.kind == "text":
            suite.add_expectation(
                gxe.ExpectColumnValuesToNotMatchRegex(
                    column=c, regex=spec.CONTROL_CHARACTERS, meta=meta("text.control_char", c)
                )
            )
        if f.at_most:
            suite.add_expectation(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=f.at_most,
                    column_B=c,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                    meta=meta("subcount.exceeds_total", c, total=f.at_most),
                )
            )
        if f.choices:
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(column=c, value_set=list(f.choices), meta=meta("enum.unknown", c))
            )
        if f.kind == "code10":
            suite.add_expectation(
                gxe.ExpectColumnValuesToMatchRegex(column=c, regex=r"^[0-9]{10}$", meta=meta("school_code.format", c))
            )
        if f.kind == "period":
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(
                    column=c, value_set=[period], meta=meta("period.mismatch", c, expected=period)
                )
            )

    if sheet is spec.INFO:
        suite.add_expectation(
            gxe.ExpectColumnValuesToNotBeNull(
                column="parent_school_code",
                row_condition=(Column("is_teaching_point") == "是") & not_raw("parent_school_code"),
                meta=meta("teaching_point.parent_missing", "parent_school_code"),
            )
        )
        suite.add_expectation(
            gxe.ExpectColumnValuesToNotBeNull(
                column="senior_students",
                row_condition=Column("school_type").is_in(spec.TYPES_WITH_SENIOR) & not_raw("senior_students"),
                meta=meta("senior.missing", "senior_students"),
            )
        )
    elif "section" in sheet.codes:
        # One set expectation over "type|section". The helper column is null unless type and
        # section are both known (an unknown one is already enum.unknown).
        choices = sheet.by_code("section").choices
        pairs = [_type_section(t, s) for t in spec.SCHOOL_TYPES for s in _allowed_sections(t, choices)]
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(
                column=TYPE_SECTION, value_set=pairs, meta=meta("section.not_allowed", "section")
            )
        )
    return suite


def _type_section(school_type: str, section: str) -> str:
    return f"{school_type}|{section}"


def _allowed_sections(school_type: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    shared = ("共用",) if "共用" in choices else ()
    return (*spec.TYPE_SECTIONS[school_type], *shared)


@lru_cache(maxsize=4)
def _data_suites(period: str) -> dict[str, ExpectationSuite]:
    """Data suites per frame name ("info", "classes", ...), cached per run period."""
    return {spec.FRAME_OF_SHEET[s.name]: _data_suite(s, period) for s in spec.SHEETS}


def _between(rule: Rule) -> dict[str, Any]:
    if rule.comparator in ("ge", "gt"):
        return {"min_value": rule.value, "strict_min": rule.comparator == "gt"}
    return {"max_value": rule.value, "strict_max": rule.comparator == "lt"}


def _rule_sort_key(r: Rule) -> tuple[Any, ...]:
    return (r.scope, r.code, r.section, r.school_types, r.valid_from, r.comparator, r.value)


# A policy rule is checked on a column of its own: the value where the rule applies (its indicator,
# section and school types), else empty. GX skips empty values, so the expectation needs no row
# condition. GX evaluated a row condition with DataFrame.query for every metric of every expectation:
# 170 queries for one county's check, about 60 % of its time (bench/README.md, session 6).
POLICY_VALUE = "__policy_{}"


def _policy_rules(rules: Iterable[Rule]) -> dict[str, list[tuple[str, Rule]]]:
    """Per frame ("units", "classes", "schools"), its value rules in order, each with the column it is checked on."""
    out: dict[str, list[tuple[str, Rule]]] = {}
    for r in rules:
        frame = SCOPE_FRAME.get(r.scope)
        if r.measure != "value" or frame is None:
            continue
        checked = out.setdefault(frame, [])
        checked.append((POLICY_VALUE.format(len(checked)), r))
    return out


def _applies(rule: Rule, frame: str, df: pd.DataFrame) -> pd.Series:
    """The rows of ``df`` (a frame of kind ``frame``) that ``rule`` applies to."""
    mask = pd.Series(True, index=df.index)
    if frame == "units":
        mask &= df["indicator_code"].eq(rule.code)
        if rule.section != "all":
            mask &= df["section"].eq(rule.section)
    elif frame == "classes" and rule.section != "all":
        mask &= df["section"].eq(spec.SECTION_LABELS[rule.section])
    if rule.school_types:
        mask &= df["school_type"].isin(rule.school_types)
    return mask


@lru_cache(maxsize=8)
def _policy_suites(rules: tuple[Rule, ...]) -> dict[str, ExpectationSuite]:
    """Policy suites per frame ("units", "classes", "schools") for value rules, rules sorted."""
    import great_expectations.expectations as gxe

    suites: dict[str, ExpectationSuite] = {}
    for frame, checked in _policy_rules(rules).items():
        suite = suites[frame] = _new_suite(f"junheng_policy_{frame}")
        for column, r in checked:
            value = "value" if frame == "units" else "students"
            sheet = spec.CLASSES.name if frame == "classes" else POLICY_SHEET
            meta = {
                "rule": r.code,
                "sheet": sheet,
                "column": value,
                "scope": r.scope,
                "section": r.section,
                "comparator": r.comparator,
                "threshold": r.value,
                "unit": r.unit,
                "school_types": list(r.school_types),
                "valid_from": r.valid_from.isoformat(),
                "source": r.source,
            }
            suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column=column, meta=meta, **_between(r)))
    return suites


def _applicable(period: str, rules: Iterable[Rule]) -> tuple[Rule, ...]:
    on = period_start(period)
    return tuple(
        sorted(
            (r for r in rules if r.in_force(on) and r.measure == "value" and r.scope in SCOPE_FRAME),
            key=_rule_sort_key,
        )
    )


def warm_up(period: str) -> None:
    """Pay GX's fixed costs ahead of the first validation: the import, the context, and the period's
    data and policy suites (the CLI runs this in a thread while Prefect starts and the files are read)."""
    with _SUITES_LOCK:
        _engine()
        _data_suites(period)
        _policy_suites(_applicable(period, rules_in_force(period)))


# --------------------------------------------------------------------------- the checks process

# GX's import alone takes seconds (it pulls in scipy, altair, SQLAlchemy …). A run can start a process
# for the checks at once: the import, the context and the period's suites are then paid on the
# machine's other core while the run starts Prefect and reads the returns, and validation and the
# policy check send their frames there. Only small inputs go (a county's pickle in milliseconds; a
# province's batch would double the run's memory): larger ones are checked here as before.
CHECKS_PROCESS_MAX_ROWS = 200_000
_CHECKS: ProcessPoolExecutor | None = None
_CHECKS_LOCK = threading.Lock()


def start_checks_process(period: str) -> None:
    """Start the checks process and have it load GX and build the period's suites (idempotent)."""
    global _CHECKS
    with _CHECKS_LOCK:
        if _CHECKS is None:
            # forkserver: nothing inherited from the run's threads (Prefect's), and the worker ends with
            # os._exit: a spawned one would finalize its interpreter (seconds with GX loaded) while the
            # run waits for it at exit.
            _CHECKS = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
            _CHECKS.submit(warm_up, period)


def _checks_process(rows: int) -> ProcessPoolExecutor | None:
    with _CHECKS_LOCK:
        return _CHECKS if rows <= CHECKS_PROCESS_MAX_ROWS else None


# The checks service (expectations.checks_service): like the checks process, but started once by
# `junheng server start` and kept running, so a run finds GX loaded and pays nothing to start it.
_SERVICE: Service | None = None


def use_checks_service(home: Path) -> bool:
    """Send the checks of small inputs to the checks service under the Prefect home ``home`` when one runs
    there with this code (expectations.checks_remote); True when it does."""
    global _SERVICE
    service = Service.find(home)
    with _CHECKS_LOCK:
        _SERVICE = service
    return service is not None


def _checks_service(rows: int) -> Service | None:
    with _CHECKS_LOCK:
        return _SERVICE if rows <= CHECKS_PROCESS_MAX_ROWS else None


def _forget_checks_service() -> None:
    global _SERVICE
    with _CHECKS_LOCK:
        _SERVICE = None


def _elsewhere(rows: int, name: str, here: Callable[..., T], *args: Any) -> T:
    """``here(*args)`` where it is cheapest: the checks service, else the checks process, else this process.
    Small inputs only go elsewhere (a county's pickle takes milliseconds; a province's batch would double
    the run's memory). Whichever has gone (stopped, killed, out of memory) is forgotten for the run."""
    service = _checks_service(rows)
    if service is not None:
        try:
            return cast(T, service.call(name, *args))
        except ServiceUnavailable:
            _forget_checks_service()
    pool = _checks_process(rows)
    if pool is not None:
        try:
            return pool.submit(here, *args).result()
        except BrokenProcessPool:
            _forget_checks_process()
    return here(*args)


def _forget_checks_process() -> None:
    global _CHECKS
    with _CHECKS_LOCK:
        pool, _CHECKS = _CHECKS, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def suite_json(period: str) -> dict[str, Any]:
    """The generated suites of a period as JSON dicts, by suite name (deterministic order)."""
    policy = _policy_suites(_applicable(period, rules_in_force(period)))
    suites = [*_data_suites(period).values(), *policy.values()]
    return {s.name: s.to_json_dict() for s in suites}


# --------------------------------------------------------------------------- data errors


def _show(v: Any) -> str:
    """A found value as the user typed it, as far as we can tell ("" when empty); a control character
    shows as � (it cannot be printed, and PostgreSQL cannot store NUL)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else str(float(v))
    return _CONTROL.sub("\ufffd", str(v))


_CONTROL = re.compile(spec.CONTROL_CHARACTERS)


def _text_column(s: pd.Series) -> pd.Series:
    """Text as str dtype; a code stored as a number (1234567890.0) becomes its digits.

    A blank cell that reached us as "" or spaces counts as empty, so "required" still sees it.
    """

    def one(v: Any) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        text = str(v)
        return text if text.strip() else None

    # Raw text columns are empty for almost every row (only values that failed to parse keep one):
    # convert just the filled cells.
    filled = s.notna().to_numpy()
    out = pd.Series([None] * len(s), index=s.index, dtype="str")
    if filled.any():
        out[filled] = pd.Series([one(v) for v in s[filled]], index=s.index[filled], dtype="str")
    return out


def _sections_by_file(frame: pd.DataFrame | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    if frame is None or "file_id" not in frame.columns:
        return out
    sections = frame["section"] if "section" in frame.columns else pd.Series([None] * len(frame))
    for fid, section in zip(frame["file_id"], sections, strict=True):
        out.setdefault(str(fid), set())
        if isinstance(section, str):
            out[str(fid)].add(section)
    return out


def _prepare(
    sheet: spec.Sheet,
    frame: pd.DataFrame,
    school_types: pd.Series | None,
    columns: dict[tuple[str, str], dict[str, str]] | None = None,
) -> pd.DataFrame:
    """The frame as the suite expects it: every spec column, typed, plus the helper columns.

    ``columns`` (ReturnBatch.columns) tells which files' sheets lack a header altogether; their
    rows get the COLUMN_ABSENT raw marker, since concatenation left NaN there for every row.
    """
    df = frame.reset_index(drop=True)
    mapped = {fid: codes for (fid, name), codes in (columns or {}).items() if name == sheet.name}
    file_ids = df["file_id"].astype("str") if "file_id" in df.columns else pd.Series([""] * len(df))
    extra: dict[str, pd.Series] = {}
    for f in sheet.fields:
        c, raw = f.code, RAW.format(f.code)
        if c not in df.columns:
            extra[c] = pd.Series([None] * len(df), dtype="float64" if f.kind in ("int", "number") else "str")
            extra[raw] = pd.Series([COLUMN_ABSENT] * len(df), dtype="str")
            col = extra[c]
        else:
            col = df[c]
            if raw not in df.columns:
                extra[raw] = pd.Series([None] * len(df), dtype="str")
            else:
                extra[raw] = _text_column(df[raw])
            absent = file_ids.isin([fid for fid, codes in mapped.items() if c not in codes])
            if absent.any():
                extra[raw] = extra[raw].where(~absent, COLUMN_ABSENT)
        if f.kind in ("int", "number"):
            num = pd.to_numeric(col, errors="coerce").astype("float64")
            lost = num.isna() & col.notna()
            if lost.any():
                # Text left in a number column: the reader owns that message; don't call it empty.
                extra[raw] = extra[raw].where(~lost, col.astype("str"))
            extra[c] = num
            if f.kind == "int":
                extra[FRAC.format(c)] = (num - num.round()).abs()
        elif c in df.columns:
            extra[c] = _text_column(col)
        if f.required:
            extra[GIVEN.format(c)] = extra[c].astype("object").where(extra[c].notna(), extra[raw])
    if school_types is not None:
        types = _text_column(df["file_id"].map(school_types))
        extra[SCHOOL_TYPE] = types.where(types.isin(spec.SCHOOL_TYPES), None)
        if "section" in sheet.codes:
            extra[SECTION] = extra["section"].where(extra["section"].isin(sheet.by_code("section").choices), None)
            both = extra[SCHOOL_TYPE].notna() & extra[SECTION].notna()
            extra[TYPE_SECTION] = (extra[SCHOOL_TYPE] + "|" + extra[SECTION]).where(both, None)
    if sheet is not spec.INFO:
        extra["sheet"] = (
            _text_column(df["sheet"]) if "sheet" in df.columns else pd.Series([sheet.name] * len(df), dtype="str")
        )
    extra[POS] = pd.Series(range(len(df)), dtype="int64")
    keep = [c for c in df.columns if c not in extra]
    return pd.concat([df[keep], pd.DataFrame(extra)], axis=1)


@dataclass
class _Locator:
    """Turns a failing frame position into a located Finding."""

    batch: ReturnBatch
    school_codes: dict[str, str | None]
    order: dict[str, int]
    findings: list[tuple[tuple[Any, ...], Finding]] = field(default_factory=list)

    def add(
        self,
        sheet: spec.Sheet,
        row: pd.Series | None,
        file_id: str,
        code: str,
        rule: str,
        value: Any,
        message: str,
        section: Any = None,
    ) -> None:
        excel_row = None
        if row is not None and sheet is not spec.INFO and "row" in row.index and pd.notna(row["row"]):
            excel_row = int(row["row"])
        cell = self.batch.cell(file_id, sheet.name, code, excel_row) if code else ""
        sec = spec.SECTION_CODES.get(section) if isinstance(section, str) else None
        finding = Finding(
            file_id=file_id,
            file_name=self.batch.file_name(file_id),
            sheet=sheet.name,
            cell=cell,
            rule=rule,
            severity="error",
            value=_show(value),
            message=message,
            school_code=self.school_codes.get(file_id),
            section=sec,
        )
        codes = sheet.codes
        key = (
            self.order.get(file_id, len(self.order)),
            spec.SHEETS.index(sheet),
            excel_row or 0,
            codes.index(code) if code in codes else -1,
            rule,
        )
        self.findings.append((key, finding))


def _data_message(sheet: spec.Sheet, meta: dict[str, Any], row: pd.Series) -> tuple[str, Any]:
    rule, code = meta["rule"], meta["column"]
    f = sheet.by_code(code)
    value = row[code]
    raw_label = f.label
    if rule == "subcount.exceeds_total":
        total = sheet.by_code(meta["total"])
        msg = data_message(
            rule, label=raw_label, value=_show(value), total_label=total.label, total=_show(row[total.code])
        )
    elif rule == "enum.unknown":
        msg = data_message(rule, label=raw_label, value=_show(value), choices="、".join(f.choices))
    elif rule == "period.mismatch":
        msg = data_message(rule, label=raw_label, value=_show(value), expected=meta["expected"])
    elif rule == "teaching_point.parent_missing":
        msg = data_message(rule, label=raw_label, flag_label=spec.INFO.by_code("is_teaching_point").label)
    elif rule == "senior.missing":
        msg = data_message(rule, label=raw_label, school_type=_show(row["school_type"]))
    elif rule == "number.out_of_range":
        msg = data_message(rule, label=raw_label, value=_show(value), limit=f"{float(meta['limit']):,.0f}")
    elif rule == "text.too_long":
        msg = data_message(rule, label=raw_label, length=len(str(value)), limit=meta["limit"])
    elif rule == "section.not_allowed":
        school_type = str(row[SCHOOL_TYPE])
        allowed = _allowed_sections(school_type, f.choices)
        msg = data_message(
            rule, label=raw_label, value=_show(value), school_type=school_type, allowed="、".join(allowed)
        )
    else:
        msg = data_message(rule, label=raw_label, value=_show(value))
    return msg, value


def _missing_rows(batch: ReturnBatch, info: pd.DataFrame, loc: _Locator) -> None:
    """Rows a school must send: a class row at all, a teachers row per section it has classes in.

    Plain pandas, not GX: "a row that is absent" has no row for an expectation to fail on.
    """
    class_sections = _sections_by_file(batch.frames.get("classes"))
    teacher_sections = _sections_by_file(batch.frames.get("teachers"))
    reported = {(f.file_id, f.sheet) for f in batch.findings}  # the reader said it already
    types = info["school_type"] if "school_type" in info.columns else pd.Series([None] * len(info))
    for fid, school_type in zip(info["file_id"].astype("str"), types, strict=True):
        if fid not in class_sections:
            if (fid, spec.CLASSES.name) not in reported:
                loc.add(spec.CLASSES, None, fid, "", "classes.missing", None, data_message("classes.missing"))
            continue
        if (fid, spec.TEACHERS.name) in reported:
            continue
        allowed = spec.TYPE_SECTIONS.get(school_type, spec.SECTIONS) if isinstance(school_type, str) else spec.SECTIONS
        have = teacher_sections.get(fid, set())
        for section in spec.SECTIONS:
            if section in class_sections[fid] and section in allowed and section not in have:
                loc.add(
                    spec.TEACHERS,
                    None,
                    fid,
                    "",
                    "teachers.missing",
                    None,
                    data_message("teachers.missing", section=section),
                    section=section,
                )


def validate_returns(batch: ReturnBatch, period: str) -> list[Finding]:
    """Data errors of a run's returns: one GX validation per sheet kind over all files (in the checks
    service or process when the run found or started one and the batch is small, else here)."""
    rows = sum(len(f) for f in [batch.info, *batch.frames.values()] if f is not None)
    return _elsewhere(rows, "validate_returns", _validate_returns_here, batch, period)


def _validate_returns_here(batch: ReturnBatch, period: str) -> list[Finding]:
    info = batch.info
    frames = {s.name: batch.frames.get(spec.FRAME_OF_SHEET[s.name]) for s in spec.TABLE_SHEETS}
    if (info is None or info.empty) and all(f is None or f.empty for f in frames.values()):
        return []
    if info is None or "file_id" not in info.columns:
        info = pd.DataFrame(columns=["file_id"])
    school_codes: dict[str, str | None] = {}
    if "school_code" in info.columns:
        for fid, code in zip(info["file_id"], _text_column(info["school_code"]), strict=True):
            school_codes[fid] = code if isinstance(code, str) else None
    school_types = (
        info.drop_duplicates("file_id").set_index("file_id")["school_type"]
        if "school_type" in info.columns
        else pd.Series(dtype="str")
    )
    order = {fid: i for i, fid in enumerate(info["file_id"])}
    for f in batch.files:
        order.setdefault(f.file_id, len(order))
    loc = _Locator(batch, school_codes, order)

    jobs: list[tuple[spec.Sheet, pd.DataFrame]] = []
    if not info.empty:
        jobs.append((spec.INFO, _prepare(spec.INFO, info, None)))
    for sheet in spec.TABLE_SHEETS:
        frame = frames[sheet.name]
        if frame is not None and not frame.empty:
            jobs.append((sheet, _prepare(sheet, frame, school_types, batch.columns)))
    outcomes = _validated(
        [
            ("data", period, spec.FRAME_OF_SHEET[sheet.name], df, INFO_INDEX if sheet is spec.INFO else TABLE_INDEX)
            for sheet, df in jobs
        ]
    )
    for (sheet, df), failed in zip(jobs, outcomes, strict=True):
        for meta, positions in failed:
            for pos in positions:
                row = df.iloc[pos]
                msg, value = _data_message(sheet, meta, row)
                loc.add(
                    sheet,
                    row,
                    str(row["file_id"]),
                    meta["column"],
                    meta["rule"],
                    value,
                    msg,
                    section=row.get("section") if sheet is not spec.INFO else None,
                )
    if not info.empty:
        _missing_rows(batch, info, loc)
    return [f for _, f in sorted(loc.findings, key=lambda kf: kf[0])]


# One GX validation of a run: a frame against a generated suite, named by its kind ("data", keyed by the
# period; "policy", keyed by the applicable rules) and frame name. Only the key travels to a sheet
# process, which builds (and caches) the suite itself.
Job = tuple[str, Any, str, pd.DataFrame, list[str]]
Failed = list[tuple[dict[str, Any], list[int]]]


def _validate_job(
    kind: str, key: Any, name: str, frame: pd.DataFrame, index: list[str], part: int = 0, parts: int = 1
) -> Failed:
    """A job's failed expectations as _Engine.validate gives them; with ``parts``, those of every parts-th of
    the suite's expectations only, from the part-th on."""
    with _SUITES_LOCK:
        suite = _suite_part(kind, key, name, part, parts)
    return _engine().validate(f"{kind}_{name}", frame, suite, index)


@lru_cache(maxsize=128)
def _suite_part(kind: str, key: Any, name: str, part: int, parts: int) -> ExpectationSuite:
    whole = (_data_suites(key) if kind == "data" else _policy_suites(key))[name]
    if parts == 1:
        return whole
    return _suite_of(f"{whole.name}_{part + 1}of{parts}", [e.configuration for e in whole.expectations[part::parts]])


# The checks service spreads a run's validations over processes of its own, each with GX loaded
# (validate_in_processes): the run waits idle meanwhile, so the machine's second core is free.
_POOL: ProcessPoolExecutor | None = None
_POOL_PROCESSES = 1


def _pool_process_start(parent: int, periods: list[str], parts: int) -> None:
    """A validation process's start: end it when ``parent``, the process that started it, has gone (the
    service killed with SIGKILL, or out of memory: nothing else would, and each holds GX's few hundred MB),
    even before it got here; then warm up, the suites' parts included."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="junheng-validation-process-watch", daemon=True).start()
    for period in periods:
        try:
            warm_up(period)
            applicable = _applicable(period, rules_in_force(period))
            for kind, key, names in (
                ("data", period, _data_suites(period)),
                ("policy", applicable, _policy_suites(applicable)),
            ):
                for name in names:
                    for part in range(parts):
                        _suite_part(kind, key, name, part, parts)
        except Exception:  # noqa: S110 - a broken policy file: the validation that needs it raises the error
            pass


def validate_in_processes(workers: int, periods: list[str]) -> None:
    """Run each later call's validations in ``workers`` processes, started now and warmed up for ``periods``."""
    global _POOL, _POOL_PROCESSES
    pool = ProcessPoolExecutor(
        max_workers=workers,
        # spawn: children of this process itself (a forkserver's would not notice that this one died)
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_pool_process_start,
        initargs=(os.getpid(), periods, workers),
    )
    for _ in range(workers):  # each submission while the others are busy starting starts one more process
        pool.submit(int)
    with _CHECKS_LOCK:
        _POOL, _POOL_PROCESSES = pool, workers


def _validated(jobs: list[Job]) -> list[Failed]:
    """_validate_job of each job, in order: in the validation processes when there are some, else here."""
    global _POOL
    with _CHECKS_LOCK:
        pool, parts = _POOL, _POOL_PROCESSES
    if pool is not None:
        # Each suite's expectations in as many parts as there are processes: the teachers' sheet alone has 61
        # of 164, so whole suites would leave one process waiting for the other. The widest frames first, so
        # the last part to finish is a small one. The findings' order does not depend on which part found
        # them (both callers sort them by where they are and by rule).
        widest = sorted(range(len(jobs)), key=lambda i: -jobs[i][3].shape[1])
        try:
            futures = {(i, k): pool.submit(_validate_job, *jobs[i], k, parts) for i in widest for k in range(parts)}
            return [[failed for k in range(parts) for failed in futures[i, k].result()] for i in range(len(jobs))]
        except BrokenProcessPool:  # a validation process died (killed, out of memory): validate here from now on
            with _CHECKS_LOCK:
                _POOL = None
    return [_validate_job(*job) for job in jobs]


# --------------------------------------------------------------------------- policy violations


def _fmt_number(x: float, threshold: float) -> str:
    """Two decimals normally, more when rounding would make a failing value look like the threshold."""
    for digits in range(2, 7):
        s = f"{x:.{digits}f}".rstrip("0").rstrip(".")
        if float(s) != threshold or x == threshold:
            return s
    return str(float(x))


def _grouped(shown: str) -> str:
    """A shown number with thousands separators in its whole part ("2093" → "2,093", "2093.5" → "2,093.5")."""
    whole, dot, frac = shown.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    return f"{sign}{int(digits):,}{dot}{frac}" if digits.isdigit() else shown


def _lookup(frames: Iterable[pd.DataFrame], column: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for df in frames:
        if column in df.columns and "file_id" in df.columns:
            for fid, v in zip(df["file_id"], df[column], strict=True):
                if isinstance(v, str) and v:
                    out.setdefault(str(fid), v)
    return out


def check_policy(
    period: str, rules: list[Rule], units: pd.DataFrame, classes: pd.DataFrame, schools: pd.DataFrame
) -> list[Finding]:
    """Policy violations (never rejections) of the value rules in force for the period (in the checks
    service or process when the run found or started one and the frames are small, else here); see
    _check_policy_here."""
    rows = sum(len(f) for f in (units, classes, schools) if f is not None)
    return _elsewhere(rows, "check_policy", _check_policy_here, period, rules, units, classes, schools)


def _check_policy_here(
    period: str, rules: list[Rule], units: pd.DataFrame, classes: pd.DataFrame, schools: pd.DataFrame
) -> list[Finding]:
    """Policy violations (never rejections) of the value rules in force for the period.

    ``units``: file_id, file_name, school_code, section (primary/junior), indicator_code, value.
    ``classes``: file_id, sheet, row, section (小学/初中), students; optional cell (A1 of 学生数),
    grade, class_name, file_name, school_code. ``schools``: file_id, file_name, school_code,
    school_type, students (compulsory enrollment).
    """
    applicable = _applicable(period, rules)
    frames = {"units": units, "classes": classes, "schools": schools}
    if not applicable or all(df is None or df.empty for df in frames.values()):
        return []
    checked_on = _policy_rules(applicable)  # per frame with a suite, its rules
    present = [df for df in frames.values() if df is not None]
    names, codes = _lookup(present, "file_name"), _lookup(present, "school_code")
    jobs: list[Job] = []
    for name, df in frames.items():
        if name not in checked_on or df is None or df.empty:
            continue
        df = df.reset_index(drop=True)
        column = "value" if name == "units" else "students"
        prepared = df.assign(
            **{column: pd.to_numeric(df[column], errors="coerce").astype("float64"), POS: range(len(df))}
        )
        prepared = prepared.assign(
            **{checked: prepared[column].where(_applies(rule, name, prepared)) for checked, rule in checked_on[name]}
        )
        index = [c for c in ("file_id", "sheet", "row") if c in df.columns] + [POS]
        jobs.append(("policy", applicable, name, prepared, index))
    out: list[tuple[tuple[Any, ...], Finding]] = []
    for (_, _, name, prepared, _), failed in zip(jobs, _validated(jobs), strict=True):
        for meta, positions in failed:
            for pos in positions:
                out.append(_violation(name, meta, prepared.iloc[pos], names, codes))
    out.sort(key=lambda kf: kf[0])
    return [f for _, f in out]


def _violation(
    frame: str, meta: dict[str, Any], row: pd.Series, names: dict[str, Any], codes: dict[str, Any]
) -> tuple[tuple[Any, ...], Finding]:
    fid = str(row["file_id"])
    threshold = float(meta["threshold"])
    value = float(row[meta["column"]])
    shown = _fmt_number(value, threshold)
    th = _fmt_number(threshold, threshold)
    code, comparator = meta["rule"], meta["comparator"]
    section: str | None = None
    sheet, cell = meta["sheet"], ""
    exceeds = comparator in ("le", "lt")
    if frame == "units":
        section = str(row["section"])
        msg = policy_message(
            f"value.{comparator}",
            section=spec.SECTION_LABELS.get(section, ""),
            indicator=INDICATOR_NAMES.get(code, code),
            value=shown,
            threshold=th,
        )
    elif frame == "classes":
        label = str(row["section"])
        section = spec.SECTION_CODES.get(label)
        sheet = str(row["sheet"]) if "sheet" in row.index and isinstance(row["sheet"], str) else sheet
        cell = str(row["cell"]) if "cell" in row.index and isinstance(row["cell"], str) else ""
        name = "".join(_show(row.get(c)) for c in ("grade", "class_name"))
        klass = f"班级「{name}」" if name else f"第 {_show(row.get('row'))} 行的班级"
        msg = (
            policy_message("G5", section=label, klass=klass, value=shown, threshold=th)
            if exceeds
            else policy_message(
                f"value.{comparator}",
                section=label,
                indicator=INDICATOR_NAMES.get(code, code),
                value=shown,
                threshold=th,
            )
        )
    else:
        school_type = _show(row.get("school_type"))
        msg = (
            policy_message("G4", school_type=school_type, value=_grouped(shown), threshold=_grouped(th))
            if exceeds
            else policy_message(
                f"value.{comparator}", section="", indicator=INDICATOR_NAMES.get(code, code), value=shown, threshold=th
            )
        )
    file_name = row["file_name"] if isinstance(row.get("file_name"), str) else names.get(fid, fid)
    school_code = row["school_code"] if isinstance(row.get("school_code"), str) else codes.get(fid)
    finding = Finding(
        file_id=fid,
        file_name=file_name,
        sheet=sheet,
        cell=cell,
        rule=code,
        severity="violation",
        value=shown,
        message=msg,
        school_code=school_code,
        section=section,
    )
    excel_row = int(row["row"]) if "row" in row.index and pd.notna(row["row"]) else 0
    # Two rules of one code can fail on the same row (an overlay beside the national rule): the rule's own
    # sort key (_rule_sort_key) orders them, whichever part of a split suite found them.
    rule = (meta["section"], tuple(meta["school_types"]), meta["valid_from"], comparator, threshold)
    return (file_name, fid, frame, code, section or "", excel_row, *rule), finding


# --------------------------------------------------------------------------- school-level G rules

SCHOOL_RULE_CODES = ("G3", "G9", "G12")  # judged per school in core.fct_school_rule; G4 and G5 above
ROOMS_SHEET = spec.ROOMS.name
TEACHERS_SHEET = spec.TEACHERS.name
# Where the template puts a room's 使用面积: the feedback finds the school's own column from its header.
_AREA_COLUMN = spec.ROOMS.codes.index("area_m2") + 1  # 1-based


def _whole(x: Any) -> float | None:
    v = pd.to_numeric(x, errors="coerce")
    return None if pd.isna(v) else float(v)


def _people(x: float) -> str:
    return f"{x:,.0f}"


def smallest_whole_to_rate(part: float, whole: float, threshold: float) -> int:
    """The fewest more people n with (part + n) × 100 / whole reaching ``threshold`` %, checked both ways
    (multiplied before dividing, as the indicator is computed)."""
    n = max(0, math.ceil(whole * threshold / 100.0 - part))
    while (part + n) * 100.0 / whole < threshold:
        n += 1
    while n > 0 and (part + n - 1) * 100.0 / whole >= threshold:
        n -= 1
    return n


def school_rule_violations(rules: list[Rule], failing: pd.DataFrame, small_rooms: pd.DataFrame) -> list[Finding]:
    """Violations of the school-level G3, G9 and G12 rules, one per failing line of core.fct_school_rule
    (G3 rooms per room type, G9, G12) and one per room below its area (G3 area), so that the school is told
    what the county report says of it. Plain pandas, not GX: the rules were judged when the period was
    computed (tasks/model/indicators_g.py), and the county report names the schools from the same rows.

    ``failing``: file_id, file_name, school_code, indicator_code, measure, item, value, threshold (rows of
    core.fct_school_rule that do not meet their rule) and the school's classes, teachers,
    trained_360h_teachers, certified_teachers. ``small_rooms``: file_id, file_name, school_code, sheet, row,
    room_type, room_name, area_m2, threshold (rooms below the area of a failing G3 area line).
    """
    per_room = {r.item: r.value for r in rules if r.code == "G3" and r.measure == "rooms"}
    min_area = {r.item: r.value for r in rules if r.code == "G3" and r.measure == "area"}
    out: list[tuple[tuple[Any, ...], Finding]] = []

    def add(rec: dict[str, Any], key: tuple[Any, ...], sheet: str, cell: str, code: str, value: str, msg: str) -> None:
        fid = str(rec["file_id"])
        file_name = rec["file_name"] if isinstance(rec.get("file_name"), str) else fid
        school_code = rec["school_code"] if isinstance(rec.get("school_code"), str) else None
        finding = Finding(
            file_id=fid,
            file_name=file_name,
            sheet=sheet,
            cell=cell,
            rule=code,
            severity="violation",
            value=value,
            message=msg,
            school_code=school_code,
            section=None,
        )
        out.append(((file_name, fid, code, *key), finding))

    for rec in failing.to_dict("records") if failing is not None else []:
        code, measure, item = str(rec["indicator_code"]), str(rec["measure"]), str(rec.get("item") or "")
        if not isinstance(rec.get("file_id"), str) or code not in SCHOOL_RULE_CODES:
            continue
        value, threshold = _whole(rec.get("value")), _whole(rec.get("threshold"))
        if value is None or threshold is None:
            continue
        if code == "G3" and measure == "rooms":
            classes, per = _whole(rec.get("classes")), per_room.get(item)
            if classes is None or per is None:
                continue
            area = min_area.get(item)
            msg = policy_message(
                "G3.rooms",
                classes=_people(classes),
                per=f"{per:g}",
                item=item,
                need=_people(threshold),
                have=_people(value),
                add=_people(threshold - value),
                size=f"（每间使用面积不小于 {area:g} 平方米）" if area is not None else "",
            )
            add(
                rec,
                (0, spec.ROOM_TYPES.index(item) if item in spec.ROOM_TYPES else 9),
                ROOMS_SHEET,
                "",
                code,
                f"{_people(value)} 间",
                msg,
            )
        elif code in ("G9", "G12") and measure == "rate":
            teachers = _whole(rec.get("teachers"))
            part = _whole(rec.get("trained_360h_teachers" if code == "G9" else "certified_teachers"))
            if teachers is None or part is None or teachers <= 0:
                continue
            n = smallest_whole_to_rate(part, teachers, threshold)
            rate = _fmt_number(value, threshold)
            values: dict[str, Any] = {
                "teachers": _people(teachers),
                "part": _people(part),
                "rate": rate,
                "threshold": _fmt_number(threshold, threshold),
                "add": _people(n),
            }
            if code == "G12":
                missing = teachers - part
                values.update(
                    missing=_people(missing),
                    need="" if n == missing else f"，至少需 {_people(n)} 人取得教师资格证才能达到标准",
                )
            add(rec, (1, ""), TEACHERS_SHEET, "", code, f"{rate}%", policy_message(code, **values))
    # Here, not at the top: the checks process imports this module on its way to GX, which needs no openpyxl.
    from openpyxl.utils import get_column_letter

    for rec in small_rooms.to_dict("records") if small_rooms is not None else []:
        area, threshold = _whole(rec.get("area_m2")), _whole(rec.get("threshold"))
        if not isinstance(rec.get("file_id"), str) or area is None or threshold is None or area >= threshold:
            continue
        row = _whole(rec.get("row"))
        cell = f"{get_column_letter(_AREA_COLUMN)}{int(row)}" if row is not None else ""
        sheet = rec["sheet"] if isinstance(rec.get("sheet"), str) else ROOMS_SHEET
        item = str(rec.get("room_type") or "")
        shown = _fmt_number(area, threshold)
        msg = policy_message(
            "G3.area",
            item=item,
            room=_show(rec.get("room_name")) or f"第 {int(row) if row is not None else ''} 行",
            value=shown,
            threshold=_fmt_number(threshold, threshold),
            add=_fmt_number(math.ceil(round((threshold - area) * 100, 6)) / 100, 0),
        )
        add(rec, (2, int(row or 0)), sheet, cell, "G3", f"{shown} 平方米", msg)
    out.sort(key=lambda kf: kf[0])
    return [f for _, f in out]
