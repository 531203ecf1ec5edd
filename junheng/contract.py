"""What the pipeline stages hand to each other: findings and a run's batch of returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import pandas as pd

Severity = Literal["error", "violation", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "violation": 2, "error": 3}


@dataclass
class Finding:
    """One located finding about a received file (Chinese message with the fix)."""

    file_id: str
    file_name: str
    sheet: str
    cell: str
    rule: str
    severity: Severity
    value: str
    message: str
    school_code: str | None = None
    section: str | None = None


FINDING_COLUMNS = [
    "file_id",
    "file_name",
    "school_code",
    "section",
    "sheet",
    "cell",
    "rule",
    "severity",
    "value",
    "message",
]


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a frame with a fixed column order (empty frames keep their columns)."""
    rows = [{c: getattr(f, c) for c in FINDING_COLUMNS} for f in findings]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


@dataclass
class ReceivedFile:
    """A file from the inbox, archived by content hash before anything else is done."""

    file_id: str  # sha256 hex of the bytes
    file_name: str  # original name as received
    source_path: str
    archive_path: str
    received_at: datetime
    size_bytes: int
    # Why the entry was not read at all (a link, a device, no permission): then nothing was archived.
    refused: str = ""
    # Parse only in a capped worker process, never in the run's own: an earlier run received this file
    # and died before deciding it (tasks.ingest.received), so it may be what killed that run.
    isolate_parse: bool = False


@dataclass
class ReturnBatch:
    """All returns read in one run, one frame per sheet kind, rows located by file/sheet/row.

    Every table frame has ``file_id``, ``sheet`` and ``row`` (1-based Excel row) besides the
    canonical codes of junheng.spec; ``info`` has one row per file. ``columns`` maps
    (file_id, sheet name) to {code: column letter} so any value can be given an A1 cell.
    ``info_cells`` maps file_id to {code: A1 cell} for the key/value sheet.
    """

    files: list[ReceivedFile]
    info: pd.DataFrame
    frames: dict[str, pd.DataFrame]  # classes, teachers, facilities, rooms, quality
    columns: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    info_cells: dict[str, dict[str, str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # The county's own returns (县级报表) found among the files: set apart, not school returns.
    county_files: list[ReceivedFile] = field(default_factory=list)

    def file_name(self, file_id: str) -> str:
        for f in self.files:
            if f.file_id == file_id:
                return f.file_name
        return file_id

    def cell(self, file_id: str, sheet: str, code: str, row: int | None) -> str:
        """The A1 cell of a value (column letter only when the row is unknown)."""
        if sheet == "基本信息":
            return self.info_cells.get(file_id, {}).get(code, "")
        letter = self.columns.get((file_id, sheet), {}).get(code, "")
        return f"{letter}{row}" if row is not None and letter else letter
