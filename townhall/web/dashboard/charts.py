"""Server-rendered SVG charts (no scripts): stacked daily bars, horizontal bars, and a two-series timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Sequence

from markupsafe import Markup, escape

COLOURS = {"published": "#3a7d44", "held": "#d9a400", "rejected": "#b3261e", "deleted": "#9e9e9e",
           "cluster": "#b3261e", "overall": "#9bb7d4"}


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000):
        if value <= step:
            return float(step)
    return float(value)


def stacked_bars(rows: Sequence[dict[str, Any]], keys: Sequence[str], *, label: str, title: str,
                 width: int = 720, height: int = 230) -> Markup:
    left, bottom, top = 40, 40, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = _nice_max(max((sum(int(r[k]) for k in keys) for r in rows), default=0))
    n = max(1, len(rows))
    bar = plot_w / n
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for frac in (0, 0.5, 1):
        y = top + plot_h - frac * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{int(peak * frac)}</text>')
    for i, r in enumerate(rows):
        y = top + plot_h
        x = left + i * bar
        for k in keys:
            h = int(r[k]) / peak * plot_h
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}" '
                             f'fill="{COLOURS.get(k, "#777")}"><title>{escape(str(r[label]))}: {int(r[k])} {escape(k)}</title></rect>')
        if n <= 16 or i % max(1, n // 8) == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 22}" font-size="10" text-anchor="middle">'
                         f"{escape(str(r[label])[5:])}</text>")
    parts.append(_legend(keys, left, height - 1))
    parts.append("</svg>")
    return Markup("".join(parts))


def hbars(rows: Sequence[tuple[str, float, str]], *, title: str, width: int = 520, percent: bool = True) -> Markup:
    """One bar per (label, value, note); values are shares (0..1) when ``percent``."""
    row_h, left = 22, 130
    height = max(1, len(rows)) * row_h + 10
    peak = max((v for _, v, _ in rows), default=0.0) or 1.0
    scale = 1.0 if percent and peak <= 1 else peak
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, (name, value, note) in enumerate(rows):
        y = 5 + i * row_h
        w = (width - left - 190) * (value / scale if scale else 0)
        shown = f"{value * 100:.1f}%" if percent else f"{value:.1f}"
        parts.append(f'<text x="{left - 6}" y="{y + 14}" font-size="12" text-anchor="end">{escape(name[:28])}</text>'
                     f'<rect x="{left}" y="{y + 3}" width="{max(w, 1):.1f}" height="14" fill="#5b7db1"/>'
                     f'<text x="{left + w + 6:.1f}" y="{y + 14}" font-size="11">{shown} {escape(note)}</text>')
    if not rows:
        parts.append('<text x="10" y="20" font-size="12">No data yet.</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline(data: dict[str, Any], *, width: int = 760, height: int = 200) -> Markup:
    """The cluster's comments per bucket (red) over all comments on the same threads (blue), same scale."""
    cluster, overall = data["cluster"], data["overall"]
    start: datetime = data["start"]
    seconds: float = data["bucket_seconds"]
    left, bottom, top = 40, 34, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = _nice_max(max(overall + cluster + [0]))
    n = max(1, len(cluster))
    bar = plot_w / n
    parts = [f'<svg class="chart timeline" role="img" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
             "<title>Cluster activity against all activity on the same threads</title>"]
    for frac in (0, 0.5, 1):
        y = top + plot_h - frac * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{int(peak * frac)}</text>')
    for i in range(n):
        x = left + i * bar
        at = start + timedelta(seconds=seconds * i)
        for key, values, inset in (("overall", overall, 0.0), ("cluster", cluster, bar * 0.25)):
            h = values[i] / peak * plot_h
            if h > 0:
                parts.append(f'<rect x="{x + inset + 0.5:.1f}" y="{top + plot_h - h:.1f}" width="{max(bar - 2 * inset - 1, 1):.1f}" '
                             f'height="{h:.1f}" fill="{COLOURS[key]}"><title>{at:%Y-%m-%d %H:%M} UTC: {values[i]} '
                             f'{"by the cluster" if key == "cluster" else "on these threads"}</title></rect>')
        if i % max(1, n // 6) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 18}" font-size="10">{at:%d %b %H:%M}</text>')
    parts.append(_legend(("overall", "cluster"), left, height - 2,
                         {"overall": "all comments on these threads", "cluster": "the cluster's comments"}))
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(keys: Sequence[str], x: float, y: float, names: dict[str, str] | None = None) -> str:
    out = []
    for k in keys:
        name = (names or {}).get(k, k)
        out.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="9" height="9" fill="{COLOURS.get(k, "#777")}"/>'
                   f'<text x="{x + 12:.0f}" y="{y:.0f}" font-size="10">{escape(name)}</text>')
        x += 20 + 6 * len(name)
    return "".join(out)


def rule_rows(rules: Sequence[dict[str, Any]]) -> list[tuple[str, float, str]]:
    return [(r["rule"], r["share_held"] + r["share_rejected"], f"({r['held']} held, {r['rejected']} rejected)") for r in rules]


def queue_rows(queues: Sequence[dict[str, Any]]) -> list[tuple[str, float, str]]:
    return [(q["queue"], float(q["size"]),
             f"oldest {q['oldest_hours']:.1f} h" if q["oldest_hours"] is not None else "") for q in queues]


def mod_rows(mods: Sequence[dict[str, Any]]) -> list[tuple[str, float, str]]:
    return [(m["moderator"].removeprefix("mod:"), float(m["median_hours"]), f"h median, {m['decisions']} decisions") for m in mods]
