"""The school's workbook as the locator sees it: worksheet titles in tab order and their values as grids.

Built from openpyxl (the fallback path) or from calamine (the zip path), so finding where a figure comes
from does not depend on which path writes the feedback. On the zip path a sheet's grid is read only when
a finding needs it (most need the tab names alone, a shortfall two or three sheets).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from tasks.read.grid import RawSheet

Grid = Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Book:
    """Worksheets (chartsheets left out) as value grids: grids[title][i][j] is cell (i + 1, j + 1)."""

    grids: Mapping[str, Grid]
    # What the locator found on each table sheet, kept for the next finding of the same file.
    found: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def sheetnames(self) -> list[str]:
        return list(self.grids)

    def column(self, title: str, col: int, min_row: int) -> list[Any]:
        """Values of 1-based column ``col`` from row ``min_row`` down (None beyond a row's end)."""
        rows = self.grids[title]
        return [row[col - 1] if col <= len(row) else None for row in rows[min_row - 1 :]]

    def head(self, title: str, n: int) -> Grid:
        return self.grids[title][:n]


class LazyGrids(Mapping[str, Grid]):
    """The worksheets of an .xlsx held in memory, in tab order; a sheet's values are read (by calamine, as
    the reader reads them) the first time they are asked for."""

    def __init__(self, data: bytes, names: Sequence[str]) -> None:
        self._data, self._names = data, list(names)
        self._wb: CalamineWorkbook | None = None
        self._read: dict[str, Grid] = {}

    def __getitem__(self, title: str) -> Grid:
        if title not in self._read:
            if title not in self._names:
                raise KeyError(title)
            if self._wb is None:
                self._wb = CalamineWorkbook.from_filelike(io.BytesIO(self._data))
            self._read[title] = self._wb.get_sheet_by_name(title).to_python(skip_empty_area=False)
        return self._read[title]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def close(self) -> None:
        if self._wb is not None:
            self._wb.close()
            self._wb = None


def from_workbook(wb: Workbook) -> Book:
    return Book({ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets if isinstance(ws, Worksheet)})


def from_sheets(sheets: Sequence[RawSheet]) -> Book:
    return Book({s.name: s.rows for s in sheets})
