"""Bars of the server-rendered chart: the highest day fills the plot, an empty day has no bar."""

from __future__ import annotations

from datetime import date

from koppelvlak.web import chart


def test_bars_scale_to_the_highest_day() -> None:
    bars = chart.bars([(date(2026, 12, 1), 0), (date(2026, 12, 2), 4), (date(2026, 12, 3), 2)])
    assert [b.height for b in bars] == [
        0.0,
        chart.HEIGHT - chart.LABEL,
        (chart.HEIGHT - chart.LABEL) / 2,
    ]
    assert [b.label for b in bars] == ["01-12", "02-12", "03-12"]
    assert chart.bars([]) == []
