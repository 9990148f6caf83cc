"""The per-model chat template picker: saved by model path, used when the model loads."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from desktop.core.builtin_templates import BuiltinTemplate
from desktop.core.session import ChatSession
from desktop.ui.chat_format_picker import ChatFormatPicker, chat_format_for


def test_the_choice_is_saved_per_model_and_used_by_a_session(qtbot, tmp_path, tiny_engine) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    picker = ChatFormatPicker()
    qtbot.addWidget(picker)
    picker.bind(settings, str(tiny_engine.path))
    assert (
        picker.currentData() == "auto" and chat_format_for(settings, str(tiny_engine.path)) is None
    )
    picker.setCurrentIndex(picker.findData("gemma"))
    assert chat_format_for(settings, str(tiny_engine.path)) == "gemma"
    assert chat_format_for(settings, "/other/model.gguf") is None
    session = ChatSession(tiny_engine, chat_format=chat_format_for(settings, str(tiny_engine.path)))
    assert isinstance(session.template, BuiltinTemplate) and session.template.builtin == "gemma"
    picker.bind(settings, "/other/model.gguf")  # another model shows its own choice
    assert picker.currentData() == "auto"
    picker.bind(settings, str(tiny_engine.path))
    assert picker.currentData() == "gemma"
    picker.setCurrentIndex(picker.findData("auto"))
    assert chat_format_for(settings, str(tiny_engine.path)) is None
