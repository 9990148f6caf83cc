"""Text as coloured token spans; clicking a token says which (``token_clicked``)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTextBrowser, QWidget

#: GLTR's bucket colours: top-10 green, top-100 yellow, top-1000 red, beyond purple.
BUCKET_COLOURS = (QColor(181, 230, 181), QColor(250, 240, 150), QColor(250, 180, 180),
                  QColor(215, 190, 240))


def kl_colour(bits: float) -> QColor:
    """White (0 bits) → red (2 bits or more): a KL divergence heat."""
    t = max(0.0, min(1.0, bits / 2.0))
    return QColor(255, round(255 - 170 * t), round(255 - 170 * t))


class HeatText(QTextBrowser):
    """Tokens as spans with a background colour and a tooltip each."""

    token_clicked = Signal(int)  #: index in the list given to ``set_tokens``

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._clicked)
        self.selected = -1

    def set_tokens(self, texts: Sequence[str], colours: Sequence[QColor | None],
                   tips: Sequence[str], selected: int = -1) -> None:
        self.selected = selected
        parts = []
        for i, (t, c, tip) in enumerate(zip(texts, colours, tips)):
            body = html.escape(t).replace("\n", "↵<br>")
            style = "color:black; text-decoration:none;"
            if c is not None:
                style += f"background-color:{c.name()};"
            if i == selected:
                style += "border:1px solid black; font-weight:bold;"
            parts.append(f'<a href="tok:{i}" title="{html.escape(tip)}" '
                         f'style="{style}">{body}</a>')
        self.setHtml(f'<div style="font-size:12pt; line-height:150%">{"".join(parts)}</div>')

    def _clicked(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("tok:"):
            self.token_clicked.emit(int(text[4:]))
