"""Inline SVG charts for the HTML report: plain strings, every text escaped, no JavaScript."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Layout of both charts (pixels in the viewBox). Tests recompute positions from these numbers.
MARGIN_TOP = 36
MARGIN_RIGHT = 24
MARGIN_BOTTOM = 44
MARGIN_LEFT = 56

MEETS_COLOR = "#2e7d32"
FAIL_COLOR = "#d32f2f"
FLOOR_COLOR = "#7f0000"
LIMIT_COLOR = "#e65100"
MISSING_COLOR = "#9e9e9e"
AXIS_COLOR = "#555555"
GRID_COLOR = "#e0e0e0"

# One colour per indicator in trend charts (colour-blind-safe Tableau 10 subset).
SERIES_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f")

# Golden-ratio sequence: spreads dots of a strip plot vertically, deterministically.
_GOLDEN = 0.6180339887498949


@dataclass(frozen=True)
class LinearScale:
    """Maps the domain [d0, d1] linearly onto the pixel range [r0, r1] (r0 > r1 for y axes)."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, v: float) -> float:
        if self.d1 == self.d0:
            return self.r0
        return self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)


@dataclass(frozen=True)
class CvBar:
    """One indicator's county CV (None when it cannot be computed, e.g. a zero mean)."""

    code: str
    name: str
    cv: float | None
    meets: bool | None


@dataclass(frozen=True)
class UnitPoint:
    """One school unit's value of one indicator."""

    label: str
    value: float
    meets: bool
    below_floor: bool


def nice_step(vmax: float, n: int = 5) -> float:
    """A 1/2/5×10^k tick step giving at most about n intervals from 0 to vmax."""
    if not math.isfinite(vmax) or vmax <= 0:
        return 1.0
    raw = vmax / n
    mag = 10 ** math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 5.0, 10.0):
        if raw <= mult * mag * (1 + 1e-9):
            return mult * mag
    return 10 * mag  # pragma: no cover - the loop always returns


def nice_ticks(vmax: float, n: int = 5) -> list[float]:
    """Ticks 0, step, …, up to the first multiple of step that is ≥ vmax (the axis maximum)."""
    step = nice_step(vmax, n)
    count = max(1, math.ceil(vmax / step - 1e-9)) if vmax > 0 else 1
    return [round(i * step, 12) for i in range(count + 1)]


def _fmt(v: float, decimals: int) -> str:
    return f"{v:,.{decimals}f}" if abs(v) >= 10000 else f"{v:.{decimals}f}"


def _tick_decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step))) if step < 1 else 0


def _svg_open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="{MARGIN_LEFT}" y="20" class="chart-title" font-size="14" font-weight="600">{escape(title)}</text>',
    ]


def cv_bar_chart(title: str, bars: Sequence[CvBar], limit: float, *, width: int = 560, height: int = 300) -> str:
    """Bars of the CV per indicator, green when within the limit, red when not; limit as a line.

    The y axis runs from 0 (bottom of the plot) to the last nice tick at or above
    max(limit, largest CV), so the limit line sits at
    ``MARGIN_TOP + (1 - limit / ymax) * (height - MARGIN_TOP - MARGIN_BOTTOM)``.
    """
    values = [b.cv for b in bars if b.cv is not None and math.isfinite(b.cv)]
    ticks = nice_ticks(max([limit, *values]))
    ymax = ticks[-1]
    bottom = height - MARGIN_BOTTOM
    y = LinearScale(0.0, ymax, float(bottom), float(MARGIN_TOP))
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    band = plot_w / max(1, len(bars))
    bar_w = band * 0.6
    dec = _tick_decimals(ticks[1] - ticks[0]) if len(ticks) > 1 else 1

    out = _svg_open(width, height, title)
    for t in ticks:
        ty = y(t)
        out.append(
            f'<line x1="{MARGIN_LEFT}" y1="{ty:.2f}" x2="{width - MARGIN_RIGHT}" y2="{ty:.2f}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{ty + 4:.2f}" text-anchor="end" font-size="11" '
            f'fill="{AXIS_COLOR}">{_fmt(t, dec)}</text>'
        )
    for i, b in enumerate(bars):
        cx = MARGIN_LEFT + band * (i + 0.5)
        label = f"{b.code} {b.name}"
        if b.cv is None or not math.isfinite(b.cv):
            out.append(
                f'<text x="{cx:.2f}" y="{bottom - 6}" text-anchor="middle" font-size="11" '
                f'fill="{MISSING_COLOR}"><title>{escape(label)}：无法计算</title>—</text>'
            )
        else:
            top = y(b.cv)
            color = MEETS_COLOR if b.meets else FAIL_COLOR
            verdict = "达标" if b.meets else "未达标"
            out.append(
                f'<rect class="bar" x="{cx - bar_w / 2:.2f}" y="{top:.2f}" width="{bar_w:.2f}" '
                f'height="{bottom - top:.2f}" fill="{color}">'
                f"<title>{escape(label)}：差异系数 {b.cv:.3f}（{verdict}）</title></rect>"
            )
            out.append(
                f'<text x="{cx:.2f}" y="{top - 4:.2f}" text-anchor="middle" font-size="11" '
                f'fill="{color}">{b.cv:.3f}</text>'
            )
        out.append(
            f'<text x="{cx:.2f}" y="{bottom + 16}" text-anchor="middle" font-size="12" '
            f'fill="{AXIS_COLOR}"><title>{escape(label)}</title>{escape(b.code)}</text>'
        )
    ly = y(limit)
    out.append(
        f'<line class="limit" x1="{MARGIN_LEFT}" y1="{ly:.2f}" x2="{width - MARGIN_RIGHT}" '
        f'y2="{ly:.2f}" stroke="{LIMIT_COLOR}" stroke-width="2" stroke-dasharray="6 4"/>'
    )
    out.append(
        f'<text x="{width - MARGIN_RIGHT}" y="{ly - 5:.2f}" text-anchor="end" font-size="11" '
        f'fill="{LIMIT_COLOR}">标准 ≤{limit:.2f}</text>'
    )
    out.append(
        f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{width - MARGIN_RIGHT}" y2="{bottom}" '
        f'stroke="{AXIS_COLOR}" stroke-width="1"/>'
    )
    out.append(
        f'<text x="{MARGIN_LEFT + plot_w / 2:.2f}" y="{height - 8}" text-anchor="middle" font-size="11" '
        f'fill="{AXIS_COLOR}">指标（绿色达标，红色超标；虚线为差异系数上限）</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


def strip_chart(
    title: str,
    points: Sequence[UnitPoint],
    threshold: float,
    floor: float | None = None,
    *,
    decimals: int = 2,
    unit: str = "",
    width: int = 560,
    height: int = 170,
) -> str:
    """Each school unit as a dot on a value axis from 0, with the threshold (and 85 % floor) lines.

    Dots are green when the unit meets the threshold, red below it and dark red below the
    floor. Vertical position carries no meaning; it only keeps dots apart.
    """
    finite = [p for p in points if math.isfinite(p.value)]
    vmax = max([threshold, *(p.value for p in finite)])
    ticks = nice_ticks(vmax)
    xmax = ticks[-1]
    bottom = height - MARGIN_BOTTOM
    x = LinearScale(0.0, xmax, float(MARGIN_LEFT), float(width - MARGIN_RIGHT))
    plot_h = bottom - MARGIN_TOP
    dec = _tick_decimals(ticks[1] - ticks[0]) if len(ticks) > 1 else 0

    out = _svg_open(width, height, title)
    for t in ticks:
        tx = x(t)
        out.append(
            f'<line x1="{tx:.2f}" y1="{MARGIN_TOP}" x2="{tx:.2f}" y2="{bottom}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{tx:.2f}" y="{bottom + 15}" text-anchor="middle" font-size="11" '
            f'fill="{AXIS_COLOR}">{_fmt(t, dec)}</text>'
        )
    suffix = f" {unit}" if unit else ""
    if floor is not None and math.isfinite(floor):
        fx = x(floor)
        out.append(
            f'<line class="floor" x1="{fx:.2f}" y1="{MARGIN_TOP}" x2="{fx:.2f}" y2="{bottom}" '
            f'stroke="{FLOOR_COLOR}" stroke-width="1.5" stroke-dasharray="2 3"/>'
        )
    tx = x(threshold)
    out.append(
        f'<line class="threshold" x1="{tx:.2f}" y1="{MARGIN_TOP}" x2="{tx:.2f}" y2="{bottom}" '
        f'stroke="{LIMIT_COLOR}" stroke-width="2" stroke-dasharray="6 4"/>'
    )
    # Label on the side of the line with more room, so it never runs off the chart.
    right_half = tx > MARGIN_LEFT + (width - MARGIN_LEFT - MARGIN_RIGHT) / 2
    lx, anchor = (tx - 4, "end") if right_half else (tx + 4, "start")
    out.append(
        f'<text x="{lx:.2f}" y="{MARGIN_TOP - 4}" text-anchor="{anchor}" font-size="11" '
        f'fill="{LIMIT_COLOR}">标准 ≥{escape(_fmt(threshold, decimals) + suffix)}</text>'
    )
    for i, p in enumerate(sorted(finite, key=lambda p: p.value)):
        frac = (i * _GOLDEN) % 1.0
        cy = MARGIN_TOP + 8 + frac * (plot_h - 16)
        color = MEETS_COLOR if p.meets else (FLOOR_COLOR if p.below_floor else FAIL_COLOR)
        state = "达标" if p.meets else ("低于标准的85%" if p.below_floor else "未达标")
        tip = f"{p.label}：{_fmt(p.value, decimals)}{suffix}（{state}）"
        out.append(
            f'<circle class="unit" cx="{x(p.value):.2f}" cy="{cy:.2f}" r="4.5" fill="{color}" '
            f'fill-opacity="0.8"><title>{escape(tip)}</title></circle>'
        )
    out.append(
        f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{width - MARGIN_RIGHT}" y2="{bottom}" '
        f'stroke="{AXIS_COLOR}" stroke-width="1"/>'
    )
    n_fail = sum(1 for p in finite if not p.meets)
    out.append(
        f'<text x="{MARGIN_LEFT}" y="{height - 8}" font-size="11" fill="{AXIS_COLOR}">'
        f"{len(finite)} 个学校单元，{n_fail} 个未达标（虚线：标准；点线：标准的85%）</text>"
    )
    out.append("</svg>")
    return "\n".join(out)


def trend_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[float | None]]],
    periods: Sequence[str],
    limit: float | None,
    *,
    width: int = 560,
    height: int = 300,
) -> str:
    """CV of each indicator (one line each) across periods, with the limit as a dashed line."""
    vals = [v for _, ys in series for v in ys if v is not None and math.isfinite(v)]
    ticks = nice_ticks(max([limit or 0.0, *vals, 0.1]))
    bottom = height - MARGIN_BOTTOM
    y = LinearScale(0.0, ticks[-1], float(bottom), float(MARGIN_TOP))
    right = width - MARGIN_RIGHT - 70  # room for the legend
    n = len(periods)
    x = LinearScale(0.0, float(max(n - 1, 1)), float(MARGIN_LEFT + 20), float(right - 10))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="chart trend">',
        f"<title>{escape(title)}</title>",
        f'<text x="{MARGIN_LEFT}" y="20" font-size="14" font-weight="600">{escape(title)}</text>',
    ]
    for t in ticks:
        ty = y(t)
        out.append(f'<line x1="{MARGIN_LEFT}" y1="{ty:.2f}" x2="{right}" y2="{ty:.2f}" stroke="{GRID_COLOR}"/>')
        out.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{ty + 4:.2f}" text-anchor="end" font-size="11" '
            f'fill="{AXIS_COLOR}">{t:.2f}</text>'
        )
    for i, p in enumerate(periods):
        out.append(
            f'<text x="{x(i):.2f}" y="{bottom + 16}" text-anchor="middle" font-size="11" '
            f'fill="{AXIS_COLOR}">{escape(p)}</text>'
        )
    if limit is not None:
        ly = y(limit)
        out.append(
            f'<line class="limit" x1="{MARGIN_LEFT}" y1="{ly:.2f}" x2="{right}" y2="{ly:.2f}" stroke="{LIMIT_COLOR}" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text x="{right}" y="{ly - 5:.2f}" text-anchor="end" font-size="11" fill="{LIMIT_COLOR}">'
            f"上限 {limit:.2f}</text>"
        )
    for k, (label, ys) in enumerate(series):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        pts = [(x(i), y(v), v, periods[i]) for i, v in enumerate(ys) if v is not None and math.isfinite(v)]
        if len(pts) > 1:
            path = " ".join(f"{px:.2f},{py:.2f}" for px, py, _, _ in pts)
            out.append(f'<polyline class="series" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for px, py, v, p in pts:
            over = limit is not None and v > limit
            out.append(
                f'<circle class="point" cx="{px:.2f}" cy="{py:.2f}" r="{4.5 if over else 3.5}" fill="{color}" '
                f'stroke="{FAIL_COLOR if over else color}" stroke-width="{2 if over else 1}">'
                f"<title>{escape(label)} {escape(p)}：{v:.3f}</title></circle>"
            )
        ly = MARGIN_TOP + 14 * k
        out.append(f'<rect x="{right + 8}" y="{ly - 8}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{right + 22}" y="{ly + 1}" font-size="11" fill="{AXIS_COLOR}">{escape(label)}</text>')
    out.append(f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{AXIS_COLOR}"/>')
    out.append(
        f'<text x="{MARGIN_LEFT}" y="{height - 8}" font-size="11" fill="{AXIS_COLOR}">'
        "报表期（虚线为差异系数上限；红圈为超过上限）</text>"
    )
    out.append("</svg>")
    return "\n".join(out)
