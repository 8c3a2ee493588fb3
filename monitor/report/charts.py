"""Inline SVG charts for the history report: figure line charts, sparklines, presence bars.

Pure functions, no I/O, no JavaScript, no external resources: each returns one ``<svg>``
element as :class:`markupsafe.Markup`, to embed in a page (it renders offline and in print).
Every text that goes into the SVG is escaped (characters XML forbids are dropped first); a
link is kept only if it is ``http://``/``https://`` or a relative path without a scheme.
Output is deterministic and compact (coordinates rounded to 0.1); element ids derive from a
hash of the input, so several charts can share a page.

What pages and tests can rely on (all elements in the SVG namespace):

* root ``<svg role="img" aria-labelledby="ID-t ID-d" class="wm-chart" data-chart=KIND>``
  (KIND: ``line``, ``sparkline``, ``presence``) whose first children are ``<title id="ID-t">``
  and ``<desc id="ID-d">``; an empty chart is a small SVG with the text "no data".
* ``<rect class="plot-area">``: the plot's bounds (time *start* at its left edge, *end* at its
  right edge). ``<g class="x-axis">`` holds ``<text data-time>`` date labels,
  ``<g class="y-axis">`` holds ``<text data-value>`` number labels.
* line chart: one ``<path class="series" data-series=NAME>`` per series (step-after line over
  its non-reverted points; absent when the series has none) and one
  ``<g class="points" data-series=NAME>`` holding a point element per point inside the time
  range: ``<circle data-time data-value>``, or for a reverted value
  ``<path data-time data-value data-reverted="true">`` (a red ×), each with a ``<title>``
  child and wrapped in ``<a href>`` when its link is safe. ``<g class="legend">``.
* sparkline: one ``<rect class="bar" data-value>`` per count, and a baseline.
* presence chart: one ``<g class="row" data-item=LABEL>`` per row, holding its label
  ``<text>`` and ``<rect class="bar" data-item data-from data-to>`` (``data-to=""`` when
  the interval is open), each with a ``<title>``.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..wording import isolate

__all__ = ["Point", "Series", "line_chart", "presence_chart", "sparkline"]


@dataclass(frozen=True)
class Point:
    """One value of a figure series: when it was set, where it links, its tooltip."""

    time: str  # ISO 8601 UTC, e.g. "2024-12-01T14:03:00Z"
    value: int | None  # None: the figure is gone from here on (the line stops)
    href: str | None  # where the point links (a wiki diff URL)
    label: str  # tooltip text
    reverted: bool = False  # a reverted value: marked, not part of the line


@dataclass(frozen=True)
class Series:
    """A named series of points, oldest first."""

    name: str
    points: tuple[Point, ...]


_SVG_NS = "http://www.w3.org/2000/svg"
_FONT_PX = 11
_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
_DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3")
_REVERTED = "#c00000"
_BAR = "#0072b2"
_GRID = "#e3e3e3"
_AXIS = "#666"


# -- text and links ---------------------------------------------------------------------------

# Characters XML 1.0 does not allow (an ElementTree parser, or an XHTML page, would choke).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCHEME = re.compile(r"[^/?#]*:")


def _esc(text: object) -> str:
    """Text as escaped markup, whatever it claims to be (a Markup input is escaped too)."""
    return str(escape(_NOT_XML.sub("", str(text))))


def _safe_href(href: str | None) -> str | None:
    """*href* if it is http(s) or relative without a scheme, else None."""
    if not href:
        return None
    href = href.strip(" ")
    if not href or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in href) or "\\" in href:
        return None  # browsers drop tabs/newlines ("java\tscript:") and read "\" as "/"
    if href.lower().startswith(("http://", "https://")):
        return href
    if href.startswith("//") or _SCHEME.match(href):
        return None  # another host, or a scheme (javascript:, data:, ...)
    return href


def _is_rtl(text: str) -> bool:
    """Whether the first strongly directional character of *text* is right-to-left."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _text_width(text: str) -> float:
    """Rough rendered width of *text* at the chart's font size."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return (len(text) - wide) * _FONT_PX * 0.58 + wide * _FONT_PX


def _truncate(text: str, max_width: float) -> str:
    """*text* cut (with an ellipsis) so that it fits in *max_width*."""
    if _text_width(text) <= max_width:
        return text
    while text and _text_width(text + "…") > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def _label(x: float, y: float, text: str, *, align: str = "left", tip: str = "") -> str:
    """A ``<text>`` aligned left or right at *x*, in its own base direction (RTL-safe)."""
    rtl = _is_rtl(text)
    anchor = "end" if (align == "right") != rtl else "start"
    bidi = ' direction="rtl" unicode-bidi="embed"' if rtl else ""
    title = f"<title>{_esc(tip)}</title>" if tip else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{bidi}>{_esc(text)}{title}</text>'


# -- numbers and times ------------------------------------------------------------------------


def _n(x: float) -> str:
    """A coordinate with at most one decimal."""
    s = f"{x:.1f}"
    s = s[:-2] if s.endswith(".0") else s
    return "0" if s == "-0" else s


def _fmt_int(value: float) -> str:
    """A number with thousands separators: 14,200."""
    return f"{value:,}"


def _parse_time(text: str) -> float:
    """Seconds since the epoch of an ISO 8601 time (UTC when it has no offset)."""
    t = datetime.datetime.fromisoformat(text.strip())
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.UTC)
    return t.timestamp()


def _utc(t: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(t, datetime.UTC)


def _iso(t: float) -> str:
    return _utc(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(t: float) -> str:
    return _utc(t).strftime("%Y-%m-%d")


def _minute(t: float) -> str:
    return _utc(t).strftime("%Y-%m-%d %H:%M UTC")


def _chart_id(*parts: object) -> str:
    """A deterministic element id prefix for a chart with these inputs."""
    digest = hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return "wm" + digest[:12]


@dataclass(frozen=True)
class _Scale:
    """A linear map of the domain [d0, d1] onto the range [r0, r1]."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, v: float) -> float:
        return self.r0 + (v - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)


def _time_domain(t0: float, t1: float) -> tuple[float, float]:
    """The time range to draw: a degenerate one becomes a day around its instant."""
    if t1 > t0:
        return t0, t1
    return t0 - 43200, t0 + 43200


def _nice_ticks(lo: float, hi: float) -> list[int]:
    """4 to 6 round values spanning [lo, hi]: from 0 unless the values vary far above it."""
    lo, hi = math.floor(lo), math.ceil(hi)
    if 0 <= lo <= hi / 2 or 0 < lo == hi:
        lo = 0
    hi = max(hi, lo + 4)
    first = max(0, len(str(hi - lo)) - 3)
    for e in range(first, first + 6):
        for m in (10, 20, 25, 50):
            step, rest = divmod(m * 10**e, 10)
            if rest:
                continue
            a, b = (lo // step) * step, -(-hi // step) * step
            if 4 <= (b - a) // step + 1 <= 6:
                return list(range(a, b + 1, step))
    return [lo, hi]  # not reached: some step always gives 4 to 6 ticks


_UNIT_SECONDS = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 2629746,
    "year": 31556952,
}
_UNIT_LABEL_PX = {"minute": 100, "hour": 100, "day": 80, "week": 80, "month": 64, "year": 48}
_TIME_STEPS = (
    *(("minute", n) for n in (1, 5, 15, 30)),
    *(("hour", n) for n in (1, 3, 6, 12)),
    *(("day", n) for n in (1, 2)),
    *(("week", n) for n in (1, 2)),
    *(("month", n) for n in (1, 2, 3, 6)),
    *(("year", n) for n in (1, 2, 5, 10, 25, 50, 100)),
)
_MONDAY = 4 * 86400  # 1970-01-05, the first Monday after the epoch: weeks start there


def _calendar_ticks(t0: float, t1: float, months: int) -> list[float]:
    """First days of every *months*-th month (a multiple of it since year 0) in [t0, t1]."""
    start = _utc(t0)
    index = -(-(start.year * 12 + start.month - 1) // months) * months
    out: list[float] = []
    while index // 12 <= 9999:
        year, month = divmod(index, 12)
        t = datetime.datetime(year, month + 1, 1, tzinfo=datetime.UTC).timestamp()
        if t > t1:
            break
        if t >= t0:
            out.append(t)
        index += months
    return out


def _time_ticks(t0: float, t1: float, plot_width: float) -> list[tuple[float, str]]:
    """UTC tick times in [t0, t1] at a round spacing that leaves room for their labels."""
    ticks: list[float] = []
    for unit, n in _TIME_STEPS:
        max_ticks = max(2, int(plot_width // _UNIT_LABEL_PX[unit]))
        step = n * _UNIT_SECONDS[unit]
        if (t1 - t0) / step > max_ticks + 1:
            continue
        if unit in ("month", "year"):
            ticks = _calendar_ticks(t0, t1, n if unit == "month" else 12 * n)
        else:
            base = _MONDAY if unit == "week" else 0
            first, last = math.ceil((t0 - base) / step), math.floor((t1 - base) / step)
            ticks = [base + k * step for k in range(first, last + 1)]
        if len(ticks) <= max_ticks:
            break
    labels = []
    for i, t in enumerate(ticks):
        if unit == "year":
            text = _utc(t).strftime("%Y")
        elif unit == "month":
            text = _utc(t).strftime("%Y-%m")
        elif unit in ("day", "week") or t % 86400 == 0:
            text = _day(t)
        else:
            text = _utc(t).strftime("%Y-%m-%d %H:%M" if i == 0 else "%H:%M")
        labels.append((t, text))
    return labels


# -- shared pieces ----------------------------------------------------------------------------


def _svg(
    kind: str, uid: str, width: float, height: float, title: str, desc: str, body: str
) -> Markup:
    """The root element around *body*, with its accessible title and description."""
    return Markup(
        f'<svg xmlns="{_SVG_NS}" viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" '
        f'height="{_n(height)}" role="img" aria-labelledby="{uid}-t {uid}-d" class="wm-chart" '
        f'data-chart="{kind}" font-family="sans-serif" font-size="{_FONT_PX}">'
        f'<title id="{uid}-t">{_esc(title)}</title><desc id="{uid}-d">{_esc(desc)}</desc>'
        f"{body}</svg>"
    )


def _no_data(kind: str, uid: str, title: str, width: float, height: float) -> Markup:
    body = (
        f'<text x="{_n(width / 2)}" y="{_n(height / 2 + 4)}" text-anchor="middle" '
        f'fill="{_AXIS}">no data</text>'
    )
    return _svg(kind, uid, width, height, title, "no data", body)


def _plot_area(left: float, top: float, right: float, bottom: float) -> str:
    return (
        f'<rect class="plot-area" x="{_n(left)}" y="{_n(top)}" width="{_n(right - left)}" '
        f'height="{_n(bottom - top)}" fill="none" stroke="{_AXIS}" stroke-width="0.5"/>'
    )


def _x_axis(x: _Scale, top: float, bottom: float, width: float) -> str:
    """Vertical grid lines and UTC date labels under the plot, kept inside the *width*."""
    ticks = _time_ticks(x.d0, x.d1, x.r1 - x.r0)
    grid = "".join(f"M{_n(x(t))} {_n(top)}V{_n(bottom + 4)}" for t, _ in ticks)
    texts = []
    for t, text in ticks:
        cx, half = x(t), _text_width(text) / 2
        anchor = ""
        if cx - half < 2:
            cx, anchor = max(cx, 2), ' text-anchor="start"'
        elif cx + half > width - 2:
            cx, anchor = min(cx, width - 2), ' text-anchor="end"'
        texts.append(
            f'<text x="{_n(cx)}" y="{_n(bottom + 16)}" data-time="{_iso(t)}"{anchor}>'
            f"{_esc(text)}</text>"
        )
    path = f'<path d="{grid}" stroke="{_GRID}"/>' if grid else ""
    return f'<g class="x-axis" text-anchor="middle" fill="{_AXIS}">{path}{"".join(texts)}</g>'


# -- line chart -------------------------------------------------------------------------------


def _series_style(i: int) -> tuple[str, str, str]:
    """Colour, dash pattern and marker fill of the *i*-th series (never by colour alone)."""
    colour = _COLOURS[i % len(_COLOURS)]
    return colour, _DASHES[i % len(_DASHES)], colour if (i // len(_DASHES)) % 2 == 0 else "#fff"


def _cross(cx: float, cy: float, attrs: str = "", tip: str = "") -> str:
    """The × that marks a reverted value, centred on (cx, cy)."""
    title = f"<title>{_esc(tip)}</title>" if tip else ""
    return (
        f'<path d="M{_n(cx - 3.5)} {_n(cy - 3.5)}l7 7m0-7l-7 7" stroke="{_REVERTED}" '
        f'stroke-width="2"{attrs}>{title}</path>'
    )


def _dash(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _linked(href: str | None, element: str) -> str:
    safe = _safe_href(href)
    return f'<a href="{_esc(safe)}">{element}</a>' if safe else element


def _summary(s: Series) -> str:
    line = [(p.time, p.value) for p in s.points if not p.reverted and p.value is not None]
    reverted = sum(1 for p in s.points if p.reverted)
    if not line:
        text = f"{isolate(s.name)}: no values"
    else:
        (first_time, first), (last_time, last) = line[0], line[-1]
        text = f"{isolate(s.name)}: {_fmt_int(first)} ({_day(_parse_time(first_time))})"
        if len(line) > 1:
            text += f" → {_fmt_int(last)} ({_day(_parse_time(last_time))})"
    return text + (f", {reverted} reverted" if reverted else "")


def _legend(series: Sequence[Series], has_reverted: bool, width: float) -> tuple[str, int]:
    """The legend items laid out in rows across *width*, and the number of rows."""
    items = []
    x, row = 8.0, 0
    entries = [(s.name, i) for i, s in enumerate(series)]
    if has_reverted:
        entries.append(("reverted value (not plotted; at the edge if off scale)", -1))
    for name, i in entries:
        text = _truncate(name, width - 50)
        w = 24 + 4 + _text_width(text) + 16
        if x > 8 and x + w > width - 8:
            x, row = 8.0, row + 1
        y = 12 + row * 16
        if i < 0:
            swatch = _cross(x + 12, y - 4)
        else:
            colour, dash, fill = _series_style(i)
            swatch = (
                f'<path d="M{_n(x)} {_n(y - 4)}h24" stroke="{colour}" stroke-width="2"'
                f'{_dash(dash)}/><circle cx="{_n(x + 12)}" cy="{_n(y - 4)}" r="3" '
                f'fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
            )
        items.append(swatch + _label(x + 28, y, text))
        x += w
    return f'<g class="legend">{"".join(items)}</g>', row + 1


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    start: str | None = None,
    end: str | None = None,
    width: int = 720,
    height: int = 300,
) -> Markup:
    """Step lines of figure series over time, points linked, reverted values marked apart.

    Points outside [start, end] are not drawn (a value set before *start* still draws the
    line from *start*). Times must be ISO 8601 (ValueError otherwise).
    """
    uid = _chart_id("line", title, tuple(series), start, end, width, height)
    timed = [[(_parse_time(p.time), p) for p in s.points] for s in series]
    times = [t for points in timed for t, _ in points]
    if not times:
        return _no_data("line", uid, title, width, 40)
    t0 = _parse_time(start) if start else min(times)
    t1 = _parse_time(end) if end else max(times)
    t0, t1 = _time_domain(t0, max(t0, t1))

    # What each series draws: its line (value at t0, then changes; None where the figure
    # went away) and its markers (the points with a value, and that value).
    lines: list[list[tuple[float, int | None]]] = []
    markers: list[list[tuple[float, Point, int]]] = []
    for points in timed:
        ordered = sorted(points, key=lambda tp: tp[0])
        carried = [(t0, p.value) for t, p in ordered if not p.reverted and t <= t0][-1:]
        inside = [(t, p) for t, p in ordered if t0 <= t <= t1]
        lines.append(carried + [(t, p.value) for t, p in inside if not p.reverted and t > t0])
        markers.append([(t, p, p.value) for t, p in inside if p.value is not None])
    # The scale is the real values': one vandal's 14,200 must not flatten a line of 220s.
    # Reverted values outside it are drawn at the edge (data-clipped), their tooltip exact.
    values = [v for line in lines for _, v in line if v is not None] + [
        v for m in markers for _, p, v in m if not p.reverted
    ]
    values = values or [v for m in markers for _, _, v in m]
    if not values:
        return _no_data("line", uid, title, width, 40)
    yticks = _nice_ticks(min(values), max(values))

    legend, legend_rows = _legend(series, any(p.reverted for m in markers for _, p, _ in m), width)
    top = 8 + legend_rows * 16
    left = max(_text_width(_fmt_int(v)) for v in yticks) + 14
    right, bottom = width - 36, max(height, top + 100) - 24
    height = bottom + 24
    x = _Scale(t0, t1, left, right)
    y = _Scale(yticks[0], yticks[-1], bottom, top)

    grid = "".join(f"M{_n(left)} {_n(y(v))}H{_n(right)}" for v in yticks)
    ylabels = "".join(
        f'<text x="{_n(left - 6)}" y="{_n(y(v) + 4)}" data-value="{v}">{_fmt_int(v)}</text>'
        for v in yticks
    )
    parts = [
        legend,
        _plot_area(left, top, right, bottom),
        f'<g class="y-axis" text-anchor="end" fill="{_AXIS}"><path d="{grid}" stroke="{_GRID}"/>'
        f"{ylabels}</g>",
        _x_axis(x, top, bottom, width),
    ]
    for i, s in enumerate(series):
        colour, dash, fill = _series_style(i)
        name = _esc(s.name)
        d, current, last_x = "", None, ""
        for t, v in lines[i]:
            if v == current:
                continue  # the step holds
            last_x = _n(x(t))
            if v is None:  # the figure went away: the line stops here
                d += f"H{last_x}"
            elif current is None:
                d += f"M{last_x} {_n(y(v))}"
            else:
                d += f"H{last_x}V{_n(y(v))}"
            current = v
        if d:
            d += "" if last_x == _n(right) or current is None else f"H{_n(right)}"
            parts.append(
                f'<path class="series" data-series="{name}" d="{d}" fill="none" '
                f'stroke="{colour}" stroke-width="2"{_dash(dash)}/>'
            )
        dots = []
        for t, p, value in markers[i]:
            cx, cy = x(t), y(value)
            data = f'data-time="{_esc(p.time)}" data-value="{_esc(value)}"'
            if p.reverted:
                tip = f"{p.label} (reverted)".strip()
                clipped = min(max(cy, top), bottom)
                if clipped != cy:
                    data += ' data-clipped="true"'
                mark = _cross(cx, clipped, f' {data} data-reverted="true"', tip)
            else:
                mark = (
                    f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="3" {data}>'
                    f"<title>{_esc(p.label)}</title></circle>"
                )
            dots.append(_linked(p.href, mark))
        parts.append(
            f'<g class="points" data-series="{name}" fill="{fill}" stroke="{colour}" '
            f'stroke-width="1.5">{"".join(dots)}</g>'
        )
    desc = "; ".join(_summary(s) for s in series)
    return _svg("line", uid, width, height, title, desc, "".join(parts))


# -- sparkline --------------------------------------------------------------------------------


def sparkline(counts: Sequence[int], *, label: str, width: int = 120, height: int = 24) -> Markup:
    """A tiny bar chart of counts (e.g. edits per day); zeros show as the baseline only."""
    values = [max(0, int(c)) for c in counts]
    uid = _chart_id("sparkline", tuple(values), label, width, height)
    peak, base = max(values, default=0), height - 1
    slot = width / max(1, len(values))
    bar = slot - 1 if slot >= 3 else slot
    y = _Scale(0, max(peak, 1), base, 1)
    bars = "".join(
        f'<rect class="bar" x="{_n(i * slot)}" y="{_n(y(v))}" width="{_n(bar)}" '
        f'height="{_n(base - y(v))}" data-value="{v}"/>'
        for i, v in enumerate(values)
    )
    body = f'<g fill="{_BAR}">{bars}</g><path d="M0 {_n(base + 0.5)}H{width}" stroke="{_AXIS}"/>'
    desc = f"{len(values)} values, total {_fmt_int(sum(values))}, at most {_fmt_int(peak)}"
    return _svg("sparkline", uid, width, height, label, desc, body)


# -- presence chart ---------------------------------------------------------------------------


def presence_chart(
    rows: Sequence[tuple[str, Sequence[tuple[str, str | None]]]],
    *,
    start: str,
    end: str,
    width: int = 720,
) -> Markup:
    """One row per item with a bar per interval [from, to) it was present (to None: still)."""
    rows = [(label, tuple(intervals)) for label, intervals in rows]
    uid = _chart_id("presence", tuple(rows), start, end, width)
    t0, t1 = _parse_time(start), _parse_time(end)
    title = f"Presence, {_day(t0)} to {_day(max(t0, t1))}"
    if not rows:
        return _no_data("presence", uid, title, width, 40)
    t0, t1 = _time_domain(t0, max(t0, t1))

    row_h, top = 20, 8
    label_room = width * 0.4
    left = min(max(_text_width(label) for label, _ in rows), label_room) + 14
    right, bottom = width - 36, top + row_h * len(rows)
    x = _Scale(t0, t1, left, right)
    parts = [_plot_area(left, top, right, bottom), _x_axis(x, top, bottom, width)]
    for r, (label, intervals) in enumerate(rows):
        y = top + r * row_h
        text = _truncate(label, label_room)
        out = [_label(left - 6, y + 14, text, align="right", tip=label if text != label else "")]
        for frm, to in intervals:
            a = _parse_time(frm)
            b = max(a, _parse_time(to) if to else t1)  # "to" before "from": an instant
            if a > t1 or b < t0 or a < b == t0:  # outside the range ([a, b) is half-open)
                continue
            xa, xb = x(max(a, t0)), x(min(b, t1))
            until = f"to {_minute(b)}" if to else "still present"
            out.append(
                f'<rect class="bar" x="{_n(xa)}" y="{y + 4}" width="{_n(max(xb - xa, 1))}" '
                f'height="12" data-item="{_esc(label)}" data-from="{_esc(frm)}" '
                f'data-to="{_esc(to or "")}"><title>{_esc(isolate(label))}: from {_minute(a)} '
                f"{until}</title></rect>"
            )
        bars = f'<g fill="{_BAR}">{"".join(out[1:])}</g>' if len(out) > 1 else ""
        parts.append(f'<g class="row" data-item="{_esc(label)}">{out[0]}{bars}</g>')
    desc = "; ".join(f"{isolate(label)}: {len(intervals)} intervals" for label, intervals in rows)
    return _svg("presence", uid, width, bottom + 24, title, desc, "".join(parts))
