"""Validation of a run's returns: the reader's structural findings plus the generated GX data suite."""

from __future__ import annotations

from junheng.contract import Finding, ReturnBatch
from tasks.validate.plausibility import check_plausibility


def validate(batch: ReturnBatch, period: str) -> list[Finding]:
    """Every data finding of the run: one GX validation per sheet kind over all files."""
    from expectations.gx_suite import validate_returns  # GX is heavy: import only when validating

    return [*batch.findings, *validate_returns(batch, period), *check_plausibility(batch, period)]
