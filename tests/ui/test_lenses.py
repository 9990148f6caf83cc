"""The Lenses window over the main window's real parts (tiny model, offscreen): step mode
by keyboard, scoring a pasted text and the user's own prompt, comparing the model with
itself and with a requantized copy, charts exported, results saved and reopened."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.core.sampling import SamplerSettings
from desktop.ui.lenses.window import LensesWindow, lenses_window

TIMEOUT = 60_000
SHOTS = os.environ.get("TOKENSCOPE_SHOTS")  # a directory: save screenshots there


def shot(widget: Any, name: str) -> None:
    if SHOTS:
        from PySide6.QtWidgets import QApplication

        for _ in range(5):
            QApplication.processEvents()
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture
def lenses(qtbot: Any, window: Any, store: Any) -> LensesWindow:
    store.save_preset("test", SamplerSettings(seed=4))
    store.preset_name = "test"
    window.state.session.settings = SamplerSettings(seed=4)
    window.action("score").trigger()  # the Lenses menu opens the window
    win = lenses_window(window)
    assert win.isVisible() and win.tabs.currentWidget() is win.score
    return win


def idle(qtbot: Any, win: LensesWindow) -> None:
    qtbot.waitUntil(lambda: not win.lenses.busy, timeout=TIMEOUT)


def test_step_mode_by_keyboard_and_kept_as_a_branch(qtbot: Any, window: Any,
                                                   lenses: LensesWindow) -> None:
    view = lenses.step
    lenses.show_view("step")
    view.prompt.setText("Hello")
    view.start_button.click()
    # the prompt is read off the UI thread: the keys wait until the candidates are there
    assert lenses.lenses.busy and not view.sample_button.isEnabled()
    idle(qtbot, lenses)
    assert view.stepper is not None and not view.inspector.scroll_area.isHidden()
    assert view.sample_button.isEnabled()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Space)  # the sampler draws
    idle(qtbot, lenses)
    qtbot.keyClick(view, Qt.Key.Key_2)  # the second candidate
    idle(qtbot, lenses)
    first_two = list(view.stepper.tokens)
    assert len(first_two) == 2 and [s.forced for s in view.stepper.steps] == [False, True]
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    idle(qtbot, lenses)
    assert view.stepper.tokens == first_two[:1]
    view.typed.setText(" world")
    qtbot.keyClick(view.typed, Qt.Key.Key_Return)
    idle(qtbot, lenses)
    n = len(view.stepper.steps)
    assert n >= 2 and view.stepper.text.endswith(" world")
    shot(lenses, "step")
    view.keep_button.click()
    reply = window.state.last_reply()
    assert reply is not None and reply.tokens == view.stepper.tokens
    assert reply.stats["stepped"][0] is False
    assert window.state.current.id is not None  # saved with its conversation
    again = window.history.store.load(window.state.current.id)
    assert again.nodes[reply.id].tokens == reply.tokens

    # from the middle of a reply: the tokens before the selected one stay
    window.state.select_token(reply.id, 1)
    view.from_reply.click()
    idle(qtbot, lenses)
    assert view.stepper.tokens == reply.tokens[:1]
    qtbot.keyClick(view, Qt.Key.Key_1)
    idle(qtbot, lenses)
    view.keep_button.click()
    branch = window.state.last_reply()
    assert branch is not reply and branch.parent == reply.parent and branch.branched_at == 1
    assert branch.tokens[:1] == reply.tokens[:1]
    assert window.state.current.siblings(branch.id) == [reply.id, branch.id]


def test_score_a_pasted_text_then_the_users_prompt(qtbot: Any, window: Any,
                                                   lenses: LensesWindow, tmp_path: Path) -> None:
    view = lenses.score
    view.text.setPlainText("The quick brown fox jumps over the lazy dog.")
    view.score_button.click()
    assert window.state.loading and not window.composer.button.isEnabled()  # model busy
    idle(qtbot, lenses)
    assert not window.state.loading
    r = view.result
    assert r is not None, view.summary.text()
    assert r.tokens and "perplexity" in view.summary.text()
    assert sum(view.histogram.rows[i]["value"] for i in range(4)) == len(r.tokens)
    view.heat.token_clicked.emit(3)
    assert view.candidates.rowCount() == len(r.tokens[2].top)
    view.histogram.export(tmp_path / "h.png")
    view.surprisal.export(tmp_path / "s.csv")
    view.histogram.export(tmp_path / "h.json")
    assert (tmp_path / "h.png").stat().st_size > 1000
    assert (tmp_path / "s.csv").read_text().splitlines()[0] == "index,token,value"
    assert [x["label"] for x in json.loads((tmp_path / "h.json").read_text())] == [
        "top-10", "top-100", "top-1000", "beyond"]
    shot(lenses, "score")
    view.save_button.click()

    # the user's own prompt, in its place in the conversation
    window.composer.edit.setPlainText("What is the capital of France?")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.state.generating, timeout=TIMEOUT)
    user = window.state.current.path()[0]
    view.use_message(user.id)
    assert view.context.currentData() == "user"
    view.mode.setCurrentIndex(view.mode.findData("exact"))
    view.score_button.click()
    idle(qtbot, lenses)
    assert view.result.context == "user", view.summary.text()
    assert "".join(t.text for t in view.result.tokens) == user.content
    view.save_button.click()  # saved with the conversation, and exported with it
    from desktop.core.export import to_json
    from desktop.core.results import results_of

    saved = results_of(window.history.store, window.state.current.id)
    assert [r["data"]["context"] for r in saved] == ["user"]
    exported = to_json(window.state.current, results=saved)
    assert exported["results"][0]["kind"] == "score"

    # a reply: its own tokens after its own prompt, in exact mode = its trace
    reply = window.state.current.path()[1]
    view.use_message(reply.id)
    view.score_button.click()
    idle(qtbot, lenses)
    assert [t.token for t in view.result.tokens] == reply.tokens, view.summary.text()
    for s, t in zip(view.result.tokens, reply.traces):
        assert s.p == pytest.approx(t.p_model, rel=1e-5)


def test_compare_with_itself_and_saved_results_reopen(qtbot: Any, window: Any,
                                                      lenses: LensesWindow,
                                                      tiny_model: Path, tmp_path: Path) -> None:
    view = lenses.compare
    lenses.show_view("compare")
    view.model_b.setText(str(tiny_model))
    view.text.setPlainText("Hello world! How are you today?")
    view.compare_button.click()
    idle(qtbot, lenses)
    r = view.result
    assert r is not None and r.mean_kl_bits == 0.0 and r.top1_agreement == 1.0
    view.save_button.click()

    # a lower-bit copy, made here with a progress bar
    view.qtype.setCurrentText("Q4_0")
    view.quantize(tmp_path / "tiny-Q4_0.gguf")
    assert view.progress.isVisible()
    idle(qtbot, lenses)
    assert view.model_b.text() == str(tmp_path / "tiny-Q4_0.gguf")
    assert not view.progress.isVisible()
    view.compare_button.click()
    idle(qtbot, lenses)
    assert view.result.mean_kl_bits > 0.0
    view.heat.token_clicked.emit(2)
    assert "KL" in view.token_label.text()
    shot(lenses, "compare")

    # the same reply, read by both: its own tokens after its own prompt
    window.composer.edit.setPlainText("Hi")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.state.generating, timeout=TIMEOUT)
    reply = window.state.last_reply()
    view.source.setCurrentIndex(view.source.findData(reply.id))
    view._source_chosen(view.source.currentIndex())
    assert view.text.toPlainText() == reply.content
    view.compare_button.click()
    idle(qtbot, lenses)
    assert [x.token for x in view.result.rows] == reply.tokens

    lenses.show_view("saved")
    lenses.refresh_saved()
    assert lenses.saved_list.count() == 1  # the comparison saved above
    lenses.saved_list.setCurrentRow(0)
    view.result = None
    lenses.open_saved()  # no model needed: the numbers are stored
    assert view.result is not None and view.result.mean_kl_bits == 0.0
    lenses.export_saved(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["kind"] == "compare"


def test_the_lenses_speak_chinese(qtbot: Any, store: Any, ui_engine: Any, qapp: Any) -> None:
    from PySide6.QtCore import QLocale

    from desktop.ui.app import install_translators
    from desktop.ui.main_window import MainWindow

    default = QLocale()
    install_translators(qapp, "zh_CN")
    try:
        win = MainWindow(store, engine=ui_engine, restore_layout=False)
        qtbot.addWidget(win)
        lenses = lenses_window(win)
        assert lenses.tabs.tabText(0) == "逐词生成"
        assert lenses.score.score_button.text() == "打分"
        assert "透镜(&L)" in [a.text() for a in win.menuBar().actions()]
        lenses.score.text.setPlainText("你好，世界。今天天气很好。")
        lenses.score.score_button.click()
        idle(qtbot, lenses)
        assert "困惑度" in lenses.score.summary.text()
        lenses.show_view("score")
        shot(lenses, "score-zh")
    finally:
        for translator in getattr(qapp, "_tokenscope_translators", []):
            qapp.removeTranslator(translator)
        qapp._tokenscope_translators = []
        QLocale.setDefault(default)
