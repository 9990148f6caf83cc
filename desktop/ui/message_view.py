"""One message card of the chat: who, the text (Markdown, or heat spans appended as they
stream, a reply's thinking block above it), and its buttons (copy, edit & resend or
regenerate, a ‹ 2/3 › navigator). It asks the chat around it (``ChatHost``: ``ChatView``)
for the heat mode, the selection and where to send requests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, cast

from PySide6.QtGui import (
    QGuiApplication,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import desktop.ui.compat  # noqa: F401  (first: a PySide6 bug work-around)
from desktop.core.conversation import Conversation, Node
from desktop.ui import token_spans
from desktop.ui.message_body import (
    STREAM_CURSOR,
    MessageBody,
    code_background,
    parse_href,
    style_code,
    tool_button,
)
from desktop.ui.thinking_block import (
    ThinkingBlock,
    answer_text,
    has_thinking,
    phases_of,
    split_spans,
)
from desktop.ui.token_spans import Span

log = logging.getLogger(__name__)


class ChatHost(Protocol):
    """What a message card needs from the chat that holds it."""

    busy: bool
    conversation: Conversation | None
    heat_mode: bool
    heat_metric: str
    is_special: Callable[[int], bool] | None
    model_names: dict[str, str]
    selected: tuple[int, int] | None
    streaming_id: int | None
    edit_requested: Any
    regenerate_requested: Any
    switch_requested: Any
    status_message: Any

    def select_token(self, node_id: int, index: int, notify: bool = True) -> None: ...


class MessageView(QFrame):
    """One message: who, the text, and its actions."""

    def __init__(self, chat: ChatHost, node: Node) -> None:
        super().__init__(cast(QWidget, chat))
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
        self.prev_btn = tool_button("‹", self.tr("Previous version"), self)
        self.version = QLabel(self)
        self.version.setObjectName("versionLabel")
        self.next_btn = tool_button("›", self.tr("Next version"), self)
        self.prev_btn.clicked.connect(lambda: chat.switch_requested.emit(self.node.id, -1))
        self.next_btn.clicked.connect(lambda: chat.switch_requested.emit(self.node.id, 1))
        for w in (self.prev_btn, self.version, self.next_btn):
            bar.addWidget(w)
        self.copy_btn = tool_button(self.tr("Copy"), self.tr("Copy this message"), self)
        self.copy_btn.clicked.connect(self.copy)
        bar.addWidget(self.copy_btn)
        if is_user:
            self.action_btn = tool_button(
                self.tr("Edit"), self.tr("Edit this message and send it as a new version"), self
            )
            self.action_btn.clicked.connect(self.start_editing)
        else:
            self.action_btn = tool_button(
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
        target = parse_href(href)
        if target is None or target[0] != self.node.id:
            return None
        span = token_spans.span_at(self.spans, target[1])
        return token_spans.tooltip_html(span, self.node.traces) if span else None

    def _on_anchor(self, href: str) -> None:
        target = parse_href(href)
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
