"""The status bar says how the chat template was chosen when it is not the model's own."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QStatusBar

from desktop.core.engine import Engine, LoadOptions
from desktop.core.session import ChatSession
from desktop.ui.window.state import AppState
from desktop.ui.window.status_bar import StatusLine
from tests.models import spm_vocab_with, write_tiny_spm_model


def line_for(qtbot, engine: Engine) -> StatusLine:
    state = AppState()
    bar = QStatusBar()
    qtbot.addWidget(bar)
    line = StatusLine(state, bar)
    state.set_engine(engine, {"backend": "CPU"}, ChatSession(engine))
    return line


def test_a_broken_template_is_a_visible_warning(qtbot, tmp_path: Path) -> None:
    path = write_tiny_spm_model(tmp_path / "broken.gguf", chat_template="{% for %}")
    with Engine(path, LoadOptions(n_ctx=256, n_threads=2)) as e:
        line = line_for(qtbot, e)
        assert not line.template_label.isHidden()
        assert "plain chat template" in line.template_label.text()
        assert "not valid Jinja" in line.template_label.toolTip()


def test_a_file_without_a_template_names_llama_cpps_format(qtbot, tmp_path: Path) -> None:
    vocab = spm_vocab_with(["<start_of_turn>", "<end_of_turn>"])
    path = write_tiny_spm_model(tmp_path / "g.gguf", vocab=vocab, chat_template=None)
    with Engine(path, LoadOptions(n_ctx=256, n_threads=2)) as e:
        line = line_for(qtbot, e)
        assert "gemma" in line.template_label.text()
        assert "no template in the file" in line.template_label.toolTip()


def test_the_models_own_template_says_nothing(qtbot, tiny_engine) -> None:
    line = line_for(qtbot, tiny_engine)
    assert line.template_label.isHidden()
