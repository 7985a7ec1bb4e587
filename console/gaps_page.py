"""The gaps page: what founders asked for that the catalogue could not answer (hubdata.gaps)."""

from __future__ import annotations

from collections.abc import Sequence

from console.charts import bar_chart
from console.layout import Page, esc, frame
from hubdata.gaps import Gap

SPARK_WIDTH, SPARK_HEIGHT = 120, 24


def sparkline(counts: Sequence[int], label: str) -> str:
    """Searches per week as a small inline SVG line, oldest week on the left."""
    top = max(counts) or 1
    step = SPARK_WIDTH / max(1, len(counts) - 1)
    points = " ".join(f"{i * step:.1f},{SPARK_HEIGHT - 2 - (c / top) * (SPARK_HEIGHT - 4):.1f}"
                      for i, c in enumerate(counts))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" role="img" '
            f'aria-label="{esc(label)}" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
            f'viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" direction="ltr">'
            f'<polyline fill="none" stroke="#2f6fb0" stroke-width="2" points="{points}"/>'
            f"<title>{esc(label)}</title></svg>")


def _what(page: Page, gap: Gap) -> str:
    topic = page.t(f"topic.{gap.key[0]}")
    filters = {k: v for k, v in gap.filters.items() if k != "topic"}
    return f"{topic} · {page.t('console.gaps_filters', filters=filters)}"


def gaps(page: Page, found: Sequence[Gap], weeks: Sequence[str]) -> str:
    """The ranked gaps with their weekly trend, and a chart of the top ones."""
    if not found:
        body = f'<p id="gaps-empty">{page.t("console.gaps_empty")}</p>'
        return frame(page, "console.gaps_title", body, active="gaps", weeks=len(weeks))
    head = "".join(f"<th>{page.t(m)}</th>" for m in (
        "console.gaps_what", "console.gaps_founders", "console.gaps_searches",
        "console.gaps_none", "console.gaps_weak", "console.gaps_trend"))
    rows = []
    for gap in found:
        counts = [gap.weeks.get(w, 0) for w in weeks]
        trend = page.catalogs.render(page.lang, "console.gaps_trend_label",
                                     {"first": weeks[0], "last": weeks[-1],
                                      "text": " ".join(str(c) for c in counts)})
        rows.append(f'<tr class="gap"><td>{_what(page, gap)}</td>'
                    f'<td class="founders">{len(gap.founders)}</td><td>{gap.total}</td>'
                    f"<td>{gap.none}</td><td>{gap.weak}</td>"
                    f"<td>{sparkline(counts, trend)}</td></tr>")
    chart = bar_chart("gaps-chart", page.catalogs.render(page.lang, "console.gaps_chart"),
                      [(page.catalogs.render(page.lang, f"topic.{g.key[0]}") + " · "
                        + page.catalogs.render(page.lang, "console.gaps_filters",
                                               {"filters": {k: v for k, v in g.filters.items()
                                                            if k != "topic"}}),
                        float(len(g.founders))) for g in found[:10]])
    body = (f'<p>{page.t("console.gaps_intro")}</p>{chart}'
            f'<table id="gaps"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table>")
    return frame(page, "console.gaps_title", body, active="gaps", weeks=len(weeks))
