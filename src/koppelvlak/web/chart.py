"""Bar geometry for the server-rendered SVG charts (the template draws; no script, no library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT, LABEL = 560, 160, 18


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


def bars(series: list[tuple[date, int]]) -> list[Bar]:
    if not series:
        return []
    top = max(value for _, value in series) or 1
    step = WIDTH / len(series)
    found = []
    for index, (day, value) in enumerate(series):
        height = (HEIGHT - LABEL) * value / top
        found.append(
            Bar(
                x=round(index * step + step * 0.1, 1),
                y=round(HEIGHT - LABEL - height, 1),
                width=round(step * 0.8, 1),
                height=round(height, 1),
                label=day.strftime("%d-%m"),
                value=value,
            )
        )
    return found
