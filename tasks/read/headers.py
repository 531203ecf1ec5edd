"""The header of a table sheet: which row, which column holds which field, and what is left over."""

from __future__ import annotations

from dataclasses import dataclass

from junheng import spec
from tasks.read.grid import Cell, blank, is_number
from tasks.read.labels import LabelMatch, index_for, unit_of

HEADER_SCAN_ROWS = 12  # the header is searched for in this many top rows


@dataclass
class Header:
    row: int  # 0-based index of the (last) header row
    cols: dict[str, tuple[int, str | None]]  # code → (column index, unit from the header)
    extras: list[tuple[int, str]]
    duplicates: list[tuple[int, str, str]]  # (column, text, code)


def find_header(s: spec.Sheet, rows: list[list[Cell]]) -> tuple[int, int]:
    """(row index, number of distinct codes matched) of the best header row among the top rows."""
    idx = index_for(s.name)
    best, best_row = 0, -1
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        codes = {m.code for c in row if (m := idx.match(c)) is not None}
        if len(codes) > best:
            best, best_row = len(codes), r
    return best_row, best


def parse_header(s: spec.Sheet, rows: list[list[Cell]], r: int) -> Header:
    idx = index_for(s.name)
    cols: dict[str, tuple[int, str | None]] = {}
    unmatched: dict[int, str] = {}
    dups: list[tuple[int, str, str]] = []

    def take(row: list[Cell], allow_new_only: bool) -> int:
        n = 0
        for c, cell in enumerate(row):
            m: LabelMatch | None = idx.match(cell)
            if m is None:
                if not allow_new_only and not blank(cell):
                    unmatched[c] = str(cell).strip()
                continue
            if m.code in cols:
                if not allow_new_only:
                    dups.append((c, str(cell).strip(), m.code))
                continue
            cols[m.code] = (c, m.unit)
            unmatched.pop(c, None)
            n += 1
        return n

    take(rows[r], allow_new_only=False)
    # A second header row (sub-labels under a merged 其中 cell) adds the codes still missing.
    if r + 1 < len(rows) and not any(is_number(v) for v in rows[r + 1]) and take(rows[r + 1], True):
        r += 1
    extras = sorted((c, t) for c, t in unmatched.items() if c not in {v[0] for v in cols.values()})
    extras = [(c, t) for c, t in extras if unit_of(t) is None]
    return Header(r, cols, extras, dups)
