"""Buttons that need a model: a container around a button that switches it off, with a
reason as its tooltip, whatever the button's owner does with it (a disabled parent wins)."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLayout, QWidget

#: The object name of the container that switches a model-needing button off.
GATE_NAME = "needsModelGate"


def gate(button: QWidget) -> QWidget:
    """Put ``button`` into a container of its own, in its place in its layout."""
    found = gate_of(button)
    if found is not None:
        return found
    parent = button.parentWidget()
    container = QWidget(parent)
    container.setObjectName(GATE_NAME)
    spot = _find_in_layout(parent.layout(), button) if parent is not None else None
    inner = QHBoxLayout(container)
    inner.setContentsMargins(0, 0, 0, 0)
    inner.setSpacing(0)
    if spot is not None:
        layout, index = spot
        layout.removeWidget(button)
        inner.addWidget(button)
        layout.insertWidget(index, container)
    else:
        inner.addWidget(button)
    button.setProperty("ungatedToolTip", button.toolTip())
    return container


def gate_of(button: QWidget) -> QWidget | None:
    parent = button.parentWidget()
    return parent if parent is not None and parent.objectName() == GATE_NAME else None


def set_gate(button: QWidget, reason: str | None) -> None:
    """Switch a gated button off with ``reason`` as its tooltip, or back on (None)."""
    container = gate(button)
    container.setEnabled(reason is None)
    original = button.property("ungatedToolTip")
    button.setToolTip(reason if reason is not None else str(original or ""))


def _find_in_layout(layout: QLayout | None, widget: QWidget) -> tuple[QBoxLayout, int] | None:
    if layout is None:
        return None
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item is None:
            continue
        if item.widget() is widget and isinstance(layout, QBoxLayout):
            return layout, i
        child = item.layout()
        if child is not None:
            found = _find_in_layout(child, widget)
            if found is not None:
                return found
    return None
