"""Server-rendered SVG bar charts: no script, no external resources."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from console.layout import esc

ROW = 28
LABEL_WIDTH = 230
BAR_WIDTH = 300
VALUE_WIDTH = 110
COLOURS = ("#2f6fb0", "#3b8f5a", "#b0632f", "#7a4fb0", "#b03b5a", "#2f9fa6", "#8a8a2f")


def _number(value: float) -> str:
    return f"{value:g}"


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float]], *,
              value_text: Callable[[float], str] = _number, empty: str = "") -> str:
    """A horizontal bar chart in a <figure>; ``title`` and labels are plain text."""
    if not bars or not any(value for _, value in bars):
        return (f'<figure class="chart" id="{esc(chart_id)}"><figcaption>{esc(title)}'
                f'</figcaption><p class="empty">{esc(empty)}</p></figure>')
    top = max(value for _, value in bars) or 1.0
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * len(bars) + 8
    rows = []
    for index, (label, value) in enumerate(bars):
        y = 4 + index * ROW
        length = max(2.0, BAR_WIDTH * value / top) if value else 0.0
        colour = COLOURS[index % len(COLOURS)]
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end">{esc(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" '
            f'fill="{colour}"><title>{esc(label)}: {esc(value_text(value))}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 18}">{esc(value_text(value))}'
            "</text>")
    return (f'<figure class="chart" id="{esc(chart_id)}"><figcaption>{esc(title)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{esc(title)}" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="sans-serif" font-size="13" direction="ltr">'  # laid out left to right
            f'{"".join(rows)}</svg></figure>')
