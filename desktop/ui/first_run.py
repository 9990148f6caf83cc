"""The page shown while no model is loaded: what a model is, and how to get one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)


class FirstRunPage(QWidget):
    download_requested = Signal()
    open_requested = Signal()
    browse_requested = Signal()  #: open the Models window (search and download)
    server_requested = Signal()  #: File ▸ Connect to a server…
    reconnect_requested = Signal()  #: the last server connection again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunPage")
        # the card scrolls when the window leaves it little height: text is never clipped
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget(scroll)
        inner.setObjectName("firstRunInner")
        scroll.setWidget(inner)
        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(scroll)
        outer = QVBoxLayout(inner)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        card = QFrame(inner)
        card.setObjectName("firstRunCard")
        card.setMaximumWidth(620)
        row.addWidget(card, 10)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        layout = QVBoxLayout(card)
        layout.setSpacing(12)
        title = QLabel(self.tr("Welcome to Tokenscope"), card)
        title.setObjectName("firstRunTitle")
        layout.addWidget(title)

        intro = QLabel(
            self.tr(
                "A language model is a file of numbers (a <b>.gguf</b> file here) that, given "
                "some text, gives every possible next <i>token</i> (a word or a piece of one) "
                "a probability. Tokenscope runs the model on your computer, offline, and shows "
                "you those probabilities as it writes: which tokens it hesitated between, how "
                "sure it was, and what it actually reads."
            ),
            card,
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)

        hint = QLabel(self.tr("To start, you need a model:"), card)
        layout.addWidget(hint)

        self.download_button = QPushButton(
            self.tr("Download the starter model (SmolLM2-135M, 100 MB)"), card
        )
        self.download_button.setObjectName("downloadStarter")
        self.download_button.setDefault(True)
        self.download_button.setToolTip(
            self.tr("A small, fast chat model: good for learning, not for facts.")
        )
        self.download_button.clicked.connect(self.download_requested)
        layout.addWidget(self.download_button)

        self.open_button = QPushButton(self.tr("Open a .gguf file…"), card)
        self.open_button.setObjectName("openGguf")
        self.open_button.clicked.connect(self.open_requested)
        layout.addWidget(self.open_button)

        self.browse_button = QPushButton(self.tr("Browse and download models…"), card)
        self.browse_button.setObjectName("browseModels")
        self.browse_button.setToolTip(
            self.tr("Search Hugging Face for GGUF models, see which ones fit your computer, "
                    "and download them")
        )
        self.browse_button.clicked.connect(self.browse_requested)
        layout.addWidget(self.browse_button)

        self.server_button = QPushButton(self.tr("Connect to a server…"), card)
        self.server_button.setObjectName("connectServer")
        self.server_button.setToolTip(self.tr(
            "Chat with a model served elsewhere: vLLM, llama.cpp's llama-server or any "
            "OpenAI-compatible server"))
        self.server_button.clicked.connect(self.server_requested)
        layout.addWidget(self.server_button)

        self.reconnect_button = QPushButton(card)
        self.reconnect_button.setObjectName("reconnectServer")
        self.reconnect_button.clicked.connect(self.reconnect_requested)
        self.reconnect_button.hide()  # offer_reconnect shows it
        layout.insertWidget(layout.indexOf(self.download_button), self.reconnect_button)

        self.progress = QProgressBar(card)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = QLabel(card)
        self.status.setWordWrap(True)
        self.status.setObjectName("firstRunStatus")
        layout.addWidget(self.status)

        note = QLabel(
            self.tr(
                "Any chat model in GGUF format works. Bigger models write better but need "
                "more memory; the Models window (File → Models…) shows which ones fit."
            ),
            card,
        )
        note.setWordWrap(True)
        note.setObjectName("firstRunNote")
        layout.addWidget(note)

    def set_busy(self, message: str | None) -> None:
        """Show progress (``message``), or the buttons again (``None``)."""
        busy = message is not None
        self.progress.setVisible(busy)
        self.download_button.setEnabled(not busy)
        self.open_button.setEnabled(not busy)
        self.browse_button.setEnabled(not busy)
        self.server_button.setEnabled(not busy)
        self.reconnect_button.setEnabled(not busy)
        self.status.setText(message or "")

    def offer_reconnect(self, model: str, server: str) -> None:
        """Offer, first, the connection the window used last (``model`` on ``server``)."""
        name = model.replace("\\", "/").rsplit("/", 1)[-1]
        self.reconnect_button.setText(
            self.tr("Reconnect to %1 on %2").replace("%1", name).replace("%2", server))
        self.reconnect_button.show()

    def set_error(self, message: str) -> None:
        self.set_busy(None)
        self.status.setText(message)
