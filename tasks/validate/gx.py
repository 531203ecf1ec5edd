"""Validation of a run's returns: the reader's structural findings plus the generated GX data suite."""

from __future__ import annotations

from junheng.contract import Finding, ReturnBatch
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.validate.plausibility import check_plausibility
from tasks.validate.previous_period import check_previous_period, previous_totals, school_codes


def validate(
    batch: ReturnBatch, period: str, url: str | None = None, county_code: str = DEFAULT_COUNTY_CODE
) -> list[Finding]:
    """Every data finding of the run: one GX validation per sheet kind over all files; with the
    warehouse ``url``, also each school against its own previous loaded return (提醒)."""
    from expectations.gx_suite import validate_returns  # GX is heavy: import only when validating

    found = [*batch.findings, *validate_returns(batch, period), *check_plausibility(batch, period)]
    if url is None:
        return found
    rejected = {f.file_id for f in found if f.severity == "error"}
    previous = previous_totals(url, period, school_codes(batch), county_code)
    return [*found, *check_previous_period(batch, previous, rejected)]
