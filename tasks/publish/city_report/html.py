"""The city page (Jinja2, autoescaped): the same content as the workbook, with an SVG trend chart."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from junheng.spec import SECTION_LABELS
from tasks.model.progress import BEHIND, NOT_REPORTED, ON_TRACK, REACHED, STATUSES
from tasks.publish.city_report.build import CityReport, cv_columns, cv_legend, months_text
from tasks.publish.city_report.workbook import headline
from tasks.publish.files import write_atomic
from tasks.publish.html import templates

STATUS_CLASS = {REACHED: "reached", ON_TRACK: "ontrack", BEHIND: "behind", NOT_REPORTED: "missing"}
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: list[tuple[float, float, int]]  # x, y, value
    # x, baseline and text-anchor of each value's label, and the value
    labels: list[tuple[float, float, str, int]] = field(default_factory=list)


LABEL_HEIGHT = 12  # px: the chart's font-size
MARKER = 4  # px: the points' radius


def place_labels(ys: list[float]) -> list[tuple[int, float]]:
    """(x offset, baseline) of the value labels of one period's points at heights ``ys``, top to bottom: above
    the point when that clears what is drawn above it, else below it when that clears the next point, else
    beside it on the right — a label never covers another label or another county's point."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out: list[tuple[int, float]] = [(0, 0.0)] * len(ys)
    floor = float("-inf")  # the lowest pixel used so far (labels above, points)
    for k, i in enumerate(order):
        y = ys[i]
        below_next = ys[order[k + 1]] - MARKER if k + 1 < len(order) else float("inf")
        if y - 8 - LABEL_HEIGHT > floor:
            out[i] = (0, y - 8)
        elif y + MARKER + LABEL_HEIGHT < below_next:
            out[i] = (0, y + MARKER + LABEL_HEIGHT)
        else:
            out[i] = (8, y + MARKER)
        floor = max(out[i][1] if out[i][0] == 0 else y, y + MARKER)
    return out


def _env() -> Environment:
    return templates(Path(__file__).parent)


def _chart(report: CityReport, width: int = 720, height: int = 300) -> dict[str, object]:
    """Coordinates of the trend lines: x by period, y by indicators met (0 … the largest total)."""
    periods = report.periods
    top = max([c.total or 0 for c in report.counties] + [v for h in report.history.values() for v in h.values()] + [1])
    left, right, up, down = 60, 20, 20, 50

    def x(i: int) -> float:
        return left + (width - left - right) * (i + 0.5) / max(1, len(periods))

    def y(v: float) -> float:
        return up + (height - up - down) * (1 - v / top)

    series = []
    drawn = [c for c in report.counties if report.history.get(c.code)]
    for k, c in enumerate(drawn):
        h = report.history[c.code]
        pts = [(x(i), y(h[p]), h[p]) for i, p in enumerate(periods) if p in h]
        series.append(Series(c.name, COLOURS[k % len(COLOURS)], pts))
    for xi in {px for s in series for px, _, _ in s.points}:
        at = [(s, j) for s in series for j, pt in enumerate(s.points) if pt[0] == xi]
        for (s, j), (dx, base) in zip(at, place_labels([s.points[j][1] for s, j in at]), strict=True):
            s.labels.append((xi + dx, base, "start" if dx else "middle", s.points[j][2]))
    step = max(1, round(top / 5))
    ticks = [(y(v), v) for v in range(0, top + 1, step)]
    return {
        "width": width,
        "height": height,
        "series": series,
        "xlabels": [(x(i), p) for i, p in enumerate(periods)],
        "ticks": ticks,
        "left": left,
        "bottom": height - down,
        "right": width - right,
    }


def render_html(report: CityReport, out_folder: Path) -> str:
    cols = cv_columns()
    cv_rows = []
    for c in report.counties:
        grid = report.cv.get(c.code, {})
        cells = []
        for key in cols:
            cv, _limit, meets = grid.get(key, (None, None, None))
            cells.append(("" if cv is None else f"{cv:.3f}", "fail" if meets is False else ""))
        cv_rows.append((c.name, cells))
    links = {}
    for c in report.counties:
        for kind, path in (("html", c.report_html), ("xlsx", c.report_xlsx)):
            if path is not None:
                links[(c.code, kind)] = os.path.relpath(path, start=out_folder).replace(os.sep, "/")
    return (
        _env()
        .get_template("city_report.html.j2")
        .render(
            r=report,
            headline=headline(report),
            statuses=STATUSES,
            status_class=STATUS_CLASS,
            cv_headers=[f"{SECTION_LABELS[s]}{code}" for s, code in cols],
            cv_rows=cv_rows,
            chart=_chart(report),
            links=links,
            months_text=months_text,
            cv_legend="；".join(cv_legend()),
        )
    )


def write_html(report: CityReport, path: Path) -> Path:
    return write_atomic(path, render_html(report, path.parent))
