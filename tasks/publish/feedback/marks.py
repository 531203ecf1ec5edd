"""What a marked cell says, on either path: the findings that name it, its colour and its comment."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from tasks.publish.cells import as_text, safe_text
from tasks.publish.feedback.issues import SEVERITY_ZH
from tasks.publish.feedback.names import rule_name

AUTHOR = "县教育局"
COMMENT_SIZE = (380, 180)  # width, height in pixels: room for a shortfall's amounts without scrolling
# The colours of marked cells on the school's own sheets (error red, the others yellow).
MARK_COLOURS = {"error": "FFFFC7CE", "violation": "FFFFEB9C", "warning": "FFFFEB9C"}
_A1_RE = re.compile(r"^([A-Z]{1,3})([1-9]\d{0,6})$")


Records = list[dict[str, Any]]


def as_records(findings: pd.DataFrame | Iterable[Mapping[str, Any]]) -> Records:
    """Findings as plain dicts: a school's handful is handled row by row, where a DataFrame costs more
    per row than the work itself."""
    if isinstance(findings, pd.DataFrame):
        cols = list(findings.columns)  # to_dict("records") without its per-call cost
        return [dict(zip(cols, row, strict=True)) for row in zip(*(findings[c].tolist() for c in cols), strict=True)]
    return [dict(f) for f in findings]


def by_cell(findings: pd.DataFrame | Records) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The findings of each (sheet, A1 cell) they name; findings naming no single cell are left out."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in as_records(findings) if isinstance(findings, pd.DataFrame) else findings:
        cell = as_text(f["cell"])
        if _A1_RE.match(cell) and as_text(f["sheet"]):
            out[(as_text(f["sheet"]), cell)].append(f)
    return out


def worst(rows: list[dict[str, Any]]) -> str | None:
    """The severity whose colour a cell takes: the worst of its findings (None: no colour)."""
    severities = [as_text(f["severity"]) for f in rows]
    return next((s for s in ("error", "violation", "warning") if s in severities), None)


def comment_text(rows: list[dict[str, Any]]) -> str:
    parts = []
    for f in rows:
        found = as_text(f["value"])
        parts.append(
            f"【{SEVERITY_ZH.get(as_text(f['severity']), '')}】{rule_name(as_text(f['rule']))}\n"
            + (f"发现：{found}\n" if found else "")
            + f"问题及修改：{as_text(f['message'])}"
        )
    return safe_text("\n\n".join(parts)[:30000])
