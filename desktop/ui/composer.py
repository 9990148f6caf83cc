"""Where the user types: Enter sends, Shift+Enter starts a new line, Esc stops a reply."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)


class ComposerEdit(QPlainTextEdit):
    """The text box; grows with its text up to a few lines."""

    submit = Signal()
    escape = Signal()

    MAX_LINES = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerEdit")
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().contentsChanged.connect(self.updateGeometry)
        self.document().contentsChanged.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        self.setFixedHeight(self.sizeHint().height())

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        # a plain-text document's height is its number of (wrapped) lines
        lines = max(2, min(self.MAX_LINES, int(self.document().size().height())))
        margins = self.contentsMargins()
        doc_margin = 2 * self.document().documentMargin()
        height = lines * metrics.lineSpacing() + doc_margin + margins.top() + margins.bottom()
        return QSize(300, int(height) + 4)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier):
                self.insertPlainText("\n")
            else:
                self.submit.emit()
            event.accept()
            return
        if key == Qt.Key.Key_Escape:
            self.escape.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """The text box and a button that sends, or stops the reply being written."""

    send_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.busy = False
        self.edit = ComposerEdit(self)
        self.button = QPushButton(self)
        self.button.setObjectName("sendButton")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 10)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignBottom)
        self.edit.submit.connect(self._on_submit)
        self.edit.escape.connect(self._on_escape)
        self.button.clicked.connect(self._on_button)
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        """While a reply is written the button stops it."""
        self.busy = busy
        if busy:
            self.button.setText(self.tr("Stop"))
            self.button.setToolTip(self.tr("Stop the reply (Esc)"))
        else:
            self.button.setText(self.tr("Send"))
            self.button.setToolTip(self.tr("Send (Enter). Shift+Enter starts a new line."))
        self.edit.setPlaceholderText(
            self.tr("The model is writing… press Esc to stop")
            if busy
            else self.tr("Message the model (Enter to send, Shift+Enter for a new line)")
        )
        self.edit.viewport().update()  # Qt repaints a changed placeholder only if shown/hidden

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def _on_submit(self) -> None:
        if self.busy:
            return
        text = self.edit.toPlainText().strip()
        if not text:
            return
        self.edit.clear()
        self.send_requested.emit(text)

    def _on_escape(self) -> None:
        if self.busy:
            self.stop_requested.emit()

    def _on_button(self) -> None:
        if self.busy:
            self.stop_requested.emit()
        else:
            self._on_submit()
