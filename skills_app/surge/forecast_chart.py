"""Geometry for the forecast page's chart (DESIGN.md section 11): posts needed per
week as columns, drawn on the server as SVG by ``templates/surge/_forecast_chart.html``.

The chart is one image named by its title and summed up by its description; the
table after it holds every week's figures, so the chart adds a picture and hides
nothing. Up to ``LABELLED_WEEKS`` weeks each column is labelled with its posts;
beyond that the weeks along the axis are labelled every few weeks.
"""

from __future__ import annotations

import math

from matching.demand import WeekDemand

WIDTH = 760
LEFT = 72  # room for the posts axis labels
RIGHT = 12
TOP = 34
PLOT_HEIGHT = 220
BOTTOM = 48  # week labels and the axis title
BAR_SHARE = 0.72  # of each week's slot
LABELLED_WEEKS = 26
WEEK_LABELS = 13  # at most this many week numbers along the axis


def _step(peak: int) -> int:
    """A round gridline step (1, 2, 5, 10, 20, 50...) giving at most 5 gridlines."""
    rough = max(1.0, peak / 4)
    power = 10 ** math.floor(math.log10(rough))
    for factor in (1, 2, 5, 10):
        if factor * power >= rough:
            return int(factor * power)
    return int(10 * power)


def posts_chart(weeks: list[WeekDemand], *, title: str) -> dict:
    n = len(weeks)
    peak = max(w.posts for w in weeks)
    step = _step(peak)
    top = max(step, step * math.ceil(peak / step))
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / n
    bar_width = max(slot * BAR_SHARE, 0.5)
    axis_y = TOP + PLOT_HEIGHT
    labelled = n <= LABELLED_WEEKS
    every = 1 if labelled else math.ceil(n / WEEK_LABELS)
    bars, week_labels = [], []
    for i, week in enumerate(weeks):
        height = PLOT_HEIGHT * week.posts / top
        x = LEFT + i * slot + (slot - bar_width) / 2
        bars.append(
            {
                "x": round(x, 2),
                "y": round(axis_y - height, 2),
                "width": round(bar_width, 2),
                "height": round(height, 2),
                "label": f"{week.posts:,}" if labelled else "",
                "label_x": round(x + bar_width / 2, 2),
                "label_y": round(axis_y - height - 5, 2),
            }
        )
        if i % every == 0:
            week_labels.append({"x": round(LEFT + (i + 0.5) * slot, 2), "text": str(week.week)})
    ticks = [
        {"y": round(axis_y - PLOT_HEIGHT * value / top, 2), "text": f"{value:,}"}
        for value in range(0, top + 1, step)
    ]
    low = min(weeks, key=lambda w: w.posts)
    high = max(weeks, key=lambda w: w.posts)
    if n == 1:
        desc = f"Posts needed in the one week forecast: {high.posts:,}."
    else:
        desc = (
            f"Posts needed in each of the {n} weeks: from {low.posts:,} (week {low.week}) "
            f"to {high.posts:,} (week {high.week})."
        )
    desc += " The table after the chart gives every week's figures and how they are worked out."
    return {
        "width": WIDTH,
        "height": axis_y + BOTTOM,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "axis_y": axis_y,
        "bars": bars,
        "ticks": ticks,
        "week_labels": week_labels,
        "week_label_y": axis_y + 18,
        "axis_title_x": LEFT + plot_width / 2,
        "axis_title_y": axis_y + 40,
        "title": title,
        "desc": desc,
    }
