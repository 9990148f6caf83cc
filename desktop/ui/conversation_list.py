"""The conversations dock: saved conversations by last activity, a search field, and
new / rename / delete.

The widget only shows ``Entry`` rows and asks for new / rename / delete with signals; the
conversations controller decides what the rows are (saved in the store, or only in
memory) and what new / rename / delete do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QDateTime,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Conversation

#: the second, dimmer line of a row
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 1
#: wait this long after the last key press before searching
SEARCH_DELAY_MS = 200

ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass
class Entry:
    """One row: a saved conversation (``conv_id``) or one only in memory (``conv``)."""

    title: str
    subtitle: str = ""
    tooltip: str = ""
    conv_id: int | None = None
    conv: Conversation | None = None


def when_text(stamp: float, now: float | None = None) -> str:
    """A short, local "when" for a conversation's last activity."""
    locale = QLocale()
    moment = QDateTime.fromSecsSinceEpoch(int(stamp))
    then = datetime.fromtimestamp(stamp)
    today = datetime.fromtimestamp(now if now is not None else time.time())
    if then.date() == today.date():
        return locale.toString(moment.time(), QLocale.FormatType.ShortFormat)
    return locale.toString(moment.date(), QLocale.FormatType.ShortFormat)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


class EntryDelegate(QStyledItemDelegate):
    """Two lines per conversation: its title, and a dimmer line under it (when and how
    long, or where a search matched)."""

    PAD = 6

    def _small(self, font: QFont) -> QFont:
        small = QFont(font)
        if small.pointSizeF() > 0:
            small.setPointSizeF(small.pointSizeF() * 0.88)
        else:
            small.setPixelSize(max(8, round(small.pixelSize() * 0.88)))
        return small

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title = opt.text
        subtitle = str(index.data(SUBTITLE_ROLE) or "")
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (QPalette.ColorGroup.Active if opt.state & QStyle.StateFlag.State_Active
                 else QPalette.ColorGroup.Inactive)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_color = opt.palette.color(group, role)
        back = opt.palette.color(
            group, QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base
        )
        rect = opt.rect.adjusted(self.PAD, self.PAD // 2, -self.PAD, -self.PAD // 2)
        fm = QFontMetrics(opt.font)
        small = self._small(opt.font)
        fm_small = QFontMetrics(small)
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(text_color)
        top = QRect(rect.left(), rect.top(), rect.width(), fm.height())
        painter.drawText(
            top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(title, Qt.TextElideMode.ElideRight, rect.width()),
        )
        if subtitle:
            painter.setFont(small)
            painter.setPen(_mix(back, text_color, 0.62))
            line = QRect(rect.left(), top.bottom() + 2, rect.width(), fm_small.height())
            painter.drawText(
                line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                fm_small.elidedText(subtitle, Qt.TextElideMode.ElideRight, rect.width()),
            )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        fm = QFontMetrics(option.font)
        fm_small = QFontMetrics(self._small(option.font))
        return QSize(fm.averageCharWidth() * 16, fm.height() + fm_small.height() + 2 + self.PAD)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> None:
        """Renaming edits the title line only."""
        fm = QFontMetrics(option.font)
        r = option.rect
        editor.setGeometry(QRect(r.left() + 2, r.top() + 1, r.width() - 4, fm.height() + 8))


class ConversationList(QWidget):
    """The conversations, most recent first, with a search field, new / rename / delete."""

    search_changed = Signal(str)  #: the search text, once typing pauses
    new_requested = Signal()
    rename_requested = Signal()
    delete_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[Entry] = []
        self._editable = True
        self.search = QLineEdit(self)
        self.search.setObjectName("conversationSearch")
        self.search.setPlaceholderText(self.tr("Search conversations"))
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip(self.tr("Finds conversations whose title or messages contain "
                                       "the text"))
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._emit_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._emit_search)

        self.list = QListWidget(self)
        self.list.setObjectName("conversationList")
        self.list.setItemDelegate(EntryDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemDoubleClicked.connect(self._rename_item)
        self.empty_label = QLabel(self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setObjectName("conversationListEmpty")
        self.empty_label.hide()
        self.notice = QLabel(self)
        self.notice.setObjectName("historyNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.new_button = QToolButton(self)
        self.new_button.setText(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("Start a new conversation"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_button.clicked.connect(self.new_requested)
        self.rename_button = QToolButton(self)
        self.rename_button.setText(self.tr("Rename"))
        self.rename_button.clicked.connect(self.rename_requested)
        self.delete_button = QToolButton(self)
        self.delete_button.setText(self.tr("Delete"))
        self.delete_button.clicked.connect(self.delete_requested)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.new_button)
        row.addStretch(1)
        row.addWidget(self.rename_button)
        row.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.notice)
        self.set_editable(True)

    # --- public API ----------------------------------------------------------------

    def set_entries(self, entries: list[Entry], current: int) -> None:
        """Show ``entries``; ``current`` is the row to select (-1: none). No signals."""
        self.entries = list(entries)
        lst = self.list
        lst.blockSignals(True)
        lst.clear()
        for entry in self.entries:
            item = QListWidgetItem(entry.title)
            item.setData(SUBTITLE_ROLE, entry.subtitle)
            item.setToolTip(entry.tooltip or entry.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            lst.addItem(item)
        lst.setCurrentRow(current)
        lst.blockSignals(False)
        searching = bool(self.search_text())
        self.empty_label.setVisible(searching and not self.entries)
        self.empty_label.setText(self.tr("No conversation contains “%1”.").replace(
            "%1", self.search_text()))
        self.delete_button.setEnabled(bool(self.entries) and self._editable)

    def search_text(self) -> str:
        return self.search.text().strip()

    def set_notice(self, text: str | None, tooltip: str = "") -> None:
        """A line under the list about the history itself (not saved, read-only)."""
        self.notice.setVisible(bool(text))
        self.notice.setText(text or "")
        self.notice.setToolTip(tooltip)
        warn = QColor(200, 120, 0) if self.palette().color(
            QPalette.ColorRole.Window).lightness() > 128 else QColor(240, 180, 80)
        self.notice.setStyleSheet(f"color: {warn.name()}; padding: 2px;")

    def set_editable(self, editable: bool, reason: str = "") -> None:
        """Rename and delete are off in a read-only history (``reason`` says why)."""
        self._editable = editable
        for button, tip in ((self.rename_button, self.tr("Rename the selected conversation")),
                            (self.delete_button, self.tr("Delete the selected conversation"))):
            button.setEnabled(editable)
            button.setToolTip(tip if editable else reason)
        self.delete_button.setEnabled(editable and bool(self.entries))

    # --- internals -----------------------------------------------------------------

    def _emit_search(self) -> None:
        self._search_timer.stop()
        self.search_changed.emit(self.search_text())

    def _rename_item(self, _item: QListWidgetItem) -> None:
        self.rename_requested.emit()

    def _menu(self, pos: QPoint) -> None:
        if self.list.itemAt(pos) is None or not self._editable:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("Rename…"), self.rename_requested.emit)
        menu.addAction(self.tr("Delete…"), self.delete_requested.emit)
        menu.exec(self.list.mapToGlobal(pos))

    def row_of(self, match: Any) -> int:
        """The row showing ``match`` (a Conversation, or a saved conversation's id)."""
        for i, entry in enumerate(self.entries):
            if isinstance(match, Conversation):
                if entry.conv is match or (match.id is not None and entry.conv_id == match.id):
                    return i
            elif entry.conv_id == match:
                return i
        return -1
