"""The heat scale shared by the chat's heat mode, the timeline and the legend."""

from __future__ import annotations

import itertools
import math

from PySide6.QtGui import QColor

#: (probability, colour) stops: unsure (red) → confident (green-grey, nearly background)
_STOPS = [
    (0.0, QColor(220, 50, 47)),
    (0.2, QColor(236, 120, 40)),
    (0.5, QColor(232, 190, 50)),
    (0.8, QColor(150, 200, 110)),
    (1.0, QColor(205, 230, 200)),
]


def prob_color(p: float) -> QColor:
    """Background colour for a token the model gave probability ``p``."""
    p = min(1.0, max(0.0, p))
    for (p0, c0), (p1, c1) in itertools.pairwise(_STOPS):
        if p <= p1:
            t = (p - p0) / (p1 - p0)
            return QColor(
                round(c0.red() + t * (c1.red() - c0.red())),
                round(c0.green() + t * (c1.green() - c0.green())),
                round(c0.blue() + t * (c1.blue() - c0.blue())),
            )
    return _STOPS[-1][1]


def entropy_color(bits: float, max_bits: float = 8.0) -> QColor:
    """Background colour for a step's entropy (more bits = less certain = redder)."""
    certainty = 1.0 - min(1.0, math.log1p(bits) / math.log1p(max_bits))
    return prob_color(certainty)


LOW_CONFIDENCE = 0.3  #: tokens below this probability are flagged as low-confidence
