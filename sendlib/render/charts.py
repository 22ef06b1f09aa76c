"""Checks of a chart at the size it is rendered: labels that overlap each other, and a legend
drawn over the data. Matplotlib's renderer gives every text's box in pixels once the figure is
drawn, so the check sees what the reader will see."""
from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

TOLERANCE = 1.0  # pixels two boxes may share before they count as overlapping


def _texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of the figure: titles, axis labels, tick labels,
    annotations, legend entries."""
    out: list[Text] = list(fig.texts)
    for name in ("_suptitle", "_supxlabel", "_supylabel"):
        if getattr(fig, name, None) is not None:
            out.append(getattr(fig, name))
    for ax in fig.axes:
        titles = [getattr(ax, name, None) for name in ("title", "_left_title", "_right_title")]
        out += [t for t in titles if isinstance(t, Text)] + [ax.xaxis.label, ax.yaxis.label, *ax.texts]
        out += _drawn_ticks(ax.get_xticks(), ax.get_xlim(), ax.get_xticklabels())
        out += _drawn_ticks(ax.get_yticks(), ax.get_ylim(), ax.get_yticklabels())
        legend = ax.get_legend()
        if legend is not None:
            out += list(legend.get_texts())
    for legend in fig.legends:
        out += list(legend.get_texts())
    unique = list({id(t): t for t in out}.values())
    return [t for t in unique if t.get_visible() and t.get_text().strip()]


def _drawn_ticks(locs, limits, labels) -> list[Text]:
    """The tick labels drawn: those of ticks within the axis' view."""
    lo, hi = sorted(limits)
    span = (hi - lo) * 1e-9
    return [t for loc, t in zip(locs, labels) if lo - span <= loc <= hi + span]


def _overlap(a: Bbox, b: Bbox) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > TOLERANCE) and (min(a.y1, b.y1) - max(a.y0, b.y0) > TOLERANCE)


def overlaps(fig: Figure) -> list[str]:
    """Descriptions of every overlap in `fig` as drawn: two texts on top of each other, or a
    legend over bars or lines. Empty when the chart reads cleanly."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg and the other raster canvases
    texts = [(t, t.get_window_extent(renderer)) for t in _texts(fig)]
    found = []
    for i, (a, box_a) in enumerate(texts):
        for b, box_b in texts[i + 1:]:
            if _overlap(box_a, box_b):
                found.append(f"text {a.get_text()!r} overlaps text {b.get_text()!r}")
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        for artist in _data(ax):
            if any(_overlap(box, b) for b in _boxes(artist, renderer)):
                found.append(f"the legend of {ax.get_title()!r} covers data")
                break
    return found


def _data(ax) -> list[Artist]:
    """The bars and lines of `ax` (what a legend must not cover)."""
    bars: list[Artist] = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() and p.get_width()]
    return bars + [line for line in ax.lines if isinstance(line, Line2D) and np.shape(line.get_xydata())[0] > 1]


def _boxes(artist: Artist, renderer) -> list[Bbox]:
    """Boxes covered by a bar, or by each point of a line."""
    if isinstance(artist, Line2D):
        points = artist.get_transform().transform(artist.get_xydata())
        return [Bbox([[x - 3, y - 3], [x + 3, y + 3]]) for x, y in points]
    return [artist.get_window_extent(renderer)]
