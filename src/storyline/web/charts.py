"""Charts as inline SVG, drawn on the server: no chart library, no CDN, nothing to fetch at view time.

The same functions draw the web app's charts and the static report's, so both look alike and work
with scripts disabled. Every piece of text goes through :func:`html.escape`, and only presentation
attributes are used (no ``style=``), which a strict Content-Security-Policy allows.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from markupsafe import Markup

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
OTHER_COLOUR = "#bab0ac"
MAX_BARS = 120
MAX_MARKER_ROWS = 4


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _bins(first: str, last: str) -> tuple[int, int, int]:
    """First day number, bin width in days and bin count, so a long story still fits ``MAX_BARS`` bars."""
    start, end = date.fromisoformat(first[:10]).toordinal(), date.fromisoformat(last[:10]).toordinal()
    span = end - start + 1
    width = max(1, -(-span // MAX_BARS))
    return start, width, -(-span // width)


def sparkline(per_day: Sequence[tuple[str, int]], *, width: int = 120, height: int = 24, label: str = "") -> Markup:
    """Articles per day as a small line; empty days count as zero."""
    if not per_day:
        return Markup(f'<svg class="spark" width="{width}" height="{height}" role="img" aria-label="no dated articles">'
                      "</svg>")
    start, step, count = _bins(per_day[0][0], per_day[-1][0])
    values = [0] * count
    for day, n in per_day:
        values[(date.fromisoformat(day[:10]).toordinal() - start) // step] += n
    top = max(values) or 1
    dx = (width - 2) / max(len(values) - 1, 1)
    points = " ".join(f"{1 + i * dx:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values))
    if count == 1:  # one day: a level line at mid height, not a line that looks like an underline at the top
        points = f"1,{height / 2:.1f} {width - 1},{height / 2:.1f}"
    total = sum(n for _, n in per_day)
    title = f"{label} {total} dated articles, {per_day[0][0]} to {per_day[-1][0]}".strip()
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_esc(title)}"><title>{_esc(title)}</title>'
        f'<polyline fill="none" stroke="#4e79a7" stroke-width="1.5" points="{points}"/></svg>'
    )


def outlet_colours(volume: dict[str, dict[str, int]], limit: int = len(PALETTE)) -> dict[str, str]:
    """The busiest outlets get a colour each (ties by name, so colours are stable); the rest share grey."""
    totals: dict[str, int] = {}
    for per_outlet in volume.values():
        for outlet, n in per_outlet.items():
            totals[outlet] = totals.get(outlet, 0) + n
    ranked = sorted(totals, key=lambda o: (-totals[o], o))
    return {o: (PALETTE[i] if i < limit else OTHER_COLOUR) for i, o in enumerate(ranked)}


def _place_markers(events: Sequence[Mapping[str, object]], xs: Sequence[float], *, gap: float, lo: float,
                   hi: float) -> list[tuple[Mapping[str, object], float, int]]:
    """Each event's marker position and row: the first of ``MAX_MARKER_ROWS`` rows where it covers no other
    marker; when all rows are taken at its date it moves sideways (right, left, further right...) within
    ``lo``..``hi``, so every marker stays visible and clickable."""
    taken: list[tuple[float, int]] = []
    placed = []
    for e, x0 in zip(events, xs, strict=True):
        for n in range(2 * len(events) + 1):
            x = x0 + gap * ((n + 1) // 2) * (1 if n % 2 else -1)
            if n and not lo <= x <= hi:
                continue
            row = next((r for r in range(MAX_MARKER_ROWS)
                        if all(abs(x - tx) >= gap or tr != r for tx, tr in taken)), None)
            if row is not None:
                break
        else:  # more markers than fit on the whole chart: stack on the date's last row
            x, row = x0, MAX_MARKER_ROWS - 1
        taken.append((x, row))
        placed.append((e, x, row))
    return placed


def timeline(
    events: Sequence[dict[str, object]], volume: dict[str, dict[str, int]], *, href: Callable[[str], str],
    width: int = 900, height: int = 220,
) -> Markup:
    """Events as markers on a date axis above the article volume per day, stacked by outlet.

    ``href`` maps an event id to its link (a page in the web app, an anchor in the report).
    """
    dated = [e for e in events if e.get("start")]
    days = sorted(volume) + sorted(str(e["start"])[:10] for e in dated)
    if not days:
        return Markup('<p class="muted">No dated articles: nothing to draw on a time axis.</p>')
    start, step, count = _bins(min(days), max(days))
    colours = outlet_colours(volume)
    bins: list[dict[str, int]] = [{} for _ in range(count)]
    for day, per_outlet in volume.items():
        slot = bins[(date.fromisoformat(day).toordinal() - start) // step]
        for outlet, n in per_outlet.items():
            slot[outlet] = slot.get(outlet, 0) + n
    top = max((sum(b.values()) for b in bins), default=0) or 1
    left, right, axis_y, marker_top, row_h = 40, 40, height - 30, 12, 14
    plot_w = width - left - right
    bar_w = plot_w / count
    placed = _place_markers(dated, [left + ((date.fromisoformat(str(e["start"])[:10]).toordinal() - start) // step
                                            + 0.5) * bar_w for e in dated], gap=row_h, lo=left + 6, hi=width - 6)
    rows = max((row for _, _, row in placed), default=0) + 1
    bars_top = max(40, marker_top + rows * row_h + 8)
    parts = [f'<svg class="timeline" width="100%" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="timeline of events and article volume" preserveAspectRatio="xMinYMin meet">']
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="#666"/>')
    parts.append(f'<text x="{left - 4}" y="{bars_top + 4}" text-anchor="end" font-size="10">{top}</text>')
    for i, slot in enumerate(bins):
        y = axis_y
        day = date.fromordinal(start + i * step).isoformat()
        for outlet in sorted(slot, key=lambda o: (list(colours).index(o), o)):
            h = slot[outlet] / top * (axis_y - bars_top)
            y -= h
            parts.append(
                f'<rect x="{left + i * bar_w:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{colours[outlet]}"><title>{_esc(day)}: {slot[outlet]} from {_esc(outlet)}</title></rect>'
            )
    for tick in range(0, count, max(1, count // 6)):
        if tick and (count - tick) * bar_w < 60:
            break  # a label this close to the end would be cut off
        day = date.fromordinal(start + tick * step).isoformat()
        parts.append(f'<text x="{left + tick * bar_w:.1f}" y="{axis_y + 14}" font-size="10">{day}</text>')
    for e, x, row in placed:
        marker_y = marker_top + row * row_h
        label = f"{str(e['start'])[:10]}: {e.get('title', '')} ({e.get('size', 0)} articles)"
        parts.append(
            f'<a href="{_esc(href(str(e["id"])))}" class="marker" data-event="{_esc(e["id"])}">'
            f'<line x1="{x:.1f}" y1="{marker_y}" x2="{x:.1f}" y2="{axis_y}" stroke="#999" stroke-dasharray="2,3" pointer-events="none"/>'
            f'<circle cx="{x:.1f}" cy="{marker_y}" r="6" fill="#222"><title>{_esc(label)}</title></circle></a>'
        )
    legend_x, named = left, list(colours.items())[: len(PALETTE)]
    for shown, (outlet, colour) in enumerate(named):
        room = 22 + 6 * min(len(outlet), 24)
        if legend_x + room > width - right:
            parts.append(f'<text x="{legend_x}" y="{height - 2}" font-size="10">+{len(colours) - shown} more</text>')
            break  # the rest would run off the chart; their bars keep their colours and tooltips
        parts.append(f'<rect x="{legend_x}" y="{height - 10}" width="8" height="8" fill="{colour}"/>'
                     f'<text x="{legend_x + 11}" y="{height - 2}" font-size="10">{_esc(outlet[:24])}</text>')
        legend_x += room
    else:
        if len(colours) > len(named) and legend_x + 100 <= width:
            parts.append(f'<rect x="{legend_x}" y="{height - 10}" width="8" height="8" fill="{OTHER_COLOUR}"/>'
                         f'<text x="{legend_x + 11}" y="{height - 2}" font-size="10">'
                         f"{len(colours) - len(named)} other outlets</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
