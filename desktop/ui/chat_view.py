"""The conversation in the middle of the window: one card (``message_view.MessageView``) per
message on the selected path, in a scroll area that follows a streaming reply; it keeps
the heat mode and the selected token, and forwards the cards' requests as signals."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core.conversation import Conversation, Node
from desktop.ui.message_body import parse_href
from desktop.ui.message_view import MessageView

log = logging.getLogger(__name__)


class ChatView(QScrollArea):
    """The messages on the conversation's selected path."""

    regenerate_requested = Signal(int)  #: assistant node id
    edit_requested = Signal(int, str)  #: user node id, new text
    switch_requested = Signal(int, int)  #: node id, step (-1 / +1)
    token_selected = Signal(int, int)  #: node id, token index
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.conversation: Conversation | None = None
        self.heat_mode = False
        self.heat_metric = "probability"
        self.selected: tuple[int, int] | None = None
        self.streaming_id: int | None = None
        self.busy = False
        self.is_special: Callable[[int], bool] | None = None
        #: how model names are shown (the engine's name -> its file's name)
        self.model_names: dict[str, str] = {}
        self.views: dict[int, MessageView] = {}
        self.notice: str | None = None
        self._stick = True

        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget(self)
        inner.setObjectName("chatInner")
        self.column = QVBoxLayout(inner)
        self.column.setContentsMargins(16, 12, 16, 12)
        self.column.setSpacing(8)
        self.placeholder = QLabel(inner)
        self.placeholder.setObjectName("chatPlaceholder")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.addWidget(self.placeholder)
        self.column.addStretch(1)
        self.setWidget(inner)
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range)
        bar.valueChanged.connect(self._on_scroll)
        self._update_placeholder()

    # --- state -----------------------------------------------------------------------

    def set_conversation(self, conversation: Conversation | None) -> None:
        self.conversation = conversation
        self.selected = None
        self.rebuild()

    def set_busy(self, busy: bool, streaming_id: int | None = None) -> None:
        self.busy = busy
        self.streaming_id = streaming_id if busy else None
        for view in self.views.values():
            view.refresh()

    def set_heat(self, on: bool, metric: str | None = None) -> None:
        self.heat_mode = on
        if metric:
            self.heat_metric = metric
        for view in self.views.values():
            view.refresh()

    def path_nodes(self) -> list[Node]:
        return self.conversation.path() if self.conversation is not None else []

    def rebuild(self) -> None:
        """Show the conversation's selected path (reusing cards still on it)."""
        nodes = self.path_nodes()
        keep = {n.id for n in nodes}
        for nid in list(self.views):
            if nid not in keep:
                gone = self.views.pop(nid)
                self.column.removeWidget(gone)
                gone.deleteLater()
        for i, node in enumerate(nodes):
            view = self.views.get(node.id)
            if view is None:
                view = MessageView(self, node)
                self.views[node.id] = view
            self.column.insertWidget(i, view)
            view.refresh()
        self._update_placeholder()

    def update_node(self, node_id: int) -> None:
        """A streaming reply grew: re-render only its card."""
        view = self.views.get(node_id)
        if view is None:
            self.rebuild()
        else:
            view.refresh()

    def set_notice(self, text: str | None) -> None:
        """Show ``text`` instead of the empty chat's hint (e.g. while a model loads)."""
        self.notice = text
        self._update_placeholder()

    def _update_placeholder(self) -> None:
        self.placeholder.setVisible(not self.views)
        self.placeholder.setText(
            self.notice
            or self.tr(
                "Type a message below to start.\n\n"
                "Turn on heat mode (Ctrl+H) to see how sure the model was of every token, "
                "and click a token to see the candidates it chose from."
            )
        )

    # --- tokens ----------------------------------------------------------------------

    parse_href = staticmethod(parse_href)

    def select_token(self, node_id: int, index: int, notify: bool = True) -> None:
        self.selected = (node_id, index)
        for view in self.views.values():
            if view.node.role == "assistant":
                view.refresh()
        if notify:
            self.token_selected.emit(node_id, index)

    # --- scrolling -------------------------------------------------------------------

    def _on_scroll(self, value: int) -> None:
        self._stick = value >= self.verticalScrollBar().maximum() - 24

    def _on_range(self, _min: int, maximum: int) -> None:
        if self._stick:
            self.verticalScrollBar().setValue(maximum)

    def scroll_to_bottom(self) -> None:
        self._stick = True
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
