"""The per-model chat template choice: "auto" (the file's own, else llama.cpp's built-in
format for the model), the file's own, plain text, or any llama.cpp built-in format.
Stored in the settings as {model path: choice} (``model/chat_formats``)."""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QWidget

from desktop.core.builtin_templates import builtin_names

KEY = "model/chat_formats"


def chat_formats(settings: QSettings) -> dict[str, str]:
    try:
        data = json.loads(str(settings.value(KEY) or "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def chat_format_for(settings: QSettings, path: str) -> str | None:
    """The choice for the model at ``path`` (None: automatic)."""
    choice = chat_formats(settings).get(path)
    return None if choice in (None, "auto") else choice


def set_chat_format(settings: QSettings, path: str, choice: str) -> None:
    data = chat_formats(settings)
    if choice == "auto":
        data.pop(path, None)
    else:
        data[path] = choice
    settings.setValue(KEY, json.dumps(data))


class ChatFormatPicker(QComboBox):
    """A combo box of the choices; ``bind(settings, path)`` shows and then saves one model's."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatFormatPicker")
        self.addItem(self.tr("Automatic"), "auto")
        self.addItem(self.tr("The file's own"), "file")
        self.addItem(self.tr("Plain text"), "plain")
        for name in builtin_names():
            self.addItem(self.tr("llama.cpp: %1").replace("%1", name), name)
        self.setToolTip(self.tr(
            "The chat template for this model. Automatic: the file's own, or for a file without "
            "one llama.cpp's built-in format for the model (e.g. Gemma's turns). Applies the "
            "next time the model is loaded."))
        self._settings: QSettings | None = None
        self._path = ""
        self.currentIndexChanged.connect(self._save)

    def bind(self, settings: QSettings, path: str) -> None:
        self._settings, self._path = None, path
        choice = chat_formats(settings).get(path, "auto")
        i = self.findData(choice)
        self.setCurrentIndex(max(0, i))
        self._settings = settings

    def _save(self) -> None:
        if self._settings is not None and self._path:
            set_chat_format(self._settings, self._path, str(self.currentData()))
