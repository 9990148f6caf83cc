"""The conversation in the middle of the window: one card per message on the selected path.

Replies render as Markdown (code blocks in a monospace font on a tinted background), or,
in heat mode, as one coloured span per token (see ``token_spans``) with a tooltip on
hover and a click that selects the token for the panels. Each card has copy, regenerate
(replies) or edit & resend (your messages), and a ‹ 2/3 › navigator between versions.

It is long (~540 lines) because a card's streaming render — Markdown, or heat spans appended
as they arrive, never splitting a character — and the cards' buttons belong together.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QGuiApplication,
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
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core.conversation import Conversation, Node
from desktop.ui import token_spans
from desktop.ui.thinking_block import (
    ThinkingBlock,
    answer_text,
    has_thinking,
    phases_of,
    split_spans,
)
from desktop.ui.token_spans import Span

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


def _tool_button(text: str, tip: str, parent: QWidget) -> QToolButton:
    b = QToolButton(parent)
    b.setText(text)
    b.setToolTip(tip)
    b.setAutoRaise(True)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    return b


class MessageView(QFrame):
    """One message: who, the text, and its actions."""

    def __init__(self, chat: ChatView, node: Node) -> None:
        super().__init__(chat)
        self.chat = chat
        self.node = node
        self.spans: list[Span] = []
        self._shown: tuple[object, ...] = ()
        #: heat mode: (style, spans shown for good, where the redrawn tail starts)
        self._heat_tail: tuple[object, int, int] | None = None
        is_user = node.role == "user"
        self.setObjectName("userMessage" if is_user else "assistantMessage")
        self.setFrameShape(QFrame.Shape.NoFrame)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 4)
        layout.setSpacing(2)

        self.who = QLabel(self)
        self.who.setObjectName("messageAuthor")
        layout.addWidget(self.who)

        self.thinking: ThinkingBlock | None = None
        if not is_user:
            self.thinking = ThinkingBlock(self._thinking_body, self)
            self.thinking.hide()
            self.thinking.toggle.toggled.connect(lambda _on: self.refresh(force=True))
            layout.addWidget(self.thinking)

        self.body = MessageBody(self)
        self.body.tooltip_fn = self._tooltip
        self.body.anchor_clicked.connect(self._on_anchor)
        layout.addWidget(self.body)

        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("messageEditor")
        self.editor.hide()
        layout.addWidget(self.editor)
        edit_row = QHBoxLayout()
        edit_row.addStretch(1)
        self.cancel_edit = QPushButton(self.tr("Cancel"), self)
        self.send_edit = QPushButton(self.tr("Send as a new version"), self)
        self.send_edit.setDefault(True)
        edit_row.addWidget(self.cancel_edit)
        edit_row.addWidget(self.send_edit)
        self.edit_buttons = QWidget(self)
        self.edit_buttons.setLayout(edit_row)
        self.edit_buttons.hide()
        layout.addWidget(self.edit_buttons)
        self.cancel_edit.clicked.connect(self.stop_editing)
        self.send_edit.clicked.connect(self._send_edit)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        self.prev_btn = _tool_button("‹", self.tr("Previous version"), self)
        self.version = QLabel(self)
        self.version.setObjectName("versionLabel")
        self.next_btn = _tool_button("›", self.tr("Next version"), self)
        self.prev_btn.clicked.connect(lambda: chat.switch_requested.emit(self.node.id, -1))
        self.next_btn.clicked.connect(lambda: chat.switch_requested.emit(self.node.id, 1))
        for w in (self.prev_btn, self.version, self.next_btn):
            bar.addWidget(w)
        self.copy_btn = _tool_button(self.tr("Copy"), self.tr("Copy this message"), self)
        self.copy_btn.clicked.connect(self.copy)
        bar.addWidget(self.copy_btn)
        if is_user:
            self.action_btn = _tool_button(
                self.tr("Edit"), self.tr("Edit this message and send it as a new version"), self
            )
            self.action_btn.clicked.connect(self.start_editing)
        else:
            self.action_btn = _tool_button(
                self.tr("Regenerate"), self.tr("Write a new version of this reply"), self
            )
            self.action_btn.clicked.connect(
                lambda: chat.regenerate_requested.emit(self.node.id)
            )
        bar.addWidget(self.action_btn)
        bar.addStretch(1)
        self.info = QLabel(self)
        self.info.setObjectName("messageInfo")
        bar.addWidget(self.info)
        layout.addLayout(bar)

    # --- rendering -------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        chat, node = self.chat, self.node
        streaming = chat.streaming_id == node.id
        heat = chat.heat_mode and node.role == "assistant" and bool(node.traces)
        key = (
            len(node.content), len(node.traces), node.finish_reason, heat, chat.heat_metric,
            self._selected_index() if heat else None, streaming,
        )
        if key != self._shown or force:
            self._shown = key
            self._render_body(heat, streaming)
        self._render_chrome(streaming)

    def _thinking_body(self, parent: QWidget) -> QTextBrowser:
        body = MessageBody(parent)
        body.tooltip_fn = self._tooltip
        body.anchor_clicked.connect(self._on_anchor)
        return body

    def _render_thinking(self, heat: bool, cursor: str) -> bool:
        """Show the reply's thinking block (if it has one) and its answer; True if done."""
        node, chat = self.node, self.chat
        if self.thinking is None or not has_thinking(node):
            if self.thinking is not None:
                self.thinking.hide()
            return False
        spans = token_spans.group_traces(node.traces, chat.is_special)
        think, answer = split_spans(spans, phases_of(node))
        selected = self._selected_index()
        self.thinking.show()
        self.thinking.show_thinking(node, think, chat.heat_metric, selected, heat)
        self._heat_tail = None
        self.spans = spans
        if heat:
            self.body.setHtml(token_spans.heat_html(node.id, answer, chat.heat_metric,
                                                    selected, cursor))
        else:
            self.body.setMarkdown(answer_text(node).rstrip("\ufffd") + cursor)
            style_code(self.body.document(), code_background(QGuiApplication.palette()))
        return True

    def _render_body(self, heat: bool, streaming: bool) -> None:
        node = self.node
        cursor = STREAM_CURSOR if streaming else ""
        if node.role == "assistant" and self._render_thinking(heat, cursor):
            return
        if heat:
            self._render_heat(cursor)
            return
        self._heat_tail = None
        if node.role == "user":
            self.body.setPlainText(node.content)
        elif not node.content and streaming:
            reading = self.tr("Reading your message…")
            self.body.setHtml(f"<i>{reading}</i>")
        else:
            self.spans = []
            text = node.content
            if node.finish_reason in ("length", "context", "cancelled", "interrupted"):
                # cut in the middle of a character: its first bytes are no character at all
                # (heat mode shows them as <0xNN>)
                text = text.rstrip("\ufffd")
            self.body.setMarkdown(text + cursor)
            # the application's palette: the transparent body's own Base is see-through
            style_code(self.body.document(), code_background(QGuiApplication.palette()))

    def _selected_index(self) -> int | None:
        selected = self.chat.selected
        return selected[1] if selected is not None and selected[0] == self.node.id else None

    def _render_heat(self, cursor_text: str) -> None:
        """One coloured anchor per span. While a reply streams, only what is new is added:
        the spans already shown stay, the last one (it may still grow) is redrawn."""
        node, chat = self.node, self.chat
        spans = token_spans.group_traces(node.traces, chat.is_special)
        selected = self._selected_index()
        style = (chat.heat_metric, selected)
        tail = self._heat_tail
        stable = len(spans) - 1
        old = self.spans
        if (
            tail is None
            or tail[0] != style
            or tail[1] > stable
            or (tail[1] > 0 and spans[tail[1] - 1].end != old[tail[1] - 1].end)
        ):
            self.body.setHtml(token_spans.heat_html(node.id, [], chat.heat_metric))
            tail = (style, 0, 0)
        _, shown, pos = tail
        doc = self.body.document()
        cursor = QTextCursor(doc)
        cursor.setPosition(pos)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.insertHtml(
            token_spans.spans_fragment(node.id, spans[shown:stable], chat.heat_metric, selected)
        )
        pos = cursor.position()
        cursor.insertHtml(
            token_spans.spans_fragment(
                node.id, spans[stable:], chat.heat_metric, selected, cursor_text
            )
        )
        self._heat_tail = (style, stable, pos)
        self.spans = spans

    def _render_chrome(self, streaming: bool) -> None:
        node, chat = self.node, self.chat
        if node.role == "user":
            self.who.setText(self.tr("You"))
        else:
            model = chat.model_names.get(node.model, node.model)
            self.who.setText(model or self.tr("Assistant"))
        conv = chat.conversation
        sibs = conv.siblings(node.id) if conv is not None else [node.id]
        many = len(sibs) > 1
        for w in (self.prev_btn, self.version, self.next_btn):
            w.setVisible(many)
        if many:
            self.version.setText(f"{sibs.index(node.id) + 1}/{len(sibs)}")
        idle = not chat.busy
        self.prev_btn.setEnabled(idle)
        self.next_btn.setEnabled(idle)
        self.action_btn.setEnabled(idle)
        self.copy_btn.setEnabled(not streaming)
        self.info.setText(self._info_text(streaming))

    def _info_text(self, streaming: bool) -> str:
        node = self.node
        if node.role != "assistant":
            return ""
        parts = []
        if node.branched_at is not None:
            parts.append(self.tr("branched at token %1").replace("%1", str(node.branched_at + 1)))
        n = len(node.traces)
        if n:
            parts.append(self.tr("%n token(s)", "", n))
        tps = node.stats.get("gen_tps")
        if tps and not streaming:
            parts.append(self.tr("%1 tokens/s").replace("%1", f"{tps:.1f}"))
        reasons = {
            "length": self.tr("stopped at the reply length limit"),
            "context": self.tr("the context window is full"),
            "cancelled": self.tr("stopped"),
            "interrupted": self.tr("interrupted"),
        }
        if node.finish_reason in reasons:
            parts.append(reasons[node.finish_reason])
        return " · ".join(parts)

    # --- actions ---------------------------------------------------------------------

    def _tooltip(self, href: str) -> str | None:
        target = self.chat.parse_href(href)
        if target is None or target[0] != self.node.id:
            return None
        span = token_spans.span_at(self.spans, target[1])
        return token_spans.tooltip_html(span, self.node.traces) if span else None

    def _on_anchor(self, href: str) -> None:
        target = self.chat.parse_href(href)
        if target is not None:
            self.chat.select_token(*target)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.node.content)
        self.chat.status_message.emit(self.tr("Copied to the clipboard"))

    def start_editing(self) -> None:
        self.editor.setPlainText(self.node.content)
        self.body.hide()
        self.editor.show()
        self.edit_buttons.show()
        self.editor.setFocus()
        self.editor.setMinimumHeight(80)

    def stop_editing(self) -> None:
        self.editor.hide()
        self.edit_buttons.hide()
        self.body.show()

    def _send_edit(self) -> None:
        text = self.editor.toPlainText().strip()
        if not text:
            return
        self.stop_editing()
        self.chat.edit_requested.emit(self.node.id, text)


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

    @staticmethod
    def parse_href(href: str) -> tuple[int, int] | None:
        parts = href.split(":")
        if len(parts) != 3 or parts[0] != token_spans.SCHEME:
            return None
        try:
            return int(parts[1]), int(parts[2])
        except ValueError:
            return None

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
