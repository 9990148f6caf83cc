"""A message's text widget: a read-only, auto-sizing browser whose heat-mode anchors show
token tooltips and can be clicked; code blocks on a tinted background."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QToolTip,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.ui import token_spans

log = logging.getLogger(__name__)

STREAM_CURSOR = "▍"


def code_background(palette: QPalette) -> QColor:
    """A tint of the base colour that reads as a code block in light and dark themes."""
    base = palette.color(QPalette.ColorRole.Base)
    return base.darker(109) if base.lightness() > 128 else base.lighter(140)


def style_code(doc: QTextDocument, background: QColor) -> None:
    """Give Markdown code (blocks and inline) a monospace font and a background."""
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    block = doc.begin()
    while block.isValid():
        fmt = block.blockFormat()
        is_code = fmt.hasProperty(QTextFormat.Property.BlockCodeFence) or fmt.hasProperty(
            QTextFormat.Property.BlockCodeLanguage
        )
        cursor = QTextCursor(block)
        if is_code:
            bf = QTextBlockFormat()
            bf.setBackground(background)
            bf.setLeftMargin(6)
            bf.setRightMargin(6)
            cursor.mergeBlockFormat(bf)
            cursor.select(QTextCursor.SelectionType.BlockUnderCursor)
            cf = QTextCharFormat()
            cf.setFont(fixed)
            cursor.mergeCharFormat(cf)
        else:
            it = block.begin()
            while not it.atEnd():
                frag = it.fragment()
                if frag.isValid() and frag.charFormat().fontFixedPitch():
                    c = QTextCursor(doc)
                    c.setPosition(frag.position())
                    c.setPosition(
                        frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor
                    )
                    cf = QTextCharFormat()
                    cf.setBackground(background)
                    cf.setFont(fixed)
                    c.mergeCharFormat(cf)
                it += 1
        block = block.next()


class MessageBody(QTextBrowser):
    """A read-only text view as tall as its content, with token anchors and tooltips."""

    anchor_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.document().setDocumentMargin(2)
        self.tooltip_fn: Callable[[str], str | None] | None = None
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.anchorClicked.connect(self._on_anchor)
        self.setMouseTracking(True)

    def _fit(self, size: object = None) -> None:
        height = math.ceil(self.document().size().height()) + 2 * self.frameWidth()
        if height != self.height():
            self.setFixedHeight(max(height, 8))

    def sizeHint(self) -> QSize:
        return QSize(400, math.ceil(self.document().size().height()))

    def _on_anchor(self, url: QUrl) -> None:
        self.anchor_clicked.emit(url.toString())

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.tooltip_fn is not None:
            pos: QPoint = event.pos()  # type: ignore[attr-defined]
            href = self.anchorAt(pos)
            text = self.tooltip_fn(href) if href else None
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.ignore()  # let the chat's scroll area scroll


def tool_button(text: str, tip: str, parent: QWidget) -> QToolButton:
    b = QToolButton(parent)
    b.setText(text)
    b.setToolTip(tip)
    b.setAutoRaise(True)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    return b


def parse_href(href: str) -> tuple[int, int] | None:
    """(node id, token index) of a heat-mode anchor ``tok:NODE:INDEX``, or None."""
    parts = href.split(":")
    if len(parts) != 3 or parts[0] != token_spans.SCHEME:
        return None
    try:
        return int(parts[1]), int(parts[2])
    except ValueError:
        return None
