"""The Lab: opens the Lab window (one, kept, non-modal) for the loaded model's file.

The window loads its own engine for that file (see ``desktop.ui.lab.worker``), saves into
the conversation store's ``results`` table, and is closed with the main window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QWidget

from desktop.ui.window.history import History
from desktop.ui.window.state import AppState


class Lab(QObject):
    def __init__(self, state: AppState, history: History, parent: QWidget) -> None:
        super().__init__(parent)
        self.state = state
        self.history = history
        self.parent_widget = parent
        self.window: Any = None

    def model_path(self) -> Path | None:
        """The loaded model's file; None without one, or for a remote server (the Lab
        needs the model's logits, which a server does not give)."""
        path = getattr(self.state.engine, "path", None)
        return path if isinstance(path, Path) and path.is_file() else None

    @Slot()
    def open(self) -> Any:
        """Show the Lab window; returns it."""
        if self.window is None:
            from desktop.ui.lab.window import LabWindow

            self.window = LabWindow(self.model_path, self.history.store, self.parent_widget)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        return self.window

    def close(self) -> None:
        if self.window is not None:
            self.window.close()
