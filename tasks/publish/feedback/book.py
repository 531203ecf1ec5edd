"""The school's workbook as the locator sees it: worksheet titles in tab order and their values as grids.

Built from openpyxl (the fallback path) or from the reader's calamine grids (the zip path), so finding
where a figure comes from does not depend on which path writes the feedback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from tasks.read.grid import RawSheet


@dataclass(frozen=True)
class Book:
    """Worksheets (chartsheets left out) as value grids: grids[title][i][j] is cell (i + 1, j + 1)."""

    grids: dict[str, Sequence[Sequence[Any]]]

    @property
    def sheetnames(self) -> list[str]:
        return list(self.grids)

    def column(self, title: str, col: int, min_row: int) -> list[Any]:
        """Values of 1-based column ``col`` from row ``min_row`` down (None beyond a row's end)."""
        rows = self.grids[title]
        return [row[col - 1] if col <= len(row) else None for row in rows[min_row - 1 :]]

    def head(self, title: str, n: int) -> Sequence[Sequence[Any]]:
        return self.grids[title][:n]


def from_workbook(wb: Workbook) -> Book:
    return Book({ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets if isinstance(ws, Worksheet)})


def from_sheets(sheets: Sequence[RawSheet]) -> Book:
    return Book({s.name: s.rows for s in sheets})
